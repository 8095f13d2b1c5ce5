"""`make smoke` against a deployed stack: EventBridge, SNS and CloudWatch on moto, CloudFormation and Lambda faked
with what the deployed stack would answer. Each broken piece makes its own check fail."""

from __future__ import annotations

import io
import json
from typing import Any

import boto3
import pytest

from ops import smoke
from ops.cli import run

REGION = "us-east-1"
ACCOUNT = "123456789012"
FUNCTION = "ModelGovernance-CarryForwardFunction"
SWEEP = "ModelGovernance-AccountSweepFunction"


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def invoke_policy(rule_arns: list[str]) -> dict[str, Any]:
    """The shape of the stack's function resource policy: EventBridge from its rules, everyone else denied."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EventBridgeRulesOfThisStack",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "lambda:InvokeFunction",
                "Resource": function_arn(FUNCTION),
                "Condition": {"ArnEquals": {"aws:SourceArn": rule_arns}},
            },
            {
                "Sid": "OnlyThisStackAndOperatorsInvoke",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "lambda:InvokeFunction",
                "Resource": function_arn(FUNCTION),
                "Condition": {
                    "ArnNotEqualsIfExists": {"aws:SourceArn": rule_arns},
                    "ArnNotLikeIfExists": {"aws:PrincipalArn": [f"arn:aws:iam::{ACCOUNT}:role/operator"]},
                },
            },
        ],
    }


class FakeCloudFormation:
    def __init__(self, resources: list[tuple[str, str, str, dict[str, Any]]]) -> None:
        self.resources = resources
        self.exceptions = boto3.client("cloudformation", region_name=REGION).exceptions

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        return {"Stacks": [{"StackName": StackName, "Outputs": []}]}

    def get_template(self, StackName: str, TemplateStage: str) -> dict[str, Any]:
        body = {"Resources": {logical: {"Type": kind, "Metadata": meta} for logical, _, kind, meta in self.resources}}
        return {"TemplateBody": json.dumps(body)}

    def get_paginator(self, _: str) -> Any:
        summaries = [
            {"LogicalResourceId": logical, "PhysicalResourceId": physical, "ResourceType": kind}
            for logical, physical, kind, _ in self.resources
        ]

        class Pages:
            def paginate(self, **_: Any) -> list[dict[str, Any]]:
                return [{"StackResourceSummaries": summaries}]

        return Pages()


class FakeLambda:
    class exceptions:
        class ResourceNotFoundException(Exception):
            pass

    def __init__(self, policies: dict[str, dict[str, Any]], sweep_payload: dict[str, Any]) -> None:
        self.policies, self.sweep_payload, self.invoked = policies, sweep_payload, []

    def get_policy(self, FunctionName: str) -> dict[str, Any]:
        if FunctionName not in self.policies:
            raise self.exceptions.ResourceNotFoundException(FunctionName)
        return {"Policy": json.dumps(self.policies[FunctionName])}

    def invoke(self, FunctionName: str, Payload: bytes) -> dict[str, Any]:
        self.invoked.append((FunctionName, json.loads(Payload)))
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(self.sweep_payload).encode())}


class Session:
    def __init__(self, **fakes: Any) -> None:
        self.fakes = fakes

    def client(self, service: str, **_: Any) -> Any:
        return self.fakes.get(service) or boto3.client(service, region_name=REGION)


@pytest.fixture
def deployed(aws: None) -> dict[str, Any]:
    """A deployed stack as smoke reads it: one rule to one function, two topics, two alarms, the sweep."""
    events, sns, cloudwatch = (boto3.client(s, region_name=REGION) for s in ("events", "sns", "cloudwatch"))
    rule_arn = events.put_rule(Name="ModelGovernance-Registered", EventPattern='{"source": ["aws.sagemaker"]}')[
        "RuleArn"
    ]
    events.put_targets(Rule="ModelGovernance-Registered", Targets=[{"Id": "f", "Arn": function_arn(FUNCTION)}])
    ops = sns.create_topic(Name="ops")["TopicArn"]
    notices = sns.create_topic(Name="notices")["TopicArn"]
    sns.subscribe(TopicArn=ops, Protocol="email", Endpoint="ops@example.com")
    for name in ("ModelGovernance-Errors", "ModelGovernance-Dlq"):
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            MetricName="Errors",
            Namespace="AWS/Lambda",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            AlarmActions=[ops],
        )
    resources = [
        ("RegisteredRule1", "ModelGovernance-Registered", "AWS::Events::Rule", {}),
        (
            "CarryForwardHandlerFunctionB90D",
            FUNCTION,
            "AWS::Lambda::Function",
            {"ModelGovernance:Handler": "carry_forward"},
        ),
        (
            "AccountSweepHandlerFunction1B7C",
            SWEEP,
            "AWS::Lambda::Function",
            {"ModelGovernance:Handler": "account_sweep"},
        ),
        ("AlertsOpsTopic2C2131ED", ops, "AWS::SNS::Topic", {}),
        ("AlertsNoticesTopic56E1BBF4", notices, "AWS::SNS::Topic", {}),
        ("ErrorsAlarm1", "ModelGovernance-Errors", "AWS::CloudWatch::Alarm", {}),
        ("DlqAlarm1", "ModelGovernance-Dlq", "AWS::CloudWatch::Alarm", {}),
    ]
    lambda_client = FakeLambda(
        {FUNCTION: invoke_policy([rule_arn]), SWEEP: invoke_policy([])},
        {"run_id": "manual-1", "counts": {"model_without_card": 2}, "scanned": {"sagemaker_calls": 14},
         "report_uri": "s3://evidence/sweeps/r.json", "digest_sent": False, "reconciled": []},
    )  # fmt: skip
    session = Session(cloudformation=FakeCloudFormation(resources), **{"lambda": lambda_client})
    return {"session": session, "lambda": lambda_client, "rule_arn": rule_arn, "ops": ops, "events": events}


def smoke_run(deployed: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = run(lambda argv: smoke.main(argv, aws=deployed["session"]), [])
    return code, capsys.readouterr().out.splitlines()


def test_a_working_stack_passes_and_the_sweep_runs_report_only(
    deployed: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines = smoke_run(deployed, capsys)
    assert code == 0, lines
    assert f"PASS  {FUNCTION} invocable by rule ModelGovernance-Registered" in lines
    assert "PASS  every alarm notifies the ops topic: 2 alarms" in lines
    assert any(line.startswith("PASS  report-only sweep: 2 findings, 14 SageMaker calls") for line in lines)
    assert deployed["lambda"].invoked == [(SWEEP, {"mode": "report-only"})]
    assert lines[-1].endswith("0 failed: the stack is working")


def test_a_disabled_rule_fails(deployed: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    deployed["events"].disable_rule(Name="ModelGovernance-Registered")
    code, lines = smoke_run(deployed, capsys)
    assert code == 1
    assert "FAIL  rule ModelGovernance-Registered enabled: DISABLED" in lines


def test_a_function_its_rule_may_not_invoke_fails(deployed: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    other_rule = deployed["rule_arn"].replace("Registered", "SomethingElse")
    deployed["lambda"].policies[FUNCTION] = invoke_policy([other_rule])
    code, lines = smoke_run(deployed, capsys)
    assert code == 1
    assert (
        f"FAIL  {FUNCTION} invocable by rule ModelGovernance-Registered: denied by OnlyThisStackAndOperatorsInvoke"
        in lines
    )


def test_an_alarm_that_notifies_nobody_fails(deployed: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    boto3.client("cloudwatch", region_name=REGION).put_metric_alarm(
        AlarmName="ModelGovernance-Dlq", MetricName="Errors", Namespace="AWS/Lambda", Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold", AlarmActions=[],
    )  # fmt: skip
    code, lines = smoke_run(deployed, capsys)
    assert code == 1
    assert "FAIL  every alarm notifies the ops topic: 2 alarms; not notifying ops: ModelGovernance-Dlq" in lines


def test_subscriptions_pending_and_missing() -> None:
    pending = [smoke.Subscription("email", "ops@example.com", "PendingConfirmation")]
    lines = [c.line() for c in smoke.topic_checks(pending, [])]
    assert lines == [
        "FAIL  ops topic subscriptions confirmed: waiting for ops@example.com to click the link in the AWS "
        "Notification email",
        "WARN  notices topic reaches someone: nobody receives notices",
    ]
    [nobody] = smoke.topic_checks([], None)
    assert nobody.line() == "FAIL  ops topic reaches someone: nobody receives alarms and alerts: set alertEmails"


def test_the_synthesized_policy_lets_each_rule_invoke_its_function_and_nothing_else(template: dict[str, Any]) -> None:
    """Run against the stack's own synthesized resource policies (the form Lambda returns from GetPolicy)."""
    policies = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::ResourcePolicy"]
    if not policies:
        pytest.skip("this template has no function resource policies")
    rules = {k: r for k, r in template["Resources"].items() if r["Type"] == "AWS::Events::Rule"}
    for policy in policies:
        document = policy["Properties"]["PolicyDocument"]
        allows = [s for s in document["Statement"] if s["Effect"] == "Allow"]
        if not allows:  # a function no rule invokes (the backfill): EventBridge may not invoke it at all
            target = policy["Properties"]["ResourceArn"]
            assert not [r for r in rules.values() if any(t["Arn"] == target for t in r["Properties"]["Targets"])]
            assert smoke.invocable_by(document, "arn:rule/SomeoneElses") != ""
            continue
        [allow] = allows
        sources = allow["Condition"]["ArnEquals"]["aws:SourceArn"]
        for source in sources if isinstance(sources, list) else [sources]:
            rule = source["Fn::GetAtt"][0]
            assert rule in rules
            resolved = json.loads(json.dumps(document).replace(json.dumps(source), json.dumps(f"arn:rule/{rule}")))
            assert smoke.invocable_by(resolved, f"arn:rule/{rule}") == ""
            assert smoke.invocable_by(resolved, "arn:rule/SomeoneElses") != ""
