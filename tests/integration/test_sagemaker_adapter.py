"""The SageMaker calls moto lacks or is lax about, checked by botocore's Stubber against the real service model:
every request below must be exactly what AWS accepts, and every canned response exactly what AWS returns."""

import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from model_governance.adapters.sagemaker import ModelRegistry

GROUP = "churn"
ARN_V1 = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/1"
ARN_V2 = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/2"


@pytest.fixture
def stubbed():
    client = boto3.client("sagemaker", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield ModelRegistry(client), stubber
        stubber.assert_no_pending_responses()


def search_record(name: str, package_arn: str, version: int) -> dict:
    content = {"model_package_details": {"model_package_arn": package_arn, "model_package_group_name": GROUP}}
    return {
        "ModelCard": {
            "ModelCardArn": f"arn:aws:sagemaker:us-east-1:123456789012:model-card/{name}",
            "ModelCardName": name,
            "ModelCardVersion": version,
            "Content": json.dumps(content),
            "ModelCardStatus": "Approved",
            "LastModifiedTime": datetime(2026, 11, 1, tzinfo=UTC),
            "ModelPackageGroupName": GROUP,
            "RiskRating": "Medium",
        }
    }


def test_group_cards_come_from_one_search_filtered_on_the_group(stubbed):
    registry, stubber = stubbed
    stubber.add_response(
        "search",
        {"Results": [search_record("hand-made", ARN_V1, 4)]},
        {
            "Resource": "ModelCard",
            "SearchExpression": {"Filters": [{"Name": "ModelPackageGroupName", "Operator": "Equals", "Value": GROUP}]},
            "SortBy": "LastModifiedTime",
            "SortOrder": "Descending",
            "MaxResults": 100,
        },
    )
    [card] = registry.search_group_cards(GROUP)
    assert (card.name, card.version, card.linked_group, card.linked_version) == ("hand-made", 4, GROUP, 1)


def test_embedded_card_update_sends_content_only(stubbed):
    registry, stubber = stubbed
    content = {"business_details": {"business_problem": "churn"}}
    stubber.add_response(
        "update_model_package",
        {"ModelPackageArn": ARN_V2},
        {
            "ModelPackageArn": ARN_V2,
            "ModelCard": {"ModelCardContent": '{"business_details":{"business_problem":"churn"}}'},
        },
    )
    registry.update_package_card_content(ARN_V2, content)


def test_embedded_card_is_read_from_describe_model_package(stubbed):
    registry, stubber = stubbed
    stubber.add_response(
        "describe_model_package",
        {
            "ModelPackageName": "churn",
            "ModelPackageGroupName": GROUP,
            "ModelPackageVersion": 2,
            "ModelPackageArn": ARN_V2,
            "CreationTime": datetime(2026, 11, 1, tzinfo=UTC),
            "ModelPackageStatus": "Completed",
            "ModelPackageStatusDetails": {"ValidationStatuses": [], "ImageScanStatuses": []},
            "ModelApprovalStatus": "PendingManualApproval",
            "ModelCard": {"ModelCardContent": '{"intended_uses":{"risk_rating":"Low"}}', "ModelCardStatus": "Draft"},
            "ModelMetrics": {
                "ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": "s3://b/eval.json"}}
            },
        },
        {"ModelPackageName": ARN_V2},
    )
    package = registry.describe_package(ARN_V2)
    assert package.embedded_card is not None
    assert package.embedded_card.content == {"intended_uses": {"risk_rating": "Low"}}
    assert package.metrics == (("ModelQuality", "Statistics", "s3://b/eval.json"),)


def test_a_card_that_already_exists_is_reported_not_raised(stubbed):
    registry, stubber = stubbed
    stubber.add_client_error("create_model_card", service_error_code="ConflictException", http_status_code=400)
    assert registry.create_card("churn-v2", {"model_overview": {}}) is None


def test_a_created_card_answers_its_arn(stubbed):
    registry, stubber = stubbed
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model-card/churn-v2"
    stubber.add_response("create_model_card", {"ModelCardArn": arn})
    assert registry.create_card("churn-v2", {"model_overview": {}}) == arn


def test_a_missing_card_reads_as_none(stubbed):
    registry, stubber = stubbed
    stubber.add_client_error(
        "describe_model_card",
        service_error_code="ResourceNotFound",
        service_message="Modelcard churn-v9 does not exist.",
        http_status_code=400,
        expected_params={"ModelCardName": "churn-v9"},
    )
    assert registry.describe_card("churn-v9") is None
