"""The export record pins the exact object version that is the evidence (VersionId, ETag, size, SHA-256), so a
later write under the same key, a new version of it, cannot pass for the evidence. On moto, with the synthesized
evidence bucket (versioned as deployed) and local/moto_cards.py's export jobs, which write the PDF with no S3
checksum, as SageMaker may."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.moto_cards import PLACEHOLDER_PDF
from local.world import REGION, LocalWorld
from model_governance import constants
from model_governance.adapters.evidence import EvidenceObjects
from ops.ledger import format_history
from tests.integration import test_review_workflow as review_flow
from tests.integration.test_export_confirmation import approve, confirm, export_record
from tests.integration.test_review_workflow import CARD, ledger

review_world, sm, package = review_flow.review_world, review_flow.sm, review_flow.package
KEY = f"model-cards/{CARD}/v2/{CARD}.pdf"
PIN = ("version_id", "etag", "content_length", "sha256", "sha256_from")


def _bucket(world: LocalWorld) -> str:
    return world.function("card_review").environment[constants.ENV_EVIDENCE_BUCKET]


def _completed_record(world: LocalWorld) -> dict[str, Any]:
    [completed] = [r for r in ledger(world).history(card=CARD) if r["action"] == "export_completed"]
    return completed


def test_the_export_record_and_the_ledger_pin_the_version_the_job_wrote(
    review_world: LocalWorld, sm: Any, package: str, sample_event: Callable[..., dict[str, Any]]
) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    bucket = _bucket(review_world)

    confirm(review_world, approve(review_world, sm, sample_event, 30)["export_job_arn"])

    head = s3.head_object(Bucket=bucket, Key=KEY, ChecksumMode="ENABLED")
    assert head["VersionId"] not in (None, "", "null")  # the deployed bucket is versioned
    expected = {
        "version_id": head["VersionId"],
        "etag": head["ETag"].strip('"'),
        "content_length": len(PLACEHOLDER_PDF),
        "sha256": hashlib.sha256(PLACEHOLDER_PDF).hexdigest(),
        "sha256_from": "computed",  # the export wrote no checksum: read back and hashed
    }
    record = export_record(review_world)
    assert {k: record.get(k) for k in PIN} == expected
    assert {k: _completed_record(review_world)["details"].get(k) for k in PIN} == expected


def test_a_later_overwrite_of_the_key_cannot_pass_for_the_evidence(
    review_world: LocalWorld, sm: Any, package: str, sample_event: Callable[..., dict[str, Any]]
) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    bucket = _bucket(review_world)
    job_arn = approve(review_world, sm, sample_event, 31)["export_job_arn"]
    confirm(review_world, job_arn)
    pinned = export_record(review_world)

    # when someone with write access puts other bytes under the same key, and the job's event is delivered again
    forged = s3.put_object(Bucket=bucket, Key=KEY, Body=b"%PDF-1.4\n% not the approved card\n%%EOF\n")
    confirm(review_world, job_arn)

    # then the record and the ledger still name the version the job wrote, and that version still reads back
    assert forged["VersionId"] != pinned["version_id"]
    assert export_record(review_world)["version_id"] == pinned["version_id"]
    assert _completed_record(review_world)["details"]["version_id"] == pinned["version_id"]
    original = s3.get_object(Bucket=bucket, Key=KEY, VersionId=pinned["version_id"])["Body"].read()
    assert hashlib.sha256(original).hexdigest() == pinned["sha256"]
    # and what an auditor reads at the key now differs from the record: the overwrite is detectable
    current = s3.head_object(Bucket=bucket, Key=KEY, ChecksumMode="ENABLED")
    assert current["VersionId"] != pinned["version_id"]
    assert current["ETag"].strip('"') != pinned["etag"]
    printed = format_history(ledger(review_world).history(card=CARD))
    assert f"version_id: {pinned['version_id']}" in printed and forged["VersionId"] not in printed
    assert f"sha256: {pinned['sha256']}" in printed


@pytest.fixture
def versioned_bucket() -> Any:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="evidence")
        s3.put_bucket_versioning(Bucket="evidence", VersioningConfiguration={"Status": "Enabled"})
        yield s3


def test_s3s_own_sha256_is_used_when_the_writer_set_one(versioned_bucket: Any) -> None:
    body = b"%PDF-1.4\n% written with a checksum\n%%EOF\n"
    put = versioned_bucket.put_object(
        Bucket="evidence", Key="model-cards/c/v1/c.pdf", Body=body, ChecksumAlgorithm="SHA256"
    )

    pinned = EvidenceObjects(versioned_bucket).pin("s3://evidence/model-cards/c/v1/c.pdf")

    assert base64.b64decode(put["ChecksumSHA256"]).hex() == hashlib.sha256(body).hexdigest()
    assert (pinned.version_id, pinned.sha256, pinned.sha256_from) == (
        put["VersionId"],
        hashlib.sha256(body).hexdigest(),
        "s3-checksum",
    )
    assert pinned.content_length == len(body) and pinned.etag == hashlib.md5(body).hexdigest()
