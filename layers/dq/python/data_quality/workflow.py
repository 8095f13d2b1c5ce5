"""The monitor function's three steps: check (one function, or plan a fan-out), profile (one Distributed Map
batch), finish (merge the batches' sketches, check, alert). Collaborators are passed in, so tests use moto."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from data_quality.capture import CaptureTally
from data_quality.profile import DatasetProfile
from data_quality.runs import Period
from data_quality.service import (
    READ_ERRORS,
    SINGLE_RUN_MAX_BYTES,
    MonitorIdentity,
    RunOutcome,
    capture_objects,
    execution_event,
    failed,
    finish,
    load_baseline,
    output_uri,
    profile_objects,
    run_period,
)
from data_quality.storage import CaptureObject, S3Files
from model_governance import text
from model_governance.errors import InvalidEventError
from model_governance.events import RECONCILED_KEY, parse_timestamp
from model_governance.monitoring.dq_monitors import RUN_MANIFEST, DataQualityMonitor, bucket_and_key
from model_governance.monitoring.mq_monitors import ModelQualityMonitor
from model_governance.observability import logger

PARTIALS = "partials"
# Capture bytes one ProfileBatch invocation reads: a sixth of what one invocation checks in its 15 minutes
# (SINGLE_RUN_MAX_BYTES), so a batch of slow-to-parse records still ends in time.
BATCH_MAX_BYTES = 256 * 1024 * 1024
# JSON bytes of one manifest item: Step Functions caps a child execution's input at 256 KiB.
BATCH_MAX_JSON_BYTES = 128 * 1024
ACTIONS = ("baseline", "check", "profile", "finish", "alert")
TIMED_ACTIONS = ("check", "profile", "finish")
MODEL_QUALITY_ACTIONS = ("check", "profile", "finish", "alert")
# What a manifest item's objects are (its "kind", the ProfileBatch event's "Kind"): a data-quality run's are
# capture; a model-quality run's are capture or ground truth.
CAPTURE, GROUND_TRUTH = "capture", "ground_truth"
FUTURE_SKEW = timedelta(minutes=5)  # a run may not be fired for a time that has not come yet (clock skew aside)


class Runs(Protocol):
    def record(
        self,
        monitor: str,
        *,
        status: str,
        at: datetime,
        failure: str | None,
        output_uri: str,
        event: dict[str, Any] | None = None,
    ) -> None: ...
    def last(self, monitor: str) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class MonitorRun:
    """Everything one invocation needs besides its input."""

    files: S3Files
    runs: Runs
    alert: Callable[[dict[str, Any]], Any]  # hands the synthetic execution event to the violation workflow
    region: str
    account: str
    single_run_max_bytes: int = SINGLE_RUN_MAX_BYTES
    batch_max_bytes: int = BATCH_MAX_BYTES

    def conclude(self, outcome: RunOutcome) -> dict[str, Any]:
        event = execution_event(outcome, region=self.region, account=self.account)
        # Recorded before the alert: if the function dies in between, the sweep sees the run and replays it.
        self.runs.record(
            outcome.monitor.name,
            status=outcome.status,
            at=outcome.period.end,
            failure=outcome.failure_reason,
            output_uri=outcome.output_uri,
            event=event,
        )
        result = self.alert(event)
        logger.info("data-quality run concluded", extra={"monitor": outcome.monitor.name, "status": outcome.status})
        return {
            "mode": "done",
            "monitor": outcome.monitor.name,
            "status": outcome.status,
            "output_uri": outcome.output_uri,
            "violations": outcome.violations,
            "failure_reason": outcome.failure_reason,
            "alert": getattr(result, "__dict__", result),
        }


def start(monitor: DataQualityMonitor, fired_at: datetime, run: MonitorRun) -> dict[str, Any]:
    """Check the period in this invocation when its capture fits, else write the manifest for the fan-out."""
    period = run_period(monitor, fired_at)
    try:
        baseline = load_baseline(run.files, monitor)
        objects = capture_objects(run.files, monitor, period)
    except READ_ERRORS as error:
        return run.conclude(failed(monitor, period, error))
    total = sum(o.size for o in objects)
    if total > run.single_run_max_bytes:
        return fan_out(run.files, monitor, period, fired_at, batches_of(objects, run.batch_max_bytes))
    names = [f.name for f in baseline.features]
    try:
        profile, tally = profile_objects(run.files, objects, names)
    except READ_ERRORS as error:
        return run.conclude(failed(monitor, period, error))
    return run.conclude(finish(run.files, monitor, period, baseline, profile, tally, len(objects)))


def fan_out(
    files: S3Files, monitor: MonitorIdentity, period: Period, fired_at: datetime, groups: list[dict[str, Any]]
) -> dict[str, Any]:
    """Write the run's manifest (the Distributed Map's items) and tell the state machine where it is."""
    manifest = f"{output_uri(monitor, period)}/{RUN_MANIFEST}"
    files.write_json_list(manifest, groups)
    bucket, key = bucket_and_key(manifest)
    return {
        "mode": "fan_out",
        "monitor": monitor.name,
        "time": fired_at.isoformat(),
        "manifest_bucket": bucket,
        "manifest_key": key,
    }


def batches_of(
    objects: list[CaptureObject],
    max_bytes: int,
    max_json_bytes: int = BATCH_MAX_JSON_BYTES,
    *,
    kind: str = CAPTURE,
) -> list[dict[str, Any]]:
    """The manifest's items: consecutive objects grouped so each group holds at most ``max_bytes`` (an object
    larger than that is a group of its own) and its JSON stays under ``max_json_bytes``, each saying what its
    objects are (``kind``). The Distributed Map hands each item to one ProfileBatch invocation: the bytes it
    reads bound its time."""
    groups: list[dict[str, Any]] = []
    current: list[dict[str, Any]] = []
    size = json_size = 0
    for o in objects:
        entry = {"Bucket": o.bucket, "Key": o.key, "Size": o.size}
        entry_json = len(json.dumps(entry)) + 2
        if current and (size + o.size > max_bytes or json_size + entry_json > max_json_bytes):
            groups.append({"kind": kind, "objects": current, "bytes": size})
            current, size, json_size = [], 0, 0
        current.append(entry)
        size, json_size = size + o.size, json_size + entry_json
    if current:
        groups.append({"kind": kind, "objects": current, "bytes": size})
    return groups


def profile_batch(
    monitor: DataQualityMonitor, fired_at: datetime, items: list[dict[str, Any]], run: MonitorRun
) -> dict[str, Any]:
    """One Distributed Map batch: profile its capture objects, write the serialized sketches as a partial."""
    period = _period_of(monitor, fired_at)
    baseline = load_baseline(run.files, monitor)
    objects = [CaptureObject(i["Bucket"], i["Key"], int(i.get("Size", 0))) for i in items]
    profile, tally = profile_objects(run.files, objects, [f.name for f in baseline.features])
    uri = _partial_uri(monitor, period, [o.key for o in objects])
    run.files.write_json(
        uri,
        {
            "profile": profile.to_wire(),
            "tally": tally.document() | {"reasons": dict(tally.reasons)},
            "objects": len(objects),
        },
    )
    return {"partial": uri, "rows": tally.rows}


def finish_fan_out(monitor: DataQualityMonitor, fired_at: datetime, run: MonitorRun) -> dict[str, Any]:
    """Merge every batch's partial (KLL sketches merge within their error bound), then check and alert."""
    period = _period_of(monitor, fired_at)
    try:
        baseline = load_baseline(run.files, monitor)
    except READ_ERRORS as error:
        return run.conclude(failed(monitor, period, error))
    profile = DatasetProfile([f.name for f in baseline.features])
    tally, objects = CaptureTally(), 0
    # The partials of this manifest's groups only: a folder may also hold those of an earlier run of the period
    # that grouped other objects (capture that arrived late), which must not be counted twice.
    groups = json.loads(run.files.read(f"{output_uri(monitor, period)}/{RUN_MANIFEST}") or b"[]")
    for group in groups:
        uri = _partial_uri(monitor, period, [o["Key"] for o in group["objects"]])
        raw = run.files.read(uri)
        if raw is None:
            raise RuntimeError(f"{uri} is missing: a batch of the fan-out did not finish")
        partial = json.loads(raw)
        profile.merge(DatasetProfile.from_wire(partial["profile"]))
        tally.merge(_tally(partial["tally"]))
        objects += int(partial["objects"])
    return run.conclude(finish(run.files, monitor, period, baseline, profile, tally, objects))


def replay_alert(monitor: MonitorIdentity, marker: dict[str, Any], run: MonitorRun) -> dict[str, Any]:
    """The sweep found this monitor's last run never alerted (sweep/reconcile.py): hand its recorded execution
    event to the violation workflow again, marked, without checking the period again."""
    last = run.runs.last(monitor.name) or {}
    if not last.get("event"):
        return {"mode": "replay", "monitor": monitor.name, "alert": None, "reason": "no recorded run to replay"}
    event = {**json.loads(str(last["event"])), RECONCILED_KEY: marker}
    result = run.alert(event)
    return {"mode": "replay", "monitor": monitor.name, "alert": getattr(result, "__dict__", result)}


def _partial_uri(monitor: DataQualityMonitor, period: Period, keys: list[str]) -> str:
    digest = hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:16]
    return f"{output_uri(monitor, period)}/{PARTIALS}/{digest}.json"


def _period_of(monitor: DataQualityMonitor, fired_at: datetime) -> Period:
    return run_period(monitor, fired_at)


def _tally(document: dict[str, Any]) -> CaptureTally:
    tally = CaptureTally(
        records=int(document["records_read"]), rows=int(document["rows"]), skipped=int(document["records_skipped"])
    )
    tally.reasons.update({str(k): int(v) for k, v in (document.get("reasons") or {}).items()})
    tally.first_problem = document.get("first_problem")
    return tally


def fired_at(event: dict[str, Any]) -> datetime:
    return parse_timestamp(event["time"], field_name="time")


def refusal(event: dict[str, Any], monitor: DataQualityMonitor | None, now: datetime) -> str | None:
    """Why this invocation may do nothing, or None. Anyone allowed to invoke the function can send any body: it
    acts only on a monitor the stack configured, only on that monitor's own prefixes, and never for the future."""
    action = event.get("action")
    if action not in ACTIONS:
        return f"unknown action {text.name(action)}: expected {', '.join(ACTIONS)}"
    if monitor is None:
        return f"unknown monitor {text.name(event.get('monitor'))}: only the monitors configured in the stack run"
    if action == "baseline":
        dataset, output = event.get("dataset"), event.get("output", monitor.baseline_prefix)
        if not within(dataset, monitor.baseline_prefix) and not within(dataset, capture_area(monitor)):
            return f"dataset {text.name(dataset)} is not under the monitor's baseline or capture prefix"
        if not isinstance(output, str) or output.rstrip("/") != monitor.baseline_prefix:
            return f"output {text.name(output)} is not the monitor's baseline prefix {monitor.baseline_prefix}"
    if action == "profile":
        items = event.get("Items")
        if not isinstance(items, list) or not all(_captured_item(i, monitor) for i in items):
            return "the batch names objects outside the monitor's capture prefix"
    return _time_refusal(event, now) if action in TIMED_ACTIONS else _marker_refusal(event)


def model_quality_refusal(event: dict[str, Any], monitor: ModelQualityMonitor, now: datetime) -> str | None:
    """Why an invocation for a model-quality monitor (one the stack configured) may do nothing, or None. A batch
    reads only objects of the monitor's own capture or ground truth prefix, the one its kind names."""
    action = event.get("action")
    if action not in MODEL_QUALITY_ACTIONS:
        return (
            f"unknown action {text.name(action)} for a model-quality monitor: expected"
            f" {', '.join(MODEL_QUALITY_ACTIONS)}"
        )
    if action == "profile":
        kind, items = event.get("Kind"), event.get("Items")
        areas = {CAPTURE: capture_area(monitor), GROUND_TRUTH: monitor.ground_truth_prefix}
        if kind not in areas:
            return f"batch kind {text.name(kind)}: expected {CAPTURE} or {GROUND_TRUTH}"
        if not isinstance(items, list) or not all(_item_within(i, areas[kind]) for i in items):
            return f"the batch names objects outside the monitor's {kind} prefix {areas[kind]}"
    return _time_refusal(event, now) if action in TIMED_ACTIONS else _marker_refusal(event)


def _marker_refusal(event: dict[str, Any]) -> str | None:
    marker = event.get(RECONCILED_KEY)
    if marker is not None and not isinstance(marker, dict):
        return f"{RECONCILED_KEY} {text.name(marker)} is not an object"
    return None


def _time_refusal(event: dict[str, Any], now: datetime) -> str | None:
    try:
        moment = fired_at(event)
    except (InvalidEventError, KeyError, ValueError, OverflowError, OSError, TypeError):  # any body an invoker sends
        return f"time {text.name(event.get('time'))} is not a timestamp"
    if moment > now + FUTURE_SKEW:
        return f"time {moment.isoformat()} is in the future"
    return None


def capture_area(monitor: DataQualityMonitor | ModelQualityMonitor) -> str:
    """Where the monitor's endpoint's capture lives: ``<capturePrefix>/<endpoint>/<variant>``."""
    return f"{monitor.capture_prefix}/{monitor.endpoint}/{monitor.variant}"


def within(uri: Any, prefix: str) -> bool:
    """Whether ``uri`` is an object under the folder ``prefix`` (same bucket, key below it)."""
    try:
        bucket, key = bucket_and_key(str(uri)) if isinstance(uri, str) else ("", "")
        root_bucket, root = bucket_and_key(prefix)
    except ValueError:
        return False
    return bool(bucket) and bucket == root_bucket and bool(key) and (not root or key.startswith(f"{root}/"))


def _captured_item(item: Any, monitor: DataQualityMonitor) -> bool:
    return _item_within(item, capture_area(monitor))


def _item_within(item: Any, prefix: str) -> bool:
    return isinstance(item, dict) and within(f"s3://{item.get('Bucket')}/{item.get('Key')}", prefix)
