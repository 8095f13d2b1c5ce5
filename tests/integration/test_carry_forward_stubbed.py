"""The carry-forward workflow against botocore's Stubber: every SageMaker request it makes for the documented
event is validated against the real service model, including the two moto cannot check (Search over
ModelCard, and UpdateModelPackage's ModelCard)."""

import json
from datetime import UTC, datetime

import boto3
from botocore.stub import ANY, Stubber

from model_governance.adapters.sagemaker import ModelRegistry
from model_governance.cards.naming import card_name_for
from model_governance.cards.trust import CARD_METADATA_KEY
from model_governance.events import parse_model_package_state_change
from model_governance.workflows.carry_forward import CarryForwardSettings, carry_forward
from model_governance.workflows.effects import once
from tests.conftest import read_event
from tests.fakes import MemoryAudit, MemoryEffects, MemoryLinks, MemoryNotices
from tests.oracle import oracle_errors

EVENT = read_event("model_package_state_change")
GROUP = EVENT["detail"]["ModelPackageGroupName"]
V1 = EVENT["detail"]["ModelPackageArn"].rsplit("/", 1)[0] + "/1"
V2 = EVENT["detail"]["ModelPackageArn"]
NEW_CARD = card_name_for(GROUP, 2)
SOURCE_CONTENT = {
    "model_overview": {"model_owner": "abalone team"},
    "model_package_details": {"model_package_arn": V1, "model_package_group_name": GROUP},
    "intended_uses": {"intended_uses": "age estimation", "risk_rating": "Low"},
    "business_details": {"business_problem": "grading shellfish"},
}
WHEN = datetime(2021, 2, 24, 17, 0, 14, tzinfo=UTC)


def package_response(model_card: dict | None = None, version: int = 2, metadata: dict | None = None) -> dict:
    response = {
        "ModelPackageName": GROUP,
        "ModelPackageGroupName": GROUP,
        "ModelPackageVersion": version,
        "ModelPackageArn": V2 if version == 2 else V1,
        "CreationTime": WHEN,
        "InferenceSpecification": EVENT["detail"]["InferenceSpecification"],
        "ModelPackageStatus": "Completed",
        "ModelPackageStatusDetails": {"ValidationStatuses": [], "ImageScanStatuses": []},
        "ModelApprovalStatus": "Rejected",
    }
    if model_card:
        response["ModelCard"] = model_card
    if metadata:
        response["CustomerMetadataProperties"] = metadata
    return response


def card_response(name: str, content: dict, version: int = 1) -> dict:
    return {
        "ModelCardArn": f"arn:aws:sagemaker:us-east-2:123456789012:model-card/{name}",
        "ModelCardName": name,
        "ModelCardVersion": version,
        "Content": json.dumps(content),
        "ModelCardStatus": "Draft",
        "CreationTime": WHEN,
        "CreatedBy": {"UserProfileName": "data-scientist"},
        "LastModifiedTime": WHEN,
    }


def test_documented_event_makes_exactly_these_valid_requests():
    """Version 1's card was made by hand; version 1's package confirms it (model-governance:model-card)."""
    client = boto3.client("sagemaker", region_name="us-east-2")
    links, notices, audit = MemoryLinks(), MemoryNotices(), MemoryAudit()
    created: dict = {}

    with Stubber(client) as stubber:
        stubber.add_response("describe_model_package", package_response(), {"ModelPackageName": V2})
        stubber.add_response(
            "search",
            {
                "Results": [
                    {
                        "ModelCard": {
                            **card_response("abalone-v1-card", SOURCE_CONTENT, 3),
                            "ModelPackageGroupName": GROUP,
                        }
                    }
                ]
            },
            {
                "Resource": "ModelCard",
                "SearchExpression": {
                    "Filters": [{"Name": "ModelPackageGroupName", "Operator": "Equals", "Value": GROUP}]
                },
                "SortBy": "LastModifiedTime",
                "SortOrder": "Descending",
                "MaxResults": 100,
            },
        )
        stubber.add_response(
            "describe_model_package",
            package_response(version=1, metadata={CARD_METADATA_KEY: "abalone-v1-card"}),
            {"ModelPackageName": V1},
        )
        # No DescribeModelCard of the source: Search's copy of its content is carried (issue 9: fewer calls).
        stubber.add_response(
            "create_model_card",
            {"ModelCardArn": f"arn:aws:sagemaker:us-east-2:123456789012:model-card/{NEW_CARD}"},
            {"ModelCardName": NEW_CARD, "Content": ANY, "ModelCardStatus": "Draft"},
        )

        def capture(params, **_):
            created.update(json.loads(params["Content"]))

        client.meta.events.register("provide-client-params.sagemaker.CreateModelCard", capture)
        stubber.add_response(
            "update_model_package",
            {"ModelPackageArn": V2},
            {"ModelPackageArn": V2, "ModelCard": {"ModelCardContent": ANY}},
        )
        result = carry_forward(
            parse_model_package_state_change(EVENT),
            registry=ModelRegistry(client),
            links=links,
            effects=MemoryEffects(),
            notices=notices,
            ops=MemoryNotices(),
            audit=audit,
            settings=CarryForwardSettings(),
            now=lambda: WHEN,
        )
        stubber.assert_no_pending_responses()

    assert result.outcome == "created" and result.source_card == "abalone-v1-card"
    assert created["business_details"] == SOURCE_CONTENT["business_details"]
    assert created["model_package_details"]["model_package_arn"] == V2
    assert oracle_errors(created) == []
    assert links.link_for(GROUP, 2).card_name == NEW_CARD


def test_a_version_already_carried_costs_one_read_and_writes_nothing():
    """The approval-change redelivery of a version carried before: one DescribeModelPackage, then the effect is
    found done; no search, no card read, no write, no notice."""
    client = boto3.client("sagemaker", region_name="us-east-2")
    effects, notices = MemoryEffects(), MemoryNotices()
    once(effects, f"carry-forward#{V2}", parse_model_package_state_change(EVENT).envelope, lambda run: True)
    with Stubber(client) as stubber:
        stubber.add_response("describe_model_package", package_response(), {"ModelPackageName": V2})
        result = carry_forward(
            parse_model_package_state_change(EVENT),
            registry=ModelRegistry(client),
            links=MemoryLinks(),
            effects=effects,
            notices=notices,
            ops=MemoryNotices(),
            audit=MemoryAudit(),
            settings=CarryForwardSettings(),
        )
        stubber.assert_no_pending_responses()
    assert result.outcome == "done" and not result.embedded_card_updated and notices.sent == []


def test_a_package_deleted_since_the_event_is_a_ledgered_skip_not_a_retry_loop():
    client = boto3.client("sagemaker", region_name="us-east-2")
    audit, notices = MemoryAudit(), MemoryNotices()
    with Stubber(client) as stubber:
        stubber.add_client_error(
            "describe_model_package",
            service_error_code="ResourceNotFound",
            service_message="Model package does not exist",
            expected_params={"ModelPackageName": V2},
        )
        result = carry_forward(
            parse_model_package_state_change(EVENT),
            registry=ModelRegistry(client),
            links=MemoryLinks(),
            effects=MemoryEffects(),
            notices=notices,
            ops=MemoryNotices(),
            audit=audit,
            settings=CarryForwardSettings(),
        )
        stubber.assert_no_pending_responses()
    assert result.outcome == "package-missing" and notices.sent == []
    assert [record.action for record in audit.records.values()] == ["skipped"]
