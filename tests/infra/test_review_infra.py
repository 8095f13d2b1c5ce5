"""The review workflow's and the approval gate's infrastructure: evidence bucket, environment, permissions,
outputs, and rule patterns checked against the AWS-documented sample events on moto's EventBridge."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_cdk.assertions import Match, Template
from moto import mock_aws

from local.world import synthesize
from model_governance import constants
from tests.infra.conftest import EMBEDDED_CARD_ONLY, NO_CARD_CONFIRMATION

pytestmark = pytest.mark.infra


def resources(template: dict[str, Any], cfn_type: str, path_part: str = "") -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == cfn_type and path_part in k}


def function_env(template: dict[str, Any], handler_dir: str) -> dict[str, Any] | None:
    for resource in resources(template, "AWS::Lambda::Function").values():
        variables = resource["Properties"].get("Environment", {}).get("Variables", {})
        if variables.get("POWERTOOLS_METRICS_FUNCTION_NAME") == handler_dir:
            return dict(variables)
    return None


def statements(template: dict[str, Any], construct: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for resource in resources(template, "AWS::IAM::Policy", construct).values():
        found.extend(resource["Properties"]["PolicyDocument"]["Statement"])
    return found


def allowing(template: dict[str, Any], construct: str, action: str) -> list[dict[str, Any]]:
    return [
        s
        for s in statements(template, construct)
        if action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]


@pytest.fixture(scope="module")
def enforce_template() -> dict[str, Any]:
    return synthesize({"approvalGate": "enforce"})


@pytest.fixture(scope="module")
def off_template() -> dict[str, Any]:
    return synthesize({"approvalGate": "off"})


def test_evidence_bucket_is_versioned_encrypted_private_tls_only_and_kept(template: dict[str, Any]) -> None:
    assertions = Template.from_json(template)
    days = json.loads(Path("cdk.json").read_text())["context"]["evidenceRetentionDays"]
    assertions.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "VersioningConfiguration": {"Status": "Enabled"},
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "LifecycleConfiguration": {
                "Rules": Match.array_with(
                    [
                        Match.object_like(
                            {"ExpirationInDays": days, "NoncurrentVersionExpiration": {"NoncurrentDays": days}}
                        )
                    ]
                )
            },
        },
    )
    assertions.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                )
            }
        },
    )


def test_card_review_environment_names_the_evidence_bucket_table_and_notices(template: dict[str, Any]) -> None:
    env = function_env(template, "card_review")

    assert env is not None
    assert env[constants.ENV_EVIDENCE_BUCKET] == {
        "Ref": next(iter(resources(template, "AWS::S3::Bucket", "EvidenceBucket")))
    }
    assert set(env) >= {constants.ENV_STATE_TABLE, constants.ENV_NOTICES_TOPIC}


def test_gate_setting_reaches_the_function(
    template: dict[str, Any], enforce_template: dict[str, Any], off_template: dict[str, Any]
) -> None:
    assert function_env(template, "approval_gate")[constants.ENV_APPROVAL_GATE] == "warn"  # type: ignore[index]
    assert function_env(enforce_template, "approval_gate")[constants.ENV_APPROVAL_GATE] == "enforce"  # type: ignore[index]
    assert function_env(off_template, "approval_gate") is None  # off: no function, no rule


def test_only_enforce_may_change_an_approval_and_only_to_pending(
    template: dict[str, Any], enforce_template: dict[str, Any]
) -> None:
    assert allowing(template, "ApprovalGate", "sagemaker:UpdateModelPackage") == []
    updates = allowing(enforce_template, "ApprovalGate", "sagemaker:UpdateModelPackage")
    (statement,) = [s for s in updates if "sagemaker:ModelApprovalStatus" in s["Condition"].get("StringEquals", {})]
    # PendingManualApproval only, and never a stage beside it (an approval-only request has no stage key).
    assert statement["Condition"] == {
        "StringEquals": {"sagemaker:ModelApprovalStatus": "PendingManualApproval"},
        "Null": {"sagemaker:ModelLifeCycle:Stage": "true", **NO_CARD_CONFIRMATION},
    }
    assert all(s["Resource"]["Fn::Join"][1][-1] == ":model-package/*/*" for s in updates)


def test_card_review_permissions_are_least_privilege(template: dict[str, Any]) -> None:
    (export,) = allowing(template, "CardReview", "sagemaker:CreateModelCardExportJob")
    assert export["Resource"]["Fn::Join"][1][-1] == ":model-card/*"
    (update,) = allowing(template, "CardReview", "sagemaker:UpdateModelPackage")
    assert update["Condition"] == EMBEDDED_CARD_ONLY
    (put,) = allowing(template, "CardReview", "s3:PutObject")
    assert put["Resource"]["Fn::Join"][1][1] == "/model-cards/*"
    assert allowing(template, "CardReview", "s3:*") == []


def test_card_review_reads_back_only_the_exported_pdfs_to_pin_their_version(template: dict[str, Any]) -> None:
    """HeadObject and GetObject need s3:GetObject, GetObject of a named version s3:GetObjectVersion: on the
    evidence bucket's model-cards/ objects, nothing else (no listing, no other bucket, no other prefix)."""
    bucket = next(iter(resources(template, "AWS::S3::Bucket", "EvidenceBucket")))
    on_evidence = [s for s in statements(template, "CardReview") if any(a.startswith("s3:") for a in _actions(s))]
    # One statement (CDK merges the writer's PutObject with these reads: same resource).
    assert on_evidence == [
        {
            "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
            "Effect": "Allow",
            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/model-cards/*"]]},
        }
    ]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def test_state_table_name_is_a_stack_output_for_the_ledger_command(template: dict[str, Any]) -> None:
    output = template["Outputs"][constants.STATE_TABLE_OUTPUT]

    assert output["Value"] == {"Ref": next(iter(resources(template, "AWS::DynamoDB::GlobalTable")))}


@pytest.mark.parametrize("status", ["Draft", "PendingReview", "Approved", "Archived"])
def test_card_rule_matches_the_documented_card_event_in_every_status(
    template: dict[str, Any], sample_event: Callable[..., dict[str, Any]], status: str
) -> None:
    assert delivered(template, "CardReview", sample_event("model_card_state_change", ModelCardStatus=status))


def test_gate_rule_matches_approved_packages_and_registrations_not_other_updates(
    template: dict[str, Any], sample_event: Callable[..., dict[str, Any]]
) -> None:
    rejected_update = sample_event("model_package_state_change", UpdatedModelPackageFields=["ModelApprovalStatus"])
    assert not delivered(template, "ApprovalGate", rejected_update)  # documented: Rejected
    assert delivered(
        template, "ApprovalGate", sample_event("model_package_state_change", ModelApprovalStatus="Approved")
    )
    assert not delivered(template, "ApprovalGate", sample_event("model_card_state_change"))
    assert not delivered(
        template, "CardReview", sample_event("model_package_state_change", ModelApprovalStatus="Approved")
    )


def delivered(template: dict[str, Any], construct: str, event: dict[str, Any]) -> bool:
    """Put ``event`` on moto's bus with the construct's synthesized rules (all of them) targeting one SQS queue."""
    patterns = [r["Properties"]["EventPattern"] for r in resources(template, "AWS::Events::Rule", construct).values()]
    assert patterns, f"no rule in {construct}"
    with mock_aws():
        sqs, bus = boto3.client("sqs", region_name="us-east-1"), boto3.client("events", region_name="us-east-1")
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for number, pattern in enumerate(patterns):
            bus.put_rule(Name=f"r{number}", EventPattern=json.dumps(pattern))
            bus.put_targets(Rule=f"r{number}", Targets=[{"Id": "q", "Arn": arn}])
        bus.put_events(
            Entries=[
                {
                    "Source": event["source"],
                    "DetailType": event["detail-type"],
                    "Detail": json.dumps(event["detail"]),
                    "Resources": event["resources"],
                }
            ]
        )
        return bool(sqs.receive_message(QueueUrl=url).get("Messages"))


def test_gate_rule_delivers_stage_changes_in_both_shapes_every_registration_and_not_other_updates(
    template: dict[str, Any], sample_event: Callable[..., dict[str, Any]]
) -> None:
    assert delivered(template, "ApprovalGate", sample_event("model_package_stage_changed"))
    assert delivered(template, "ApprovalGate", sample_event("model_package_stage_changed_minimal"))
    registered_with_stage = sample_event("model_package_state_change")
    registered_with_stage["detail"]["ModelLifeCycle"] = {"Stage": "Production", "StageStatus": "Approved"}
    assert delivered(template, "ApprovalGate", registered_with_stage)
    # A registration may put the version straight into a gated stage whether or not its event says so.
    registered = sample_event("model_package_state_change")  # Rejected, no ModelLifeCycle, no updated fields
    assert "ModelLifeCycle" not in registered["detail"] and "UpdatedModelPackageFields" not in registered["detail"]
    assert delivered(template, "ApprovalGate", registered)
    metadata_only = sample_event(
        "model_package_stage_changed", UpdatedModelPackageFields=["CustomerMetadataProperties"]
    )
    assert not delivered(template, "ApprovalGate", metadata_only)


def test_gated_stages_reach_the_gate_and_the_sweep(template: dict[str, Any]) -> None:
    assert function_env(template, "approval_gate")[constants.ENV_GATED_STAGES] == "Production"  # type: ignore[index]
    assert function_env(template, "account_sweep")[constants.ENV_GATED_STAGES] == "Production"  # type: ignore[index]


def test_under_enforce_a_stage_may_only_be_set_outside_the_gated_stages_or_rejected(
    enforce_template: dict[str, Any],
) -> None:
    """Read as IAM evaluates a request without the key: StringEquals false, StringNotEquals true, Null true."""
    updates = allowing(enforce_template, "ApprovalGate", "sagemaker:UpdateModelPackage")
    conditions = sorted(
        (s["Condition"] for s in updates if "sagemaker:ModelApprovalStatus" in s["Condition"].get("Null", {})),
        key=json.dumps,
    )
    assert conditions == sorted(
        [
            {  # no approval status, a stage, and not a gated one
                "Null": {
                    "sagemaker:ModelApprovalStatus": "true",
                    "sagemaker:ModelLifeCycle:Stage": "false",
                    **NO_CARD_CONFIRMATION,
                },
                "StringNotEquals": {"sagemaker:ModelLifeCycle:Stage": ["Production"]},
            },
            {  # no approval status, and a status that takes the version out of its stage
                "Null": {"sagemaker:ModelApprovalStatus": "true", **NO_CARD_CONFIRMATION},
                "StringEquals": {"sagemaker:ModelLifeCycle:StageStatus": ["Rejected", "Retired"]},
            },
        ],
        key=json.dumps,
    )
    assert len(updates) == 3  # and the approval revert (test_only_enforce_may_change_an_approval_and_only_to_pending)
    assert not any("IfExists" in operator for s in updates for operator in s["Condition"])
