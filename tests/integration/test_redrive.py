"""`make redrive`: the dead-letter queues listed, and, confirmed, every event handed back to the function that
failed on it and removed from its queue (SQS on moto; CloudFormation and Lambda faked as the stack answers)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from ops import redrive
from ops.cli import run
from tests.integration.test_smoke import REGION, FakeCloudFormation, Session

FUNCTION = "ModelGovernance-CarryForwardFunction"


class FakeLambda:
    def __init__(self, queue_arn: str) -> None:
        self.queue_arn, self.invoked = queue_arn, []

    def get_function_configuration(self, FunctionName: str) -> dict[str, Any]:
        return {"FunctionName": FunctionName, "DeadLetterConfig": {"TargetArn": self.queue_arn}}

    def invoke(self, FunctionName: str, InvocationType: str, Payload: bytes) -> dict[str, Any]:
        self.invoked.append((FunctionName, InvocationType, json.loads(Payload)))
        return {"StatusCode": 202}


@pytest.fixture
def parked(aws: None) -> dict[str, Any]:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="ModelGovernance-CarryForwardDlq")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = [
        {"detail-type": "SageMaker Model Package State Change", "resources": [f"arn:package/churn/{v}"]} for v in (2, 3)
    ]
    for event in events:
        sqs.send_message(
            QueueUrl=url,
            MessageBody=json.dumps(event),
            MessageAttributes={"ErrorMessage": {"DataType": "String", "StringValue": "Task timed out\nafter 60 s"}},
        )
    lambda_client = FakeLambda(arn)
    resources = [("CarryForwardHandlerFunction", FUNCTION, "AWS::Lambda::Function", {})]
    session = Session(cloudformation=FakeCloudFormation(resources), **{"lambda": lambda_client})
    return {"session": session, "lambda": lambda_client, "sqs": sqs, "url": url, "events": events}


def remaining(parked: dict[str, Any]) -> int:
    attributes = parked["sqs"].get_queue_attributes(
        QueueUrl=parked["url"], AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_listed_then_refused_leaves_every_event_in_its_queue(
    parked: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(lambda argv: redrive.main(argv, aws=parked["session"], ask=lambda _: "n"), [])
    out = capsys.readouterr().out
    assert code == 0
    assert "2 failed event(s) in the dead-letter queues:" in out
    assert f"  - {FUNCTION}: SageMaker Model Package State Change arn:package/churn/2" in out
    assert "Task timed out" in out and "Task timed out\nafter" not in out  # one line per event
    assert "Nothing handed back" in out
    assert parked["lambda"].invoked == []
    visible = parked["sqs"].get_queue_attributes(QueueUrl=parked["url"], AttributeNames=["ApproximateNumberOfMessages"])
    assert visible["Attributes"]["ApproximateNumberOfMessages"] == "2"  # released at once, not hidden


def test_confirmed_hands_each_event_back_once_and_empties_the_queue(
    parked: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(lambda argv: redrive.main(argv, aws=parked["session"], ask=lambda _: "y"), [])
    assert code == 0
    assert sorted(payload["resources"][0] for _, _, payload in parked["lambda"].invoked) == [
        "arn:package/churn/2",
        "arn:package/churn/3",
    ]
    assert {(function, kind) for function, kind, _ in parked["lambda"].invoked} == {(FUNCTION, "Event")}
    assert remaining(parked) == 0
    assert "Handed 2 event(s) back" in capsys.readouterr().out
    # a second run finds nothing
    assert run(lambda argv: redrive.main(argv, aws=parked["session"], ask=lambda _: "y"), []) == 0
    assert "empty" in capsys.readouterr().out
    assert len(parked["lambda"].invoked) == 2
