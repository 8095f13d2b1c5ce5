"""Publishing notices and alerts to SNS with filterable message attributes: email text, and chat for AWS Chatbot.

One publish carries both renderings (``MessageStructure="json"``): SNS sends the ``https`` body to HTTPS
subscriptions (AWS Chatbot's, https://global.sns-api.chatbot.amazonaws.com) and ``default`` to every other
protocol (email, SQS). The chat body is derived from the email at publish time (model_governance/chat.py), so a
retried effect, which replays the planned Message, sends the same chat message too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from model_governance.chat import chat_notification, severity_of

SUBJECT_LIMIT = 100  # SNS rejects longer subjects (email subscriptions show it as the email subject)
MESSAGE_LIMIT_BYTES = 256 * 1024  # the whole Message: with MessageStructure json, every protocol's body counts
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    attributes: Mapping[str, str | list[str]] = field(default_factory=dict)

    def as_plan(self) -> dict[str, Any]:
        """The message as an effect's plan (JSON), so a retry sends exactly what the first attempt decided."""
        return {"subject": self.subject, "body": self.body, "attributes": dict(self.attributes)}

    @classmethod
    def from_plan(cls, plan: Mapping[str, Any]) -> Message:
        return cls(subject=str(plan["subject"]), body=str(plan["body"]), attributes=dict(plan.get("attributes") or {}))


def fit_subject(subject: str) -> str:
    """SNS subjects: at most 100 characters, printable ASCII, no line breaks; cut with an ellipsis."""
    clean = " ".join(subject.split())
    clean = clean.encode("ascii", "replace").decode("ascii")
    return clean if len(clean) <= SUBJECT_LIMIT else clean[: SUBJECT_LIMIT - 3].rstrip() + "..."


def message_attributes(attributes: Mapping[str, str | list[str]]) -> dict[str, dict[str, Any]]:
    rendered: dict[str, dict[str, Any]] = {}
    for name, value in attributes.items():
        if isinstance(value, list):
            rendered[name] = {"DataType": "String.Array", "StringValue": json.dumps(value)}
        elif value:
            rendered[name] = {"DataType": "String", "StringValue": value}
    return rendered


class Publisher:
    def __init__(self, client: Any, topic_arn: str) -> None:
        self._client = client
        self.topic_arn = topic_arn

    def publish(self, message: Message) -> str:
        body = message.body
        if len(body.encode()) > MESSAGE_LIMIT_BYTES:
            raise ValueError(f"message is {len(body.encode())} bytes; SNS accepts at most {MESSAGE_LIMIT_BYTES}")
        attributes = {**message.attributes, "severity": severity_of(message.attributes)}
        request: dict[str, Any] = {
            "TopicArn": self.topic_arn,
            "Subject": fit_subject(message.subject),
            "MessageAttributes": message_attributes(attributes),
        }
        structured = per_protocol(message)
        if structured is None:
            _log.warning("chat rendering left out: the message is too large for both bodies")
            request["Message"] = body
        else:
            request.update(Message=structured, MessageStructure="json")
        response = self._client.publish(**request)
        return str(response["MessageId"])


def per_protocol(message: Message) -> str | None:
    """The JSON Message of one publish: the email text as ``default``, the chat notification as ``https``.

    SNS's 256 KB limit counts both bodies and their JSON escaping: when the full chat message does not fit
    beside an email near its budget, the chat message says only what happened and points at the email; None
    when even that does not fit (the email is then published alone)."""
    for facts in (True, False):
        chat = chat_notification(message.subject, message.body, message.attributes, facts=facts)
        document = {"default": message.body, "https": json.dumps(chat, ensure_ascii=False)}
        rendered = json.dumps(document, ensure_ascii=False)
        if len(rendered.encode()) <= MESSAGE_LIMIT_BYTES:
            return rendered
    return None
