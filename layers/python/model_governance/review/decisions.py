"""Decisions of the review workflow and the approval gate, as pure functions over typed values."""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from model_governance import text
from model_governance.cards.carry_forward import is_carried_card
from model_governance.cards.content import CARRIED_SECTIONS, SECTIONS_PACKAGE
from model_governance.cards.fields import delete_field, field_paths, get_field, is_filled, set_field
from model_governance.cards.naming import entity_name
from model_governance.cards.records import CardRecord, EmbeddedCard, FieldChange, LifeCycle, PackageFacts

GATE_MODES = ("off", "warn", "enforce")
APPROVAL_DESCRIPTION_LIMIT = 1024
# Keys the embedded (model package) card accepts in model_overview (aws-facts.md 4.2 / 4.3).
PACKAGE_OVERVIEW_KEYS = (
    "model_description",
    "model_creator",
    "model_artifact",
    "algorithm_type",
    "problem_type",
    "model_owner",
)
EVIDENCE_PREFIX = "model-cards"
# A failed export is tried again with a new job name, this many jobs in all; then ops decide (the alert says so).
MAX_EXPORT_ATTEMPTS = 3
EXPORT_REQUESTED, EXPORT_COMPLETED, EXPORT_FAILED = "requested", "completed", "failed"


# Event ordering ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CardMark:
    """The newest state change of a card the system has acted on (its high-water mark)."""

    card: str
    version: int
    modified: datetime
    status: str
    event_id: str
    previous_status: str | None = None
    previous_version: int | None = None
    created: datetime | None = None  # the card's creation time: a card re-created under the name starts afresh


class Freshness(Enum):
    NEW = "new"  # newer than anything seen: act on it
    RETRY = "retry"  # the very event that set the mark, delivered again after a failure: finish the job
    DUPLICATE = "duplicate"  # another copy of the change the mark already holds: nothing to do
    STALE = "stale"  # older than the mark: acting would undo a newer state


def freshness(mark: CardMark | None, *, version: int, modified: datetime, event_id: str) -> Freshness:
    """Orders card events by (card version, last modified time): a status-only change keeps the version
    and moves the time, a content change moves the version (aws-facts.md 3.2)."""
    if mark is None:
        return Freshness.NEW
    if mark.event_id == event_id:
        return Freshness.RETRY
    seen, incoming = (mark.version, mark.modified), (version, modified)
    if incoming > seen:
        return Freshness.NEW
    return Freshness.DUPLICATE if incoming == seen else Freshness.STALE


def next_mark(
    mark: CardMark | None,
    *,
    card: str,
    version: int,
    modified: datetime,
    status: str,
    event_id: str,
    created: datetime | None = None,
) -> CardMark:
    return CardMark(
        created=created,
        card=card,
        version=version,
        modified=modified,
        status=status,
        event_id=event_id,
        previous_status=mark.status if mark else None,
        previous_version=mark.version if mark else None,
    )


# Evidence ---------------------------------------------------------------------------------------------
def export_job_name(card: str, version: int, attempt: int = 1) -> str:
    """One export job per approved card version and attempt, named so a second delivery asks for the same job.

    ``<card>-v<version>-pdf``, then ``-pdf-2``, ``-pdf-3`` for the attempts after a failed job; a long card
    name is cut and an 8-hex digest of the full name keeps two long names that share a prefix apart
    (EntityName: at most 63, ``[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}``).
    """
    if attempt < 1:
        raise ValueError(f"export attempts count from 1, got {attempt}")
    return entity_name(card, f"-v{version}-pdf" + (f"-{attempt}" if attempt > 1 else ""))


def export_prefix(card: str, version: int) -> str:
    return f"{EVIDENCE_PREFIX}/{card}/v{version}/"


def export_s3_path(bucket: str, card: str, version: int) -> str:
    return f"s3://{bucket}/{export_prefix(card, version)}"


# Embedded card --------------------------------------------------------------------------------------
def package_flavour(content: Mapping[str, Any]) -> dict[str, Any]:
    """``content`` cut down to what a model package's embedded card accepts: no model_package_details, a
    limited model_overview, only the package schema's sections."""
    result: dict[str, Any] = {}
    for section, value in content.items():
        if section not in SECTIONS_PACKAGE:
            continue
        if section == "model_overview" and isinstance(value, Mapping):
            overview = {k: copy.deepcopy(v) for k, v in value.items() if k in PACKAGE_OVERVIEW_KEYS}
            if overview:
                result[section] = overview
            continue
        result[section] = copy.deepcopy(value)
    return result


@dataclass(frozen=True)
class EmbeddedSync:
    """What to write to the package's embedded card: content and status never in one call (AWS rule).

    ``replaced``: every non-empty embedded value the content replaces or removes (field, old, new): record each in
    the ledger when the content is written. ``kept``: embedded values kept over the card's carried ones (field,
    embedded value kept, card value not written).
    """

    content: dict[str, Any] | None = None
    status: str | None = None
    reason: str = ""
    replaced: tuple[FieldChange, ...] = ()
    kept: tuple[FieldChange, ...] = ()

    @property
    def needed(self) -> bool:
        return self.content is not None or self.status is not None


def first_version_needed(card: CardRecord) -> bool:
    """Whether ``embedded_card_sync`` needs the card's first version: a carried card edited since carry-forward
    created it (its version 1 is what was carried; a later version's fields may be carried or a person's edits)."""
    return card.version > 1 and is_carried_card(card.content)


def embedded_card_sync(
    current: EmbeddedCard | None, card: CardRecord, *, first_version: CardRecord | None
) -> EmbeddedSync:
    """The embedded card in step with the standalone card, field by field, in the sections a person writes
    (business details, intended uses, additional information), and the status. Other embedded sections stay.

    One rule: a value a person wrote is never replaced by a value nobody wrote for this version.
    - A person's edit of the standalone card wins: a field whose value differs from the card's first version
      (what carry-forward wrote), or any field of a card a person made, is copied to the embedded card; a field a
      person emptied since carry-forward is removed.
    - A value the card still holds as carry-forward wrote it (carried from the previous version) fills an empty
      embedded field but never replaces one: the registrant's own value for this version wins.
    Every non-empty embedded value replaced or removed is listed in ``replaced``.

    ``first_version``: the card's version 1, needed when ``first_version_needed(card)``; otherwise unused.
    """
    if current is not None and current.status == "Archived":
        return EmbeddedSync(reason="the embedded card is Archived: AWS accepts no more updates")
    existing = current.content if current else {}
    desired = package_flavour(existing)
    baseline = _carried_baseline(card, first_version)
    replaced: list[FieldChange] = []
    kept: list[FieldChange] = []
    for section in CARRIED_SECTIONS:
        for path in field_paths(section, card.content, desired, baseline or {}):
            field = ".".join(path)
            written, embedded = get_field(card.content, path), get_field(desired, path)
            target: Any
            if baseline is None or written != get_field(baseline, path):  # a person wrote this value
                if is_filled(written):
                    target = written
                elif baseline is not None and is_filled(get_field(baseline, path)):
                    target = _REMOVED  # emptied by a person since carry-forward
                else:
                    continue  # nobody wrote it in the card: the embedded value stays
            elif not is_filled(written):
                continue
            elif is_filled(embedded):  # carried, and the embedded card says something: the embedded value wins
                if embedded != written:
                    kept.append(FieldChange(field, copy.deepcopy(embedded), written))
                continue
            else:
                target = written
            if target == embedded or (target is _REMOVED and embedded is None):
                continue
            if is_filled(embedded):
                replaced.append(FieldChange(field, copy.deepcopy(embedded), None if target is _REMOVED else target))
            if target is _REMOVED:
                delete_field(desired, path)
            else:
                set_field(desired, path, copy.deepcopy(target))
    content = desired if desired != existing else None
    status = card.status if (current.status if current else None) != card.status else None
    if content is None and status is None:
        return EmbeddedSync(reason="already in step", kept=tuple(kept))
    return EmbeddedSync(content=content, status=status, replaced=tuple(replaced), kept=tuple(kept))


_REMOVED = object()


def _carried_baseline(card: CardRecord, first_version: CardRecord | None) -> dict[str, Any] | None:
    """What carry-forward wrote when it created the card (its version 1), or None when a person made the card."""
    if card.version == 1:
        return card.content if is_carried_card(card.content) else None
    if not first_version_needed(card):
        return None
    if first_version is None or first_version.version != 1:
        raise ValueError(f"model card {card.name} was carried forward: pass its version 1 to tell edits from carried")
    return first_version.content if is_carried_card(first_version.content) else None


# Approval gate ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GateDecision:
    verdict: str  # off | skip | pass | warn | enforce
    reason: str
    alert: bool = False
    revert: bool = False


def gate_decision(
    mode: str, approval_status: str | None, card: CardRecord | None, *, unconfirmed: Sequence[CardRecord] = ()
) -> GateDecision:
    """No approved model without an approved card: ``warn`` alerts, ``enforce`` also reverts the approval.

    ``card`` is the version's card by the trust rule; ``unconfirmed`` are cards that only claim the version.
    An unconfirmed claim never passes the gate, Approved or not; the reason names it."""
    if mode not in GATE_MODES:
        raise ValueError(f"approval gate mode must be one of {', '.join(GATE_MODES)}, got {mode!r}")
    if mode == "off":
        return GateDecision("off", "the approval gate is off")
    if approval_status != "Approved":
        return GateDecision("skip", f"the package is {approval_status or 'without an approval status'} now")
    if card is not None and card.status == "Approved":
        return GateDecision("pass", f"model card {card.name} (version {card.version}) is Approved")
    return GateDecision(mode, card_not_approved(card, unconfirmed), alert=True, revert=mode == "enforce")


# The effects the gates judge each state of a version under (workflows/effects.once_per_state).
APPROVAL_GATE_EFFECT = "approval-gate"
STAGE_GATE_EFFECT = "stage-gate"


def approval_state(package: PackageFacts) -> str | None:
    """The state the approval gate judges, from DescribeModelPackage: an Approved version at its own
    LastModifiedTime (each approval is another state), or None when the version is not Approved."""
    return f"Approved#{_changed(package)}" if package.approval_status == "Approved" else None


def stage_state(package: PackageFacts) -> str | None:
    """The state the stage gate judges: the version's stage and status at its own LastModifiedTime, or None
    when it has no stage."""
    stage = package.life_cycle
    return f"{stage.stage}/{stage.status}#{_changed(package)}" if stage is not None else None


def _changed(package: PackageFacts) -> str:
    moment = package.last_modified or package.creation_time
    return moment.astimezone(UTC).isoformat() if moment is not None else "unknown"


def card_not_approved(card: CardRecord | None, unconfirmed: Sequence[CardRecord] = ()) -> str:
    """Why the version's card does not pass a gate (its status, or none linked; the decoys that only claim it)."""
    # The reason reaches emails and the package's descriptions: names and statuses rendered as data.
    reason = (
        f"model card {text.name(card.name)} (version {card.version}) is {text.name(card.status)}, not Approved"
        if card is not None
        else "no model card is linked to this model package version"
    )
    if unconfirmed:
        claims = ", ".join(f"{text.name(c.name)} ({text.name(c.status)})" for c in unconfirmed)
        reason += (
            f"; {claims} only claim{'s' if len(unconfirmed) == 1 else ''} it: unconfirmed claim, neither created "
            "for it by this system nor named by the package"
        )
    return reason


APPROVAL_REVERT_PREFIX = "Returned to PendingManualApproval by the model governance approval gate: "


def approval_description(reason: str) -> str:
    description = f"{APPROVAL_REVERT_PREFIX}{reason}. Approve the model card, then approve this version again."
    return description[:APPROVAL_DESCRIPTION_LIMIT]


# Stage gate -------------------------------------------------------------------------------------------
STAGE_DESCRIPTION_LIMIT = 1024
# The status a gated stage keeps when the version cannot go back to a known stage outside the gated set.
REJECTED_STAGE_STATUS = "Rejected"


@dataclass(frozen=True)
class StageMark:
    """The version's last known stage, from the ledger; ``by_gate`` when the approval gate put it there."""

    stage: LifeCycle
    by_gate: bool = False


def last_stage(records: Sequence[Mapping[str, Any]]) -> StageMark | None:
    """The newest stage record's stage (records oldest first: ``stage_changed`` or ``stage_reverted``)."""
    for record in reversed(records):
        after = record.get("after") or {}
        stage, status = after.get("stage"), after.get("stage_status")
        if isinstance(stage, str) and isinstance(status, str):
            return StageMark(LifeCycle(stage, status), by_gate=record.get("action") == "stage_reverted")
    return None


class StageMove(Enum):
    UNCHANGED = "unchanged"  # the stage the ledger already holds (a copy, a late event, another field's update)
    OWN_REVERT = "own-revert"  # where the gate itself put the version back: allowed, never judged again
    MOVED = "moved"  # a change outside the gated stages (or within the same gated stage): recorded only
    ENTERED = "entered"  # moved into a gated stage: judged like an approval


def stage_move(previous: StageMark | None, current: LifeCycle, gated_stages: Collection[str]) -> StageMove:
    """What a version's stage now is, against the last stage the ledger holds for it.

    Entering is: now in a gated stage with an active status, and before not in that same stage actively (another
    stage, a Rejected/Retired status, or no stage known: the first stage seen)."""
    same = previous is not None and (previous.stage.stage, previous.stage.status) == (current.stage, current.status)
    if same and previous is not None and previous.by_gate:
        return StageMove.OWN_REVERT
    if same:
        return StageMove.UNCHANGED
    if not current.active_in(gated_stages):
        return StageMove.MOVED
    if previous is not None and previous.stage.active_in(gated_stages) and previous.stage.stage == current.stage:
        return StageMove.MOVED  # a status change inside the gated stage it entered (and was judged for) before
    return StageMove.ENTERED


@dataclass(frozen=True)
class StageDecision:
    verdict: str  # pass | warn | enforce
    reason: str
    alert: bool = False
    revert_to: LifeCycle | None = None


def stage_gate_decision(
    mode: str,
    previous: StageMark | None,
    current: LifeCycle,
    gated_stages: Collection[str],
    card: CardRecord | None,
    *,
    unconfirmed: Sequence[CardRecord] = (),
) -> StageDecision:
    """A version that entered a gated stage: passes with an approved card; else ``warn`` alerts, ``enforce``
    also puts it back (``stage_revert_target``). Same trust rule and reasons as the approval gate."""
    if mode not in GATE_MODES or mode == "off":
        raise ValueError(f"the stage gate judges under warn or enforce, got {mode!r}")
    if card is not None and card.status == "Approved":
        return StageDecision("pass", f"model card {card.name} (version {card.version}) is Approved")
    reason = card_not_approved(card, unconfirmed)
    if mode == "warn":
        return StageDecision("warn", reason, alert=True)
    target = stage_revert_target(previous, current, gated_stages)
    description = stage_description(reason, target)
    return StageDecision("enforce", reason, alert=True, revert_to=LifeCycle(target.stage, target.status, description))


def stage_revert_target(previous: StageMark | None, current: LifeCycle, gated_stages: Collection[str]) -> LifeCycle:
    """Where ``enforce`` puts the version: its previous stage from the ledger when that is outside the gated
    stages; otherwise (no stage known before, or the previous one gated too) the same stage with status Rejected.
    Never a gated stage with an active status: the function's IAM policy refuses that request."""
    if previous is not None and not previous.stage.active_in(gated_stages):
        return LifeCycle(previous.stage.stage, previous.stage.status)
    return LifeCycle(current.stage, REJECTED_STAGE_STATUS)


def stage_description(reason: str, target: LifeCycle) -> str:
    description = (
        f"Returned to {target.label()} by the model governance approval gate: {reason}. "
        "Approve the model card, then promote this version again."
    )
    return description[:STAGE_DESCRIPTION_LIMIT]


def card_owner(card: CardRecord | None, fallback: str | None = None) -> str | None:
    """Who answers for the card: model_overview.model_owner, else its last editor, else ``fallback``. The owner
    written in an encrypted card's content is content (cards/encryption.py): its last editor stands in."""
    if card is not None:
        overview = card.content.get("model_overview") if not card.kms_key_id else None
        owner = (overview or {}).get("model_owner")
        if isinstance(owner, str) and owner.strip():
            return owner.strip()
        if card.last_modified_by:
            return card.last_modified_by
    return fallback
