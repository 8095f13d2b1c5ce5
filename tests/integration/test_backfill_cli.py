"""`python -m ops.backfill` against a deployed stack, with CloudFormation and Lambda stubbed (Stubber)."""

import io
import json

import boto3
from botocore.response import StreamingBody
from botocore.stub import Stubber

from ops import backfill

STACK = {"StackName": "ModelGovernance", "CreationTime": "2024-05-06T06:00:00Z", "StackStatus": "CREATE_COMPLETE"}
PLAN = {
    "dry_run": True,
    "remaining": 0,
    "items": [{"action": "churn v3: carry churn-v2 (documents v2) forward as churn-v3"}],
}


def payload(document: dict) -> StreamingBody:
    raw = json.dumps(document).encode()
    return StreamingBody(io.BytesIO(raw), len(raw))


class Session:
    def __init__(self, clients):
        self.clients = clients

    def client(self, service, **_):
        return self.clients[service]


def stubbed(service):
    client = boto3.client(service, region_name="us-east-1")
    return client, Stubber(client)


def test_dry_run_reads_the_function_from_the_stack_and_prints_the_plan(capsys):
    cloudformation, cf_stub = stubbed("cloudformation")
    lambda_client, lambda_stub = stubbed("lambda")
    cf_stub.add_response(
        "describe_stacks",
        {"Stacks": [{**STACK, "Outputs": [{"OutputKey": "BackfillFunctionName", "OutputValue": "backfill-fn"}]}]},
        {"StackName": "ModelGovernance"},
    )
    lambda_stub.add_response(
        "invoke",
        {"StatusCode": 200, "Payload": payload(PLAN)},
        {
            "FunctionName": "backfill-fn",
            "Payload": json.dumps({"mode": "backfill", "dry_run": True, "limit": 200}).encode(),
        },
    )
    with cf_stub, lambda_stub:
        code = backfill.main(
            ["--dry-run"], session=Session({"cloudformation": cloudformation, "lambda": lambda_client})
        )
    assert code == 0
    assert capsys.readouterr().out == (
        "Would backfill 1 version(s):\n  - churn v3: carry churn-v2 (documents v2) forward as churn-v3\n"
    )


def test_apply_calls_again_while_versions_remain_and_fails_when_a_version_failed(capsys):
    lambda_client, stub = stubbed("lambda")
    first = {
        "dry_run": False,
        "remaining": 1,
        "items": [{"group": "a", "version": 2, "outcome": "created", "card_name": "a-v2", "error": None}],
    }
    second = {
        "dry_run": False,
        "remaining": 0,
        "items": [
            {
                "group": "b",
                "version": 1,
                "outcome": "failed",
                "card_name": "b-v1",
                "error": "InvalidCardContentError: x",
            }
        ],
    }
    for result in (first, second):
        stub.add_response("invoke", {"StatusCode": 200, "Payload": payload(result)})
    with stub:
        code = backfill.main(
            ["--apply", "--limit", "1", "--function", "fn"], session=Session({"lambda": lambda_client})
        )
    assert code == 1
    out = capsys.readouterr().out
    assert "  - a v2: created a-v2" in out and "  - b v1: failed b-v1 (InvalidCardContentError: x)" in out
