"""What a deployment will do that matters, in a few lines a person reads at synth: a pure function of the config."""

from __future__ import annotations

from infra.config import CHAT_SEVERITIES, GovernanceConfig

_GATE = {
    "off": "off (no gate is deployed)",
    "warn": "warn: ops and the card's owner are told when a version is approved or promoted without an approved card",
    "enforce": "enforce: an approval or promotion without an approved card is reverted, and ops and the owner told",
}


def _people(emails: tuple[str, ...], chat: list[str]) -> str:
    receivers = [*emails, *(f"chat {name}" for name in chat)]
    return ", ".join(receivers) if receivers else "nobody"


def _duration(days: int) -> str:
    years, rest = divmod(days, 365)
    if days >= 365 and rest <= 2:  # 2557 days is 7 years with their leap days
        return f"{days} days (about {years} year{'s' if years > 1 else ''})"
    return f"{days} day{'s' if days > 1 else ''}"


def alarm_receivers(config: GovernanceConfig) -> list[str]:
    """Who receives the CloudWatch alarms: the ops emails, and chat channels on the ops topic without a severity
    filter (alarm notifications carry no attributes, so a filtered subscription never matches them)."""
    unfiltered = tuple(config.chat_severities.get("ops", CHAT_SEVERITIES)) == CHAT_SEVERITIES
    chat = [c.name for c in config.chat_channels if "ops" in c.topics and unfiltered]
    return [*config.alert_emails, *(f"chat {name}" for name in chat)]


def deployment_summary(config: GovernanceConfig) -> list[str]:
    """Lines for stderr: who is alerted, the gate, evidence retention, monitors, chat, Security Hub; then warnings."""
    ops_chat = [c.name for c in config.chat_channels if "ops" in c.topics]
    notice_chat = [c.name for c in config.chat_channels if "notices" in c.topics]
    lines = [
        "This deployment:",
        f"  ops alerts (alarms, monitor alerts, sweep digests) go to: {_people(config.alert_emails, ops_chat)}",
        f"  notices (model owners, reviewers) go to: {_people(config.notice_emails, notice_chat)}",
        f"  approval gate: {_GATE[config.approval_gate]}"
        + (f"; gated stages: {', '.join(config.gated_stages) or 'none'}" if config.approval_gate != "off" else ""),
        f"  evidence: locked {_duration(config.evidence_retention_days)} in {config.evidence_lock_mode} mode; "
        "`cdk destroy` leaves the bucket",
        f"  account sweep: {config.sweep_schedule}, "
        + (
            f"replays lost events of the last {config.reconcile_lookback_hours} h"
            if config.reconcile
            else "lists lost events"
        ),
        "  Model Monitor reports read from: "
        + (", ".join(config.monitoring_output_buckets) or "the SageMaker default bucket sagemaker-<region>-<account>"),
        "  data-quality monitors: "
        + (", ".join(f"{m.name} ({m.endpoint}, {m.schedule})" for m in config.data_quality_monitors) or "none"),
        "  model-quality monitors: "
        + (
            ", ".join(f"{m.name} ({m.endpoint}, {m.problem_type}, {m.schedule})" for m in config.model_quality_monitors)
            or "none"
        ),
        "  chat: "
        + (", ".join(f"{c.name} ({c.platform}: {', '.join(c.topics)})" for c in config.chat_channels) or "none"),
        f"  Security Hub findings: {'imported by each sweep' if config.security_hub_findings else 'off'}",
        "  functions invoked by hand (backfill, replays) by: "
        + (", ".join(config.operator_principal_arns) or "nobody (set operatorPrincipalArns to allow it)"),
    ]
    if not alarm_receivers(config):
        reason = (
            "the ops chat channels filter severities, which alarm notifications do not carry"
            if ops_chat
            else "alertEmails is empty"
        )
        lines.append(
            f"warning: nobody receives the stack's alarms ({reason}). "
            "Set -c alertEmails=you@example.com before deploying."
        )
    if not config.function_resource_policies:
        lines.append(
            "warning: functionResourcePolicies is false: any principal of the account whose identity policy allows "
            "lambda:InvokeFunction can invoke the functions with any event."
        )
    if config.sweep_reserved_concurrency:
        lines.append(
            "note: the sweep and the backfill reserve 1 concurrency each: the account's Lambda concurrency quota "
            "must be at least 102 (aws lambda get-account-settings)."
        )
    if config.evidence_lock_mode == "compliance":
        lines.append(
            f"warning: compliance mode: nobody, not even the account root, can delete evidence for "
            f"{_duration(config.evidence_retention_days)}, and the bucket outlives the stack."
        )
    elif config.evidence_retention_days > 30:
        lines.append(
            f"note: evidence stays locked for {_duration(config.evidence_retention_days)} after the stack is gone; "
            "for a trial use -c evidenceRetentionDays=1."
        )
    return lines
