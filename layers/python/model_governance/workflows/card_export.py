"""The PDF evidence of an approved model card version: ask SageMaker for the export, settle what the job did.

A PDF counts as evidence only once its export job Completed; the object version the job wrote is then pinned
(VersionId, ETag, size, SHA-256) in the card version's export record and the ledger, once: a later write under
the same key is another version and cannot take its place. A Failed job is one ops alert and the next attempt
under a new name. The job's event (``confirm_export``), a retry, or the card's next event may settle it first:
the records are the same whichever does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from model_governance import text
from model_governance.adapters.notifications import Message
from model_governance.cards.records import CardRecord, EvidenceObject, ExportJob
from model_governance.errors import CardKeyNotGrantedError
from model_governance.events import Envelope, ModelCardExportJobStateChange, ModelCardStateChange
from model_governance.observability import MetricUnit, logger, metrics
from model_governance.review.decisions import (
    EXPORT_COMPLETED,
    EXPORT_FAILED,
    EXPORT_REQUESTED,
    MAX_EXPORT_ATTEMPTS,
    export_job_name,
    export_s3_path,
)
from model_governance.workflows.card_keys import report_key_not_granted
from model_governance.workflows.effects import Effects
from model_governance.workflows.ports import Audit, publish_once, recorder
from model_governance.workflows.ports import Publisher as Notices

Recorder = Callable[..., None]


class ExportRegistry(Protocol):
    def create_card_export_job(self, name: str, version: int, job_name: str, s3_output_path: str) -> str | None: ...
    def describe_card_export_job(self, arn: str) -> ExportJob | None: ...


class ExportState(Protocol):
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
class ExportPorts:
    """What the export's steps read and write, as one value."""

    registry: ExportRegistry
    state: ExportState
    effects: Effects
    ops: Notices
    audit: Audit
    settings: ReviewSettings
    evidence: Evidence


def settle_pending_export(card: CardRecord, result: ReviewResult, ports: ExportPorts) -> None:
    """The fallback for a lost export event: settle this version's job, if it is still pending."""
    export = ports.state.export_for(card.name, card.version)
    if export is not None and export.get("status", EXPORT_REQUESTED) == EXPORT_REQUESTED:
        job = ports.registry.describe_card_export_job(str(export["job_arn"]))
        if job is not None:
            settle_export(job, export, result, ports)


def export_evidence(
    change: ModelCardStateChange, card: CardRecord, result: ReviewResult, ports: ExportPorts, record: Recorder
) -> None:
    """Ask for the PDF of the approved version; it is evidence only once its job Completed (``settle_export``)."""
    registry, state, settings = ports.registry, ports.state, ports.settings
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
            settle_export(job, export, result, ports)


def confirm_export(
    change: ModelCardExportJobStateChange,
    *,
    registry: ExportRegistry,
    state: ExportState,
    effects: Effects,
    ops: Notices,
    audit: Audit,
    settings: ReviewSettings,
    evidence: Evidence,
) -> ReviewResult:
    """`SageMaker Model Card Export Job State Change`: record the PDF when the job Completed; when it Failed,
    alert ops and start the next attempt. Jobs the system did not ask for, and earlier attempts, are ignored."""
    ports = ExportPorts(registry, state, effects, ops, audit, settings, evidence)
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
        settle_export(job, export, result, ports)
    except CardKeyNotGrantedError as error:  # the next attempt could not start
        result.outcome, result.reason = "key-not-granted", str(error)
        report_key_not_granted(
            error, effects=effects, origin=change.envelope, ops=ops, record=record, skipped="the next export attempt"
        )
    logger.info("export confirmed", extra={"result": result.__dict__})
    return result


def settle_export(job: ExportJob, export: dict[str, Any], result: ReviewResult, ports: ExportPorts) -> None:
    """Act on what the export job did: InProgress waits for its event, Completed is evidence, Failed is an ops
    alert and the next attempt under a new name (at most MAX_EXPORT_ATTEMPTS jobs)."""
    registry, state, audit = ports.registry, ports.state, ports.audit
    result.export_job_arn, result.export_status = job.arn, job.status
    if job.status == "InProgress":
        return
    attempt = int(export.get("attempt") or 1)
    expected = str(
        export.get("s3_output_path") or export_s3_path(ports.settings.evidence_bucket, job.card, job.card_version)
    )
    if job.status == "Completed" and not _written_under(job.artifact, expected):
        # Job names are predictable: someone who may export cards can start one under our name first, writing
        # elsewhere. Its PDF is not evidence: treated as a failed attempt (ops told, the next name started).
        job = replace(
            job,
            status="Failed",
            failure_reason=f"the job wrote {job.artifact or 'nothing'}, not under {expected}: not this system's export",
        )
    # What a job did is recorded with the job as its origin: whichever delivery sees it first (the job's own
    # event, a retry, the card's next event), the record is the same one.
    by_job = recorder(audit, job, group=result.group, card=job.card)
    if job.status == "Completed":
        pinned = _pin_evidence(job, export, ports.evidence)
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
        ports.effects,
        f"export-failed#{job.arn}",
        job,
        ports.ops,
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
    path = str(
        export.get("s3_output_path") or export_s3_path(ports.settings.evidence_bucket, job.card, job.card_version)
    )
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


def _written_under(artifact: str | None, folder: str) -> bool:
    return bool(artifact) and str(artifact).startswith(folder.rstrip("/") + "/")


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
