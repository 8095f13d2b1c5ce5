"""Alert ops on Model Monitor executions: violations (deduplicated per schedule), resolution, failures.

Safe to run twice: the schedule's state records the job it last decided on, so a redelivered event reuses
that decision instead of deciding again, and every email is claimed once per processing job ARN (released if
the publish fails, so a retry sends it). Concurrent executions of one schedule serialise on the state item's
revision (conditional put, re-read on conflict).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from aws_lambda_powertools.metrics import single_metric

from model_governance import constants
from model_governance.adapters.notifications import Message
from model_governance.events import ProcessingJobStateChange
from model_governance.monitoring.dedup import Decision, Outcome, Reason, ScheduleState, decide
from model_governance.monitoring.execution import JobFacts, MonitoringExecution, resolve_execution
from model_governance.monitoring.render import (
    ModelContext,
    failure_alert,
    resolved_alert,
    unreadable_alert,
    violations_alert,
)
from model_governance.monitoring.report import UnreadableReportError, Violation, parse_violations
from model_governance.observability import MetricUnit, logger, metrics
from model_governance.workflows.ports import Audit, Claims, publish_once, recorder
from model_governance.workflows.ports import Publisher as Alerts

SAVE_ATTEMPTS = 5


class Jobs(Protocol):
    def describe_job(self, job_name: str) -> JobFacts | None: ...
    def endpoint_of_schedule(self, schedule_name: str) -> str | None: ...
    def read_report(self, uri: str) -> bytes | None: ...


class Tracer(Protocol):
    def trace(self, endpoint: str | None) -> ModelContext: ...


class States(Protocol):
    def load(self, schedule: str) -> ScheduleState | None: ...
    def save(self, state: ScheduleState, *, expected_revision: int) -> bool: ...


@dataclass(frozen=True)
class AlertSettings:
    cooldown: timedelta = timedelta(hours=24)


@dataclass
class ViolationAlertResult:
    job_name: str
    outcome: str  # ignored | alert | suppress | resolved | clean | stale | failed | unreadable
    schedule: str | None = None
    endpoint: str | None = None
    violations: int = 0
    reason: str = ""
    email_sent: bool = False
    subject: str | None = None
    check_counts: dict[str, int] = field(default_factory=dict)


def handle_execution(
    change: ProcessingJobStateChange,
    *,
    jobs: Jobs,
    tracer: Tracer,
    states: States,
    claims: Claims,
    alerts: Alerts,
    audit: Audit,
    settings: AlertSettings,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ViolationAlertResult:
    result = ViolationAlertResult(job_name=change.job_name, outcome="ignored")
    if change.status not in constants.PROCESSING_JOB_TERMINAL_STATUSES:
        result.reason = f"status {change.status} is not terminal"
        return result
    execution = _execution(change, jobs)
    if execution is None:
        result.reason = "not a Model Monitor execution (no monitoring schedule started it)"
        return result
    if not execution.endpoint:
        execution = _with_endpoint(execution, jobs.endpoint_of_schedule(execution.schedule_name))
    result.schedule, result.endpoint = execution.schedule_name, execution.endpoint
    logger.append_keys(monitoring_schedule=execution.schedule_name, processing_job_arn=execution.job_arn)

    def send(kind: str, context: ModelContext, message: Message) -> None:
        _send_once(result, claims, alerts, audit, change, execution, context, kind, message)

    if execution.status in {"Failed", "Stopped"}:
        context = tracer.trace(execution.endpoint)
        result.outcome = "failed"
        result.reason = execution.failure_reason or execution.exit_message or execution.status
        send("monitor-failed", context, failure_alert(execution, context))
        if result.email_sent:  # counted once per execution: a redelivery finds the alert claimed
            metrics.add_metric(name=constants.METRIC_MONITOR_FAILURES, unit=MetricUnit.Count, value=1)
            _per_schedule(constants.METRIC_MONITOR_FAILURES, 1, execution)
        return result

    try:
        violations = _violations(execution, jobs)
    except UnreadableReportError as error:
        context = tracer.trace(execution.endpoint)
        result.outcome, result.reason = "unreadable", str(error)
        # Not raised: a retry reads the same bytes (or hits the same denial), only the alert helps.
        send("monitor-unreadable", context, unreadable_alert(execution, context, str(error)))
        if result.email_sent:
            metrics.add_metric(name=constants.METRIC_MONITOR_REPORTS_UNREADABLE, unit=MetricUnit.Count, value=1)
        return result

    outcome, fresh = _decide_and_save(execution, violations, states, settings, now)
    result.outcome, result.reason = outcome.decision.value, outcome.reason.value
    result.violations = len(violations)
    result.check_counts = dict(Counter(v.check_type for v in violations))
    if fresh:  # metrics once per execution, not once per delivery
        _emit_metrics(execution, violations, outcome.decision)
    if outcome.decision in {Decision.ALERT, Decision.RESOLVED}:
        context = tracer.trace(execution.endpoint)
        message = (
            violations_alert(execution, violations, context, outcome.reason, outcome.previous)
            if outcome.decision is Decision.ALERT
            else resolved_alert(execution, context, outcome.previous)
        )
        kind = "monitor-violations" if outcome.decision is Decision.ALERT else "monitor-resolved"
        send(kind, context, message)
    logger.info("monitoring execution handled", extra={"result": result.__dict__})
    return result


def _execution(change: ProcessingJobStateChange, jobs: Jobs) -> MonitoringExecution | None:
    detail = dict(change.envelope.detail)
    detail.setdefault("ProcessingJobArn", change.job_arn)
    facts = JobFacts.from_description(detail)
    if facts.needs_description():
        described = jobs.describe_job(change.job_name)
        if described is not None:
            facts = facts.merged(described)
    return resolve_execution(facts, region=change.envelope.region, fallback_time=change.envelope.time)


def _with_endpoint(execution: MonitoringExecution, endpoint: str | None) -> MonitoringExecution:
    return replace(execution, endpoint=endpoint) if endpoint else execution


def _violations(execution: MonitoringExecution, jobs: Jobs) -> list[Violation]:
    uri = execution.report_uri
    if uri is None:
        raise UnreadableReportError("the execution names no S3 output location")
    try:
        raw = jobs.read_report(uri)
    except (PermissionError, ValueError) as error:  # ReportAccessError, ReportTooLargeError
        raise UnreadableReportError(str(error)) from error
    if raw is None:
        if execution.exit_reports_violations:
            raise UnreadableReportError(f"{uri} does not exist, but the exit message says: {execution.exit_message}")
        return []  # some monitors write no file when nothing is violated
    try:
        return parse_violations(raw)
    except UnreadableReportError as error:
        raise UnreadableReportError(f"{uri}: {error}") from None


def _decide_and_save(
    execution: MonitoringExecution,
    violations: list[Violation],
    states: States,
    settings: AlertSettings,
    now: Callable[[], datetime],
) -> tuple[Outcome, bool]:
    """The outcome, and whether this invocation made it (False: a redelivery found it already recorded)."""
    for _ in range(SAVE_ATTEMPTS):
        previous = states.load(execution.schedule_name)
        if previous is not None and previous.last_job_arn == execution.job_arn:
            return _recorded(previous), False
        outcome = decide(
            previous,
            schedule=execution.schedule_name,
            job_arn=execution.job_arn,
            ended_at=execution.ended_at,
            violations=violations,
            now=now(),
            cooldown=settings.cooldown,
        )
        if outcome.decision is Decision.STALE:
            return outcome, True
        if states.save(outcome.state, expected_revision=previous.revision if previous else 0):
            return outcome, True
        logger.info("schedule state changed meanwhile; deciding again", extra={"schedule": execution.schedule_name})
    raise RuntimeError(f"could not record the state of schedule {execution.schedule_name} after {SAVE_ATTEMPTS} tries")


def _recorded(state: ScheduleState) -> Outcome:
    """The decision an earlier delivery of the same job recorded (its previous state is gone: counts only)."""
    decision_name, _, reason_name = state.last_decision.partition(":")
    decision = Decision(decision_name) if decision_name in Decision._value2member_map_ else Decision.CLEAN
    reason = Reason[reason_name] if reason_name in Reason.__members__ else Reason.STILL_CLEAN
    # A resolved state keeps what was violated; other decisions' previous state is overwritten.
    return Outcome(decision, reason, state, previous=state if decision is Decision.RESOLVED else None)


def _send_once(
    result: ViolationAlertResult,
    claims: Claims,
    alerts: Alerts,
    audit: Audit,
    change: ProcessingJobStateChange,
    execution: MonitoringExecution,
    context: ModelContext,
    kind: str,
    message: Message,
) -> None:
    result.subject = message.subject
    if not publish_once(claims, f"{kind}#{execution.job_arn}", (alerts, message), schedule=execution.schedule_name):
        return
    result.email_sent = True
    if kind == "monitor-violations":
        metrics.add_metric(name=constants.METRIC_VIOLATION_ALERTS_SENT, unit=MetricUnit.Count, value=1)
    recorder(audit, change.envelope)(
        "alert_sent",
        group=context.group,
        card=context.card_name,
        subject=f"monitoring-schedule/{execution.schedule_name}",
        details={
            "kind": kind,
            "subject": message.subject,
            "processing_job_arn": execution.job_arn,
            "endpoint": context.endpoint or execution.endpoint,
            "severity": context.severity,
            "violations": result.violations,
        },
    )


def _emit_metrics(execution: MonitoringExecution, violations: list[Violation], decision: Decision) -> None:
    # Service-level aggregates (what the stack's alarms watch: fixed dimensions) ...
    if violations:
        metrics.add_metric(name=constants.METRIC_MONITOR_EXECUTIONS_WITH_VIOLATIONS, unit=MetricUnit.Count, value=1)
        metrics.add_metric(name=constants.METRIC_MONITOR_VIOLATIONS, unit=MetricUnit.Count, value=len(violations))
    if decision is Decision.SUPPRESS:
        metrics.add_metric(name=constants.METRIC_VIOLATION_ALERTS_SUPPRESSED, unit=MetricUnit.Count, value=1)
    # ... and per schedule/endpoint and per check type, for the dashboard and ad-hoc alarms (own EMF records,
    # as one EMF record has one dimension set). Zero on clean runs, so the graphs show the recovery.
    _per_schedule(constants.METRIC_MONITOR_VIOLATIONS, len(violations), execution)
    for check, count in sorted(Counter(v.check_type for v in violations).items()):
        with single_metric(
            name=constants.METRIC_MONITOR_VIOLATIONS_BY_CHECK_TYPE,
            unit=MetricUnit.Count,
            value=count,
            namespace=constants.METRICS_NAMESPACE,
            default_dimensions={"service": constants.SERVICE_NAME, "MonitoringSchedule": execution.schedule_name},
        ) as metric:
            metric.add_dimension(name="CheckType", value=check)


def _per_schedule(name: str, value: int, execution: MonitoringExecution) -> None:
    with single_metric(
        name=name,
        unit=MetricUnit.Count,
        value=value,
        namespace=constants.METRICS_NAMESPACE,
        default_dimensions={"service": constants.SERVICE_NAME},
    ) as metric:
        metric.add_dimension(name="MonitoringSchedule", value=execution.schedule_name)
        metric.add_dimension(name="Endpoint", value=execution.endpoint or "none")
