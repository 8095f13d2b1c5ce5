"""An export job started under the name the review would use, writing outside the evidence bucket, is never
recorded as evidence: played against the real card review handler on moto."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3

from local.world import LocalWorld
from model_governance.cards.trust import CARD_METADATA_KEY
from model_governance.review.decisions import export_job_name
from tests.security.test_content_attacks import (  # noqa: F401 (fixtures)
    CARD,
    GROUP,
    REGION,
    card_event,
    deliver,
    ledger,
    published,
    register,
    sec_world,
    sm,
)


def test_a_squatted_export_job_writing_elsewhere_is_not_evidence(
    sec_world: LocalWorld,  # noqa: F811
    sm: Any,  # noqa: F811
    sample_event: Callable[..., dict[str, Any]],
) -> None:
    # Given an approved card, and an export job someone started first under the review's job name, into their bucket
    arn = register(sm)
    content = {"model_package_details": {"model_package_arn": arn, "model_package_group_name": GROUP}}
    sm.create_model_card(ModelCardName=CARD, ModelCardStatus="Draft", Content=json.dumps(content))
    sm.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties={CARD_METADATA_KEY: CARD})
    edited = {**content, "intended_uses": {"risk_rating": "Low"}}
    sm.update_model_card(ModelCardName=CARD, Content=json.dumps(edited))  # version 2, the sample event's
    sm.update_model_card(ModelCardName=CARD, ModelCardStatus="Approved")
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="someone-elses-bucket")
    sm.create_model_card_export_job(
        ModelCardName=CARD,
        ModelCardVersion=2,
        ModelCardExportJobName=export_job_name(CARD, 2),
        OutputConfig={"S3OutputPath": "s3://someone-elses-bucket/x/"},
    )

    # When the review handles the approval
    deliver(sec_world, card_event(sample_event, "Approved"), "card_review")

    # Then no ledger record vouches for a PDF outside the evidence bucket, ops are told, and the next job is started
    records = [r for r in ledger(sec_world).history(card=CARD) if r["action"].startswith("export")]
    completed = [r for r in records if r["action"] == "export_completed"]
    assert all("someone-elses-bucket" not in json.dumps(r.get("after")) for r in completed)
    failed = [r for r in records if r["action"] == "export_failed"]
    assert failed and "not this system's export" in json.dumps(failed[0].get("details"))
    assert any(r["action"] == "export_requested" and r["after"]["export_job"].endswith("-pdf-2") for r in records)
    assert any("export" in subject.lower() for subject, _ in published())
