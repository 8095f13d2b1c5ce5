"""Violation alerts end to end: SageMaker's event -> the synthesized rule -> the real handler on moto.

moto has no monitoring APIs and creates every processing job Completed; local/moto_monitoring.py emulates the
schedule and overlays what DescribeProcessingJob returns for a monitoring execution (the `world` fixture).
"""

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from local.moto_monitoring import add_schedule, execution_event, run_execution, write_report
from model_governance.adapters.ledger import Ledger
from model_governance.adapters.state import from_item
from model_governance.cards.trust import CARD_METADATA_KEY
from tests.conftest import read_event

REGION = "us-east-1"
ACCOUNT = "123456789012"
BUCKET = f"sagemaker-{REGION}-{ACCOUNT}"  # readable by default (monitoringOutputBuckets is empty in cdk.json)
SCHEDULE = "churn-data-quality"
ENDPOINT = "churn-endpoint"
T0 = datetime(2026, 11, 21, 13, tzinfo=UTC)
SEED = read_event("constraint_violations_seed")["violations"]  # the seed article's three violations
BARE = ("ProcessingJobName", "ProcessingJobStatus")  # the least an event may carry


class Monitor:
    """An endpoint serving a model package version with a High-risk card, watched by an hourly schedule."""

    def __init__(self, world) -> None:
        self.world = world
        self.sm = boto3.client("sagemaker", region_name=REGION)
        self.s3 = boto3.client("s3", region_name=REGION)
        self.s3.create_bucket(Bucket=BUCKET)
        self.sm.create_model_package_group(ModelPackageGroupName="telco-churn")
        package = self.sm.create_model_package(
            ModelPackageGroupName="telco-churn",
            InferenceSpecification={
                "Containers": [{"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/xgb:1.7"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
        )["ModelPackageArn"]
        card = {
            "model_overview": {"model_owner": "Retention ML team"},
            "intended_uses": {"risk_rating": "High"},
            "model_package_details": {"model_package_arn": package, "model_package_group_name": "telco-churn"},
        }
        self.sm.create_model_card(ModelCardName="telco-churn-v1", Content=json.dumps(card), ModelCardStatus="Approved")
        self.sm.update_model_package(
            ModelPackageArn=package, CustomerMetadataProperties={CARD_METADATA_KEY: "telco-churn-v1"}
        )
        self.sm.create_model(
            ModelName="churn-v1",
            ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/sm",
            Containers=[{"ModelPackageName": package}],
        )
        self.sm.create_endpoint_config(
            EndpointConfigName="churn-v1",
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "churn-v1",
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 1,
                }
            ],
        )
        self.sm.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="churn-v1")
        add_schedule(SCHEDULE, endpoint=ENDPOINT, output_s3_uri=f"s3://{BUCKET}/monitoring")

    def execution(self, hour: int, violations=None, *, status="Completed", report: bytes | None = None, **kw) -> dict:
        description = run_execution(
            self.sm, SCHEDULE, at=T0 + timedelta(hours=hour), status=status, violations=len(violations or []), **kw
        )
        if violations is not None or report is not None:
            write_report(description, report if report is not None else json.dumps({"violations": violations}).encode())
        return description

    def deliver(self, description: dict, fields=BARE):
        return self.send(execution_event(description, detail_fields=fields))

    def send(self, event: dict):
        invocations = [i for i in self.world.put_event(event) if i.function == "violation_alert"]
        assert len(invocations) == 1
        [invocation] = invocations
        assert invocation.error is None, invocation.error
        return invocation, self.world.inbox("AlertsOps")

    def state(self) -> dict:
        table = next(v for k, v in self.world.physical.items() if k.startswith("StateTable"))
        item = boto3.client("dynamodb", region_name=REGION).get_item(
            TableName=table, Key={"pk": {"S": f"SCHEDULE#{SCHEDULE}"}, "sk": {"S": "VIOLATIONS"}}
        )["Item"]
        return from_item(item)

    def ledger(self) -> list[dict]:
        table = next(v for k, v in self.world.physical.items() if k.startswith("StateTable"))
        return list(Ledger(boto3.client("dynamodb", region_name=REGION), table).for_group("telco-churn"))


def metrics_of(invocation) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """EMF records on stdout -> {(metric, dimensions without service): value}."""
    found = {}
    for record in invocation.metrics:
        directive = record["_aws"]["CloudWatchMetrics"][0]
        dims = tuple((d, record[d]) for d in directive["Dimensions"][0] if d != "service")
        for metric in directive["Metrics"]:
            value = record[metric["Name"]]
            found[(metric["Name"], dims)] = value[0] if isinstance(value, list) else value
    return found


@pytest.fixture
def monitor(world):
    return Monitor(world)


@pytest.mark.parametrize("fields", [BARE, None], ids=["bare-detail", "full-detail"])
def test_violations_send_one_email_grouped_by_check_type_with_the_cards_owner_and_risk(monitor, fields):
    invocation, emails = monitor.deliver(monitor.execution(0, SEED), fields)

    [email] = emails
    assert email.subject == "[High] 3 Model Monitor violations on endpoint churn-endpoint (schedule churn-data-quality)"
    assert 'Model card:      telco-churn-v1 (owner: "Retention ML team", risk rating: High)' in email.body
    assert 'data_type_check (1)\n  - State_AL: "Value: 0.8 does not meet the constraint requirement!"' in email.body
    assert 'baseline_drift_check (2)\n  - "CustServ Calls":' in email.body
    assert (
        f"s3://{BUCKET}/monitoring/churn-endpoint/churn-data-quality/2026/11/21/13/constraint_violations.json"
        in email.body
    )
    assert email.attributes["severity"] == "High"
    assert json.loads(email.attributes["check_types"]) == ["baseline_drift_check", "data_type_check"]
    emitted = metrics_of(invocation)
    assert emitted[("MonitorExecutionsWithViolations", ())] == 1
    assert emitted[("MonitorViolations", (("MonitoringSchedule", SCHEDULE), ("Endpoint", ENDPOINT)))] == 3
    assert (
        emitted[
            ("MonitorViolationsByCheckType", (("MonitoringSchedule", SCHEDULE), ("CheckType", "baseline_drift_check")))
        ]
        == 2
    )
    state = monitor.state()
    assert state["violating"] is True and state["violation_count"] == 3 and state["revision"] == 1
    [record] = [r for r in monitor.ledger() if r["action"] == "alert_sent"]
    assert record["details"]["subject"] == email.subject


def test_the_same_violations_are_suppressed_a_changed_set_alerts_and_a_clean_run_resolves(monitor):
    monitor.deliver(monitor.execution(0, SEED))

    suppressed, emails = monitor.deliver(monitor.execution(1, list(reversed(SEED))))
    assert emails == []
    assert metrics_of(suppressed)[("ViolationAlertsSuppressed", ())] == 1

    changed = [
        *SEED[1:],
        {"feature_name": "Night Calls", "constraint_check_type": "completeness_check", "description": "0.62 < 1.0"},
    ]
    _, [email] = monitor.deliver(monitor.execution(2, changed))
    assert "Why this email: the set of violated checks changed." in email.body
    assert '  + "Night Calls" (completeness_check)' in email.body
    assert "  - State_AL (data_type_check)" in email.body

    clean, [resolved] = monitor.deliver(monitor.execution(3, []))
    assert resolved.subject.startswith("[RESOLVED] Model Monitor violations cleared on endpoint churn-endpoint")
    assert metrics_of(clean)[("MonitorViolations", (("MonitoringSchedule", SCHEDULE), ("Endpoint", ENDPOINT)))] == 0

    _, emails = monitor.deliver(monitor.execution(4, []))
    assert emails == []
    assert monitor.state()["last_decision"] == "clean:STILL_CLEAN"


def test_a_redelivered_event_sends_nothing_more_and_counts_nothing_twice(monitor):
    description = monitor.execution(0, SEED)
    monitor.deliver(description)

    again, emails = monitor.deliver(description)

    assert emails == []
    assert again.result["outcome"] == "duplicate" and again.result["email_sent"] is False
    assert metrics_of(again) == {}
    assert monitor.state()["revision"] == 1


def test_a_failed_execution_alerts_with_its_failure_reason(monitor):
    description = monitor.execution(
        0, status="Failed", failure_reason="AlgorithmError: no captured data for the period"
    )

    invocation, [email] = monitor.deliver(description)

    assert email.subject == "[FAILED] Model Monitor run on endpoint churn-endpoint (schedule churn-data-quality)"
    assert 'Failure reason:  "AlgorithmError: no captured data for the period"' in email.body
    assert email.attributes["event_type"] == "monitor_failed"
    assert metrics_of(invocation)[("MonitorFailures", ())] == 1
    _, emails = monitor.deliver(description)
    assert emails == []  # once per job


def test_a_stopped_execution_alerts_too(monitor):
    _, [email] = monitor.deliver(monitor.execution(0, status="Stopped"))
    assert email.subject.startswith("[STOPPED] Model Monitor run on endpoint churn-endpoint")
    assert "was stopped" in email.body


def test_a_malformed_report_sends_a_clear_alert_instead_of_failing(monitor):
    invocation, [email] = monitor.deliver(monitor.execution(0, report=b'{"violations": [{"feature_name": "a",'))

    assert email.subject.startswith("[ACTION] Model Monitor report unreadable for endpoint churn-endpoint")
    assert "not valid JSON" in email.body
    assert invocation.result["outcome"] == "unreadable"
    assert metrics_of(invocation)[("MonitorReportsUnreadable", ())] == 1


def test_a_missing_report_is_clean_unless_the_exit_message_reports_violations(monitor):
    invocation, emails = monitor.deliver(monitor.execution(0))  # clean exit message, no file
    assert emails == [] and invocation.result["outcome"] == "clean"

    # The analyzer's exit message says "CompletedWithViolations: ... 2 violations." but no report was written.
    claims_violations = run_execution(monitor.sm, SCHEDULE, at=T0 + timedelta(hours=1), violations=2)
    invocation, [email] = monitor.deliver(claims_violations)
    assert "does not exist, but the exit message says: CompletedWithViolations" in email.body


def test_a_processing_job_no_schedule_started_is_ignored(monitor, sample_event):
    monitor.sm.create_processing_job(
        ProcessingJobName="churn-feature-engineering-2026-11-21-09-01",
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/sm",
        AppSpecification={"ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/sklearn:1"},
        ProcessingResources={
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 5}
        },
    )

    invocation, emails = monitor.send(sample_event("processing_job_unrelated"))

    assert emails == []
    assert invocation.result["outcome"] == "ignored"
    assert "not a Model Monitor execution" in invocation.result["reason"]
