"""Publishing notices and alerts to SNS with filterable message attributes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SUBJECT_LIMIT = 100  # SNS rejects longer subjects (email subscriptions show it as the email subject)
MESSAGE_LIMIT_BYTES = 256 * 1024


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
        response = self._client.publish(
            TopicArn=self.topic_arn,
            Subject=fit_subject(message.subject),
            Message=body,
            MessageAttributes=message_attributes(message.attributes),
        )
        return str(response["MessageId"])
