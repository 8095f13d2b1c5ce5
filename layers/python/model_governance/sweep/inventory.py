"""What the sweep reads from the account, as typed values (built by adapters/inventory.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from model_governance.cards.records import LifeCycle, PackageFacts


@dataclass(frozen=True)
class PackageVersion:
    """One versioned model package (a ModelPackageSummary)."""

    group: str
    version: int
    arn: str
    status: str  # Pending | InProgress | Completed | Failed | Deleting
    approval_status: str | None
    created: datetime | None = None
    stage: LifeCycle | None = None  # ModelLifeCycle: in the summary itself, no call per version


@dataclass(frozen=True)
class CardSummary:
    """The latest version of a standalone model card, with the package version it documents (if any)."""

    name: str
    status: str
    last_modified: datetime | None
    linked_group: str | None = None
    linked_version: int | None = None
    risk_rating: str = "Unknown"
    linked_package_arn: str | None = None  # what the card's content claims (cards/trust.py decides if it counts)
    arn: str | None = None
    version: int | None = None
    created: datetime | None = None  # tells a card re-created under the same name apart (the review's effect key)
    modified_by: str | None = None  # a user profile name or an IAM identity ARN (for a replayed review)


@dataclass(frozen=True)
class Endpoint:
    name: str
    arn: str
    status: str
    created: datetime | None = None


@dataclass(frozen=True)
class MonitorSchedule:
    """A monitoring schedule with what DescribeMonitoringSchedule adds to its summary."""

    name: str
    endpoint: str | None
    status: str  # Pending | Failed | Scheduled | Stopped
    monitoring_type: str | None = None
    expression: str | None = None
    created: datetime | None = None
    failure_reason: str | None = None
    last_execution_status: str | None = None
    last_execution_time: datetime | None = None  # ScheduledTime of the last execution
    last_execution_failure: str | None = None
    last_execution_job_arn: str | None = None  # the processing job (or our monitor's run) of the last execution


@dataclass(frozen=True)
class Inventory:
    """The account as the sweep saw it. ``links`` maps (group, version) to the card documenting that version by a
    link that counts (cards/trust.py); ``unconfirmed`` to the cards that only claim it."""

    packages: tuple[PackageVersion, ...] = ()
    cards: tuple[CardSummary, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    schedules: tuple[MonitorSchedule, ...] = ()
    links: dict[tuple[str, int], str] = field(default_factory=dict)
    unconfirmed: dict[tuple[str, int], tuple[str, ...]] = field(default_factory=dict)
    searched: dict[str, PackageFacts] = field(default_factory=dict)  # packages read by one Search pass, by ARN

    @property
    def groups(self) -> set[str]:
        return {p.group for p in self.packages}

    def latest_versions(self) -> list[PackageVersion]:
        """The highest Completed version of each group (registrations still running or failed need no card)."""
        latest: dict[str, PackageVersion] = {}
        for package in self.packages:
            if package.status != "Completed":
                continue
            current = latest.get(package.group)
            if current is None or package.version > current.version:
                latest[package.group] = package
        return sorted(latest.values(), key=lambda p: p.group)
