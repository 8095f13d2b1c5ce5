"""Given every email the system sends (plain and with hostile outside values), when it is rendered for chat, then
the chat message holds the same facts and our links, and no outside value becomes a mention, a link, a control
sequence or the end of the code block; one publish carries the email for email and the chat body for Chatbot."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import boto3
import pytest
from moto import mock_aws

from model_governance import text
from model_governance.adapters.notifications import MESSAGE_LIMIT_BYTES, Message, Publisher, per_protocol
from model_governance.chat import DESCRIPTION_LIMIT, FENCE, chat_notification, our_links, severity_of
from tests.unit.test_safe_emails import BUILDERS, HOSTILE, PLAIN

AWS_CONSOLE = re.compile(r"https://(?:[a-z0-9-]+\.)*console\.aws\.amazon\.com/")
MENTIONS = ("<!channel>", "<!here>", "<!everyone>", "<@U0123>", "@channel", "@here", "@everyone")


# The escaping, as a pure function --------------------------------------------------------------------------
@pytest.mark.parametrize("mention", MENTIONS)
def test_no_mention_or_control_sequence_survives(mention):
    shown = text.chat(f"owner {mention} please")
    assert mention not in shown and "<" not in shown and "@" not in shown
    assert "channel" in shown or "here" in shown or "everyone" in shown or "U0123" in shown  # still readable


@pytest.mark.parametrize(
    "link",
    ["<https://evil.example|Open the card>", "[Open the card](https://evil.example)", "https://evil.example/x"],
)
def test_no_outside_link_can_be_clicked(link):
    shown = text.chat(f"see {link}")
    assert "https://" not in shown and "](" not in shown and "|" not in shown and "<" not in shown
    assert "evil.example" in shown  # the reader still sees where it pointed


def test_backticks_cannot_open_or_close_code_and_lines_stay_one():
    shown = text.chat("a ```\nb` *bold* _it_ ~s~ & c\u202e")
    assert "`" not in shown and "\n" not in shown and "\\u202e" in shown
    assert "&" not in shown  # no HTML/Slack entity can be formed either


def test_plain_text_is_left_as_it_is():
    assert (
        text.chat('Model card churn-v3 (owner: "Ana", risk High) v7')
        == 'Model card churn-v3 (owner: "Ana", risk High) v7'
    )


# Every email, rendered for chat ----------------------------------------------------------------------------
def _fenced_lines(description: str) -> list[str]:
    lines = description.split("\n")
    assert lines[0] == FENCE and lines[-1] == FENCE
    return lines[1:-1]


@pytest.mark.parametrize("build", BUILDERS.values(), ids=list(BUILDERS))
def test_the_chat_message_has_the_emails_facts_and_links(build: Callable[[str], Message]):
    message = build(PLAIN)
    chat = chat_notification(message.subject, message.body, message.attributes)
    assert chat["version"] == "1.0" and chat["source"] == "custom"
    content = chat["content"]
    assert content["textType"] == "client-markdown"
    assert content["title"] == text.chat(message.subject, 250)
    links = [url for _, url in our_links(message.body)]
    assert [step.rsplit(" ", 1)[1] for step in content["nextSteps"]] == links[:6]
    facts = [line for line in message.body.splitlines() if line.strip() and not any(line.endswith(u) for u in links)]
    shown = _fenced_lines(content["description"])
    if len(content["description"]) < DESCRIPTION_LIMIT - 200:  # short emails: every fact line, in order
        assert [line.strip() for line in shown if line.strip()] == [text.chat(f.strip(), 1200) for f in facts]
    assert content["keywords"][0] == severity_of(message.attributes)


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda v: repr(v[:40]))
@pytest.mark.parametrize("build", BUILDERS.values(), ids=list(BUILDERS))
def test_no_outside_value_becomes_a_mention_link_or_code_in_chat(build: Callable[[str], Message], hostile: str):
    hostile = hostile + " <!channel> @here ``` [x](https://evil.example) <https://evil.example|go>"
    message = build(hostile)
    chat = chat_notification(message.subject, message.body, message.attributes)
    content = chat["content"]
    for step in content["nextSteps"]:  # only our console links are clickable
        label, url = step.rsplit(" ", 1)
        # An AWS console URL of ours (names in it URL-encoded, so they stay in its path or query), our label.
        assert AWS_CONSOLE.match(url) and not set(url) & set(" \"'<>`|"), step
        assert "evil" not in label.lower(), step
    inside = _fenced_lines(content["description"])
    assert len(content["description"]) <= DESCRIPTION_LIMIT
    for part in [content["title"], *inside]:
        assert "`" not in part and "<" not in part and "@" not in part and "https://" not in part, part
    assert json.dumps(chat["metadata"]).count("evil") == 0  # metadata holds our literals only
    assert all("evil" not in k for k in content["keywords"])


def test_severity_is_the_messages_or_the_cards_risk_else_unknown():
    assert severity_of({"severity": "High"}) == "High"
    assert severity_of({"risk_rating": "Medium"}) == "Medium"
    assert severity_of({"risk_rating": "<!channel>"}) == "Unknown"
    assert severity_of({}) == "Unknown"


# One publish, two renderings ---------------------------------------------------------------------------------
@mock_aws
def test_email_subscribers_get_the_email_and_chatbot_gets_the_chat_message():
    sns, sqs = boto3.client("sns", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")
    topic = sns.create_topic(Name="ops")["TopicArn"]
    queue = sqs.create_queue(QueueName="mail")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)  # stands for email: both take "default"
    message = BUILDERS["review notice"](PLAIN)

    Publisher(sns, topic).publish(message)

    [received] = sqs.receive_message(QueueUrl=queue)["Messages"]
    envelope = json.loads(received["Body"])
    assert envelope["Message"] == message.body
    assert envelope["MessageAttributes"]["severity"]["Value"] == severity_of(message.attributes)
    from moto.sns.models import sns_backends

    [(_, raw, _, _, _)] = sns_backends["123456789012"]["us-east-1"].topics[topic].sent_notifications
    structured = json.loads(raw)
    assert structured["default"] == message.body
    assert json.loads(structured["https"]) == chat_notification(message.subject, message.body, message.attributes)


def test_a_retry_replays_the_same_chat_message_from_the_plan():
    message = BUILDERS["violations"](PLAIN)
    assert per_protocol(Message.from_plan(json.loads(json.dumps(message.as_plan())))) == per_protocol(message)


def test_the_largest_email_and_its_chat_message_fit_one_sns_message_together():
    for hostile in HOSTILE:
        for build in BUILDERS.values():
            message = build(hostile * 3)
            rendered = per_protocol(message)
            assert rendered is not None and len(rendered.encode()) <= MESSAGE_LIMIT_BYTES


def test_an_email_too_large_for_both_keeps_the_chat_message_short():
    body = "\n".join(f'  - "{"é" * 180}"' for _ in range(340))  # about 125 KiB, mostly escaped in JSON
    message = Message(subject="Big", body=body, attributes={"severity": "High"})
    rendered = per_protocol(message)
    assert rendered is not None and len(rendered.encode()) <= MESSAGE_LIMIT_BYTES
    chat = json.loads(json.loads(rendered)["https"])
    assert chat["content"]["title"] == "Big"
