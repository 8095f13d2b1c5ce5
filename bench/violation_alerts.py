"""Violation alerts on big reports: handler time for a 1,000-feature report, and the largest email vs SNS's limit.

The workflow runs with in-memory collaborators (the AWS calls are a fixed handful per execution: at most one
DescribeProcessingJob, one GetObject, the state read and write, the trace, one Publish), so the figure is
what grows with the report: parse, dedup decision, render, metrics.
"""

from __future__ import annotations

import contextlib
import io
import json
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from model_governance.adapters.notifications import MESSAGE_LIMIT_BYTES, Message
from model_governance.events import parse_processing_job_state_change
from model_governance.monitoring.dedup import ScheduleState
from model_governance.monitoring.execution import JobFacts
from model_governance.monitoring.render import ModelContext
from model_governance.observability import metrics
from model_governance.workflows.violation_alerts import AlertSettings, handle_execution
from tests.fakes import MemoryEffects

CHECKS = ("data_type_check", "completeness_check", "baseline_drift_check", "categorical_values_check")
RUNS = 15
EVENT: dict[str, Any] = {
    "version": "0",
    "id": "bench",
    "detail-type": "SageMaker Processing Job State Change",
    "source": "aws.sagemaker",
    "account": "123456789012",
    "time": "2026-11-21T13:05:12Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {
        "ProcessingJobName": "model-monitoring-202611211300-bench",
        "ProcessingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:processing-job/model-monitoring-202611211300-bench",
        "ProcessingJobStatus": "Completed",
        "MonitoringScheduleArn": "arn:aws:sagemaker:us-east-1:123456789012:monitoring-schedule/bench-schedule",
        "ProcessingEndTime": "2026-11-21T13:05:10Z",
        "ProcessingOutputConfig": {"Outputs": [{"S3Output": {"S3Uri": "s3://bench/out"}}]},
        "Environment": {"sagemaker_endpoint_name": "bench-endpoint"},
    },
}


def report(features: int, description_chars: int) -> bytes:
    violations = [
        {
            "feature_name": f"feature_{i:05d}",
            "constraint_check_type": CHECKS[i % len(CHECKS)],
            "description": ("Numerical distance: 0.2711598746081505 exceeds numerical threshold: 0 " * 40)[
                :description_chars
            ],
        }
        for i in range(features)
    ]
    return json.dumps({"violations": violations}).encode()


class _Jobs:
    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    def describe_job(self, job_name: str) -> JobFacts | None:
        return JobFacts.from_description(EVENT["detail"])  # SageMaker says what the bench event says

    def endpoint_of_schedule(self, schedule_name: str) -> str | None:
        return None

    def read_report(self, uri: str, *, written_by: datetime | None = None) -> bytes | None:
        return self.raw


class _Tracer:
    def trace(self, endpoint: str | None) -> ModelContext:
        return ModelContext(endpoint=endpoint, card_name="bench-card", owner="bench team", risk_rating="High")


class _States:
    def load(self, schedule: str) -> ScheduleState | None:
        return None

    def save(self, state: ScheduleState, *, expected_revision: int) -> bool:
        return True


class _Alerts:
    def __init__(self) -> None:
        self.last: Message | None = None

    def publish(self, message: Message) -> str:
        self.last = message
        return "id"


class _Audit:
    def append(self, record: Any) -> bool:
        return True


def _handle(raw: bytes) -> tuple[float, Message]:
    alerts = _Alerts()
    change = parse_processing_job_state_change(EVENT)
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # the EMF records
        handle_execution(
            change,
            jobs=_Jobs(raw),
            tracer=_Tracer(),
            states=_States(),
            effects=MemoryEffects(),
            alerts=alerts,
            audit=_Audit(),
            settings=AlertSettings(timedelta(hours=24)),
            now=lambda: datetime(2026, 11, 21, 14, tzinfo=UTC),
        )
        metrics.flush_metrics()
    elapsed = time.perf_counter() - started
    assert alerts.last is not None
    return elapsed, alerts.last


def run() -> list[str]:
    lines = [
        "### Violation alerts: big reports",
        "",
        f"In-process workflow (parse, dedup decision, render, EMF metrics), median of {RUNS} runs; AWS calls excluded.",
        "",
        "| report | report size | handler time (median) | email size | share of SNS's 256 KB |",
        "| --- | --- | --- | --- | --- |",
    ]
    for features, chars in ((3, 80), (1000, 80), (1000, 2000), (10000, 2000)):
        raw = report(features, chars)
        timings, message = [], None
        for _ in range(RUNS):
            elapsed, message = _handle(raw)
            timings.append(elapsed)
        assert message is not None
        size = len(message.body.encode())
        lines.append(
            f"| {features:,} features, {chars:,}-char descriptions | {len(raw) / 1024:,.0f} KB "
            f"| {statistics.median(timings) * 1000:.1f} ms | {size / 1024:.1f} KB | {size / MESSAGE_LIMIT_BYTES:.1%} |"
        )
    return lines
