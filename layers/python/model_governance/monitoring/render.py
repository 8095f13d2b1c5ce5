"""The emails ops receive about Model Monitor executions: plain text, grouped, cut to a readable size.

Subjects keep the count and the endpoint in front, so SNS's 100-character cut (fit_subject) loses the least
useful part. Attributes let subscribers filter (``severity``, ``endpoint``, ``schedule``, ``check_types``).
Everything read from the report, the job or the model card goes through model_governance.text (one line,
escaped, capped), and every list has a cap, so any report fits SNS's 256 KB.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import UTC

from model_governance.adapters.notifications import Message
from model_governance.monitoring.dedup import SAMPLE_SIZE, Reason, ScheduleState
from model_governance.monitoring.execution import MonitoringExecution, split_s3_uri
from model_governance.monitoring.report import Violation, by_check_type, check_bucket
from model_governance.text import SUBJECT_NAME_LIMIT, name, url_part, value

MAX_LISTED = 200  # violations listed in one email, over all check types
MAX_PER_CHECK = 50  # per check type, so one noisy check cannot hide the others
MAX_CHECK_TYPES = 50  # check types listed (and sent as the check_types attribute); a count says how many more
MAX_DESCRIPTION = 300  # characters of one rendered description
MAX_FEATURE = 120  # characters of one rendered feature name
MAX_CHECK_TYPE = 80  # characters of one rendered check type
MAX_REASON = 600  # a failure reason, exit message or read problem
S3_KEY_LIMIT = 1024  # S3 keys have at most 1,024 bytes
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
    head = [
        f"Model Monitor found {count} violation{'s' if count != 1 else ''} on {target}.",
        f"Why this email: {reason.value}" + ("" if changes else _change_note(reason, previous, count)) + ".",
        "",
        *_facts(execution, context),
        "",
    ]
    tail = ["", *_links(execution, context)]
    body = ""
    # Shrink until the body fits: first the violations listed, then the check types, then the change list.
    # Only extreme reports (wide non-ASCII text, thousands of check types) need more than the first pass.
    for most, types, with_changes in _shrinking():
        listed = [*changes, ""] if changes and with_changes else []
        listing = ["Violations by check type", "========================", *_listing(groups, count, most, types)]
        body = "\n".join([*head, *listed, *listing, *tail])
        if len(body.encode()) <= BODY_BUDGET_BYTES:
            break
    subject_target = _target(execution, context, limit=SUBJECT_NAME_LIMIT)
    return Message(
        subject=f"[{context.severity}] {count} Model Monitor violation{'s' if count != 1 else ''} on {subject_target}",
        body=body,
        attributes=_attributes(execution, context, "monitor_violations", _attribute_check_types(groups)),
    )


def _shrinking() -> list[tuple[int, int, bool]]:
    """(violations listed, check types listed, change list shown), largest first, down to the bare minimum."""
    steps = []
    most = MAX_LISTED
    while most:
        steps.append((most, MAX_CHECK_TYPES, True))
        most //= 2
    types = MAX_CHECK_TYPES
    while types:
        steps.append((0, types, True))
        types //= 2
    return [*steps, (0, 0, False)]


def _listing(groups: dict[str, list[Violation]], count: int, most: int, types: int) -> list[str]:
    lines: list[str] = []
    listed = 0
    for check, items in list(groups.items())[:types]:
        room = max(0, min(MAX_PER_CHECK, most - listed))
        shown = name(check, MAX_CHECK_TYPE)
        lines += ["", f"{shown} ({len(items)})"]
        for violation in items[:room]:
            description = value(violation.description, MAX_DESCRIPTION) if violation.description else "(no description)"
            lines.append(f"  - {name(violation.feature, MAX_FEATURE)}: {description}")
        listed += min(room, len(items))
        if len(items) > room:
            lines.append(f"  ... and {len(items) - room} more {shown} violations, not listed")
    if len(groups) > types:
        hidden = list(groups.values())[types:]
        lines += [
            "",
            f"... and {len(hidden)} more check types ({sum(len(items) for items in hidden)} violations), not listed",
        ]
    if listed < count:
        lines += ["", f"{count - listed} of {count} violations are not listed here; the full report is linked below."]
    return lines


def _attribute_check_types(groups: dict[str, list[Violation]]) -> list[str]:
    """The check types subscribers may filter on: the known ones reported, and "other" for any other."""
    return sorted({check_bucket(check) for check in groups})


def resolved_alert(execution: MonitoringExecution, context: ModelContext, previous: ScheduleState | None) -> Message:
    target = _target(execution, context)
    lines = [f"Model Monitor found no violations on {target}: the earlier violations are resolved.", ""]
    lines += _facts(execution, context)
    if previous is not None and previous.check_counts:
        checks = sorted(previous.check_counts.items())
        lines += ["", f"Violated before ({sum(previous.check_counts.values())} violations):"]
        lines += [f"  - {name(check, MAX_CHECK_TYPE)}: {n}" for check, n in checks[:MAX_CHECK_TYPES]]
        if len(checks) > MAX_CHECK_TYPES:
            lines.append(f"  ... and {len(checks) - MAX_CHECK_TYPES} more check types")
        shown = ", ".join(
            f"{name(feature, MAX_FEATURE)} ({name(check, MAX_CHECK_TYPE)})" for feature, check in previous.sample[:20]
        )
        if shown:
            lines.append(f"  e.g. {shown}")
    lines += ["", *_links(execution, context)]
    return Message(
        subject=f"[RESOLVED] Model Monitor violations cleared on {_target(execution, context, limit=SUBJECT_NAME_LIMIT)}",
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
        f"Failure reason:  {_given(execution.failure_reason)}",
        f"Exit message:    {_given(execution.exit_message)}",
        "",
        "Runbook: read the job's CloudWatch logs (/aws/sagemaker/ProcessingJobs, stream prefix = job name);",
        "common causes are no captured data for the period, a baseline that no longer matches the data,",
        "and a monitoring role that may not read the capture or baseline locations.",
        "",
        *_links(execution, context, report=False),
    ]
    return Message(
        subject=f"[{name(execution.status.upper(), SUBJECT_NAME_LIMIT)}] Model Monitor run on "
        f"{_target(execution, context, limit=SUBJECT_NAME_LIMIT)}",
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
        f"Problem:         {value(problem, MAX_REASON)}",
        "",
        "If access was denied: add the bucket to the monitoringOutputBuckets context key (and the output KMS key",
        "to monitoringOutputKmsKeyArns) and redeploy. If the file is malformed: check the monitor's container.",
        "",
        *_links(execution, context),
    ]
    return Message(
        subject=f"[ACTION] Model Monitor report unreadable for {_target(execution, context, limit=SUBJECT_NAME_LIMIT)}",
        body="\n".join(lines),
        attributes=_attributes(execution, context, "monitor_report_unreadable", []),
    )


def found_late(message: Message, run_id: str) -> Message:
    """``message`` as the sweep's replay sends it: its event never reached us, so it comes late and its first line
    says so (the subject stays the same: the alert's identity for people's mail filters, within 100 characters)."""
    note = (
        f"Found late: the event for this execution never reached the alert workflow; the account sweep "
        f"(run {value(run_id)}) found the execution and sent this alert now."
    )
    return replace(message, body=f"{note}\n\n{message.body}")


def console_urls(execution: MonitoringExecution, endpoint: str | None) -> dict[str, str]:
    """Console links; every name in them is URL-encoded, so none can end the path or add a query."""
    region = execution.region
    base = f"https://{region}.console.aws.amazon.com/sagemaker/home?region={region}#"
    urls = {
        "schedule": f"{base}/monitoring-schedules/{url_part(execution.schedule_name)}",
        "job": f"{base}/processing-jobs/{url_part(execution.job_name)}",
    }
    if endpoint:
        urls["endpoint"] = f"{base}/endpoints/{url_part(endpoint)}"
    if execution.report_uri:
        bucket, key = split_s3_uri(execution.report_uri)
        urls["report"] = (
            f"https://s3.console.aws.amazon.com/s3/object/{url_part(bucket)}?region={region}&prefix={url_part(key, safe='/', limit=S3_KEY_LIMIT)}"
        )
    return urls


def _target(execution: MonitoringExecution, context: ModelContext, *, limit: int = MAX_FEATURE) -> str:
    endpoint = context.endpoint or execution.endpoint
    schedule = name(execution.schedule_name, limit)
    return f"endpoint {name(endpoint, limit)} (schedule {schedule})" if endpoint else f"schedule {schedule}"


def _facts(execution: MonitoringExecution, context: ModelContext) -> list[str]:
    ended = execution.ended_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    endpoint = context.endpoint or execution.endpoint
    lines = [
        f"Severity:        {context.severity}"
        + (" (the model card's risk rating)" if context.risk_rating else " (no model card found)"),
        f"Endpoint:        {name(endpoint) if endpoint else '(unknown)'}",
        f"Schedule:        {name(execution.schedule_name)}",
        f"Execution:       {name(execution.job_name)} ({name(execution.status)}, ended {ended})",
    ]
    if execution.status == "Completed" and execution.exit_message:  # e.g. unreadable capture records skipped
        lines.append(f"Run summary:     {execution.exit_message}")
    if context.model_package_arn:
        lines.append(f"Model package:   {name(context.model_package_arn)}")
    if context.card_name:
        owner = value(context.owner) if context.owner else "not stated"
        rating = name(context.risk_rating) if context.risk_rating else "Unknown"
        lines.append(f"Model card:      {name(context.card_name)} (owner: {owner}, risk rating: {rating})")
    return lines


def _given(text: str | None) -> str:
    return value(text, MAX_REASON) if text else "(none given)"


def _links(execution: MonitoringExecution, context: ModelContext, *, report: bool = True) -> list[str]:
    urls = console_urls(execution, context.endpoint or execution.endpoint)
    lines = ["Links"]
    if report and execution.report_uri:
        lines += [f"  Report (S3):   {value(execution.report_uri, 1100)}", f"  Report:        {urls['report']}"]
        if execution.html_report_uri:  # charts of each drifting feature, readable offline once downloaded
            lines.append(f"  Charts (HTML): {value(execution.html_report_uri, 1100)}")
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
                *(f"  {'+' if label.startswith('New') else '-'} {_pair(f, c)}" for f, c in sorted(keys)),
            ]
    return lines


def _pair(feature: str, check: str) -> str:
    return f"{name(feature, MAX_FEATURE)} ({name(check, MAX_CHECK_TYPE)})"


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
