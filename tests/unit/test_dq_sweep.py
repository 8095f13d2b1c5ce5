"""The sweep sees our data-quality monitors like Model Monitor schedules: failed, idle, and endpoints without one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from model_governance.adapters.dq_runs import WithDataQualityMonitors
from model_governance.monitoring.dq_monitors import DataQualityMonitor
from model_governance.sweep.inventory import Endpoint, Inventory
from model_governance.sweep.rules import SweepSettings, find_problems

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def monitor(name: str, endpoint: str) -> DataQualityMonitor:
    return DataQualityMonitor(name, endpoint, "s3://b/c", "s3://b/base", "s3://b/out", schedule="rate(1 hour)")


class Runs:
    def __init__(self, last: dict[str, dict]) -> None:
        self._last = last

    def last(self, name: str):
        return self._last.get(name)


class NoModelMonitor:
    total_calls = 0

    def schedules(self, endpoints):
        return []


def test_failed_idle_and_missing_monitors_are_found():
    runs = Runs(
        {
            "failing": {"status": "Failed", "at": (NOW - timedelta(hours=1)).isoformat(), "failure": "No data: ..."},
            "idle": {"status": "Completed", "at": (NOW - timedelta(hours=5)).isoformat()},
            "fine": {"status": "Completed", "at": (NOW - timedelta(minutes=30)).isoformat()},
        }
    )
    monitors = (monitor("failing", "a"), monitor("idle", "b"), monitor("fine", "c"))
    reader = WithDataQualityMonitors(NoModelMonitor(), monitors, runs)  # type: ignore[arg-type]
    endpoints = [Endpoint(n, f"arn:{n}", "InService") for n in ("a", "b", "c", "unwatched")]
    inventory = Inventory(endpoints=tuple(endpoints), schedules=tuple(reader.schedules({e.name for e in endpoints})))

    found = {(f.kind.code, f.endpoint) for f in find_problems(inventory, now=NOW, settings=SweepSettings())}

    assert found == {
        ("monitor_execution_failed", "a"),
        ("monitor_idle", "b"),
        ("endpoint_without_monitor", "unwatched"),
    }
