"""Alert ops on Model Monitor executions: violations (deduplicated per schedule), resolution, failures.

Events are hints: the event only names the processing job. Status, end time, exit message and output are read
back with DescribeProcessingJob (anyone allowed to invoke the function can send any body), a job that ended in
the future is refused, and a report modified after its job ended decides nothing.

Safe to run twice: the schedule's state records the job it last decided on, so a redelivered event reuses
that decision instead of deciding again, and every email is claimed once per processing job ARN (released if
the publish fails, so a retry sends it). Concurrent executions of one schedule serialise on the state item's
revision (conditional put, re-read on conflict).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from aws_lambda_powertools.metrics import single_metric

from model_governance import constants, text
from model_governance.adapters.notifications import Message
from model_governance.events import ProcessingJobStateChange
from model_governance.monitoring.dedup import (
    FUTURE_SKEW,
    Decision,
    Reason,
    ScheduleState,
    decide,
    is_newer,
    state_from_plan,
    state_plan,
)
from model_governance.monitoring.execution import JobFacts, MonitoringExecution, resolve_execution
from model_governance.monitoring.render import (
    ModelContext,
    failure_alert,
    found_late,
    resolved_alert,
    unreadable_alert,
    violations_alert,
)
from model_governance.monitoring.report import UnreadableReportError, Violation, counts_by_check, parse_violations
from model_governance.observability import MetricUnit, logger, metrics, publish_metrics_now
from model_governance.workflows.effects import EffectRun, Effects, Plan, once
from model_governance.workflows.ports import Audit, recorder
from model_governance.workflows.ports import Publisher as Alerts

SAVE_ATTEMPTS = 5
# The analyzer uploads its report before SageMaker records the job's end; this covers the two clocks.
REPORT_WRITE_SKEW = timedelta(minutes=5)


class MissingReportError(LookupError):
    """No violations report, and nothing says the run was clean: decide nothing (no alert, no "resolved")."""


class Jobs(Protocol):
    def describe_job(self, job_name: str) -> JobFacts | None: ...
    def endpoint_of_schedule(self, schedule_name: str) -> str | None: ...
    def read_report(self, uri: str, *, written_by: datetime | None = None) -> bytes | None: ...


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
    outcome: str  # ignored | refused | alert | suppress | resolved | clean | stale | failed | unreadable
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
    effects: Effects,
    alerts: Alerts,
    audit: Audit,
    settings: AlertSettings,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ViolationAlertResult:
    result = ViolationAlertResult(job_name=change.job_name, outcome="ignored")
    if change.status not in constants.PROCESSING_JOB_TERMINAL_STATUSES:
        result.reason = f"status {change.status} is not terminal"
        return result
    facts = jobs.describe_job(change.job_name)
    if facts is None:
        return _refused(result, f"SageMaker has no processing job {text.name(change.job_name)}")
    execution = _execution(facts, change, now())
    if isinstance(execution, str):
        result.reason = execution
        return result
    if execution.ended_at > now() + FUTURE_SKEW:
        return _refused(result, f"the processing job's end time {execution.ended_at.isoformat()} is in the future")
    if not execution.endpoint:
        execution = _with_endpoint(execution, jobs.endpoint_of_schedule(execution.schedule_name))
    result.schedule, result.endpoint = execution.schedule_name, execution.endpoint
    late = change.envelope.reconciled.run_id if change.envelope.reconciled else None  # replayed by the sweep
    logger.append_keys(monitoring_schedule=execution.schedule_name, processing_job_arn=execution.job_arn)

    handled = once(
        effects,
        f"monitor-execution#{execution.job_arn}",
        change.envelope,
        lambda run: _handle(run, execution, result, jobs, tracer, states, alerts, audit, settings, now, late),
    )
    if handled is None:
        result.outcome = "duplicate"
        result.reason = "an earlier delivery of this execution's event handled it"
    logger.info("monitoring execution handled", extra={"result": result.__dict__})
    return result


def _handle(
    run: EffectRun,
    execution: MonitoringExecution,
    result: ViolationAlertResult,
    jobs: Jobs,
    tracer: Tracer,
    states: States,
    alerts: Alerts,
    audit: Audit,
    settings: AlertSettings,
    now: Callable[[], datetime],
    late: str | None = None,
) -> bool:
    """Decide (planned once), alert, then advance the schedule's state: in that order, each step once. ``late``:
    the sweep run that found this execution's event lost; its alert says so."""

    def alert(kind: str, message: Callable[[ModelContext], Message]) -> None:
        def plan() -> Plan:
            context = tracer.trace(execution.endpoint)
            rendered = message(context)
            rendered = found_late(rendered, late) if late else rendered
            return {"kind": kind, "context": context.as_plan(), "message": rendered.as_plan()}

        # Sent in a step of its own, marked done right after: the window where a crash repeats it stays small.
        planned = run.step("alert", plan, lambda planned: _publish(planned, alerts))
        if planned is not None:
            _record_alert(planned, run, execution, result, audit)
            result.subject = str(planned["message"]["subject"])
            result.email_sent = True

    if execution.status in {"Failed", "Stopped"}:
        result.outcome = "failed"
        result.reason = execution.failure_reason or execution.exit_message or execution.status
        alert("monitor-failed", lambda context: failure_alert(execution, context))
        metrics.add_metric(name=constants.METRIC_MONITOR_FAILURES, unit=MetricUnit.Count, value=1)
        _per_schedule(constants.METRIC_MONITOR_FAILURES, 1, execution)
        return True

    try:
        violations = _violations(execution, jobs)
    except MissingReportError as error:
        result.outcome, result.reason = "no-report", str(error)
        return True
    except UnreadableReportError as error:
        problem = str(error)
        result.outcome, result.reason = "unreadable", problem
        # Not raised: a retry reads the same bytes (or hits the same denial), only the alert helps.
        alert("monitor-unreadable", lambda context: unreadable_alert(execution, context, problem))
        metrics.add_metric(name=constants.METRIC_MONITOR_REPORTS_UNREADABLE, unit=MetricUnit.Count, value=1)
        return True

    result.violations = len(violations)
    result.check_counts = counts_by_check(violations)
    # The decision is planned once: a retry a minute later, after the schedule's state moved on, still sends
    # and records what this execution deserved, instead of finding itself "stale".
    decided = run.step(
        "decide",
        lambda: _decision_plan(execution, violations, states, settings, now),
        lambda plan: _emit_metrics(execution, violations, Decision(plan["decision"])),
    )
    assert decided is not None
    decision = Decision(decided["decision"])
    result.outcome, result.reason = decision.value, Reason[decided["reason"]].value
    if decision in {Decision.ALERT, Decision.RESOLVED}:
        previous = state_from_plan(decided["previous"]) if decided.get("previous") else None
        outcome_reason = Reason[decided["reason"]]
        if decision is Decision.ALERT:
            alert(
                "monitor-violations",
                lambda context: violations_alert(execution, violations, context, outcome_reason, previous),
            )
        else:
            alert("monitor-resolved", lambda context: resolved_alert(execution, context, previous))
    if decision is not Decision.STALE:
        run.step("advance", lambda: decided["state"], lambda plan: _advance(states, state_from_plan(plan), now()))
    return True


def _decision_plan(
    execution: MonitoringExecution,
    violations: list[Violation],
    states: States,
    settings: AlertSettings,
    now: Callable[[], datetime],
) -> Plan:
    previous = states.load(execution.schedule_name)
    outcome = decide(
        previous,
        schedule=execution.schedule_name,
        job_arn=execution.job_arn,
        ended_at=execution.ended_at,
        violations=violations,
        now=now(),
        cooldown=settings.cooldown,
    )
    return {
        "decision": outcome.decision.value,
        "reason": outcome.reason.name,
        "state": state_plan(outcome.state),
        "previous": state_plan(outcome.previous) if outcome.previous else None,
    }


def _advance(states: States, state: ScheduleState, now: datetime) -> None:
    """Write the schedule's new state unless a later execution's state is already there."""
    for _ in range(SAVE_ATTEMPTS):
        current = states.load(state.schedule)
        if current is not None and (
            current.last_job_arn == state.last_job_arn or is_newer(current, state.last_ended_at, now)
        ):
            return
        if states.save(
            replace(state, revision=(current.revision if current else 0) + 1),
            expected_revision=current.revision if current else 0,
        ):
            return
    raise RuntimeError(f"could not record the state of schedule {state.schedule} after {SAVE_ATTEMPTS} tries")


def _refused(result: ViolationAlertResult, reason: str) -> ViolationAlertResult:
    """An event SageMaker's own state contradicts: one line says so, nothing is decided."""
    result.outcome, result.reason = "refused", reason
    logger.warning(f"event refused: {reason}; it decides nothing")
    return result


def _execution(facts: JobFacts, change: ProcessingJobStateChange, now: datetime) -> MonitoringExecution | str:
    """The execution as SageMaker describes it, or why there is none to act on (the event named the job)."""
    if facts.status not in constants.PROCESSING_JOB_TERMINAL_STATUSES:
        return f"DescribeProcessingJob says {facts.status}, not a terminal status"
    execution = resolve_execution(facts, region=change.envelope.region, fallback_time=now)
    return execution or "not a Model Monitor execution (no monitoring schedule started it)"


def _with_endpoint(execution: MonitoringExecution, endpoint: str | None) -> MonitoringExecution:
    return replace(execution, endpoint=endpoint) if endpoint else execution


def _violations(execution: MonitoringExecution, jobs: Jobs) -> list[Violation]:
    uri = execution.report_uri
    if uri is None:
        raise UnreadableReportError("the execution names no S3 output location")
    try:
        raw = jobs.read_report(uri, written_by=execution.ended_at + REPORT_WRITE_SKEW)
    except (PermissionError, ValueError) as error:  # ReportAccessError, ReportTooLargeError
        raise UnreadableReportError(str(error)) from error
    if raw is None:
        if execution.exit_reports_violations:
            raise UnreadableReportError(f"{uri} does not exist, but the exit message says: {execution.exit_message}")
        if execution.exit_reports_no_violations:
            return []  # some monitors write no file when nothing is violated, and say so
        # No report and no word that the run was clean: not "resolved" on a guess.
        raise MissingReportError(
            f"{uri} does not exist and the execution does not say it found no violations "
            f"(exit message: {execution.exit_message or 'none'}): the previous state stands"
        )
    try:
        violations = parse_violations(raw)
    except UnreadableReportError as error:
        raise UnreadableReportError(f"{uri}: {error}") from None
    if not violations and execution.exit_reports_violations:
        # The report is in a bucket many roles may write: a clean report beside an exit message that counted
        # violations was replaced, or is wrong. Neither is "resolved".
        raise UnreadableReportError(f"{uri} lists no violations, but the exit message says: {execution.exit_message}")
    return violations


def _publish(plan: Plan, alerts: Alerts) -> None:
    alerts.publish(Message.from_plan(plan["message"]))
    if plan["kind"] == "monitor-violations":
        metrics.add_metric(name=constants.METRIC_VIOLATION_ALERTS_SENT, unit=MetricUnit.Count, value=1)
    publish_metrics_now()  # the step's act: a retry after a kill finds the step done and would not count it


def _record_alert(
    plan: Plan, run: EffectRun, execution: MonitoringExecution, result: ViolationAlertResult, audit: Audit
) -> None:
    context = plan["context"]
    recorder(audit, run.lease)(
        "alert_sent",
        group=context.get("group"),
        card=context.get("card_name"),
        subject=f"monitoring-schedule/{execution.schedule_name}",
        details={
            "kind": plan["kind"],
            "subject": plan["message"]["subject"],
            "processing_job_arn": execution.job_arn,
            "endpoint": context.get("endpoint") or execution.endpoint,
            "severity": context.get("severity"),
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
    for check, count in sorted(counts_by_check(violations).items()):
        with single_metric(
            name=constants.METRIC_MONITOR_VIOLATIONS_BY_CHECK_TYPE,
            unit=MetricUnit.Count,
            value=count,
            namespace=constants.METRICS_NAMESPACE,
            default_dimensions={"service": constants.SERVICE_NAME, "MonitoringSchedule": execution.schedule_name},
        ) as metric:
            metric.add_dimension(name="CheckType", value=check)
    # The decide step's act: the alarms' metrics, published before the step is marked done (a retry after a kill
    # finds it done and would not add them again).
    publish_metrics_now()


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
