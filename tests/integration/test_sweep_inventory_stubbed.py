"""The sweep's listing calls against botocore's Stubber (the monitoring APIs and Search over ModelCard, which
moto lacks) and moto (packages, endpoints): full pages, NextToken followed, nothing fetched twice."""

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber

from local.moto_sweep import deploy_endpoint, register_versions
from model_governance.adapters.inventory import PAGE_SIZE, AccountInventory

NOW = datetime(2024, 5, 6, 6, 0, tzinfo=UTC)
SCHEDULE_ARN = "arn:aws:sagemaker:us-east-1:123456789012:monitoring-schedule/{}"


def summary(name, endpoint, status):
    return {
        "MonitoringScheduleName": name,
        "MonitoringScheduleArn": SCHEDULE_ARN.format(name),
        "CreationTime": NOW - timedelta(days=30),
        "LastModifiedTime": NOW - timedelta(days=30),
        "MonitoringScheduleStatus": status,
        "EndpointName": endpoint,
        "MonitoringType": "DataQuality",
    }


def description(name, endpoint, status, last_status="Completed"):
    return {
        "MonitoringScheduleArn": SCHEDULE_ARN.format(name),
        "MonitoringScheduleName": name,
        "MonitoringScheduleStatus": status,
        "MonitoringType": "DataQuality",
        "CreationTime": NOW - timedelta(days=30),
        "LastModifiedTime": NOW - timedelta(days=30),
        "EndpointName": endpoint,
        "MonitoringScheduleConfig": {
            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
            "MonitoringJobDefinitionName": f"{name}-definition",
            "MonitoringType": "DataQuality",
        },
        "LastMonitoringExecutionSummary": {
            "MonitoringScheduleName": name,
            "ScheduledTime": NOW - timedelta(hours=1),
            "CreationTime": NOW - timedelta(hours=1),
            "LastModifiedTime": NOW - timedelta(minutes=50),
            "MonitoringExecutionStatus": last_status,
            "EndpointName": endpoint,
            **({"FailureReason": "No captured data"} if last_status == "Failed" else {}),
        },
    }


def test_schedules_are_listed_in_full_pages_and_only_running_or_failed_ones_of_live_endpoints_are_described():
    monitoring = boto3.client("sagemaker", region_name="us-east-1")
    with Stubber(monitoring) as stub:
        # Given two pages of schedules: one per status, plus one of an endpoint that is not in service
        stub.add_response(
            "list_monitoring_schedules",
            {
                "MonitoringScheduleSummaries": [
                    summary("running", "a", "Scheduled"),
                    summary("stopped", "a", "Stopped"),
                    summary("elsewhere", "gone", "Scheduled"),
                ],
                "NextToken": "page-2",
            },
            {"MaxResults": PAGE_SIZE},
        )
        stub.add_response(
            "list_monitoring_schedules",
            {"MonitoringScheduleSummaries": [summary("failed", "b", "Failed"), summary("new", "b", "Pending")]},
            {"MaxResults": PAGE_SIZE, "NextToken": "page-2"},
        )
        stub.add_response(
            "describe_monitoring_schedule",
            description("running", "a", "Scheduled", last_status="Failed"),
            {"MonitoringScheduleName": "running"},
        )
        failed = description("failed", "b", "Failed")
        failed["FailureReason"] = "role cannot read the baseline"
        stub.add_response("describe_monitoring_schedule", failed, {"MonitoringScheduleName": "failed"})
        inventory = AccountInventory(object(), monitoring=monitoring, describe_workers=1)

        # When the schedules of endpoints a and b are read
        schedules = {s.name: s for s in inventory.schedules({"a", "b"})}

        # Then every expected request was made, and nothing else (Stubber checks both against the service model)
        stub.assert_no_pending_responses()
    assert sorted(schedules) == ["failed", "new", "running", "stopped"]
    assert schedules["running"].expression == "cron(0 * ? * * *)"
    assert schedules["running"].last_execution_status == "Failed"
    assert schedules["running"].last_execution_failure == "No captured data"
    assert schedules["running"].last_execution_time == NOW - timedelta(hours=1)
    assert schedules["failed"].failure_reason == "role cannot read the baseline"
    assert schedules["stopped"].expression is None and schedules["stopped"].status == "Stopped"
    assert inventory.calls == {"list_monitoring_schedules": 2, "describe_monitoring_schedule": 2}


def test_a_schedule_deleted_between_the_list_and_its_description_is_kept_from_its_summary():
    monitoring = boto3.client("sagemaker", region_name="us-east-1")
    with Stubber(monitoring) as stub:
        stub.add_response(
            "list_monitoring_schedules",
            {"MonitoringScheduleSummaries": [summary("racing", "a", "Scheduled")]},
            {"MaxResults": PAGE_SIZE},
        )
        stub.add_client_error(
            "describe_monitoring_schedule",
            service_error_code="ValidationException",
            service_message="Monitoring Schedule racing does not exist.",
        )
        [schedule] = AccountInventory(object(), monitoring=monitoring, describe_workers=1).schedules({"a"})
    assert (schedule.name, schedule.status, schedule.expression) == ("racing", "Scheduled", None)


def test_cards_come_from_one_paginated_search_pass_with_their_links_and_status():
    sagemaker = boto3.client("sagemaker", region_name="us-east-1")
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/3"
    linked = {
        "model_package_details": {"model_package_arn": arn, "model_package_group_name": "churn"},
        "intended_uses": {"risk_rating": "High"},
    }
    card = {
        "ModelCardArn": "arn:aws:sagemaker:us-east-1:123456789012:model-card/churn-v3",
        "ModelCardName": "churn-v3",
        "ModelCardVersion": 2,
        "Content": json.dumps(linked),
        "ModelCardStatus": "PendingReview",
        "LastModifiedTime": NOW,
    }
    with Stubber(sagemaker) as stub:
        stub.add_response(
            "search",
            {"Results": [{"ModelCard": card}], "NextToken": "t"},
            {"Resource": "ModelCard", "MaxResults": PAGE_SIZE},
        )
        stub.add_response(
            "search",
            {
                "Results": [
                    {"ModelCard": {**card, "ModelCardName": "hand-made", "Content": "{}", "ModelCardStatus": "Draft"}}
                ]
            },
            {"Resource": "ModelCard", "MaxResults": PAGE_SIZE, "NextToken": "t"},
        )
        inventory = AccountInventory(sagemaker)
        cards = {c.name: c for c in inventory.cards()}
    assert cards["churn-v3"].linked_group == "churn" and cards["churn-v3"].linked_version == 3
    assert (cards["churn-v3"].status, cards["churn-v3"].risk_rating) == ("PendingReview", "High")
    assert cards["hand-made"].linked_group is None
    assert inventory.total_calls == 2


@pytest.mark.usefixtures("aws")
def test_versions_and_endpoints_are_read_in_full_pages_from_moto():
    sagemaker = boto3.client("sagemaker", region_name="us-east-1")
    for group in ("churn", "fraud"):
        register_versions(sagemaker, group, ["PendingManualApproval"] * 60 + ["Approved"])
    deploy_endpoint(sagemaker, "churn-prod")
    inventory = AccountInventory(sagemaker)
    versions = inventory.package_versions()
    assert len(versions) == 122 and inventory.calls == {"list_model_packages": 2}
    assert {(v.group, v.version, v.approval_status) for v in versions if v.version == 61} == {
        ("churn", 61, "Approved"),
        ("fraud", 61, "Approved"),
    }
    [endpoint] = inventory.endpoints_in_service()
    assert (endpoint.name, endpoint.status) == ("churn-prod", "InService")


def test_package_metadata_is_read_by_search_a_hundred_packages_a_page():
    """The request and response shapes of Search over ModelPackage, pinned by the real service model."""
    client = boto3.client("sagemaker", region_name="us-east-1")
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/fraud/{}"
    package = {
        "ModelPackageGroupName": "fraud",
        "ModelPackageVersion": 1,
        "ModelPackageArn": arn.format(1),
        "ModelPackageStatus": "Completed",
        "ModelApprovalStatus": "Approved",
        "CreationTime": NOW,
        "CustomerMetadataProperties": {"model-governance:model-card": "fraud-by-hand", "team": "fraud"},
    }
    with Stubber(client) as stub:
        stub.add_response(
            "search",
            {"Results": [{"ModelPackage": package}], "NextToken": "page-2"},
            {"Resource": "ModelPackage", "MaxResults": PAGE_SIZE},
        )
        second = {**package, "ModelPackageVersion": 2, "ModelPackageArn": arn.format(2)}
        del second["CustomerMetadataProperties"]
        stub.add_response(
            "search",
            {"Results": [{"ModelPackage": second}]},
            {"Resource": "ModelPackage", "MaxResults": PAGE_SIZE, "NextToken": "page-2"},
        )
        inventory = AccountInventory(client)
        searched = inventory.searched_packages()
        stub.assert_no_pending_responses()

    assert {found: facts.customer_metadata for found, facts in searched.items()} == {
        arn.format(1): {"model-governance:model-card": "fraud-by-hand", "team": "fraud"},
        arn.format(2): {},
    }
    assert searched[arn.format(1)].approval_status == "Approved" and searched[arn.format(2)].version == 2
    assert inventory.total_calls == 2


def test_a_sweep_of_1000_versions_makes_at_most_120_sagemaker_calls_whoever_made_the_cards():
    """The 10,000-version budget (1,200 calls) at a tenth of the size, with the deployed sweep code; the fake client
    validates every request against the service model. Reading hand-made cards' confirmations with a
    DescribeModelPackage per judged version (as before) made 307 calls here."""
    from bench.account_sweep import sweep_once

    linked_calls, _, linked_findings, _, _ = sweep_once(1_000, 100, 100)
    hand_calls, _, hand_findings, _, _ = sweep_once(1_000, 100, 100, hand_made=True)

    assert sum(linked_calls.values()) <= 120, linked_calls
    assert sum(hand_calls.values()) <= 120, hand_calls
    assert hand_calls["DescribeModelPackage"] == 0
    # Confirmed hand-made cards document their versions as the system's own cards do: the same findings.
    assert hand_findings == linked_findings > 0
