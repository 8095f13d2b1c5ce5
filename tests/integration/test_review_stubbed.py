"""The review workflow's SageMaker requests, checked against the real service model with a Stubber
(moto has no export jobs and accepts content and status in one UpdateModelPackage)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from model_governance.adapters.sagemaker import ModelRegistry

ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/g/1"


@pytest.fixture
def stubbed() -> Any:
    client = boto3.client("sagemaker", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield ModelRegistry(client), stubber
        stubber.assert_no_pending_responses()


def test_export_job_request_names_the_version_and_the_evidence_path(stubbed: Any) -> None:
    registry, stubber = stubbed
    job_arn = "arn:aws:sagemaker:us-east-1:123456789012:model-card/c/export-job/c-v2-pdf"
    stubber.add_response(
        "create_model_card_export_job",
        {"ModelCardExportJobArn": job_arn},
        {
            "ModelCardName": "c",
            "ModelCardVersion": 2,
            "ModelCardExportJobName": "c-v2-pdf",
            "OutputConfig": {"S3OutputPath": "s3://evidence/model-cards/c/v2/"},
        },
    )

    assert registry.create_card_export_job("c", 2, "c-v2-pdf", "s3://evidence/model-cards/c/v2/") == job_arn


def test_an_export_job_that_already_exists_is_not_an_error(stubbed: Any) -> None:
    registry, stubber = stubbed
    stubber.add_client_error("create_model_card_export_job", "ConflictException", "job already exists")

    assert registry.create_card_export_job("c", 2, "c-v2-pdf", "s3://evidence/model-cards/c/v2/") is None


def test_embedded_content_and_status_go_in_separate_updates(stubbed: Any) -> None:
    registry, stubber = stubbed
    body = {"intended_uses": {"risk_rating": "High"}}
    stubber.add_response(
        "update_model_package",
        {"ModelPackageArn": ARN},
        {"ModelPackageArn": ARN, "ModelCard": {"ModelCardContent": json.dumps(body, separators=(",", ":"))}},
    )
    stubber.add_response(
        "update_model_package",
        {"ModelPackageArn": ARN},
        {"ModelPackageArn": ARN, "ModelCard": {"ModelCardStatus": "Approved"}},
    )

    registry.update_package_card_content(ARN, body)
    registry.update_package_card_status(ARN, "Approved")


def test_previous_version_is_the_highest_below_across_pages(stubbed: Any) -> None:
    registry, stubber = stubbed

    def summary(version: int) -> dict[str, Any]:
        return {
            "ModelCardName": "c",
            "ModelCardArn": "arn:aws:sagemaker:us-east-1:123456789012:model-card/c",
            "ModelCardStatus": "Draft",
            "ModelCardVersion": version,
            "CreationTime": "2024-01-01T00:00:00Z",
        }

    request = {"ModelCardName": "c", "SortBy": "Version", "SortOrder": "Descending"}
    stubber.add_response(
        "list_model_card_versions", {"ModelCardVersionSummaryList": [summary(9), summary(8)], "NextToken": "t"}, request
    )
    stubber.add_response(
        "list_model_card_versions",
        {"ModelCardVersionSummaryList": [summary(7), summary(6)]},
        {**request, "NextToken": "t"},
    )

    assert registry.previous_card_version("c", 7) == 6
