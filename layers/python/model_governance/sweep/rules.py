"""The sweep's rules, the way the SageMaker Model Dashboard reads an account: pure functions over an Inventory.

Each problem item appears once, under its most serious finding: an Approved version with no card at all is
reported as "approved without an approved card", not again as "without a card"; a schedule whose last execution
failed is not also called idle.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from model_governance import text
from model_governance.sweep.inventory import CardSummary, Inventory, MonitorSchedule
from model_governance.sweep.schedule import UnreadableSchedule, schedule_period


@dataclass(frozen=True)
class Kind:
    code: str
    title: str
    metric: str  # EMF metric name (namespace constants.METRICS_NAMESPACE), one alarm each
    advice: str


APPROVED_WITHOUT_APPROVED_CARD = Kind(
    "approved_without_approved_card",
    "Approved model versions without an approved model card",
    "SweepApprovedWithoutApprovedCard",
    "Finish the card's review, or revoke the approval: an approved model must have an approved card.",
)
GATED_STAGE_WITHOUT_APPROVED_CARD = Kind(
    "gated_stage_without_approved_card",
    "Model versions in a gated stage without an approved model card",
    "SweepGatedStageWithoutApprovedCard",
    "Finish the card's review, or move the version out of the stage: a gated stage needs an approved card.",
)
MONITOR_EXECUTION_FAILED = Kind(
    "monitor_execution_failed",
    "Monitors whose last execution failed",
    "SweepMonitorExecutionFailed",
    "Read the failure reason and the processing job's logs; the endpoint is not being checked.",
)
MONITOR_NOT_SCHEDULED = Kind(
    "monitor_not_scheduled",
    "Monitoring schedules that are Stopped or Failed",
    "SweepMonitorNotScheduled",
    "Start the schedule again (StartMonitoringSchedule) or fix and recreate it.",
)
ENDPOINT_WITHOUT_MONITOR = Kind(
    "endpoint_without_monitor",
    "In-service endpoints without a monitoring schedule",
    "SweepEndpointWithoutMonitor",
    "Enable data capture and create a Model Monitor schedule for the endpoint.",
)
MONITOR_IDLE = Kind(
    "monitor_idle",
    "Monitors with no execution for more than twice their period",
    "SweepMonitorIdle",
    "Check the endpoint's data capture and the schedule's job definition: the monitor has stopped producing results.",
)
ENDPOINT_WITHOUT_MODEL_QUALITY_MONITOR = Kind(
    "endpoint_without_model_quality_monitor",
    "Monitored in-service endpoints without a model-quality monitor",
    "SweepEndpointWithoutModelQualityMonitor",
    "Capture the endpoint's predictions, write ground truth by eventId, and add a modelQualityMonitors entry"
    " (or a Model Monitor model-quality schedule): nothing checks that the model is still right.",
)
MODEL_WITHOUT_CARD = Kind(
    "model_without_card",
    "Latest model versions without a model card",
    "SweepModelWithoutCard",
    "Run `make backfill` to carry the previous card forward, or write a card for the version.",
)
REVIEW_OVERDUE = Kind(
    "review_overdue",
    "Model cards waiting in PendingReview too long",
    "SweepReviewOverdue",
    "Remind the reviewers, or move the card back to Draft if it is not ready.",
)
# Digest order: the most serious kind first.
KINDS = (
    APPROVED_WITHOUT_APPROVED_CARD,
    GATED_STAGE_WITHOUT_APPROVED_CARD,
    MONITOR_EXECUTION_FAILED,
    MONITOR_NOT_SCHEDULED,
    ENDPOINT_WITHOUT_MONITOR,
    MONITOR_IDLE,
    ENDPOINT_WITHOUT_MODEL_QUALITY_MONITOR,
    MODEL_WITHOUT_CARD,
    REVIEW_OVERDUE,
)
MODEL_QUALITY_TYPE = "ModelQuality"  # Model Monitor's MonitoringType; ours is "ModelQuality (serverless)"
_RISK_PRIORITY = {"High": 1, "Medium": 2, "Unknown": 3, "Low": 4}


@dataclass(frozen=True)
class SweepSettings:
    pending_review_max_days: int = 7
    send_all_clear: bool = False
    gated_stages: tuple[str, ...] = ("Production",)  # model registry stages that need an approved card


@dataclass(frozen=True)
class Finding:
    kind: Kind
    subject: str  # what, as people name it: "fraud-model v7", "endpoint churn-prod", "card churn-v3"
    detail: str  # one line: why it is a finding (outside values in it rendered by model_governance.text)
    priority: int = 0  # lower is worse (risk rating, failure before stop, ...)
    since: datetime | None = None  # how long the problem has existed: older is worse
    group: str | None = None
    version: int | None = None
    card: str | None = None
    endpoint: str | None = None
    schedule: str | None = None

    def sort_key(self) -> tuple[int, int, float, str]:
        return (
            KINDS.index(self.kind),
            self.priority,
            self.since.timestamp() if self.since else float("inf"),
            self.subject,
        )

    def as_dict(self) -> dict[str, object]:
        values: dict[str, object] = {"kind": self.kind.code, "subject": self.subject, "detail": self.detail}
        for name in ("group", "version", "card", "endpoint", "schedule"):
            value = getattr(self, name)
            if value is not None:
                values[name] = value
        if self.since is not None:
            values["since"] = self.since.isoformat()
        return values


def find_problems(inventory: Inventory, *, now: datetime, settings: SweepSettings) -> list[Finding]:
    """Every finding, most serious kind first and worst item first within a kind."""
    findings = [
        *_card_findings(inventory, now=now, settings=settings),
        *_monitor_findings(inventory, now=now),
    ]
    return sorted(findings, key=Finding.sort_key)


def _card_findings(inventory: Inventory, *, now: datetime, settings: SweepSettings) -> list[Finding]:
    cards = {card.name: card for card in inventory.cards}
    findings: list[Finding] = []
    reported: set[tuple[str, int]] = set()
    for package in inventory.packages:
        if package.approval_status != "Approved":
            continue
        name = inventory.links.get((package.group, package.version))
        card = cards.get(name) if name else None
        if card is not None and card.status == "Approved":
            continue
        reported.add((package.group, package.version))
        findings.append(
            Finding(
                APPROVED_WITHOUT_APPROVED_CARD,
                f"{text.name(package.group)} v{package.version}",
                (
                    f"Approved; card {text.name(card.name)} is {text.name(card.status)} (risk {text.name(card.risk_rating)})"
                    if card
                    else "Approved; no model card documents this version"
                )
                + _unconfirmed(inventory, package.group, package.version),
                priority=_RISK_PRIORITY.get(card.risk_rating, 3) if card else 0,
                since=package.created,
                group=package.group,
                version=package.version,
                card=card.name if card else None,
            )
        )
    findings += _stage_findings(inventory, cards, settings.gated_stages, reported)
    for package in inventory.latest_versions():
        key = (package.group, package.version)
        name = inventory.links.get(key)
        if key in reported or (name and name in cards):
            continue
        findings.append(
            Finding(
                MODEL_WITHOUT_CARD,
                f"{text.name(package.group)} v{package.version}",
                f"latest version ({package.approval_status or 'no approval status'}) has no model card"
                + _unconfirmed(inventory, package.group, package.version),
                priority=2 if package.approval_status == "Rejected" else 0,
                since=package.created,
                group=package.group,
                version=package.version,
            )
        )
    limit = timedelta(days=settings.pending_review_max_days)
    for card in inventory.cards:
        if card.status != "PendingReview" or card.last_modified is None or now - card.last_modified <= limit:
            continue
        documents = f" (documents {text.name(card.linked_group)} v{card.linked_version})" if card.linked_group else ""
        findings.append(
            Finding(
                REVIEW_OVERDUE,
                f"card {text.name(card.name)}",
                f"in PendingReview for {_age(now - card.last_modified)}, risk {text.name(card.risk_rating)}{documents}",
                priority=_RISK_PRIORITY.get(card.risk_rating, 3),
                since=card.last_modified,
                group=card.linked_group,
                version=card.linked_version,
                card=card.name,
            )
        )
    return findings


def _stage_findings(
    inventory: Inventory, cards: dict[str, CardSummary], gated_stages: tuple[str, ...], reported: set[tuple[str, int]]
) -> list[Finding]:
    """Versions in a gated stage (an active status) without an approved card. A version already reported as
    approved without an approved card is not listed again (each problem item appears once)."""
    findings: list[Finding] = []
    for package in inventory.packages:
        stage = package.stage
        key = (package.group, package.version)
        if stage is None or not stage.active_in(gated_stages) or key in reported:
            continue
        name = inventory.links.get(key)
        card = cards.get(name) if name else None
        if card is not None and card.status == "Approved":
            continue
        reported.add(key)
        where = f"in stage {text.name(stage.stage)} ({text.name(stage.status)})"
        findings.append(
            Finding(
                GATED_STAGE_WITHOUT_APPROVED_CARD,
                f"{text.name(package.group)} v{package.version}",
                (
                    f"{where}; card {text.name(card.name)} is {text.name(card.status)} (risk {text.name(card.risk_rating)})"
                    if card
                    else f"{where}; no model card documents this version"
                )
                + _unconfirmed(inventory, package.group, package.version),
                priority=_RISK_PRIORITY.get(card.risk_rating, 3) if card else 0,
                since=package.created,
                group=package.group,
                version=package.version,
                card=card.name if card else None,
            )
        )
    return findings


def _unconfirmed(inventory: Inventory, group: str, version: int) -> str:
    """A note naming cards that claim the version without a link that counts (cards/trust.py), or nothing."""
    names = inventory.unconfirmed.get((group, version))
    if not names:
        return ""
    claims = ", ".join(text.name(card) for card in names)
    return f"; unconfirmed claim by {claims} (not linked by this system, not named by the package)"


def _monitor_findings(inventory: Inventory, *, now: datetime) -> list[Finding]:
    by_endpoint: dict[str, list[MonitorSchedule]] = defaultdict(list)
    for schedule in inventory.schedules:
        if schedule.endpoint:
            by_endpoint[schedule.endpoint].append(schedule)
    findings: list[Finding] = []
    # An account that checks model quality anywhere is told which monitored endpoints it does not check.
    checks_model_quality = any(_is_model_quality(s) for s in inventory.schedules)
    for endpoint in inventory.endpoints:
        if endpoint.status != "InService":
            continue
        schedules = by_endpoint.get(endpoint.name, [])
        if not schedules:
            findings.append(
                Finding(
                    ENDPOINT_WITHOUT_MONITOR,
                    f"endpoint {text.name(endpoint.name)}",
                    "in service with no monitoring schedule",
                    since=endpoint.created,
                    endpoint=endpoint.name,
                )
            )
        elif checks_model_quality and not any(_is_model_quality(s) for s in schedules):
            # Monitored, but only its data: an unmonitored endpoint is reported once, under the finding above.
            findings.append(
                Finding(
                    ENDPOINT_WITHOUT_MODEL_QUALITY_MONITOR,
                    f"endpoint {text.name(endpoint.name)}",
                    "in service, monitored, with no model-quality monitor",
                    since=endpoint.created,
                    endpoint=endpoint.name,
                )
            )
        for schedule in schedules:
            finding = _schedule_finding(endpoint.name, schedule, now)
            if finding is not None:
                findings.append(finding)
    return findings


def _is_model_quality(schedule: MonitorSchedule) -> bool:
    return (schedule.monitoring_type or "").startswith(MODEL_QUALITY_TYPE)


def _schedule_finding(endpoint: str, schedule: MonitorSchedule, now: datetime) -> Finding | None:
    subject = f"schedule {text.name(schedule.name)} (endpoint {text.name(endpoint)})"
    kind_of_monitor = f"{text.name(schedule.monitoring_type)} monitor" if schedule.monitoring_type else "monitor"
    if schedule.status in {"Stopped", "Failed"}:
        reason = f": {text.value(schedule.failure_reason)}" if schedule.failure_reason else ""
        return Finding(
            MONITOR_NOT_SCHEDULED,
            subject,
            f"{kind_of_monitor} is {schedule.status}{reason}",
            priority=0 if schedule.status == "Failed" else 1,
            since=schedule.created,
            endpoint=endpoint,
            schedule=schedule.name,
        )
    if schedule.status != "Scheduled":
        return None  # Pending: just created, nothing to judge yet
    if schedule.last_execution_status == "Failed":
        reason = f": {text.value(schedule.last_execution_failure)}" if schedule.last_execution_failure else ""
        return Finding(
            MONITOR_EXECUTION_FAILED,
            subject,
            f"last {kind_of_monitor} execution failed{reason}",
            since=schedule.last_execution_time,
            endpoint=endpoint,
            schedule=schedule.name,
        )
    if not schedule.expression:
        return None
    try:
        period = schedule_period(schedule.expression)
    except UnreadableSchedule:
        return None  # one-time or unusual schedules: no period to hold them to
    reference = schedule.last_execution_time or schedule.created
    if reference is None or now - reference <= 2 * period:
        return None
    what = (
        f"last execution {_age(now - reference)} ago"
        if schedule.last_execution_time
        else f"no execution since it was created {_age(now - reference)} ago"
    )
    return Finding(
        MONITOR_IDLE,
        subject,
        f"{what}; it runs every {_age(period)} ({text.one_line(schedule.expression, 80)})",
        since=reference,
        endpoint=endpoint,
        schedule=schedule.name,
    )


def _age(delta: timedelta) -> str:
    """A short, human duration: 45 minutes, 5 hours, 3 days."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{hours // 24} days"


def counts(findings: list[Finding]) -> dict[str, int]:
    """Findings per kind code, every kind present (zeros included: the metrics need them)."""
    totals = {kind.code: 0 for kind in KINDS}
    for finding in findings:
        totals[finding.kind.code] += 1
    return totals
