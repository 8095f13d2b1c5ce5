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


JOB_ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-card/c/export-job/c-v2-pdf"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def export_job_response(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "ModelCardExportJobName": "c-v2-pdf",
        "ModelCardExportJobArn": JOB_ARN,
        "Status": status,
        "ModelCardName": "c",
        "ModelCardVersion": 2,
        "OutputConfig": {"S3OutputPath": "s3://evidence/model-cards/c/v2/"},
        "CreatedAt": "2024-01-01T00:00:00Z",
        "LastModifiedAt": "2024-01-01T00:01:00Z",
        **extra,
    }


def test_describe_export_job_reads_the_status_the_pdf_and_the_failure(stubbed: Any) -> None:
    registry, stubber = stubbed
    pdf = "s3://evidence/model-cards/c/v2/c.pdf"
    request = {"ModelCardExportJobArn": JOB_ARN}
    stubber.add_response(
        "describe_model_card_export_job",
        export_job_response("Completed", ExportArtifacts={"S3ExportArtifacts": pdf}),
        request,
    )
    stubber.add_response("describe_model_card_export_job", export_job_response("Failed", FailureReason="boom"), request)
    stubber.add_client_error("describe_model_card_export_job", "ResourceNotFound", "no such job")

    done, failed = registry.describe_card_export_job(JOB_ARN), registry.describe_card_export_job(JOB_ARN)

    assert (done.status, done.artifact, done.card, done.card_version) == ("Completed", pdf, "c", 2)
    assert (failed.status, failed.failure_reason, failed.artifact) == ("Failed", "boom", None)
    assert registry.describe_card_export_job(JOB_ARN) is None


def card_metadata(**security: Any) -> dict[str, Any]:
    return {
        "ModelCardArn": "arn:aws:sagemaker:us-east-1:123456789012:model-card/c",
        "ModelCardName": "c",
        "ModelCardVersion": 2,
        "Content": json.dumps({"intended_uses": {"risk_rating": "High"}}),
        "ModelCardStatus": "Approved",
        "SecurityConfig": security,
        "CreationTime": "2024-01-01T00:00:00Z",
        "CreatedBy": {"UserProfileName": "alice"},
    }


@pytest.mark.parametrize("code", ["AccessDeniedException", "KMS.AccessDeniedException"])
def test_a_kms_denial_names_the_cards_key_read_without_content(stubbed: Any, code: str) -> None:
    from model_governance.errors import CardKeyNotGrantedError

    registry, stubber = stubbed
    stubber.add_client_error("describe_model_card", code, "not authorized to perform: kms:Decrypt")
    stubber.add_response(
        "describe_model_card",
        card_metadata(KmsKeyId="1234abcd-12ab-34cd-56ef-1234567890ab"),  # a bare key ID: same account and region
        {"ModelCardName": "c", "ModelCardVersion": 2, "IncludedData": "MetadataOnly"},
    )

    with pytest.raises(CardKeyNotGrantedError) as raised:
        registry.describe_card("c", 2)

    assert raised.value.key_arn == KEY and raised.value.card == "c"
    assert raised.value.metadata is not None and raised.value.metadata.status == "Approved"
    assert "modelCardKmsKeyArns" in str(raised.value)


def test_an_access_denial_on_a_card_without_a_key_stays_what_it_is(stubbed: Any) -> None:
    from botocore.exceptions import ClientError

    registry, stubber = stubbed
    stubber.add_client_error("describe_model_card", "AccessDeniedException", "not authorized: DescribeModelCard")
    stubber.add_response("describe_model_card", card_metadata(), {"ModelCardName": "c", "IncludedData": "MetadataOnly"})

    with pytest.raises(ClientError):
        registry.describe_card("c")


def test_a_card_is_created_under_the_key_it_is_given(stubbed: Any) -> None:
    registry, stubber = stubbed
    stubber.add_response(
        "create_model_card",
        {"ModelCardArn": "arn:aws:sagemaker:us-east-1:123456789012:model-card/c"},
        {"ModelCardName": "c", "Content": "{}", "ModelCardStatus": "Draft", "SecurityConfig": {"KmsKeyId": KEY}},
    )

    assert registry.create_card("c", {}, kms_key_id=KEY)
