"""Deployment configuration: read once from CDK context (defaults in cdk.json), validated with readable errors."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from model_governance.cards.records import stage_names
from model_governance.monitoring.dq_monitors import DataQualityMonitor, parse_monitors
from model_governance.monitoring.mq_monitors import ModelQualityMonitor, parse_model_quality_monitors
from model_governance.sweep.schedule import schedule_period

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z\-]*:kms:[a-z0-9\-]+:\d{12}:key/[A-Za-z0-9\-]+$")
_SCHEDULE = re.compile(r"^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$")
# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
APPROVAL_GATE_MODES = ("off", "warn", "enforce")
CHAT_TOPICS = ("ops", "notices")
CHAT_SEVERITIES = ("High", "Medium", "Low", "Unknown")  # model_governance.chat.SEVERITIES
# AWS::Chatbot::SlackChannelConfiguration / MicrosoftTeamsChannelConfiguration property patterns.
_CHAT_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_SLACK_WORKSPACE = re.compile(r"^[0-9A-Z]{1,255}$")
_SLACK_CHANNEL = re.compile(r"^[A-Za-z0-9]{1,255}$")
_UUID = re.compile(r"^[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}$")
_TEAMS_CHANNEL = re.compile(r"^[A-Za-z0-9_=+/.,-]*%3[aA][A-Za-z0-9_=+/.,-]*%40[A-Za-z0-9_=+/.,-]*$")


@dataclass(frozen=True)
class ChatChannel:
    """One Slack or Microsoft Teams channel that AWS Chatbot posts the chosen topics' messages to."""

    name: str
    platform: str  # "slack" | "teams"
    channel_id: str
    topics: tuple[str, ...]
    workspace_id: str = ""  # Slack
    team_id: str = ""  # Teams
    tenant_id: str = ""  # Teams


# Model registry stages the approval gate covers when the setting is absent; [] covers none.
DEFAULT_GATED_STAGES = ("Production",)
# S3 Object Lock modes of the evidence bucket: governance can be lifted with s3:BypassGovernanceRetention,
# compliance by nobody (not even the account root) until the retention ends.
EVIDENCE_LOCK_MODES = ("governance", "compliance")
# Who may invoke the functions by hand (the backfill, a replay): IAM users and roles, the account root, or a
# pattern of them (ArnLike: `*` and `?` match within the ARN), e.g. an IAM Identity Center permission set's roles.
# A pattern names at least 4 characters before its first wildcard: `role/*` would exempt every role of the account.
_PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z\-]*:iam::(\d{12}):(root|(user|role)/[\w+=,.@\-/]{4,}[\w+=,.@\-/*?]*)$")


class ConfigError(ValueError):
    """A context value is missing or malformed; the message names the key and what it expects."""


@dataclass(frozen=True)
class GovernanceConfig:
    alert_emails: tuple[str, ...]
    notice_emails: tuple[str, ...]
    log_retention_days: int
    create_card_without_predecessor: bool
    approval_gate: str
    evidence_retention_days: int
    evidence_lock_mode: str
    violation_cooldown_hours: int
    monitoring_output_buckets: tuple[str, ...]
    monitoring_output_kms_key_arns: tuple[str, ...]
    model_card_kms_key_arns: tuple[str, ...]
    sweep_schedule: str
    pending_review_max_days: int
    send_all_clear: bool
    data_quality_monitors: tuple[DataQualityMonitor, ...] = ()
    model_quality_monitors: tuple[ModelQualityMonitor, ...] = ()
    reconcile: bool = True
    reconcile_lookback_hours: int = 72
    chat_channels: tuple[ChatChannel, ...] = ()
    chat_severities: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    security_hub_findings: bool = False
    gated_stages: tuple[str, ...] = DEFAULT_GATED_STAGES
    operator_principal_arns: tuple[str, ...] = ()
    sweep_reserved_concurrency: int = 0
    function_resource_policies: bool = True

    @classmethod
    def from_context(cls, get: Callable[[str], Any]) -> GovernanceConfig:
        """Build from a context getter (``app.node.try_get_context``); raises ConfigError listing every problem."""
        problems: list[str] = []

        def read(key: str, parse: Callable[[Any], Any]) -> Any:
            try:
                return parse(get(key))
            except ConfigError as error:
                problems.append(f"{key}: {error}")
                return None

        config = cls(
            alert_emails=read("alertEmails", _emails),
            notice_emails=read("noticeEmails", _emails),
            log_retention_days=read("logRetentionDays", _one_of(LOG_RETENTION_DAYS)),
            create_card_without_predecessor=read("createCardWithoutPredecessor", _bool),
            approval_gate=read("approvalGate", _one_of(APPROVAL_GATE_MODES)),
            evidence_retention_days=read("evidenceRetentionDays", _int_between(1, 36500)),
            evidence_lock_mode=read("evidenceLockMode", _one_of(EVIDENCE_LOCK_MODES)),
            violation_cooldown_hours=read("violationCooldownHours", _int_between(0, 24 * 30)),
            monitoring_output_buckets=read("monitoringOutputBuckets", _buckets),
            monitoring_output_kms_key_arns=read("monitoringOutputKmsKeyArns", _kms_key_arns),
            model_card_kms_key_arns=read("modelCardKmsKeyArns", _kms_key_arns),
            sweep_schedule=read("sweepSchedule", _schedule),
            pending_review_max_days=read("pendingReviewMaxDays", _int_between(1, 365)),
            send_all_clear=read("sendAllClear", _bool),
            data_quality_monitors=read("dataQualityMonitors", _monitors),
            model_quality_monitors=read("modelQualityMonitors", _model_quality_monitors(get("dataQualityMonitors"))),
            reconcile=read("reconcile", _bool),
            reconcile_lookback_hours=read("reconcileLookbackHours", _int_between(1, 24 * 30)),
            chat_channels=read("chatChannels", _chat_channels),
            chat_severities=read("chatSeverities", _chat_severities),
            security_hub_findings=read("securityHubFindings", _bool),
            gated_stages=read("gatedStages", _stages),
            operator_principal_arns=read("operatorPrincipalArns", _principal_arns),
            sweep_reserved_concurrency=read("sweepReservedConcurrency", _reserved_concurrency),
            function_resource_policies=read("functionResourcePolicies", _bool_default_true),
        )
        if config.reconcile_lookback_hours and config.sweep_schedule:
            # A change must stay in the window for at least one sweep after it settled, or a lost event is missed.
            period = schedule_period(config.sweep_schedule)
            if timedelta(hours=config.reconcile_lookback_hours) < 2 * period:
                problems.append(
                    f"reconcileLookbackHours: {config.reconcile_lookback_hours} h is shorter than two sweep periods "
                    f"({2 * period}): a change could leave the window before a sweep saw it"
                )
        if problems:
            raise ConfigError("invalid configuration (cdk.json context or -c key=value):\n  " + "\n  ".join(problems))
        return config

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> GovernanceConfig:
        return cls.from_context(values.get)


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, str):  # `-c alertEmails=a@x.com,b@y.com` arrives as one string
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple):
        return list(value)
    raise ConfigError(f"expected a list or a comma-separated string, got {value!r}")


def _strings_matching(pattern: re.Pattern[str], what: str) -> Callable[[Any], tuple[str, ...]]:
    """A list setting whose every entry must match ``pattern``; the error names each one that does not."""

    def parse(value: Any) -> tuple[str, ...]:
        entries = _as_list(value)
        bad = [e for e in entries if not isinstance(e, str) or not pattern.match(e)]
        if bad:
            raise ConfigError(f"not {what}: {', '.join(map(repr, bad))}")
        return tuple(dict.fromkeys(entries))

    return parse


_emails = _strings_matching(_EMAIL, "a valid email address")
_buckets = _strings_matching(_BUCKET, "a valid S3 bucket name")
_kms_key_arns = _strings_matching(_KMS_KEY_ARN, "a KMS key ARN")
_principal_arns = _strings_matching(
    _PRINCIPAL_ARN,
    "an IAM user, role or root ARN, or a pattern with at least 4 characters before its first * or ? "
    "(such as arn:aws:iam::123456789012:role/Operators or .../role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Ops_*)",
)


def _reserved_concurrency(value: Any) -> int:
    """0: reserve nothing (the default; effect leases keep runs from acting twice). 1: one run at a time, which
    Lambda accepts only where the account's concurrency quota leaves 100 unreserved (a quota of 102 or more)."""
    if value is None or value == "":
        return 0
    number = _parse_int(value)
    if number not in (0, 1):
        raise ConfigError(
            f"expected 0 (reserve nothing) or 1 (one sweep and one backfill at a time; needs an account "
            f"concurrency quota of at least 102), got {number}"
        )
    return number


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    raise ConfigError(f"expected true or false, got {value!r}")


def _bool_default_true(value: Any) -> bool:
    return True if value is None else _bool(value)


def _parse_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"expected a whole number, got {value!r}")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"expected a whole number, got {value!r}") from None


def _int_between(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        number = _parse_int(value)
        if not low <= number <= high:
            raise ConfigError(f"expected a whole number from {low} to {high}, got {number}")
        return number

    return parse


def _one_of(choices: tuple[Any, ...]) -> Callable[[Any], Any]:
    def parse(value: Any) -> Any:
        candidate = _parse_int(value) if isinstance(choices[0], int) else value
        if candidate not in choices:
            raise ConfigError(f"expected one of {', '.join(map(str, choices))}, got {value!r}")
        return candidate

    return parse


def _monitors(value: Any) -> tuple[DataQualityMonitor, ...]:
    try:
        return parse_monitors(value or [])
    except ValueError as error:
        raise ConfigError(str(error)) from None


def _model_quality_monitors(data_quality: Any) -> Callable[[Any], tuple[ModelQualityMonitor, ...]]:
    """Parsed with the data-quality monitors' names taken: each name is one alert state."""
    names = frozenset(str(m.get("name")) for m in data_quality or [] if isinstance(m, dict))

    def parse(value: Any) -> tuple[ModelQualityMonitor, ...]:
        try:
            return parse_model_quality_monitors(value or [], taken=names)
        except ValueError as error:
            raise ConfigError(str(error)) from None

    return parse


def _stages(value: Any) -> tuple[str, ...]:
    if value is None:
        return DEFAULT_GATED_STAGES
    try:
        return stage_names(_as_list(value))
    except ValueError as error:
        raise ConfigError(str(error)) from None


def _schedule(value: Any) -> str:
    if not isinstance(value, str) or not _SCHEDULE.match(value.strip()):
        raise ConfigError(
            f"expected an EventBridge schedule such as 'rate(1 day)' or 'cron(0 6 * * ? *)', got {value!r}"
        )
    return value.strip()


def _chat_channels(value: Any) -> tuple[ChatChannel, ...]:
    """``[{"name", "platform": "slack", "workspaceId", "channelId", "topics"}, {"platform": "teams", "teamId",
    "tenantId", "channelId", ...}]``: every entry checked, every problem named."""
    value = _json_text(value)
    if value in (None, "", []):
        return ()
    if not isinstance(value, list):
        raise ConfigError(f"expected a list of channels, got {value!r}")
    channels: list[ChatChannel] = []
    problems: list[str] = []
    for index, entry in enumerate(value):
        try:
            channels.append(_chat_channel(entry))
        except ConfigError as error:
            problems.append(f"[{index}] {error}")
    names = [c.name for c in channels]
    problems += [f"channel name {n!r} is used twice" for n in sorted({n for n in names if names.count(n) > 1})]
    if problems:
        raise ConfigError("; ".join(problems))
    return tuple(channels)


def _chat_channel(entry: Any) -> ChatChannel:
    if not isinstance(entry, dict):
        raise ConfigError(f"expected an object, got {entry!r}")
    platform = entry.get("platform")
    allowed = {"name", "platform", "channelId", "topics"} | (
        {"workspaceId"} if platform == "slack" else {"teamId", "tenantId"}
    )
    problems = [f"unknown key {key!r}" for key in sorted(set(entry) - allowed)]
    if platform not in ("slack", "teams"):
        problems.append(f"platform must be slack or teams, got {platform!r}")

    def check(key: str, pattern: re.Pattern[str], what: str) -> str:
        raw = entry.get(key)
        if not isinstance(raw, str) or not pattern.match(raw):
            problems.append(f"{key} must be {what}, got {raw!r}")
            return ""
        return raw

    name = check("name", _CHAT_NAME, "1 to 128 letters, digits, '-' or '_' (the Chatbot configuration name)")
    topics = entry.get("topics")
    if not isinstance(topics, list) or not topics or any(t not in CHAT_TOPICS for t in topics):
        problems.append(f"topics must be a non-empty list of {', '.join(CHAT_TOPICS)}, got {topics!r}")
        topics = []
    if platform == "slack":
        workspace = check("workspaceId", _SLACK_WORKSPACE, "a Slack workspace id such as T0123ABCD")
        channel = check("channelId", _SLACK_CHANNEL, "a Slack channel id such as C0123ABCD (not the #name)")
        team = tenant = ""
    else:
        workspace = ""
        team = check("teamId", _UUID, "the Microsoft Teams team id (a UUID)")
        tenant = check("tenantId", _UUID, "the Microsoft Entra tenant id (a UUID)")
        channel = check(
            "channelId", _TEAMS_CHANNEL, "the URL-encoded Teams channel id, such as 19%3Aabc%40thread.tacv2"
        )
    if problems:
        raise ConfigError(f"{name or entry.get('name')!r}: " + "; ".join(problems))
    return ChatChannel(name, str(platform), channel, tuple(dict.fromkeys(topics)), workspace, team, tenant)


def _chat_severities(value: Any) -> dict[str, tuple[str, ...]]:
    """``{"ops": ["High", "Medium"], "notices": [...]}``: the severities chat receives per topic (all by default)."""
    value = _json_text(value) or {}
    if not isinstance(value, dict):
        raise ConfigError(f"expected an object of topic: [severities], got {value!r}")
    problems = [
        f"unknown topic {topic!r} (expected {', '.join(CHAT_TOPICS)})" for topic in value if topic not in CHAT_TOPICS
    ]
    chosen: dict[str, tuple[str, ...]] = {}
    for topic in CHAT_TOPICS:
        severities = value.get(topic, list(CHAT_SEVERITIES))
        if not isinstance(severities, list) or not severities or any(s not in CHAT_SEVERITIES for s in severities):
            problems.append(f"{topic}: expected a non-empty list of {', '.join(CHAT_SEVERITIES)}, got {severities!r}")
            continue
        chosen[topic] = tuple(dict.fromkeys(severities))
    if problems:
        raise ConfigError("; ".join(problems))
    return chosen


def _json_text(value: Any) -> Any:
    """A structured setting given on the command line (``-c chatChannels='[...]'``) arrives as JSON text."""
    if not isinstance(value, str) or not value.strip():
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        raise ConfigError(f"expected JSON, got {value!r} ({error.msg})") from None
