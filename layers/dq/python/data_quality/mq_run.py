"""One model-quality run: the window's captured predictions merged with the ground truth that arrived since,
the problem type's metrics against the baseline's constraints, Model Monitor's files, and the outcome as the
execution event the violation workflow reads (the data-quality monitor's path: ``service.execution_event``).

A run at T checks the inferences captured in [T + startTimeOffset, T + endTimeOffset) with the labels found
under ``groundTruthPrefix/yyyy/mm/dd/hh/`` from the window's start up to T. Fewer merged records than the
monitor's minimum is a finding of its own (a Failed execution naming the counts), never a silent pass.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from data_quality import model_quality as mq
from data_quality.capture import hour_prefixes
from data_quality.mq_merge import Merge, OutputReading
from data_quality.mq_report import baseline_section, render_page
from data_quality.runs import Period
from data_quality.service import SUMMARY_FILE, RunOutcome, failed, output_uri
from data_quality.storage import S3Files, StorageAccessError
from model_governance import constants
from model_governance.monitoring.mq_monitors import ModelQualityMonitor


class UnreadableBaselineError(ValueError):
    """The monitor's constraints.json is missing or not its problem type's: the message says what to run."""


def run_time(fired_at: datetime) -> datetime:
    """T: the hour the schedule fired in (a schedule fires at, or a little after, its hour)."""
    return fired_at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def window(monitor: ModelQualityMonitor, fired_at: datetime) -> tuple[datetime, datetime, datetime]:
    """(window start, window end, T)."""
    t = run_time(fired_at)
    start, end = monitor.window
    return t + start, t + end, t


def load_constraints(files: S3Files, monitor: ModelQualityMonitor) -> dict[str, tuple[float, str]]:
    raw = files.read(f"{monitor.baseline_prefix}/constraints.json")
    if raw is None:
        raise UnreadableBaselineError(
            f"constraints.json not found under {monitor.baseline_prefix}: run `make baseline MONITOR=model-quality"
            f" PROBLEM_TYPE={monitor.problem_type} DATASET=... LABEL=... PREDICTION=... OUTPUT={monitor.baseline_prefix}`"
        )
    try:
        return mq.read_constraints(json.loads(raw), monitor.problem_type)
    except (ValueError, mq.UnreadableConstraintsError) as error:
        raise UnreadableBaselineError(f"{monitor.baseline_prefix}/constraints.json: {error}") from None


def merge_window(files: S3Files, monitor: ModelQualityMonitor, start: datetime, end: datetime, t: datetime) -> Merge:
    """Read the window's capture, then stream the ground truth of [start, T] against it."""
    reading = OutputReading(
        monitor.problem_type, monitor.inference_attribute, monitor.probability_attribute, monitor.probability_threshold
    )
    merge = Merge(reading, start=start, end=end)
    for item in files.list_objects(
        hour_prefixes(monitor.capture_prefix, monitor.endpoint, monitor.variant, start, end)
    ):
        merge.add_capture(files.lines(item.bucket, item.key), f"s3://{item.bucket}/{item.key}")
    hours, hour = [], start.replace(minute=0, second=0, microsecond=0)
    while hour <= t:
        hours.append(f"{monitor.ground_truth_prefix}/{hour:%Y/%m/%d/%H}/")
        hour += timedelta(hours=1)
    for item in files.list_objects(hours):
        merge.add_ground_truth(files.lines(item.bucket, item.key), f"s3://{item.bucket}/{item.key}")
    return merge


def check_window(files: S3Files, monitor: ModelQualityMonitor, fired_at: datetime) -> RunOutcome:
    """Merge, measure, judge, write the run's files; the outcome says what the run concluded."""
    start, end, t = window(monitor, fired_at)
    period = Period(start, t)  # the run's identity (job name, output folder): one per T
    label = f"inferences of {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC, labels up to {t:%H:%M}"
    try:
        constraints = load_constraints(files, monitor)
        merge = merge_window(files, monitor, start, end, t)
    except (UnreadableBaselineError, StorageAccessError) as error:
        return failed(monitor, period, error)
    out = output_uri(monitor, period)
    counts = merge.document()
    summary = {"monitor": monitor.name, "endpoint": monitor.endpoint, "window": label} | counts
    if merge.merged < monitor.minimum_records:
        files.write_json(f"{out}/{SUMMARY_FILE}", summary | {"violations": 0})
        return RunOutcome(monitor, period, out, "Failed", failure_reason=_too_few(monitor, merge, label))
    pairs = merge.pairs()
    try:
        statistics = mq.statistics_document(pairs, at=t)
    except mq.MetricsError as error:
        files.write_json(f"{out}/{SUMMARY_FILE}", summary | {"violations": 0})
        return failed(monitor, period, ValueError(f"Labels or predictions of {label} unusable: {error}"))
    section = statistics[mq.SECTION[monitor.problem_type]]
    violations = mq.check_metrics(section, constraints)
    missing = sorted(set(constraints) - set(section))
    files.write_json(f"{out}/statistics.json", statistics)
    files.write_json(f"{out}/constraint_violations.json", mq.violations_document(violations))
    files.write_json(
        f"{out}/{SUMMARY_FILE}", summary | {"violations": len(violations), "metrics_not_computed": missing}
    )
    files.write_html(
        f"{out}/{constants.HTML_REPORT_FILE}",
        render_page(monitor, label, section, constraints, violations, baseline=baseline_section(files, monitor)),
    )
    note = f" Not computed (one class only): {', '.join(missing)}." if missing else ""
    skipped = f" {merge.tally.skipped} unreadable records skipped." if merge.tally.skipped else ""
    message = (
        f"Completed: {merge.merged} inferences merged with ground truth ({counts['inferences_without_label']} without"
        f" a label yet), {len(violations)} violations.{note}{skipped}"
    )
    return RunOutcome(monitor, period, out, "Completed", exit_message=message, violations=len(violations))


def _too_few(monitor: ModelQualityMonitor, merge: Merge, label: str) -> str:
    counts = merge.document()
    return (
        f"Not enough ground truth: {merge.merged} inferences merged, fewer than the {monitor.minimum_records} this"
        f" monitor needs ({label}: {counts['inferences_read']} inferences read, {counts['ground_truth_records_read']}"
        f" ground truth records read, {counts['labels_without_inference']} labels without an inference,"
        f" {counts['unreadable_records']} unreadable). Check that labels are written under"
        f" {monitor.ground_truth_prefix}/yyyy/mm/dd/hh/ with the captured eventId, and that data capture is on."
    )
