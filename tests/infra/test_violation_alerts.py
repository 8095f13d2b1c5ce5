"""The violation-alert function in the template: its rule, its alarms, its least-privilege grants."""

import copy
import json

import boto3
import pytest
from aws_cdk.assertions import Match, Template
from moto import mock_aws

from tests.conftest import read_event
from tests.infra.conftest import resources


def rule_pattern(template) -> dict:
    [rule] = [r for k, r in resources(template, "AWS::Events::Rule").items() if k.startswith("ViolationAlerts")]
    return rule["Properties"]["EventPattern"]


def delivered(pattern: dict, event: dict) -> bool:
    """Whether EventBridge (moto's, the way local/world.py routes events) delivers ``event`` for ``pattern``."""
    with mock_aws():
        events, sqs = boto3.client("events", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="probe")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="probe", EventPattern=json.dumps(pattern))
        events.put_targets(Rule="probe", Targets=[{"Id": "q", "Arn": arn}])
        entry = {"Source": event["source"], "DetailType": event["detail-type"], "Detail": json.dumps(event["detail"])}
        events.put_events(Entries=[entry])
        return bool(sqs.receive_message(QueueUrl=url).get("Messages"))


@pytest.mark.parametrize("name", ["processing_job_state_change", "processing_job_failed"])
def test_the_rule_delivers_monitoring_executions_in_a_terminal_status(template, name):
    assert delivered(rule_pattern(template), read_event(name))


def test_the_rule_delivers_a_monitoring_execution_whose_detail_carries_only_name_and_status(template):
    event = read_event("processing_job_state_change")
    event["detail"] = {k: event["detail"][k] for k in ("ProcessingJobName", "ProcessingJobStatus")}
    assert delivered(rule_pattern(template), event)


@pytest.mark.parametrize(
    "change",
    [
        {"detail": {"ProcessingJobStatus": "InProgress"}},
        {"detail": {"ProcessingJobStatus": "Stopping"}},
        {"detail-type": "SageMaker Training Job State Change"},
        {"source": "custom.sagemaker"},
    ],
)
def test_the_rule_rejects_non_terminal_and_unrelated_events(template, change):
    event = copy.deepcopy(read_event("processing_job_state_change"))
    event["detail"].update(change.pop("detail", {}))
    event.update(change)
    assert not delivered(rule_pattern(template), event)


def test_the_rule_filters_by_status_only_so_no_monitor_type_is_lost_by_its_job_name(template):
    # Unconfirmed job naming across monitor types: the handler, not the pattern, tells monitors apart.
    assert "ProcessingJobName" not in json.dumps(rule_pattern(template))
    assert delivered(rule_pattern(template), read_event("processing_job_unrelated"))


@pytest.mark.parametrize("metric", ["MonitorExecutionsWithViolations", "MonitorFailures", "MonitorReportsUnreadable"])
def test_alarms_on_the_monitor_metrics_notify_the_ops_topic(assertions, template, metric):
    ops = next(k for k in resources(template, "AWS::SNS::Topic") if k.startswith("AlertsOpsTopic"))
    assertions.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "ModelGovernance",
            "MetricName": metric,
            "Dimensions": [{"Name": "service", "Value": "model-governance"}],
            "Statistic": "Sum",
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "AlarmActions": [{"Ref": ops}],
        },
    )


def test_the_function_gets_the_cooldown_the_ops_topic_and_the_state_table(assertions):
    assertions.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Environment": {
                "Variables": Match.object_like(
                    {
                        "VIOLATION_COOLDOWN_HOURS": "24",
                        "OPS_TOPIC_ARN": {"Ref": Match.string_like_regexp("^AlertsOpsTopic")},
                        "STATE_TABLE_NAME": {"Ref": Match.string_like_regexp("^StateTable")},
                    }
                )
            }
        },
    )


def policy_of(template) -> list[dict]:
    [policy] = [p for k, p in resources(template, "AWS::IAM::Policy").items() if k.startswith("ViolationAlerts")]
    return policy["Properties"]["PolicyDocument"]["Statement"]


def actions(statement) -> list[str]:
    return statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]


def test_by_default_only_violation_reports_in_the_sagemaker_default_bucket_are_readable(template):
    statements = policy_of(template)
    [get] = [s for s in statements if "s3:GetObject" in actions(s)]
    text = json.dumps(get["Resource"])
    assert ":s3:::sagemaker-" in text and "/*constraint_violations.json" in text
    assert not [s for s in statements if "kms:Decrypt" in actions(s) and "TopicKey" not in json.dumps(s["Resource"])]
    all_actions = {a for s in statements for a in actions(s)}
    assert not [
        a
        for a in all_actions
        if a.startswith("sagemaker:") and not a.startswith(("sagemaker:Describe", "sagemaker:Search"))
    ]
    assert not [a for a in all_actions if a.endswith("*")]


def test_configured_buckets_and_kms_keys_are_granted_and_nothing_else():
    from local.world import synthesize

    key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    template = synthesize({"monitoringOutputBuckets": ["ml-monitoring-out"], "monitoringOutputKmsKeyArns": [key]})
    statements = policy_of(template)

    [get] = [s for s in statements if "s3:GetObject" in actions(s)]
    assert json.dumps(get["Resource"]).count(":s3:::ml-monitoring-out/*constraint_violations.json") == 1
    assert "sagemaker-" not in json.dumps(get["Resource"])
    [decrypt] = [s for s in statements if s["Resource"] == key]
    assert decrypt["Action"] == "kms:Decrypt"
    assert decrypt["Condition"]["StringEquals"]["kms:ViaService"] == {
        "Fn::Join": ["", ["s3.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]
    }
    Template.from_json(template).resource_count_is("AWS::CloudWatch::Dashboard", 1)
