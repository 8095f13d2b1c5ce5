"""Model card review: react to `SageMaker Model Card State Change`.

For every change: record it, keep the linked package's embedded card in step, but only for a link that counts
(cards/trust.py): the card's content is written by anyone who may edit cards, so it may not choose which package
we write. An unconfirmed claim changes nothing; the card's owner and reviewers are told once per card version.
PendingReview: tell reviewers what changed since the previous version. Approved: export the approved version as
PDF evidence, which counts only once the export job Completed: `SageMaker Model Card Export Job State Change`
(``confirm_export``) reads the job and records the PDF, or alerts ops and starts the next attempt when it Failed.
Should that event be lost (EventBridge delivery is best effort), the next event of the card, or a redelivery,
confirms the job.

Events arrive late and more than once (aws-facts.md 1.0), so each card keeps a high-water mark (card version,
last modified time): an event at or below the mark changes nothing. Every effect is "make it so": the embedded
card follows the card's latest version, the export job name is deterministic, the notice is claimed once.

An event is a hint: it names the card and the version to look at, nothing more. Anyone allowed to invoke the
function can send any body, so the status, the version's time, who changed it and the card's creation are read
back with DescribeModelCard, and everything (the records, the marks, the effect keys) is decided on that. An event
dated in the future is refused: no real change has happened yet. A card encrypted with a customer-managed key
keeps its content under that key (cards/encryption.py): notices, records and plans hold digests instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from model_governance import text
from model_governance.adapters.notifications import Message
from model_governance.cards import content as card_content
from model_governance.cards.encryption import NOT_SHOWN, digest, same_key, sealed_changes, shown
from model_governance.cards.records import CardLink, CardRecord, PackageFacts
from model_governance.cards.trust import CARD_METADATA_KEY, LinkVerdict, judge_link
from model_governance.errors import CardKeyNotGrantedError, InvalidCardContentError, MissingResourceError
from model_governance.events import ModelCardStateChange, whole_seconds
from model_governance.observability import MetricUnit, logger, metrics
from model_governance.review.decisions import (
    CardMark,
    EmbeddedSync,
    Freshness,
    card_owner,
    embedded_card_sync,
    first_version_needed,
    freshness,
    next_mark,
)
from model_governance.review.diff import changed_sections, diff_content, render_diff, render_encrypted_diff
from model_governance.workflows.card_export import (
    Evidence,
    ExportPorts,
    ExportRegistry,
    ExportState,
    ReviewResult,
    ReviewSettings,
    export_evidence,
    settle_pending_export,
)
from model_governance.workflows.card_keys import report_key_not_granted
from model_governance.workflows.carry_forward import console_card_url
from model_governance.workflows.effects import EffectRun, Effects, Plan, once
from model_governance.workflows.ports import Audit, publish_once, recorder
from model_governance.workflows.ports import Publisher as Notices

MARK_ATTEMPTS = 3
# Clocks differ a little (the caller's, SageMaker's, Lambda's): a time later than now by more than this is refused.
CLOCK_SKEW = timedelta(minutes=5)
Recorder = Callable[..., None]


class Registry(ExportRegistry, Protocol):
    def describe_card(self, name: str, version: int | None = None) -> CardRecord | None: ...
    def previous_card_version(self, name: str, version: int) -> int | None: ...
    def describe_package(self, arn: str) -> PackageFacts: ...
    def update_package_card_content(self, package_arn: str, content: dict[str, Any]) -> None: ...
    def update_package_card_status(self, package_arn: str, status: str) -> None: ...


class ReviewState(ExportState, Protocol):
    def link_for(self, group: str, version: int) -> CardLink | None: ...
    def card_mark(self, card: str) -> CardMark | None: ...
    def advance_card_mark(self, mark: CardMark, expected: CardMark | None) -> bool: ...


@dataclass(frozen=True)
class ClaimedPackage:
    """The package a card's content names, and whether that claim counts."""

    package: PackageFacts
    verdict: LinkVerdict


def review_card_change(
    change: ModelCardStateChange,
    *,
    registry: Registry,
    state: ReviewState,
    effects: Effects,
    notices: Notices,
    ops: Notices,
    audit: Audit,
    settings: ReviewSettings,
    evidence: Evidence,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ReviewResult:
    result = ReviewResult(card=change.card_name, version=change.card_version, status=change.status)
    if future := _in_the_future(now(), event=change.envelope.time, modified=change.last_modified):
        return _refused(result, future)
    try:
        return _review(change, result, registry, state, effects, notices, ops, audit, settings, evidence, now)
    except CardKeyNotGrantedError as error:
        result.outcome, result.reason = "key-not-granted", str(error)
        report_key_not_granted(
            error,
            effects=effects,
            origin=change.envelope,
            ops=ops,
            record=recorder(audit, change.envelope, group=result.group, card=change.card_name),
            skipped=f"review of version {change.card_version} ({change.status}): notices, evidence, embedded card",
        )
        return result


def _review(
    change: ModelCardStateChange,
    result: ReviewResult,
    registry: Registry,
    state: ReviewState,
    effects: Effects,
    notices: Notices,
    ops: Notices,
    audit: Audit,
    settings: ReviewSettings,
    evidence: Evidence,
    now: Callable[[], datetime],
) -> ReviewResult:
    card = registry.describe_card(change.card_name, change.card_version)
    latest = registry.describe_card(change.card_name)
    if card is None or latest is None:
        result.outcome = "card-missing"
        result.reason = "the card (or this version of it) was deleted after the event"
        recorder(audit, change.envelope, card=change.card_name)(
            "skipped", details={"reason": result.reason, "card_version": change.card_version, "status": change.status}
        )
        return result
    if future := _in_the_future(now(), described=card.last_modified):
        return _refused(result, future)
    hint, change = change, as_described(change, card)
    result.version, result.status = change.card_version, change.status
    if hint.status != change.status:
        result.reason = f"the event said {hint.status}; version {card.version} is {card.status}"
    claim = _claimed_package(latest, registry, state, result)
    # Only a link that counts files the card's records under a group: a decoy must not write another group's history.
    result.group = claim.package.group if claim is not None and claim.verdict.trusted else None

    # One effect per state change of this card (every copy SageMaker sends of it maps here); a card deleted and
    # created again under the same name is another card (its creation time). Times to the second: the event has
    # nanoseconds, the sweep's replay of a lost event has Search's milliseconds, and both must be one effect.
    created = whole_seconds(change.created) if change.created else "-"
    parts = (change.card_name, created, str(change.card_version), change.status, whole_seconds(change.last_modified))
    key = "card-review#" + "#".join(parts)
    done = once(
        effects,
        key,
        change.envelope,
        lambda run: _act(
            run,
            change,
            card,
            latest,
            claim,
            result,
            registry,
            state,
            effects,
            notices,
            ExportPorts(registry, state, effects, ops, audit, settings, evidence),
        ),
    )
    if done is None:
        result.outcome = "duplicate"
        result.reason = "an earlier delivery of this state change handled it"
    logger.info("card review done", extra={"result": result.__dict__})
    return result


def _act(
    run: EffectRun,
    change: ModelCardStateChange,
    card: CardRecord,
    latest: CardRecord,
    claim: ClaimedPackage | None,
    result: ReviewResult,
    registry: Registry,
    state: ReviewState,
    effects: Effects,
    notices: Notices,
    exports: ExportPorts,
) -> bool:
    # The effect's steps share the time of the attempt that began it; the ledger keeps them in write order.
    record = recorder(exports.audit, run.lease, group=result.group, card=change.card_name)
    observed = run.step(
        "observed",
        lambda: _observation(change, state),
        lambda plan: (
            None
            if plan["stale"]
            else record(
                "card_status_changed",
                actor=change.modified_by or card.last_modified_by or "unknown",
                before={"status": plan["previous_status"], "card_version": plan["previous_version"]},
                after={"status": change.status, "card_version": change.card_version},
                details={"risk_rating": card.risk_rating, "status_now": card.status},
            )
        ),
    )
    assert observed is not None
    if observed["stale"]:
        # Older than a change already handled: acting would undo a newer state.
        result.outcome = "stale"
        result.reason = f"a change after version {change.card_version} ({change.last_modified}) was handled"
        metrics.add_metric(name="CardEventsIgnored", unit=MetricUnit.Count, value=1)
        return True
    result.outcome = "acted"

    # Act on the status the version has now (``change`` is as DescribeModelCard reported it).
    if change.status == "PendingReview":
        _request_review(run, change, card, result, registry, notices, record)
    elif change.status == "Approved":
        export_evidence(change, card, result, exports, record)
    if change.status != "Approved":
        settle_pending_export(card, result, exports)

    if claim is not None and claim.verdict.trusted:
        _sync_embedded_card(run, latest, claim.package, result, registry, record)
    elif claim is not None:
        _refuse_link(run, change, latest, claim, result, effects, notices, record)
    _advance_mark(change, state)  # only forward, after the work: a retry moves it nowhere new
    return True


def as_described(change: ModelCardStateChange, card: CardRecord) -> ModelCardStateChange:
    """The state change as DescribeModelCard reports the version now: its status, its time, who changed it and
    the card's creation. Of the event only the envelope (the delivery) and the card's name remain."""
    return replace(
        change,
        card_version=card.version,
        status=card.status,
        # CreationTime is always in the response (card_record falls back on it); a fake may give neither.
        last_modified=card.last_modified or card.created or change.last_modified,
        modified_by=card.last_modified_by,
        created=card.created or change.created,
    )


def _in_the_future(now: datetime, **moments: datetime | None) -> str | None:
    """Why a time is refused: later than ``now`` beyond the clocks' skew (no change has happened then yet)."""
    for what, moment in moments.items():
        if moment is not None and moment > now + CLOCK_SKEW:
            return f"the {what} time {moment.isoformat()} is in the future (now {now.isoformat(timespec='seconds')})"
    return None


def _refused(result: ReviewResult, why: str) -> ReviewResult:
    """Nothing is read, written or sent for a change dated in the future: one line in the log, one metric."""
    result.outcome, result.reason = "refused", why
    logger.warning("card event refused", extra={"card": result.card, "reason": why})
    metrics.add_metric(name="CardEventsRefused", unit=MetricUnit.Count, value=1)
    return result


def _observation(change: ModelCardStateChange, state: ReviewState) -> Plan:
    """Whether the change is older than one already handled, and what the card was before (its mark)."""
    mark = state.card_mark(change.card_name)
    if mark is not None and change.created is not None and mark.created not in (None, change.created):
        mark = None  # the mark of a deleted card of the same name
    fresh = freshness(mark, version=change.card_version, modified=change.last_modified, event_id=change.envelope.id)
    return {
        "stale": fresh is Freshness.STALE,
        "previous_status": mark.status if mark else None,
        "previous_version": mark.version if mark else None,
    }


def _advance_mark(change: ModelCardStateChange, state: ReviewState) -> None:
    """Move the card's mark to this change, after the work, and only forward."""
    for _ in range(MARK_ATTEMPTS):
        mark = state.card_mark(change.card_name)
        if mark is not None and change.created is not None and mark.created not in (None, change.created):
            pass  # a deleted card's mark: replaced below
        elif mark is not None and (mark.version, mark.modified) >= (change.card_version, change.last_modified):
            return
        new = next_mark(
            mark,
            card=change.card_name,
            version=change.card_version,
            modified=change.last_modified,
            status=change.status,
            event_id=change.envelope.id,
            created=change.created,
        )
        if state.advance_card_mark(new, mark):
            return
    raise RuntimeError(f"the mark of model card {change.card_name} kept moving; the retry will decide")


def _request_review(
    run: EffectRun,
    change: ModelCardStateChange,
    card: CardRecord,
    result: ReviewResult,
    registry: Registry,
    notices: Notices,
    record: Recorder,
) -> None:
    def plan() -> Plan:
        previous_version = registry.previous_card_version(card.name, card.version)
        previous = registry.describe_card(card.name, previous_version) if previous_version else None
        diffs = diff_content(previous.content if previous else {}, card.content)
        key = card.kms_key_id or (previous.kms_key_id if previous else None)
        lines = render_encrypted_diff(diffs, key) if key else render_diff(diffs)
        message = review_notice(change, card, previous, lines, result.group)
        return {
            "message": message.as_plan(),
            "compared_with_version": previous_version,
            "changed_sections": changed_sections(diffs, encrypted=bool(key)),
        }

    planned = run.step(
        "review-notice",
        plan,
        lambda p: notices.publish(Message.from_plan(p["message"])),
    )
    assert planned is not None
    result.review_notice_published = True
    metrics.add_metric(name="ReviewNoticesSent", unit=MetricUnit.Count, value=1)
    record(
        "review_notice_sent",
        details={
            "subject": planned["message"]["subject"],
            "compared_with_version": planned["compared_with_version"],
            "changed_sections": planned["changed_sections"],
        },
    )


def _claimed_package(
    card: CardRecord, registry: Registry, state: ReviewState, result: ReviewResult
) -> ClaimedPackage | None:
    """The package the card's content names, judged by the trust rule; None when it names none (or it is gone)."""
    arn = card.linked_package_arn
    if not arn:
        return None
    try:
        package = registry.describe_package(arn)
    except MissingResourceError:
        result.reason = (result.reason + "; " if result.reason else "") + f"linked package {arn} no longer exists"
        return None
    recorded = state.link_for(package.group, package.version) if package.group and package.version else None
    verdict = judge_link(card.name, arn, package, recorded, card_arn=card.arn, card_created=card.created)
    return ClaimedPackage(package, verdict)


def _refuse_link(
    run: EffectRun,
    change: ModelCardStateChange,
    card: CardRecord,
    claim: ClaimedPackage,
    result: ReviewResult,
    effects: Effects,
    notices: Notices,
    record: Recorder,
) -> None:
    """Write nothing to the claimed package; tell the card's owner and reviewers once per card version."""
    result.link_refused = True
    why = claim.verdict.explain()
    result.reason = (result.reason + "; " if result.reason else "") + f"link to {claim.package.arn} refused: {why}"
    metrics.add_metric(name="CardLinksRefused", unit=MetricUnit.Count, value=1)
    logger.info("card link refused", extra={"card": card.name, "claimed_package": claim.package.arn, "why": why})
    message = link_refused_notice(card, claim, change.envelope.region)
    created = change.created.isoformat() if change.created else "-"  # a card re-created under the name is another
    noticed = publish_once(effects, f"link-refused#{card.name}#{created}#{card.version}", run.lease, notices, message)
    run.step(
        "link-refused",
        lambda: {"notice_sent": noticed},
        lambda plan: record(
            "link_refused",
            group=claim.package.group,  # the claimed group's history shows the attempt
            subject=claim.package.arn,
            details={
                "card_version": card.version,
                "card_status": card.status,
                "claimed_package": claim.package.arn,
                "reasons": list(claim.verdict.reasons),
                "notice_sent": plan["notice_sent"],
            },
        ),
    )


def _sync_embedded_card(
    run: EffectRun, card: CardRecord, package: PackageFacts, result: ReviewResult, registry: Registry, record: Recorder
) -> None:
    """The package's embedded card in step with the card's latest version: planned once, written, recorded.

    Content encrypted with a customer-managed key is copied only into a package encrypted with the same key (the
    embedded card takes no SecurityConfig of its own); otherwise only the status follows. Its plan and records
    hold digests: the write derives the content again from the same card version and the package as it is.
    """
    arn = package.arn  # the package the trust rule accepted, as SageMaker names it
    current = package.embedded_card
    key = card.kms_key_id
    protected = key is None or same_key(key, card.arn, package.kms_key_id, package.arn)

    def desired() -> EmbeddedSync:
        # A carried card's version 1 tells a person's edits from carried values (review/decisions.py: whose value
        # wins); read only for a carried card edited since it was created.
        first_version = registry.describe_card(card.name, 1) if first_version_needed(card) else None
        return embedded_card_sync(current, card, first_version=first_version)

    def plan() -> Plan | None:
        sync = desired()
        if not sync.needed:
            return None
        withheld = sync.content is not None and not protected
        if sync.content is not None and not withheld:
            problems = card_content.validate_content(sync.content, card_content.Flavour.PACKAGE)
            if problems:
                raise InvalidCardContentError(f"embedded card of {arn}", problems)
        return {
            "content": sync.content if key is None else None,  # encrypted: derived again when written
            "write_content": sync.content is not None and not withheld,
            "content_sha256": digest(sync.content) if sync.content is not None else None,
            "withheld": withheld,
            "status": sync.status,
            "before_content": shown(current.content if current else {}, key),
            "before_status": current.status if current else None,
            "replaced": sealed_changes(sync.replaced, key),
        }

    def write(planned: Plan) -> None:
        if planned["write_content"]:
            content = planned["content"] if key is None else desired().content
            if content is not None:  # None: an earlier attempt wrote it (the package says so now)
                if digest(content) != planned["content_sha256"]:
                    logger.warning("embedded card content changed since planned", extra={"package_arn": arn})
                registry.update_package_card_content(arn, content)
        if planned["status"] is not None:
            registry.update_package_card_status(arn, planned["status"])
        metrics.add_metric(name="EmbeddedCardsSynced", unit=MetricUnit.Count, value=1)

    def recorded(planned: Plan) -> None:
        if planned["write_content"]:
            after = planned["content"]
            if after is None:
                after = {"encrypted_with": key, "sha256": planned["content_sha256"], "note": NOT_SHOWN}
            record(
                "embedded_card_updated",
                subject=arn,
                before=planned["before_content"],
                after=after,
                details={"from_card_version": card.version, "replaced": planned["replaced"]},
            )
        if planned.get("withheld"):
            record(
                "embedded_card_content_withheld",
                subject=arn,
                details={
                    "from_card_version": card.version,
                    "kms_key_id": key,
                    "package_kms_key_id": package.kms_key_id,
                    "reason": "the card's content is encrypted with a customer-managed key that does not protect "
                    "the model package; the embedded card takes no key of its own, so the content is not copied",
                },
            )
        if planned["status"] is not None:
            record(
                "embedded_card_status_changed",
                subject=arn,
                before={"status": planned["before_status"]},
                after={"status": planned["status"]},
                details={"from_card_version": card.version},
            )

    synced = run.step("sync", plan, write)
    if synced is not None:
        result.embedded_content_updated = bool(synced["write_content"])
        result.embedded_content_withheld = bool(synced.get("withheld"))
        result.embedded_status_updated = synced["status"] is not None
        recorded(synced)


def link_refused_notice(card: CardRecord, claim: ClaimedPackage, region: str) -> Message:
    """To the card's owner and its reviewers: the card's claim on a package was not acted on, and how to fix it."""
    package = claim.package
    owner = card_owner(card) or "unknown"
    card_name, group = text.name(card.name), text.name(package.group)
    lines = [
        f"Model card {card_name} (version {card.version}, {text.name(card.status)}) says it documents {group} "
        f"version {package.version}, but that link is not confirmed:",
        # The reasons quote the names they hold (cards/trust.py); each stays one line of ours.
        *(f"  - {text.one_line(reason)}" for reason in claim.verdict.reasons),
        "",
        "Nothing was written to the model package: its embedded card, and the approval gate's view of it, are",
        "unchanged. A card counts for a version when this system created it for that version (carry-forward),",
        "or when the model package names it. If this card should document the version, someone allowed to update",
        "model packages confirms it:",
        f"  aws sagemaker update-model-package --model-package-arn {text.shell_word(package.arn)} \\",
        f"    --customer-metadata-properties {text.shell_word(f'{CARD_METADATA_KEY}={card.name}')}",
        "Otherwise correct model_package_details in the card.",
        "",
        f"Claimed package: {text.name(package.arn)}",
        f"Card owner:      {text.value(owner)}",
        f"Open the card: {console_card_url(region, card.name)}",
    ]
    short = text.SUBJECT_NAME_LIMIT
    return Message(
        subject=f"Model card {text.name(card.name, short)} v{card.version}: link to {text.name(package.group, short)} "
        f"v{package.version} not confirmed",
        body="\n".join(lines),
        attributes={
            "event_type": "model_card_link_refused",
            "model_package_group": package.group,
            "risk_rating": card.risk_rating,
            "model_owner": owner,
        },
    )


def review_notice(
    change: ModelCardStateChange,
    card: CardRecord,
    previous: CardRecord | None,
    diff_lines: list[str],
    group: str | None,
) -> Message:
    region = change.envelope.region
    compared = f"version {previous.version}" if previous else "nothing (this is the card's first version)"
    claimed = text.name(card.linked_package_arn) if card.linked_package_arn else None
    package_line = (
        claimed if group and claimed else f"{claimed} (claimed, not confirmed)" if claimed else "(not linked)"
    )
    submitter = change.modified_by or card.last_modified_by
    lines = [
        f"Model card {text.name(card.name)} (version {card.version}) is waiting for review.",
        "",
        f"Model package group: {text.name(group) if group else '(not linked to a model package)'}",
        f"Model package:       {package_line}",
        f"Risk rating:         {text.name(card.risk_rating)}",
        f"Submitted by:        {text.name(submitter) if submitter else 'unknown'}",
        f"Submitted at:        {change.last_modified.isoformat(timespec='seconds')}",
        "",
        f"Changes compared with {compared}:",
        *diff_lines,
        "",
        f"Review the card: {console_card_url(region, card.name)}",
    ]
    return Message(
        subject=f"Review requested: model card {text.name(card.name, text.SUBJECT_NAME_LIMIT)} v{card.version}",
        body="\n".join(lines),
        attributes={
            "event_type": "model_card_pending_review",
            "model_package_group": group or "",
            "risk_rating": card.risk_rating,
        },
    )
