"""Baseline and check runs over row sources: pure orchestration, the sources and sinks passed in."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from data_quality.capture import CaptureTally
from data_quality.checks import Violation, run_checks, violations_document
from data_quality.constraints import Baseline, MonitoringConfig, suggest_constraints
from data_quality.fields import split_and_type
from data_quality.profile import DatasetProfile

BLOCK_ROWS = 20_000  # rows typed at once: about 10 MB of matrices for 50 features


def blocks(rows: Iterable[str], size: int = BLOCK_ROWS) -> Iterator[list[str]]:
    iterator = iter(rows)
    while block := list(islice(iterator, size)):
        yield block


def profile_rows(rows: Iterable[str], names: list[str]) -> DatasetProfile:
    profile = DatasetProfile(list(names))
    for block in blocks(rows):
        profile.update(split_and_type(block))
    return profile


def baseline_files(rows: Iterable[str], names: list[str], config: MonitoringConfig | None = None) -> dict[str, Any]:
    """{"statistics.json": ..., "constraints.json": ...} of a training dataset's rows."""
    profile = profile_rows(rows, names)
    return {"statistics.json": profile.statistics(), "constraints.json": suggest_constraints(profile, config)}


@dataclass(frozen=True)
class Period:
    """The capture hours one run checks: [start, end)."""

    start: datetime
    end: datetime

    @classmethod
    def ending_at(cls, fired_at: datetime, length: timedelta) -> Period:
        """The period a run fired at ``fired_at`` checks: the whole hours before it (Model Monitor's default
        analysis window is the previous hour: DataAnalysisStartTime -PT1H, EndTime -PT0H)."""
        end = fired_at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        hours = max(1, int(length.total_seconds() // 3600))
        return cls(end - timedelta(hours=hours), end)

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M} to {self.end:%Y-%m-%d %H:%M} UTC"


@dataclass(frozen=True)
class CheckResult:
    violations: list[Violation]
    statistics: dict[str, Any]
    tally: CaptureTally

    @property
    def no_data(self) -> bool:
        return self.tally.rows == 0

    def files(self) -> dict[str, dict[str, Any]]:
        return {"statistics.json": self.statistics, "constraint_violations.json": violations_document(self.violations)}


def check(baseline: Baseline, current: DatasetProfile, tally: CaptureTally) -> CheckResult:
    violations = [] if tally.rows == 0 else run_checks(baseline, current)
    return CheckResult(violations, current.statistics(), tally)
