"""Our own model-quality monitors: predictions captured at an endpoint, merged with late ground truth by eventId,
checked against a baseline's metrics. What one is, as cdk.json declares it (``modelQualityMonitors``) and the
stack, the monitor function and the sweep read it. Validation shares the data-quality monitors' rules."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from model_governance.monitoring.dq_monitors import _KMS, _NAME, _S3_PREFIX, _SCHEDULE, repeated_names

MONITORING_TYPE = "ModelQuality (serverless)"
MODEL_QUALITY_PARTS = "parts"  # a fanned-out run's folder of batch parts, read back by its Finish
PROBLEM_TYPES = ("BinaryClassification", "MulticlassClassification", "Regression")
_DURATION = re.compile(r"^(?P<sign>[-+])?P(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?)?$")
_ATTRIBUTE = re.compile(r"^[A-Za-z0-9_$.\[\]\-]{1,200}$")


@dataclass(frozen=True)
class ModelQualityMonitor:
    name: str  # also the "schedule" of the alert workflow's dedup state: unique among all our monitors
    endpoint: str
    problem_type: str
    capture_prefix: str
    ground_truth_prefix: str  # s3://bucket/prefix holding yyyy/mm/dd/hh/ ground truth JSON Lines
    baseline_prefix: str  # holds constraints.json (and statistics.json) of `make baseline MONITOR=model-quality`
    output_prefix: str
    schedule: str = "cron(0 * ? * * *)"
    variant: str = "AllTraffic"
    start_time_offset: str = "-PT2H"
    end_time_offset: str = "-PT1H"
    inference_attribute: str | None = None  # CSV column index or JSON field path of the predicted label
    probability_attribute: str | None = None  # ... of the probability (binary: a label with the threshold)
    probability_threshold: float = 0.5
    minimum_records: int = 1  # fewer merged records than this is a finding, not a check
    kms_key_arns: tuple[str, ...] = ()

    @property
    def window(self) -> tuple[timedelta, timedelta]:
        return parse_duration(self.start_time_offset), parse_duration(self.end_time_offset)

    def document(self) -> dict[str, Any]:
        return {**asdict(self), "kms_key_arns": list(self.kms_key_arns)}


def parse_duration(text: str) -> timedelta:
    """An ISO-8601 duration of days, hours and minutes with an optional sign (Model Monitor's offsets)."""
    match = _DURATION.match(text.strip()) if isinstance(text, str) else None
    if not match or not any(match[g] for g in ("days", "hours", "minutes")):
        raise ValueError(f"not an ISO-8601 duration such as -PT1H: {text!r}")
    span = timedelta(days=int(match["days"] or 0), hours=int(match["hours"] or 0), minutes=int(match["minutes"] or 0))
    return -span if match["sign"] == "-" else span


_KEYS = {
    "name": "name",
    "endpoint": "endpoint",
    "variant": "variant",
    "problemType": "problem_type",
    "capturePrefix": "capture_prefix",
    "groundTruthPrefix": "ground_truth_prefix",
    "baselinePrefix": "baseline_prefix",
    "outputPrefix": "output_prefix",
    "schedule": "schedule",
    "startTimeOffset": "start_time_offset",
    "endTimeOffset": "end_time_offset",
    "inferenceAttribute": "inference_attribute",
    "probabilityAttribute": "probability_attribute",
    "probabilityThreshold": "probability_threshold",
    "minimumRecords": "minimum_records",
    "kmsKeyArns": "kms_key_arns",
}


def _problems(where: str, v: dict[str, Any]) -> list[str]:
    problems = []
    for label in ("name", "endpoint", "variant"):
        if not isinstance(v[label], str) or not _NAME.match(v[label]):
            problems.append(f"{where}.{label} must be 1-63 letters, digits or hyphens, got {v[label]!r}")
    if v["problem_type"] not in PROBLEM_TYPES:
        problems.append(f"{where}.problemType must be one of {', '.join(PROBLEM_TYPES)}, got {v['problem_type']!r}")
    for label in ("capture_prefix", "ground_truth_prefix", "baseline_prefix", "output_prefix"):
        if not isinstance(v[label], str) or not _S3_PREFIX.match(v[label]):
            camel = next(k for k, s in _KEYS.items() if s == label)
            problems.append(f"{where}.{camel} must be s3://bucket/prefix, got {v[label]!r}")
    if not isinstance(v["schedule"], str) or not _SCHEDULE.match(v["schedule"].strip()):
        problems.append(f"{where}.schedule must be rate(...) or cron(...), got {v['schedule']!r}")
    offsets = []
    for label, camel in (("start_time_offset", "startTimeOffset"), ("end_time_offset", "endTimeOffset")):
        try:
            offsets.append(parse_duration(v[label]))
        except ValueError as error:
            problems.append(f"{where}.{camel}: {error}")
    if len(offsets) == 2 and not offsets[0] < offsets[1] <= timedelta(0):
        problems.append(
            f"{where}: startTimeOffset must be before endTimeOffset, both at or before the run (-PT2H, -PT1H)"
        )
    for label, camel in (
        ("inference_attribute", "inferenceAttribute"),
        ("probability_attribute", "probabilityAttribute"),
    ):
        if v[label] is not None and (not isinstance(v[label], str) or not _ATTRIBUTE.match(v[label])):
            problems.append(f"{where}.{camel} must be a column index or a JSON field path, got {v[label]!r}")
    threshold = v["probability_threshold"]
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 <= threshold <= 1:
        problems.append(f"{where}.probabilityThreshold must be a number from 0 to 1, got {threshold!r}")
    minimum = v["minimum_records"]
    if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 1:
        problems.append(f"{where}.minimumRecords must be a whole number of at least 1, got {minimum!r}")
    keys = v["kms_key_arns"]
    if not isinstance(keys, list | tuple) or not all(isinstance(k, str) and _KMS.match(k) for k in keys):
        problems.append(f"{where}.kmsKeyArns must be a list of KMS key ARNs, got {keys!r}")
    return problems


def parse_model_quality_monitors(value: Any, *, taken: frozenset[str] = frozenset()) -> tuple[ModelQualityMonitor, ...]:
    """Monitors from cdk.json (camelCase) or the function's environment (the same, as JSON, snake_case).
    ``taken``: the data-quality monitors' names (one alert state per name). ValueError names every problem."""
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else []
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError(f"expected a list of monitors, got {value!r}")
    defaults = ModelQualityMonitor("", "", "", "", "", "", "").document()
    problems: list[str] = []
    monitors = []
    for index, item in enumerate(value):
        where = f"[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where} is not an object")
            continue
        unknown = sorted(set(item) - set(_KEYS) - set(_KEYS.values()))
        if unknown:
            problems.append(f"{where} has unknown keys {', '.join(unknown)}")
        values = {snake: item.get(camel, item.get(snake, defaults[snake])) for camel, snake in _KEYS.items()}
        found = _problems(where, values)
        problems += found
        if not found:
            for label in ("capture_prefix", "ground_truth_prefix", "baseline_prefix", "output_prefix"):
                values[label] = values[label].rstrip("/")
            values |= {"kms_key_arns": tuple(values["kms_key_arns"]), "schedule": values["schedule"].strip()}
            values["probability_threshold"] = float(values["probability_threshold"])
            monitors.append(ModelQualityMonitor(**values))
    problems += repeated_names([m.name for m in monitors], taken)
    if problems:
        raise ValueError("; ".join(problems))
    return tuple(monitors)
