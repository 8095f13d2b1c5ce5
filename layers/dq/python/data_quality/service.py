"""One monitor run end to end: read the baseline and the period's capture, check, write the files, alert.

The alert goes through the existing violation workflow (model_governance.workflows.violation_alerts) as a
synthetic Model Monitor execution: the monitor's name is the schedule, one "processing job" per period, the
run's output folder the job's output. Dedup, cooldown, 'resolved', metrics and emails are that workflow's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain
from typing import Any, Protocol

from data_quality.capture import CaptureTally, hour_prefixes, rows_of_lines
from data_quality.constraints import Baseline, UnreadableBaselineError, read_baseline
from data_quality.profile import DatasetProfile
from data_quality.report_html import render_report
from data_quality.runs import CheckResult, Period, check, profile_rows
from data_quality.storage import CaptureObject, S3Files, StorageAccessError
from model_governance import constants
from model_governance.monitoring.dq_monitors import DataQualityMonitor
from model_governance.sweep.schedule import UnreadableSchedule, schedule_period

# The one-function path reads at most this much capture per run (bench: README "Where one function ends").
SINGLE_RUN_MAX_BYTES = 1_500_000_000
SUMMARY_FILE = "run_summary.json"


class MonitorIdentity(Protocol):
    """What a run's outcome needs of its monitor: data-quality and model-quality monitors both have it."""

    @property
    def name(self) -> str: ...
    @property
    def endpoint(self) -> str: ...
    @property
    def output_prefix(self) -> str: ...


@dataclass(frozen=True)
class RunOutcome:
    """What a run concluded, in the terms of a Model Monitor execution."""

    monitor: MonitorIdentity
    period: Period
    output_uri: str
    status: str  # Completed | Failed
    failure_reason: str | None = None
    exit_message: str | None = None
    violations: int = 0

    @property
    def job_name(self) -> str:
        """One 'processing job' per monitor and period, so a retried run is the same execution."""
        digest = hashlib.sha256(self.monitor.name.encode()).hexdigest()[:8]
        return f"{constants.SERVERLESS_RUN_PREFIX}{self.monitor.name[:40]}-{digest}-{self.period.end:%Y%m%d%H}"


def run_period(monitor: DataQualityMonitor, fired_at: datetime) -> Period:
    try:
        length = schedule_period(monitor.schedule)
    except UnreadableSchedule:
        length = timedelta(hours=1)
    return Period.ending_at(fired_at, length)


def output_uri(monitor: MonitorIdentity, period: Period) -> str:
    """``<output>/<endpoint>/<monitor>/yyyy/mm/dd/hh``: the layout commonly seen under Model Monitor outputs."""
    return f"{monitor.output_prefix}/{monitor.endpoint}/{monitor.name}/{period.end:%Y/%m/%d/%H}"


def capture_objects(files: S3Files, monitor: DataQualityMonitor, period: Period) -> list[CaptureObject]:
    return files.list_objects(
        hour_prefixes(monitor.capture_prefix, monitor.endpoint, monitor.variant, period.start, period.end)
    )


def load_baseline(files: S3Files, monitor: DataQualityMonitor) -> Baseline:
    constraints = files.read(f"{monitor.baseline_prefix}/constraints.json")
    statistics = files.read(f"{monitor.baseline_prefix}/statistics.json")
    missing = [n for n, raw in (("constraints.json", constraints), ("statistics.json", statistics)) if raw is None]
    if missing:
        raise UnreadableBaselineError(
            f"{' and '.join(missing)} not found under {monitor.baseline_prefix}: run `make baseline"
            f" DATASET=s3://... OUTPUT={monitor.baseline_prefix}` or fix baselinePrefix in cdk.json"
        )
    assert constraints is not None and statistics is not None
    return read_baseline(constraints, statistics)


def profile_objects(
    files: S3Files, objects: Iterable[CaptureObject], names: list[str]
) -> tuple[DatasetProfile, CaptureTally]:
    """Stream every object's records into one profile (memory: one block of rows plus the sketches)."""
    tally = CaptureTally()

    rows = chain.from_iterable(  # no generator of ours between the records and the profile: one less per row
        rows_of_lines(files.lines(item.bucket, item.key), names, tally, f"s3://{item.bucket}/{item.key}")
        for item in objects
    )
    return profile_rows(rows, names), tally


def finish(
    files: S3Files,
    monitor: DataQualityMonitor,
    period: Period,
    baseline: Baseline,
    profile: DatasetProfile,
    tally: CaptureTally,
    objects: int,
) -> RunOutcome:
    """Check, write the run's files, and say what the run concluded."""
    result: CheckResult = check(baseline, profile, tally)
    out = output_uri(monitor, period)
    for name, document in result.files().items():
        files.write_json(f"{out}/{name}", document)
    title = f"{monitor.name} on endpoint {monitor.endpoint}"
    page = render_report(baseline, profile, result.violations, title=title, period=period.label)
    files.write_html(f"{out}/{constants.HTML_REPORT_FILE}", page)
    summary = {
        "monitor": monitor.name,
        "endpoint": monitor.endpoint,
        "period": period.label,
        "capture_objects": objects,
    }
    summary |= tally.document() | {"violations": len(result.violations)}
    files.write_json(f"{out}/{SUMMARY_FILE}", summary)
    skipped = _skipped_note(tally)
    if result.no_data:
        return RunOutcome(
            monitor,
            period,
            out,
            "Failed",
            failure_reason=(
                f"No data: no readable captured records for {period.label} under"
                f" {monitor.capture_prefix}/{monitor.endpoint}/{monitor.variant}/ ({objects} capture objects).{skipped}"
                " Check that data capture is enabled on the endpoint (DataCaptureConfig, sampling percentage)"
                " and that the endpoint received traffic."
            ),
        )
    message = f"Completed: {tally.rows} rows from {tally.records} capture records checked, {len(result.violations)} violations.{skipped}"
    return RunOutcome(monitor, period, out, "Completed", exit_message=message, violations=len(result.violations))


def failed(monitor: MonitorIdentity, period: Period, error: Exception) -> RunOutcome:
    """A run that could not read its baseline or capture: the reason names what to fix."""
    return RunOutcome(monitor, period, output_uri(monitor, period), "Failed", failure_reason=str(error))


READ_ERRORS = (UnreadableBaselineError, StorageAccessError)


def _skipped_note(tally: CaptureTally) -> str:
    if not tally.skipped:
        return ""
    reasons = ", ".join(f"{reason} ({count})" for reason, count in tally.reasons.most_common(3))
    return f" {tally.skipped} unreadable capture records skipped: {reasons}; first at {tally.first_problem}."


def execution_event(outcome: RunOutcome, *, region: str, account: str) -> dict[str, Any]:
    """The run as the `SageMaker Processing Job State Change` event the violation workflow reads."""
    partition = "aws-cn" if region.startswith("cn-") else "aws"
    arn = f"arn:{partition}:sagemaker:{region}:{account}"
    job_arn = f"{arn}:processing-job/{outcome.job_name}"
    ended = outcome.period.end.astimezone(UTC).isoformat()  # runs order by period, retries are the same job
    detail: dict[str, Any] = {
        "ProcessingJobName": outcome.job_name,
        "ProcessingJobArn": job_arn,
        "ProcessingJobStatus": outcome.status,
        "MonitoringScheduleArn": f"{arn}:monitoring-schedule/{outcome.monitor.name}",
        "ProcessingOutputConfig": {"Outputs": [{"S3Output": {"S3Uri": outcome.output_uri}}]},
        "ProcessingEndTime": ended,
        "Environment": {
            "sagemaker_endpoint_name": outcome.monitor.endpoint,
            "sagemaker_monitoring_schedule_name": outcome.monitor.name,
        },
    }
    if outcome.failure_reason:
        detail["FailureReason"] = outcome.failure_reason
    if outcome.exit_message:
        detail["ExitMessage"] = outcome.exit_message
    return {
        "version": "0",
        "id": f"{outcome.job_name}-{outcome.status}",
        "detail-type": constants.PROCESSING_JOB_STATE_CHANGE,
        "source": constants.SAGEMAKER_SOURCE,
        "account": account,
        "time": outcome.period.end.isoformat(),
        "region": region,
        "resources": [job_arn],
        "detail": detail,
    }
