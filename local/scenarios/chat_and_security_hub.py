"""Demo: what the sweep's digest looks like in Slack or Teams (AWS Chatbot), and its findings in Security Hub."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3

from local.scenarios.account_sweep import scheduled_event
from local.world import REGION, LocalWorld
from model_governance import constants


def last_chat_message(topic_arn: str, event_type: str) -> dict[str, Any] | None:
    """The chat body of the last message of ``event_type`` published to the topic, as SNS delivers it to AWS
    Chatbot (the https protocol's body)."""
    from moto.sns.models import sns_backends

    topic = sns_backends["123456789012"][REGION].topics[topic_arn]
    for _, raw, _, attributes, _ in reversed(topic.sent_notifications):
        if (attributes or {}).get("event_type", {}).get("Value") == event_type:
            chat: dict[str, Any] = json.loads(json.loads(raw)["https"])
            return chat
    return None


def run(world: LocalWorld, say: Any) -> None:
    say.heading("Chat and Security Hub: the same sweep in Slack/Teams and as ASFF findings")
    sweep = world.function("account_sweep")
    sweep.environment[constants.ENV_SECURITY_HUB_FINDINGS] = "true"  # as securityHubFindings=true deploys it
    try:
        invocation = sweep.invoke(scheduled_event(datetime.now(UTC)))
    finally:
        sweep.environment.pop(constants.ENV_SECURITY_HUB_FINDINGS)
    if invocation.error:
        raise invocation.error
    world.inbox("AlertsOps")
    ops = sweep.environment[constants.ENV_OPS_TOPIC]
    for event_type, what in (("monitor_violations", "A violations alert"), ("account_sweep_digest", "The digest")):
        chat = last_chat_message(ops, event_type)
        if chat is not None:
            say(f"{what} as AWS Chatbot receives it (one custom notification; Slack and Teams render it):")
            say.block(json.dumps(chat, indent=2, ensure_ascii=False), kind="chat")
    findings = boto3.client("securityhub", region_name=REGION).get_findings()["Findings"]
    active = [f for f in findings if f["RecordState"] == "ACTIVE"]
    say(f"Security Hub: {len(active)} ACTIVE findings of ours; the most serious one:")
    worst = sorted(active, key=lambda f: ["HIGH", "MEDIUM", "LOW"].index(f["Severity"]["Label"]))[0]
    say.block(json.dumps(worst, indent=2), kind="security hub finding")
