"""The Model Monitor calls, checked by botocore's Stubber against the real service models (moto has no
monitoring APIs and no DescribeProcessingJob fields of monitoring jobs), and the dedup state on moto DynamoDB."""

import io
import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from model_governance.adapters.monitoring import ModelTracer, MonitoringJobs, ReportAccessError, ScheduleStates
from model_governance.adapters.sagemaker import ModelRegistry
from model_governance.cards.records import CardLink
from model_governance.cards.trust import CARD_METADATA_KEY
from model_governance.monitoring.dedup import decide
from model_governance.monitoring.report import Violation

ACCOUNT = "123456789012"
JOB = "model-monitoring-202611211300-2d7f3c6a91b0e4f58a3c7d21"
JOB_ARN = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:processing-job/{JOB}"
SCHEDULE_ARN = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:monitoring-schedule/churn-data-quality"
PACKAGE = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package/telco-churn/3"
WHEN = datetime(2026, 11, 21, 13, 5, tzinfo=UTC)


@pytest.fixture
def sagemaker():
    client = boto3.client("sagemaker", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def s3():
    client = boto3.client("s3", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_a_monitoring_jobs_description_yields_its_schedule_output_endpoint_and_exit_message(sagemaker, s3):
    client, stubber = sagemaker
    stubber.add_response(
        "describe_processing_job",
        {
            "ProcessingJobName": JOB,
            "ProcessingJobArn": JOB_ARN,
            "ProcessingJobStatus": "Completed",
            "ExitMessage": "CompletedWithViolations: Job completed successfully with 3 violations.",
            "MonitoringScheduleArn": SCHEDULE_ARN,
            "ProcessingEndTime": WHEN,
            "CreationTime": WHEN - timedelta(minutes=5),
            "AppSpecification": {
                "ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
            },
            "ProcessingResources": {
                "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}
            },
            "Environment": {
                "sagemaker_endpoint_name": "churn-endpoint",
                "sagemaker_monitoring_schedule_name": "churn-data-quality",
            },
            "ProcessingOutputConfig": {
                "Outputs": [
                    {
                        "OutputName": "result",
                        "S3Output": {
                            "S3Uri": "s3://out/churn",
                            "LocalPath": "/opt/ml/processing/output",
                            "S3UploadMode": "EndOfJob",
                        },
                    }
                ]
            },
        },
        {"ProcessingJobName": JOB},
    )

    facts = MonitoringJobs(client, s3[0]).describe_job(JOB)

    assert facts is not None
    assert (facts.schedule_arn, facts.output_uri, facts.ended_at) == (SCHEDULE_ARN, "s3://out/churn", WHEN)
    assert facts.environment == {
        "sagemaker_endpoint_name": "churn-endpoint",
        "sagemaker_monitoring_schedule_name": "churn-data-quality",
    }
    assert facts.exit_message.startswith("CompletedWithViolations")


def test_the_schedules_endpoint_comes_from_describe_monitoring_schedule(sagemaker, s3):
    client, stubber = sagemaker
    stubber.add_response(
        "describe_monitoring_schedule",
        {
            "MonitoringScheduleArn": SCHEDULE_ARN,
            "MonitoringScheduleName": "churn-data-quality",
            "MonitoringScheduleStatus": "Scheduled",
            "MonitoringType": "DataQuality",
            "CreationTime": WHEN,
            "LastModifiedTime": WHEN,
            "MonitoringScheduleConfig": {"MonitoringJobDefinitionName": "churn-dq", "MonitoringType": "DataQuality"},
            "EndpointName": "churn-endpoint",
        },
        {"MonitoringScheduleName": "churn-data-quality"},
    )
    stubber.add_client_error(
        "describe_monitoring_schedule",
        "ResourceNotFound",
        "Monitoring Schedule gone does not exist.",
        400,
        expected_params={"MonitoringScheduleName": "gone"},
    )
    jobs = MonitoringJobs(client, s3[0])

    assert jobs.endpoint_of_schedule("churn-data-quality") == "churn-endpoint"
    assert jobs.endpoint_of_schedule("gone") is None


def test_reading_the_report_distinguishes_missing_from_denied(sagemaker, s3):
    client, stubber = s3
    body = json.dumps({"violations": []}).encode()
    stubber.add_response(
        "get_object",
        {"Body": StreamingBody(io.BytesIO(body), len(body)), "ContentLength": len(body)},
        {"Bucket": "out", "Key": "a/constraint_violations.json"},
    )
    stubber.add_client_error("get_object", "NoSuchKey", "The specified key does not exist.", 404)
    stubber.add_client_error("get_object", "AccessDenied", "Access Denied", 403)
    jobs = MonitoringJobs(sagemaker[0], client)

    assert jobs.read_report("s3://out/a/constraint_violations.json") == body
    assert jobs.read_report("s3://out/b/constraint_violations.json") is None
    with pytest.raises(
        ReportAccessError,
        match=r"AccessDenied reading s3://out/c/.*monitoringOutputBuckets.*monitoringOutputKmsKeyArns",
    ):
        jobs.read_report("s3://out/c/constraint_violations.json")


class Links:
    def link_for(self, group, version):
        # recorded by carry-forward when it created the card (at WHEN, the card's CreationTime below)
        link = CardLink(group, version, "telco-churn-v3", card_created_before=WHEN)
        return link if (group, version) == ("telco-churn", 3) else None


def test_the_endpoint_is_traced_to_its_model_package_and_the_linked_cards_owner_and_risk(sagemaker):
    client, stubber = sagemaker
    stubber.add_response(
        "describe_endpoint",
        {
            "EndpointName": "churn-endpoint",
            "EndpointArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/churn-endpoint",
            "EndpointConfigName": "churn-config-3",
            "EndpointStatus": "InService",
            "CreationTime": WHEN,
            "LastModifiedTime": WHEN,
        },
        {"EndpointName": "churn-endpoint"},
    )
    stubber.add_response(
        "describe_endpoint_config",
        {
            "EndpointConfigName": "churn-config-3",
            "EndpointConfigArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint-config/churn-config-3",
            "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": "churn-model-3"}],
            "CreationTime": WHEN,
        },
        {"EndpointConfigName": "churn-config-3"},
    )
    stubber.add_response(
        "describe_model",
        {
            "ModelName": "churn-model-3",
            "ModelArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model/churn-model-3",
            "CreationTime": WHEN,
            "PrimaryContainer": {"ModelPackageName": PACKAGE},
        },
        {"ModelName": "churn-model-3"},
    )
    stubber.add_response("describe_model_package", package_response(), {"ModelPackageName": PACKAGE})
    stubber.add_response(
        "describe_model_card",
        {
            "ModelCardArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-card/telco-churn-v3",
            "ModelCardName": "telco-churn-v3",
            "ModelCardVersion": 2,
            "Content": json.dumps(
                {"model_overview": {"model_owner": "Retention ML team"}, "intended_uses": {"risk_rating": "High"}}
            ),
            "ModelCardStatus": "Approved",
            "CreationTime": WHEN,
            "CreatedBy": {},
        },
        {"ModelCardName": "telco-churn-v3"},
    )

    context = ModelTracer(client, Links(), ModelRegistry(client)).trace("churn-endpoint")

    assert (context.model_package_arn, context.card_name, context.owner, context.risk_rating, context.severity) == (
        PACKAGE,
        "telco-churn-v3",
        "Retention ML team",
        "High",
        "High",
    )


def package_response(metadata: dict | None = None) -> dict:
    response = {
        "ModelPackageName": "telco-churn",
        "ModelPackageGroupName": "telco-churn",
        "ModelPackageVersion": 3,
        "ModelPackageArn": PACKAGE,
        "CreationTime": WHEN,
        "ModelPackageStatus": "Completed",
        "ModelPackageStatusDetails": {"ValidationStatuses": [], "ImageScanStatuses": []},
    }
    if metadata:
        response["CustomerMetadataProperties"] = metadata
    return response


def stub_trace_to_package(stubber) -> None:
    stubber.add_response(
        "describe_endpoint",
        {
            "EndpointName": "churn-endpoint",
            "EndpointArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/churn-endpoint",
            "EndpointConfigName": "churn-config-3",
            "EndpointStatus": "InService",
            "CreationTime": WHEN,
            "LastModifiedTime": WHEN,
        },
    )
    stubber.add_response(
        "describe_endpoint_config",
        {
            "EndpointConfigName": "churn-config-3",
            "EndpointConfigArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint-config/churn-config-3",
            "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": "churn-model-3"}],
            "CreationTime": WHEN,
        },
    )
    stubber.add_response(
        "describe_model",
        {
            "ModelName": "churn-model-3",
            "ModelArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model/churn-model-3",
            "CreationTime": WHEN,
            "PrimaryContainer": {"ModelPackageName": PACKAGE},
        },
    )


class NoLinks:
    def link_for(self, group, version):
        return None


def test_a_card_that_only_claims_the_version_does_not_name_the_owner_or_risk_of_an_alert(sagemaker):
    # given no link recorded and a package that names no card: a decoy claiming the version is not asked at all
    client, stubber = sagemaker
    stub_trace_to_package(stubber)
    stubber.add_response("describe_model_package", package_response(), {"ModelPackageName": PACKAGE})

    context = ModelTracer(client, NoLinks(), ModelRegistry(client)).trace("churn-endpoint")

    assert (context.model_package_arn, context.group, context.card_name, context.owner) == (
        PACKAGE,
        "telco-churn",
        None,
        None,
    )


def test_a_hand_made_card_the_package_names_gives_the_alert_its_owner_and_risk(sagemaker):
    client, stubber = sagemaker
    stub_trace_to_package(stubber)
    stubber.add_response(
        "describe_model_package",
        package_response({CARD_METADATA_KEY: "churn-by-hand"}),
        {"ModelPackageName": PACKAGE},
    )
    stubber.add_response(
        "describe_model_card",
        {
            "ModelCardArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-card/churn-by-hand",
            "ModelCardName": "churn-by-hand",
            "ModelCardVersion": 1,
            "Content": json.dumps(
                {
                    "model_overview": {"model_owner": "Retention ML team"},
                    "model_package_details": {"model_package_arn": PACKAGE},
                    "intended_uses": {"risk_rating": "Medium"},
                }
            ),
            "ModelCardStatus": "Approved",
            "CreationTime": WHEN,
            "CreatedBy": {},
        },
        {"ModelCardName": "churn-by-hand"},
    )

    context = ModelTracer(client, NoLinks(), ModelRegistry(client)).trace("churn-endpoint")

    assert (context.card_name, context.owner, context.risk_rating) == ("churn-by-hand", "Retention ML team", "Medium")


def test_a_deleted_endpoint_ends_the_trace_without_failing_the_alert(sagemaker):
    client, stubber = sagemaker
    stubber.add_client_error("describe_endpoint", "ValidationException", 'Could not find endpoint "gone".', 400)

    context = ModelTracer(client, Links(), ModelRegistry(client)).trace("gone")

    assert (context.endpoint, context.card_name, context.severity) == ("gone", None, "Unknown")


def test_the_schedule_state_round_trips_and_a_stale_revision_is_refused(aws):
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    dynamodb.create_table(
        TableName="state",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    states = ScheduleStates(dynamodb, "state")
    first = decide(
        None,
        schedule="s",
        job_arn="arn:1",
        ended_at=WHEN,
        violations=[Violation("data_type_check", "State_AL")],
        now=WHEN,
        cooldown=timedelta(hours=24),
    ).state

    assert states.save(first, expected_revision=0)
    assert not states.save(first, expected_revision=0)  # a concurrent first writer already created it
    assert states.load("s") == first
    second = decide(
        first,
        schedule="s",
        job_arn="arn:2",
        ended_at=WHEN + timedelta(hours=1),
        violations=[],
        now=WHEN,
        cooldown=timedelta(hours=24),
    ).state
    assert states.save(second, expected_revision=1)
    assert not states.save(second, expected_revision=1)
    assert states.load("s").revision == 2
