"""One model-quality run: the window's captured predictions merged with the ground truth that arrived since,
the problem type's metrics against the baseline's constraints, Model Monitor's files, and the outcome as the
execution event the violation workflow reads (the data-quality monitor's path: ``service.execution_event``).

A run at T checks the inferences captured in [T + startTimeOffset, T + endTimeOffset) with the labels found
under ``groundTruthPrefix/yyyy/mm/dd/hh/`` from the window's start up to T. Fewer merged records than the
monitor's minimum is a finding of its own (a Failed execution naming the counts), never a silent pass.

A window whose capture and ground truth objects hold more than ``SINGLE_RUN_MAX_BYTES`` fans out over the
data-quality monitor's state machine: Check writes a manifest of byte-bounded batches (capture first), each
ProfileBatch writes what it read as a part (``Merge.part``) under the run's folder, and Finish adds the parts in
manifest order, then judges the merge exactly as one invocation does (the merge is exact, not a sketch).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from data_quality import model_quality as mq
from data_quality.capture import hour_prefixes
from data_quality.mq_merge import Merge, OutputReading
from data_quality.mq_report import baseline_section, render_page
from data_quality.runs import Period
from data_quality.service import SUMMARY_FILE, RunOutcome, failed, output_uri
from data_quality.storage import CaptureObject, S3Files, StorageAccessError
from data_quality.workflow import CAPTURE, GROUND_TRUTH, MonitorRun, batches_of, fan_out
from model_governance import constants
from model_governance.monitoring.dq_monitors import RUN_MANIFEST
from model_governance.monitoring.mq_monitors import MODEL_QUALITY_PARTS, ModelQualityMonitor
from model_governance.observability import logger

# Capture and ground truth bytes one invocation merges; a larger window fans out. The data-quality monitor's
# bound: merging parses about 60 MB of records a second on one vCPU, so such a window takes well under the
# function's 15 minutes, and a fan-out's ProfileBatch reads at most BATCH_MAX_BYTES. The finishing invocation
# still holds the window's inferences (about 130 bytes each with a UUID eventId) plus one part.
SINGLE_RUN_MAX_BYTES = 1_500_000_000
BATCH_MAX_BYTES = 256 * 1024 * 1024


class UnreadableBaselineError(ValueError):
    """The monitor's constraints.json is missing or not its problem type's: the message says what to run."""


class MissingPartError(RuntimeError):
    """A batch of a fan-out left no part: the run fails naming the batch, never checks a partial window."""


READ_ERRORS = (UnreadableBaselineError, StorageAccessError, MissingPartError)  # what fails a run, naming why


def run_time(fired_at: datetime) -> datetime:
    """T: the hour the schedule fired in (a schedule fires at, or a little after, its hour)."""
    return fired_at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Window:
    """One run's window: its inferences in [start, end), their labels found up to T."""

    monitor: ModelQualityMonitor
    start: datetime
    end: datetime
    t: datetime

    @classmethod
    def of(cls, monitor: ModelQualityMonitor, fired_at: datetime) -> Window:
        t = run_time(fired_at)
        start, end = monitor.window
        return cls(monitor, t + start, t + end, t)

    @property
    def period(self) -> Period:
        return Period(self.start, self.t)  # the run's identity (job name, output folder): one per T

    @property
    def out(self) -> str:
        return output_uri(self.monitor, self.period)

    @property
    def label(self) -> str:
        return (
            f"inferences of {self.start:%Y-%m-%d %H:%M} to {self.end:%Y-%m-%d %H:%M} UTC, labels up to {self.t:%H:%M}"
        )

    def merge(self) -> Merge:
        m = self.monitor
        reading = OutputReading(m.problem_type, m.inference_attribute, m.probability_attribute, m.probability_threshold)
        return Merge(reading, start=self.start, end=self.end)

    def objects(self, files: S3Files) -> tuple[list[CaptureObject], list[CaptureObject]]:
        """(the window's capture objects, the ground truth objects of the hours from its start to T)."""
        m = self.monitor
        capture = files.list_objects(hour_prefixes(m.capture_prefix, m.endpoint, m.variant, self.start, self.end))
        hours, hour = [], self.start.replace(minute=0, second=0, microsecond=0)
        while hour <= self.t:
            hours.append(f"{m.ground_truth_prefix}/{hour:%Y/%m/%d/%H}/")
            hour += timedelta(hours=1)
        return capture, files.list_objects(hours)


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


def merge_objects(
    files: S3Files, window_: Window, capture: list[CaptureObject], ground_truth: list[CaptureObject]
) -> Merge:
    """Read the window's capture, then stream the ground truth of [start, T] against it."""
    merge = window_.merge()
    for item in capture:
        merge.add_capture(files.blocks(item.bucket, item.key), f"s3://{item.bucket}/{item.key}")
    for item in ground_truth:
        merge.add_ground_truth(files.blocks(item.bucket, item.key), f"s3://{item.bucket}/{item.key}")
    return merge


def check_window(files: S3Files, monitor: ModelQualityMonitor, fired_at: datetime) -> RunOutcome:
    """The whole window in this invocation, whatever its size: merge, measure, judge, write the run's files."""
    window_ = Window.of(monitor, fired_at)
    return _checked(files, window_, lambda: merge_objects(files, window_, *window_.objects(files)))


def start_window(monitor: ModelQualityMonitor, fired_at: datetime, run: MonitorRun) -> dict[str, Any]:
    """Check the window in this invocation when its objects fit, else write the manifest for the fan-out."""
    window_ = Window.of(monitor, fired_at)
    try:
        constraints = load_constraints(run.files, monitor)  # a run without a usable baseline fails before it fans out
        capture, ground_truth = window_.objects(run.files)
        fits = sum(o.size for o in capture + ground_truth) <= SINGLE_RUN_MAX_BYTES
        merge = merge_objects(run.files, window_, capture, ground_truth) if fits else None
    except READ_ERRORS as error:
        return run.conclude(failed(monitor, window_.period, error))
    if merge is not None:
        return run.conclude(judge(run.files, window_, constraints, merge))
    groups = batches_of(capture, BATCH_MAX_BYTES) + batches_of(ground_truth, BATCH_MAX_BYTES, kind=GROUND_TRUTH)
    return fan_out(run.files, monitor, window_.period, fired_at, groups)


def profile_batch(
    monitor: ModelQualityMonitor, fired_at: datetime, kind: str, items: list[dict[str, Any]], run: MonitorRun
) -> dict[str, Any]:
    """One Distributed Map batch: read its objects (capture rows, or labels kept unjoined) and write them as a
    part named by the batch, so a retried batch overwrites its own part."""
    window_ = Window.of(monitor, fired_at)
    merge = window_.merge()
    read = merge.add_capture if kind == CAPTURE else merge.keep_ground_truth
    for item in items:
        bucket, key = str(item["Bucket"]), str(item["Key"])
        read(run.files.blocks(bucket, key), f"s3://{bucket}/{key}")
    uri = run.files.write_bytes(part_uri(window_, kind, [str(i["Key"]) for i in items]), merge.part())
    return {"part": uri, "kind": kind, "objects": len(items)}


def finish_window(monitor: ModelQualityMonitor, fired_at: datetime, run: MonitorRun) -> dict[str, Any]:
    """Add every batch's part (capture first, in manifest order), then check the window as one invocation does."""
    window_ = Window.of(monitor, fired_at)
    manifest = f"{window_.out}/{RUN_MANIFEST}"
    try:
        raw = run.files.read(manifest)
    except StorageAccessError as error:
        return run.conclude(failed(monitor, window_.period, error))
    if raw is None:  # no Check fanned this run out: a stray Finish concludes nothing (it would overwrite a run)
        reason = f"{manifest} is missing: Finish runs only after a Check that fanned out"
        logger.warning(f"event refused: {reason}; nothing written")
        return {"mode": "refused", "reason": reason}
    groups = json.loads(raw)
    return run.conclude(_checked(run.files, window_, lambda: merge_parts(run.files, window_, groups)))


def merge_parts(files: S3Files, window_: Window, groups: list[dict[str, Any]]) -> Merge:
    """The manifest's parts added to one merge: every capture part before any ground truth part."""
    merge = window_.merge()
    ordered = sorted(enumerate(groups), key=lambda g: g[1]["kind"] != CAPTURE)
    for number, group in ordered:
        keys = [str(o["Key"]) for o in group["objects"]]
        uri = part_uri(window_, group["kind"], keys)
        try:  # without a listing grant S3 answers a missing object with AccessDenied: the batch is named either way
            part, problem = files.read(uri), "its ProfileBatch did not finish"
        except StorageAccessError as error:
            part, problem = None, str(error)
        if part is None:
            raise MissingPartError(
                f"Batch {number + 1} of {len(groups)} ({group['kind']}, {len(keys)} objects from"
                f" s3://{group['objects'][0]['Bucket']}/{keys[0]}) left no part at {uri}: {problem}; run the check"
                " again"
            )
        merge.add_part(part)
    return merge


def part_uri(window_: Window, kind: str, keys: list[str]) -> str:
    """Named by the batch's kind and objects: the same batch always writes the same part."""
    digest = hashlib.sha256("\n".join([kind, *sorted(keys)]).encode()).hexdigest()[:16]
    return f"{window_.out}/{MODEL_QUALITY_PARTS}/{kind}-{digest}.npz"


def _checked(files: S3Files, window_: Window, merged: Callable[[], Merge]) -> RunOutcome:
    """Read the constraints and the merge, then measure and judge it; what cannot be read fails the run."""
    try:
        constraints = load_constraints(files, window_.monitor)
        merge = merged()
    except READ_ERRORS as error:
        return failed(window_.monitor, window_.period, error)
    return judge(files, window_, constraints, merge)


def judge(files: S3Files, window_: Window, constraints: dict[str, tuple[float, str]], merge: Merge) -> RunOutcome:
    """Measure the merged window, judge it against the constraints, write the run's files."""
    monitor, period, label, out = window_.monitor, window_.period, window_.label, window_.out
    counts = merge.document()
    summary = {"monitor": monitor.name, "endpoint": monitor.endpoint, "window": label} | counts
    if merge.merged < monitor.minimum_records:
        files.write_json(f"{out}/{SUMMARY_FILE}", summary | {"violations": 0})
        return RunOutcome(monitor, period, out, "Failed", failure_reason=_too_few(monitor, counts, label))
    pairs = merge.pairs()
    try:
        statistics = mq.statistics_document(pairs, at=window_.t)
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


def _too_few(monitor: ModelQualityMonitor, counts: dict[str, Any], label: str) -> str:
    return (
        f"Not enough ground truth: {counts['merged']} inferences merged, fewer than the {monitor.minimum_records} this"
        f" monitor needs ({label}: {counts['inferences_read']} inferences read, {counts['ground_truth_records_read']}"
        f" ground truth records read, {counts['labels_without_inference']} labels without an inference,"
        f" {counts['unreadable_records']} unreadable). Check that labels are written under"
        f" {monitor.ground_truth_prefix}/yyyy/mm/dd/hh/ with the captured eventId, and that data capture is on."
    )
