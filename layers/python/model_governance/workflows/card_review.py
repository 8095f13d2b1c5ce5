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
from model_governance.cards.records import CardLink, CardRecord, EvidenceObject, ExportJob, PackageFacts
from model_governance.cards.trust import CARD_METADATA_KEY, LinkVerdict, judge_link
from model_governance.errors import CardKeyNotGrantedError, InvalidCardContentError, MissingResourceError
from model_governance.events import Envelope, ModelCardExportJobStateChange, ModelCardStateChange, whole_seconds
from model_governance.observability import MetricUnit, logger, metrics
from model_governance.review.decisions import (
    EXPORT_COMPLETED,
    EXPORT_FAILED,
    EXPORT_REQUESTED,
    MAX_EXPORT_ATTEMPTS,
    CardMark,
    EmbeddedSync,
    Freshness,
    card_owner,
    embedded_card_sync,
    export_job_name,
    export_s3_path,
    first_version_needed,
    freshness,
    next_mark,
)
from model_governance.review.diff import changed_sections, diff_content, render_diff, render_encrypted_diff
from model_governance.workflows.card_keys import report_key_not_granted
from model_governance.workflows.carry_forward import console_card_url
from model_governance.workflows.effects import EffectRun, Effects, Plan, once
from model_governance.workflows.ports import Audit, publish_once, recorder
from model_governance.workflows.ports import Publisher as Notices

MARK_ATTEMPTS = 3
# Clocks differ a little (the caller's, SageMaker's, Lambda's): a time later than now by more than this is refused.
CLOCK_SKEW = timedelta(minutes=5)
Recorder = Callable[..., None]


class Registry(Protocol):
    def describe_card(self, name: str, version: int | None = None) -> CardRecord | None: ...
    def previous_card_version(self, name: str, version: int) -> int | None: ...
    def describe_package(self, arn: str) -> PackageFacts: ...
    def update_package_card_content(self, package_arn: str, content: dict[str, Any]) -> None: ...
    def update_package_card_status(self, package_arn: str, status: str) -> None: ...
    def create_card_export_job(self, name: str, version: int, job_name: str, s3_output_path: str) -> str | None: ...
    def describe_card_export_job(self, arn: str) -> ExportJob | None: ...


class ReviewState(Protocol):
    def link_for(self, group: str, version: int) -> CardLink | None: ...
    def card_mark(self, card: str) -> CardMark | None: ...
    def advance_card_mark(self, mark: CardMark, expected: CardMark | None) -> bool: ...
    def record_export(self, card: str, version: int, **details: Any) -> bool: ...
    def export_for(self, card: str, version: int) -> dict[str, Any] | None: ...
    def update_export(self, card: str, version: int, expected_job: str, **fields: Any) -> bool: ...


class Evidence(Protocol):
    def pin(self, uri: str) -> EvidenceObject: ...


@dataclass(frozen=True)
class ReviewSettings:
    evidence_bucket: str


@dataclass
class ReviewResult:
    card: str
    version: int
    status: str
    outcome: str = "skipped"  # acted | duplicate | stale | card-missing | key-not-granted | refused
    group: str | None = None
    review_notice_published: bool = False
    export_job_arn: str | None = None
    export_s3_path: str | None = None
    export_status: str | None = None  # the job's: InProgress | Completed | Failed
    embedded_content_updated: bool = False
    embedded_status_updated: bool = False
    embedded_content_withheld: bool = False  # encrypted content the package's key does not protect: not copied
    link_refused: bool = False  # the card claims a package that neither the system nor the package confirms
    reason: str = ""


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
            run, change, card, latest, claim, result, registry, state, effects, notices, ops, audit, settings, evidence
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
    ops: Notices,
    audit: Audit,
    settings: ReviewSettings,
    evidence: Evidence,
) -> bool:
    # The effect's steps share the time of the attempt that began it; the ledger keeps them in write order.
    record = recorder(audit, run.lease, group=result.group, card=change.card_name)
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
        _export_evidence(change, card, result, registry, state, effects, ops, audit, settings, evidence, record)
    if change.status != "Approved":  # the fallback for a lost export event: this version's job, if still pending
        export = state.export_for(card.name, card.version)
        if export is not None and export.get("status", EXPORT_REQUESTED) == EXPORT_REQUESTED:
            job = registry.describe_card_export_job(str(export["job_arn"]))
            if job is not None:
                _settle_export(job, export, result, registry, state, effects, ops, audit, settings, evidence)

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


def _export_evidence(
    change: ModelCardStateChange,
    card: CardRecord,
    result: ReviewResult,
    registry: Registry,
    state: ReviewState,
    effects: Effects,
    ops: Notices,
    audit: Audit,
    settings: ReviewSettings,
    evidence: Evidence,
    record: Recorder,
) -> None:
    """Ask for the PDF of the approved version; it is evidence only once its job Completed (``_settle_export``)."""
    path = export_s3_path(settings.evidence_bucket, card.name, card.version)
    result.export_s3_path = path
    export = state.export_for(card.name, card.version)
    if export is not None and export.get("status") in (EXPORT_COMPLETED, EXPORT_FAILED):
        result.export_job_arn, result.export_status = export.get("job_arn"), export.get("job_status")
        return
    if export is None:
        job_name = export_job_name(card.name, card.version)
        export = {
            "job_name": job_name,
            "job_arn": _job_arn(card, job_name, change.envelope),
            "attempt": 1,
            "status": EXPORT_REQUESTED,
            "s3_output_path": path,
            "group": result.group,
            "requested_at": datetime.now(UTC).isoformat(),
            "source_event_id": change.envelope.id,
        }
        # Recorded before the job starts: a retry after a failed start asks for the same job again.
        state.record_export(card.name, card.version, **export)
        export = state.export_for(card.name, card.version) or export  # another delivery may have recorded first
    job_name, job_arn = str(export["job_name"]), str(export["job_arn"])
    result.export_job_arn = job_arn
    started = registry.create_card_export_job(card.name, card.version, job_name, path)
    if started is not None:
        metrics.add_metric(name="CardExportsStarted", unit=MetricUnit.Count, value=1)
    # Recorded whether this attempt started the job or an earlier one did and lost the answer.
    record(
        "export_requested",
        after={"s3_output_path": path, "export_job": job_name},
        details={"export_job_arn": job_arn, "card_version": card.version, "attempt": export.get("attempt", 1)},
    )
    result.export_status = "InProgress"
    if started is None:
        # The name is taken: by this same request from an earlier attempt, or by a job that failed. A name is
        # not evidence; what the job did is.
        job = registry.describe_card_export_job(job_arn)
        if job is None:
            raise RuntimeError(
                f"export job {job_name} exists (name conflict) but cannot be read; the retry will look again"
            )
        if job.status != "InProgress":
            _settle_export(job, export, result, registry, state, effects, ops, audit, settings, evidence)


def confirm_export(
    change: ModelCardExportJobStateChange,
    *,
    registry: Registry,
    state: ReviewState,
    effects: Effects,
    ops: Notices,
    audit: Audit,
    settings: ReviewSettings,
    evidence: Evidence,
) -> ReviewResult:
    """`SageMaker Model Card Export Job State Change`: record the PDF when the job Completed; when it Failed,
    alert ops and start the next attempt. Jobs the system did not ask for, and earlier attempts, are ignored."""
    job = registry.describe_card_export_job(change.job_arn)
    if job is None:
        return ReviewResult(change.card_name, 0, change.status or "", outcome="job-missing", reason="no such job")
    result = ReviewResult(card=job.card, version=job.card_version, status="Approved", export_job_arn=job.arn)
    result.export_status = job.status
    export = state.export_for(job.card, job.card_version)
    if export is None or export.get("job_name") != job.name:
        result.outcome = "not-ours"
        result.reason = "not the export job this system keeps for that version (made by hand, or an earlier attempt)"
        return result
    result.outcome, result.group = "acted", export.get("group")
    result.export_s3_path = export.get("s3_output_path")
    record = recorder(audit, change.envelope, group=result.group, card=job.card)
    try:
        _settle_export(job, export, result, registry, state, effects, ops, audit, settings, evidence)
    except CardKeyNotGrantedError as error:  # the next attempt could not start
        result.outcome, result.reason = "key-not-granted", str(error)
        report_key_not_granted(
            error, effects=effects, origin=change.envelope, ops=ops, record=record, skipped="the next export attempt"
        )
    logger.info("export confirmed", extra={"result": result.__dict__})
    return result


def _settle_export(
    job: ExportJob,
    export: dict[str, Any],
    result: ReviewResult,
    registry: Registry,
    state: ReviewState,
    effects: Effects,
    ops: Notices,
    audit: Audit,
    settings: ReviewSettings,
    evidence: Evidence,
) -> None:
    """Act on what the export job did: InProgress waits for its event, Completed is evidence, Failed is an ops
    alert and the next attempt under a new name (at most MAX_EXPORT_ATTEMPTS jobs)."""
    result.export_job_arn, result.export_status = job.arn, job.status
    if job.status == "InProgress":
        return
    attempt = int(export.get("attempt") or 1)
    # What a job did is recorded with the job as its origin: whichever delivery sees it first (the job's own
    # event, a retry, the card's next event), the record is the same one.
    by_job = recorder(audit, job, group=result.group, card=job.card)
    if job.status == "Completed":
        pinned = _pin_evidence(job, export, evidence)
        if state.update_export(
            job.card,
            job.card_version,
            job.name,
            status=EXPORT_COMPLETED,
            job_status=job.status,
            artifact=job.artifact,
            completed_at=datetime.now(UTC).isoformat(),
            **(pinned.fields() if pinned else {}),
        ):
            metrics.add_metric(name="CardExportsCompleted", unit=MetricUnit.Count, value=1)
        by_job(
            "export_completed",
            after={"artifact": job.artifact, "export_job": job.name},
            details={
                "export_job_arn": job.arn,
                "card_version": job.card_version,
                "attempt": attempt,
                **(pinned.fields() if pinned else {}),
            },
        )
        return
    retry = attempt < MAX_EXPORT_ATTEMPTS
    next_name = export_job_name(job.card, job.card_version, attempt + 1) if retry else None
    alerted = publish_once(
        effects,
        f"export-failed#{job.arn}",
        job,
        ops,
        export_failed_alert(job, attempt, next_name),
        record=lambda lease: by_job(
            "export_failed",
            after={"export_job": job.name},
            details={"export_job_arn": job.arn, "failure_reason": job.failure_reason, "attempt": attempt},
        ),
    )
    if alerted:
        metrics.add_metric(name="CardExportsFailed", unit=MetricUnit.Count, value=1)
    if next_name is None:
        state.update_export(job.card, job.card_version, job.name, status=EXPORT_FAILED, job_status=job.status)
        return
    path = str(export.get("s3_output_path") or export_s3_path(settings.evidence_bucket, job.card, job.card_version))
    next_arn = job.arn.rsplit("/", 1)[0] + f"/{next_name}"
    # Start first, then point the record at it: a retry after a failed start finds the record unchanged and
    # starts the same job (a name conflict then means it already exists).
    registry.create_card_export_job(job.card, job.card_version, next_name, path)
    state.update_export(
        job.card,
        job.card_version,
        job.name,
        job_name=next_name,
        job_arn=next_arn,
        attempt=attempt + 1,
        status=EXPORT_REQUESTED,
        previous_failure=job.failure_reason or "no reason given",
    )
    result.export_job_arn, result.export_status = next_arn, "InProgress"
    by_job(
        "export_requested",
        after={"s3_output_path": path, "export_job": next_name},
        details={"export_job_arn": next_arn, "card_version": job.card_version, "attempt": attempt + 1},
    )


def _pin_evidence(job: ExportJob, export: dict[str, Any], evidence: Evidence) -> EvidenceObject | None:
    """The object version that is the evidence: pinned once, when the job is first seen Completed. A later
    delivery keeps what the record pins, so an object written since under the same key cannot take its place."""
    pinned = EvidenceObject.from_record(export)
    if pinned is not None and pinned.uri == job.artifact:
        return pinned
    return evidence.pin(job.artifact) if job.artifact else None


def export_failed_alert(job: ExportJob, attempt: int, next_name: str | None) -> Message:
    then = (
        f"A new export job was started: {text.name(next_name)} (attempt {attempt + 1} of {MAX_EXPORT_ATTEMPTS})."
        if next_name
        else f"No more attempts ({MAX_EXPORT_ATTEMPTS} jobs failed): fix the cause, then approve the card again."
    )
    lines = [
        f"The PDF export of model card {text.name(job.card)} version {job.card_version} failed: it is not evidence.",
        "",
        f"Export job:     {text.name(job.name)} (attempt {attempt})",
        f"Job ARN:        {text.name(job.arn)}",
        f"Failure reason: {text.value(job.failure_reason, 600) if job.failure_reason else '(none given)'}",
        f"Output path:    {text.value(job.s3_output_path, 1100) if job.s3_output_path else '(unknown)'}",
        "",
        then,
    ]
    return Message(
        subject=f"Model card export failed: {text.name(job.card, text.SUBJECT_NAME_LIMIT)} v{job.card_version}",
        body="\n".join(lines),
        attributes={"event_type": "model_card_export_failed", "severity": "Medium"},
    )


def _job_arn(card: CardRecord, job_name: str, envelope: Envelope) -> str:
    partition = "aws-cn" if envelope.region.startswith("cn-") else "aws"
    card_arn = card.arn or f"arn:{partition}:sagemaker:{envelope.region}:{envelope.account}:model-card/{card.name}"
    return f"{card_arn}/export-job/{job_name}"


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
    return ClaimedPackage(package, judge_link(card.name, arn, package, recorded, card_arn=card.arn))


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
