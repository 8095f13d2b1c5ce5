"""The emails ops receive about Model Monitor executions: plain text, grouped, cut to a readable size.

Subjects keep the count and the endpoint in front, so SNS's 100-character cut (fit_subject) loses the least
useful part. Attributes let subscribers filter (``severity``, ``endpoint``, ``schedule``, ``check_types``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC
from urllib.parse import quote

from model_governance.adapters.notifications import Message
from model_governance.monitoring.dedup import SAMPLE_SIZE, Reason, ScheduleState
from model_governance.monitoring.execution import MonitoringExecution, split_s3_uri
from model_governance.monitoring.report import Violation, by_check_type

MAX_LISTED = 200  # violations listed in one email, over all check types
MAX_PER_CHECK = 50  # per check type, so one noisy check cannot hide the others
MAX_DESCRIPTION = 300  # characters of one description
BODY_BUDGET_BYTES = 128 * 1024  # half of SNS's 256 KB: room for attributes and any email wrapping
SEVERITIES = ("High", "Medium", "Low", "Unknown")


@dataclass(frozen=True)
class ModelContext:
    """What the endpoint serves, traced endpoint -> config -> model -> model package -> linked card."""

    endpoint: str | None = None
    model_package_arn: str | None = None
    card_name: str | None = None
    owner: str | None = None
    risk_rating: str | None = None
    group: str | None = None

    @property
    def severity(self) -> str:
        return self.risk_rating if self.risk_rating in SEVERITIES else "Unknown"

    def as_plan(self) -> dict[str, str | None]:
        return {**asdict(self), "severity": self.severity}


def violations_alert(
    execution: MonitoringExecution,
    violations: list[Violation],
    context: ModelContext,
    reason: Reason,
    previous: ScheduleState | None,
) -> Message:
    target = _target(execution, context)
    count = len(violations)
    groups = by_check_type(violations)
    changes = _changes(previous, violations) if reason is Reason.CHANGED else []
    lines = [
        f"Model Monitor found {count} violation{'s' if count != 1 else ''} on {target}.",
        f"Why this email: {reason.value}" + ("" if changes else _change_note(reason, previous, count)) + ".",
        "",
        *_facts(execution, context),
        "",
        *changes,
        *([""] if changes else []),
        "Violations by check type",
        "========================",
    ]
    tail = ["", *_links(execution, context)]
    most, body = MAX_LISTED, ""
    while True:  # halve the listing until the body fits (only non-ASCII text of extreme length needs a second pass)
        body = "\n".join([*lines, *_listing(groups, count, most), *tail])
        if len(body.encode()) <= BODY_BUDGET_BYTES or most == 0:
            break
        most //= 2
    return Message(
        subject=f"[{context.severity}] {count} Model Monitor violation{'s' if count != 1 else ''} on {target}",
        body=body,
        attributes=_attributes(execution, context, "monitor_violations", sorted(groups)),
    )


def _listing(groups: dict[str, list[Violation]], count: int, most: int) -> list[str]:
    lines: list[str] = []
    listed = 0
    for check, items in groups.items():
        room = max(0, min(MAX_PER_CHECK, most - listed))
        lines += ["", f"{check} ({len(items)})"]
        for violation in items[:room]:
            lines.append(f"  - {_cut(violation.feature, 200)}: {_cut(violation.description) or '(no description)'}")
        listed += min(room, len(items))
        if len(items) > room:
            lines.append(f"  ... and {len(items) - room} more {check} violations, not listed")
    if listed < count:
        lines += ["", f"{count - listed} of {count} violations are not listed here; the full report is linked below."]
    return lines


def resolved_alert(execution: MonitoringExecution, context: ModelContext, previous: ScheduleState | None) -> Message:
    target = _target(execution, context)
    lines = [f"Model Monitor found no violations on {target}: the earlier violations are resolved.", ""]
    lines += _facts(execution, context)
    if previous is not None and previous.check_counts:
        lines += ["", f"Violated before ({sum(previous.check_counts.values())} violations):"]
        lines += [f"  - {check}: {n}" for check, n in sorted(previous.check_counts.items())]
        shown = ", ".join(f"{feature} ({check})" for feature, check in previous.sample[:20])
        if shown:
            lines.append(f"  e.g. {shown}")
    lines += ["", *_links(execution, context)]
    return Message(
        subject=f"[RESOLVED] Model Monitor violations cleared on {target}",
        body="\n".join(lines),
        attributes=_attributes(execution, context, "monitor_resolved", []),
    )


def failure_alert(execution: MonitoringExecution, context: ModelContext) -> Message:
    target = _target(execution, context)
    verb = "was stopped" if execution.status == "Stopped" else "failed"
    lines = [
        f"A Model Monitor execution {verb} on {target}: this period was not checked.",
        "",
        *_facts(execution, context),
        f"Failure reason:  {execution.failure_reason or '(none given)'}",
        f"Exit message:    {execution.exit_message or '(none given)'}",
        "",
        "Runbook: read the job's CloudWatch logs (/aws/sagemaker/ProcessingJobs, stream prefix = job name);",
        "common causes are no captured data for the period, a baseline that no longer matches the data,",
        "and a monitoring role that may not read the capture or baseline locations.",
        "",
        *_links(execution, context, report=False),
    ]
    return Message(
        subject=f"[{execution.status.upper()}] Model Monitor run on {target}",
        body="\n".join(lines),
        attributes=_attributes(execution, context, "monitor_failed", []),
    )


def unreadable_alert(execution: MonitoringExecution, context: ModelContext, problem: str) -> Message:
    target = _target(execution, context)
    lines = [
        f"The violations report of a Model Monitor execution on {target} could not be read,",
        "so this execution's violations (if any) were not checked or alerted on.",
        "",
        *_facts(execution, context),
        f"Problem:         {problem}",
        "",
        "If access was denied: add the bucket to the monitoringOutputBuckets context key (and the output KMS key",
        "to monitoringOutputKmsKeyArns) and redeploy. If the file is malformed: check the monitor's container.",
        "",
        *_links(execution, context),
    ]
    return Message(
        subject=f"[ACTION] Model Monitor report unreadable for {target}",
        body="\n".join(lines),
        attributes=_attributes(execution, context, "monitor_report_unreadable", []),
    )


def console_urls(execution: MonitoringExecution, endpoint: str | None) -> dict[str, str]:
    region = execution.region
    base = f"https://{region}.console.aws.amazon.com"
    urls = {
        "schedule": f"{base}/sagemaker/home?region={region}#/monitoring-schedules/{quote(execution.schedule_name)}",
        "job": f"{base}/sagemaker/home?region={region}#/processing-jobs/{quote(execution.job_name)}",
    }
    if endpoint:
        urls["endpoint"] = f"{base}/sagemaker/home?region={region}#/endpoints/{quote(endpoint)}"
    if execution.report_uri:
        bucket, key = split_s3_uri(execution.report_uri)
        urls["report"] = f"https://s3.console.aws.amazon.com/s3/object/{bucket}?region={region}&prefix={quote(key)}"
    return urls


def _target(execution: MonitoringExecution, context: ModelContext) -> str:
    endpoint = context.endpoint or execution.endpoint
    return (
        f"endpoint {endpoint} (schedule {execution.schedule_name})"
        if endpoint
        else f"schedule {execution.schedule_name}"
    )


def _facts(execution: MonitoringExecution, context: ModelContext) -> list[str]:
    ended = execution.ended_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Severity:        {context.severity}"
        + (" (the model card's risk rating)" if context.risk_rating else " (no model card found)"),
        f"Endpoint:        {context.endpoint or execution.endpoint or '(unknown)'}",
        f"Schedule:        {execution.schedule_name}",
        f"Execution:       {execution.job_name} ({execution.status}, ended {ended})",
    ]
    if execution.status == "Completed" and execution.exit_message:  # e.g. unreadable capture records skipped
        lines.append(f"Run summary:     {execution.exit_message}")
    if context.model_package_arn:
        lines.append(f"Model package:   {context.model_package_arn}")
    if context.card_name:
        lines.append(
            f"Model card:      {context.card_name} (owner: {context.owner or 'not stated'}, risk rating: {context.risk_rating or 'Unknown'})"
        )
    return lines


def _links(execution: MonitoringExecution, context: ModelContext, *, report: bool = True) -> list[str]:
    urls = console_urls(execution, context.endpoint or execution.endpoint)
    lines = ["Links"]
    if report and execution.report_uri:
        lines += [f"  Report (S3):   {execution.report_uri}", f"  Report:        {urls['report']}"]
    lines.append(f"  Schedule:      {urls['schedule']}")
    if "endpoint" in urls:
        lines.append(f"  Endpoint:      {urls['endpoint']}")
    lines.append(f"  Job:           {urls['job']}")
    return lines


def _change_note(reason: Reason, previous: ScheduleState | None, count: int) -> str:
    if reason is Reason.CHANGED and previous is not None:
        return f" (the previous execution had {previous.violation_count}, this one {count})"
    return ""


def _changes(previous: ScheduleState | None, violations: list[Violation]) -> list[str]:
    """What appeared and what cleared since the previous execution, when the state holds its whole set."""
    if previous is None or not previous.sample or len(previous.sample) >= SAMPLE_SIZE:
        return []
    before = set(previous.sample)
    now = {v.key for v in violations}
    if len(now) > MAX_PER_CHECK:
        return []
    lines = []
    for label, keys in (("New since the previous execution", now - before), ("No longer violated", before - now)):
        if keys:
            lines += [
                f"{label}:",
                *(f"  + {f} ({c})" if label.startswith("New") else f"  - {f} ({c})" for f, c in sorted(keys)),
            ]
    return lines


def _attributes(
    execution: MonitoringExecution, context: ModelContext, event_type: str, check_types: list[str]
) -> dict[str, str | list[str]]:
    attributes: dict[str, str | list[str]] = {
        "event_type": event_type,
        "severity": context.severity,
        "schedule": execution.schedule_name,
        "endpoint": context.endpoint or execution.endpoint or "",
    }
    if check_types:
        attributes["check_types"] = check_types
    if context.group:
        attributes["model_package_group"] = context.group
    return attributes


def _cut(text: str, limit: int = MAX_DESCRIPTION) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."
