"""The synthesized template: safety nets, encryption, least privilege, cdk-nag, and the carry-forward rule."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from aws_cdk.assertions import Match
from moto import mock_aws

from tests.conftest import read_event
from tests.infra.conftest import resources


def test_cdk_nag_finds_nothing_unacknowledged_and_every_acknowledgment_has_a_reason(nag_report):
    [report] = [r for r in nag_report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    assert report["conclusion"] == "success"
    assert report["violations"] == []
    for suppressed in report.get("suppressedViolations", []):
        assert len(suppressed["reason"].split()) >= 5, suppressed


def test_the_stack_is_environment_agnostic(template):
    text = json.dumps(template)
    assert "123456789012" not in text and "us-east-1" not in text


def test_every_function_has_a_dead_letter_queue_retries_and_a_max_event_age(template):
    functions = resources(template, "AWS::Lambda::Function")
    assert functions
    configs = resources(template, "AWS::Lambda::EventInvokeConfig")
    for logical_id, function in functions.items():
        props = function["Properties"]
        assert "DeadLetterConfig" in props, logical_id
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert props["LoggingConfig"]["LogFormat"] == "JSON"
        [config] = [c for c in configs.values() if c["Properties"]["FunctionName"] == {"Ref": logical_id}]
        assert config["Properties"]["MaximumRetryAttempts"] == 2
        assert config["Properties"]["MaximumEventAgeInSeconds"] == 6 * 3600


def test_every_rule_target_has_a_dlq_a_retry_policy_and_a_max_age(template):
    rules = resources(template, "AWS::Events::Rule")
    assert rules
    for logical_id, rule in rules.items():
        for target in rule["Properties"]["Targets"]:
            assert "DeadLetterConfig" in target, logical_id
            assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
            assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 24 * 3600


def test_every_alarm_notifies_the_ops_topic(template):
    alarms = resources(template, "AWS::CloudWatch::Alarm")
    ops_topic = next(k for k in resources(template, "AWS::SNS::Topic") if k.startswith("AlertsOpsTopic"))
    assert len(alarms) >= 4
    for logical_id, alarm in alarms.items():
        assert alarm["Properties"].get("AlarmActions") == [{"Ref": ops_topic}], logical_id


def test_each_function_is_watched_for_errors_and_dead_letters(template):
    alarms = resources(template, "AWS::CloudWatch::Alarm").values()
    metrics = {(a["Properties"].get("Namespace"), a["Properties"].get("MetricName")) for a in alarms}
    for expected in [
        ("AWS/Lambda", "Errors"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ("AWS/Events", "FailedInvocations"),
    ]:
        assert expected in metrics


def test_topics_are_encrypted_and_refuse_plain_http(assertions, template):
    for logical_id, topic in resources(template, "AWS::SNS::Topic").items():
        assert "KmsMasterKeyId" in topic["Properties"], logical_id
    assertions.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                )
            }
        },
    )
    assertions.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


def test_queues_are_encrypted(template):
    for logical_id, queue in resources(template, "AWS::SQS::Queue").items():
        assert queue["Properties"].get("SqsManagedSseEnabled") or queue["Properties"].get("KmsMasterKeyId"), logical_id


def test_state_table_is_on_demand_recoverable_and_encrypted(assertions):
    assertions.has_resource_properties(
        "AWS::DynamoDB::GlobalTable",
        {
            "BillingMode": "PAY_PER_REQUEST",
            "SSESpecification": Match.object_like({"SSEEnabled": True}),
            "Replicas": [Match.object_like({"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}})],
            "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
        },
    )


def test_log_groups_keep_logs_for_the_configured_retention(template):
    groups = resources(template, "AWS::Logs::LogGroup")
    assert groups and all(g["Properties"]["RetentionInDays"] == 90 for g in groups.values())


def _statements(template: dict[str, Any], role_prefix: str) -> list[dict[str, Any]]:
    statements = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        roles = [r["Ref"] for r in policy["Properties"]["Roles"]]
        if any(r.startswith(role_prefix) for r in roles):
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def test_carry_forward_may_only_do_what_it_needs(template):
    statements = _statements(template, "CarryForwardHandlerRole")
    actions = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert {a for a in actions if a.startswith("sagemaker:")} == {
        "sagemaker:DescribeModelPackage",
        "sagemaker:UpdateModelPackage",
        "sagemaker:DescribeModelCard",
        "sagemaker:CreateModelCard",
        "sagemaker:Search",
    }
    assert not any(a.endswith("*") or a == "*" for a in actions if not a.startswith("xray:"))
    assert "dynamodb:Scan" not in actions and "sns:Publish" in actions
    for statement in statements:
        if any(str(a).startswith("sagemaker:") and a != "sagemaker:Search" for a in statement["Action"]):
            assert statement["Resource"] != "*"


def _carry_forward_pattern(template: dict[str, Any]) -> dict[str, Any]:
    [rule] = [r for k, r in resources(template, "AWS::Events::Rule").items() if k.startswith("CarryForward")]
    return rule["Properties"]["EventPattern"]


def _delivered(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """Whether EventBridge (moto's implementation of its matching) delivers ``event`` for ``pattern``."""
    with mock_aws():
        events, sqs = boto3.client("events", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="probe")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="probe", EventPattern=json.dumps(pattern))
        events.put_targets(Rule="probe", Targets=[{"Id": "probe", "Arn": arn}])
        events.put_events(
            Entries=[
                {"Source": event["source"], "DetailType": event["detail-type"], "Detail": json.dumps(event["detail"])}
            ]
        )
        return bool(sqs.receive_message(QueueUrl=url).get("Messages"))


def test_carry_forward_rule_matches_the_documented_model_package_event(template):
    assert _delivered(_carry_forward_pattern(template), read_event("model_package_state_change"))


@pytest.mark.parametrize(
    "change",
    [
        {"detail": {"ModelPackageStatus": "InProgress"}},
        {"detail": {"ModelPackageStatus": "Failed"}},
        {"detail-type": "SageMaker Model Card State Change"},
        {"source": "custom.sagemaker"},
        {"drop": "ModelPackageVersion"},
    ],
)
def test_carry_forward_rule_ignores_unrelated_events(template, change):
    event = read_event("model_package_state_change")
    if "drop" in change:
        del event["detail"][change["drop"]]
    else:
        event["detail"].update(change.get("detail", {}))
        event.update({k: v for k, v in change.items() if k != "detail"})
    assert not _delivered(_carry_forward_pattern(template), event)


def test_functions_share_one_powertools_contract(template):
    for logical_id, function in resources(template, "AWS::Lambda::Function").items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["POWERTOOLS_SERVICE_NAME"] == "model-governance", logical_id
        assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "ModelGovernance", logical_id
