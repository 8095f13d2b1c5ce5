"""Our own data-quality monitors (issue 10): what one is, as cdk.json declares it and the functions read it.

Defined in the shared layer because three places read it: the stack (validation, schedule, grants), the
monitor functions, and the sweep (which treats each one like a Model Monitor schedule).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")  # a monitoring schedule name's rule
_S3_PREFIX = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])(/(?P<key>.*))?$")
_KMS = re.compile(r"^arn:aws[a-z\-]*:kms:[a-z0-9\-]+:\d{12}:key/[A-Za-z0-9\-]+$")
_SCHEDULE = re.compile(r"^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$")
MONITORING_TYPE = "DataQuality (serverless)"
RUN_MANIFEST = "manifest.json"  # a fanned-out run's capture object groups, read by the Distributed Map


@dataclass(frozen=True)
class DataQualityMonitor:
    name: str  # also the "schedule" of the alert workflow's dedup state
    endpoint: str
    capture_prefix: str  # s3://bucket/prefix (data capture's DestinationS3Uri)
    baseline_prefix: str  # s3://bucket/prefix holding statistics.json and constraints.json
    output_prefix: str  # s3://bucket/prefix: one folder per run
    schedule: str = "rate(1 hour)"
    variant: str = "AllTraffic"
    kms_key_arns: tuple[str, ...] = ()

    def document(self) -> dict[str, Any]:
        return {**asdict(self), "kms_key_arns": list(self.kms_key_arns)}


def bucket_and_key(uri: str) -> tuple[str, str]:
    match = _S3_PREFIX.match(uri)
    if not match:
        raise ValueError(f"not an s3://bucket/prefix URI: {uri!r}")
    return match["bucket"], (match["key"] or "").strip("/")


def parse_monitors(value: Any) -> tuple[DataQualityMonitor, ...]:
    """Monitors from cdk.json (a list of objects) or the functions' environment (the same list as JSON).

    Raises ValueError naming every problem at once."""
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else []
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError(f"expected a list of monitors, got {value!r}")
    problems: list[str] = []
    monitors: list[DataQualityMonitor] = []
    for index, item in enumerate(value):
        where = f"[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where} is not an object")
            continue
        known = {
            "name",
            "endpoint",
            "capturePrefix",
            "baselinePrefix",
            "outputPrefix",
            "schedule",
            "variant",
            "kmsKeyArns",
        }
        known |= {"capture_prefix", "baseline_prefix", "output_prefix", "kms_key_arns"}
        unknown = sorted(set(item) - known)
        if unknown:
            problems.append(f"{where} has unknown keys {', '.join(unknown)}")

        def get(camel: str, snake: str | None = None, item: dict[str, Any] = item) -> Any:
            return item.get(camel, item.get(snake or camel))

        name, endpoint = get("name"), get("endpoint")
        capture, baseline, output = (
            get("capturePrefix", "capture_prefix"),
            get("baselinePrefix", "baseline_prefix"),
            get("outputPrefix", "output_prefix"),
        )
        schedule, variant = get("schedule") or "rate(1 hour)", get("variant") or "AllTraffic"
        keys = get("kmsKeyArns", "kms_key_arns") or []
        if not isinstance(name, str) or not _NAME.match(name):
            problems.append(f"{where}.name must be 1-63 letters, digits or hyphens, got {name!r}")
        if not isinstance(endpoint, str) or not _NAME.match(endpoint):
            problems.append(f"{where}.endpoint must be an endpoint name, got {endpoint!r}")
        for label, uri in (("capturePrefix", capture), ("baselinePrefix", baseline), ("outputPrefix", output)):
            if not isinstance(uri, str) or not _S3_PREFIX.match(uri):
                problems.append(f"{where}.{label} must be s3://bucket/prefix, got {uri!r}")
        if not isinstance(schedule, str) or not _SCHEDULE.match(schedule.strip()):
            problems.append(f"{where}.schedule must be rate(...) or cron(...), got {schedule!r}")
        if not isinstance(variant, str) or not _NAME.match(variant):
            problems.append(f"{where}.variant must be a variant name, got {variant!r}")
        if not isinstance(keys, list) or not all(isinstance(k, str) and _KMS.match(k) for k in keys):
            problems.append(f"{where}.kmsKeyArns must be a list of KMS key ARNs, got {keys!r}")
        if not problems:
            monitors.append(
                DataQualityMonitor(
                    name=name,
                    endpoint=endpoint,
                    capture_prefix=capture.rstrip("/"),
                    baseline_prefix=baseline.rstrip("/"),
                    output_prefix=output.rstrip("/"),
                    schedule=schedule.strip(),
                    variant=variant,
                    kms_key_arns=tuple(keys),
                )
            )
    problems += repeated_names([m.name for m in monitors])
    if problems:
        raise ValueError("; ".join(problems))
    return tuple(monitors)


def repeated_names(names: list[str], taken: frozenset[str] = frozenset()) -> list[str]:
    """The problem, if any, of names used twice or already ``taken`` (each name has one alert state)."""
    repeated = sorted({n for n in names if names.count(n) > 1 or n in taken})
    return [f"monitor names must be unique among all monitors: {', '.join(repeated)}"] if repeated else []


class _Documented(Protocol):
    def document(self) -> dict[str, Any]: ...


def monitors_json(monitors: Sequence[_Documented]) -> str:
    """Monitors as the functions' environment carries them."""
    return json.dumps([m.document() for m in monitors], separators=(",", ":"))
