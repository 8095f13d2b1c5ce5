"""Decisions of the review workflow and the approval gate, as pure functions over typed values."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from model_governance import text
from model_governance.cards.content import CARRIED_SECTIONS, SECTIONS_PACKAGE
from model_governance.cards.naming import entity_name
from model_governance.cards.records import CardRecord, EmbeddedCard

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
    """What to write to the package's embedded card: content and status never in one call (AWS rule)."""

    content: dict[str, Any] | None = None
    status: str | None = None
    reason: str = ""

    @property
    def needed(self) -> bool:
        return self.content is not None or self.status is not None


def embedded_card_sync(current: EmbeddedCard | None, card: CardRecord) -> EmbeddedSync:
    """The embedded card in step with the standalone card: the sections a person writes (business details,
    intended uses, additional information) and the status. Other embedded sections stay as they are."""
    if current is not None and current.status == "Archived":
        return EmbeddedSync(reason="the embedded card is Archived: AWS accepts no more updates")
    existing = current.content if current else {}
    desired = package_flavour(existing)
    for section in CARRIED_SECTIONS:
        if section in card.content:
            desired[section] = copy.deepcopy(card.content[section])
        else:
            desired.pop(section, None)
    content = desired if desired != existing else None
    status = card.status if (current.status if current else None) != card.status else None
    if content is None and status is None:
        return EmbeddedSync(reason="already in step")
    return EmbeddedSync(content=content, status=status)


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
    # The reason reaches emails and the package's approval description: names and statuses rendered as data.
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
    return GateDecision(mode, reason, alert=True, revert=mode == "enforce")


def approval_description(reason: str) -> str:
    description = (
        f"Returned to PendingManualApproval by the model governance approval gate: {reason}. "
        "Approve the model card, then approve this version again."
    )
    return description[:APPROVAL_DESCRIPTION_LIMIT]


def card_owner(card: CardRecord | None, fallback: str | None = None) -> str | None:
    """Who answers for the card: model_overview.model_owner, else its last editor, else ``fallback``."""
    if card is not None:
        owner = (card.content.get("model_overview") or {}).get("model_owner")
        if isinstance(owner, str) and owner.strip():
            return owner.strip()
        if card.last_modified_by:
            return card.last_modified_by
    return fallback
