"""The approval gate end to end on moto, and its exact UpdateModelPackage request under a Stubber
(moto's update_model_package is lax: a status-only update wipes CustomerMetadataProperties)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from local.moto_cards import model_cards_emulated
from local.moto_gaps import sagemaker_gaps_filled
from local.world import REGION, LocalWorld
from model_governance import constants
from model_governance.adapters.clients import reset_clients
from model_governance.adapters.ledger import Ledger, LedgerRecord
from model_governance.adapters.notifications import Message
from model_governance.adapters.sagemaker import ModelRegistry
from model_governance.cards.records import CardLink
from model_governance.cards.trust import CARD_METADATA_KEY
from model_governance.events import parse_model_package_state_change
from model_governance.workflows.approval_gate import GateSettings, approval_gate
from tests.fakes import MemoryEffects

GROUP = "versionedmp-p-idy6c3e1fiqj"  # the group of the AWS-documented package sample
CARD = f"{GROUP}-v1"


@pytest.fixture
def gate_world(template: dict[str, Any]) -> Iterator[LocalWorld]:
    with mock_aws(), sagemaker_gaps_filled(), model_cards_emulated():
        yield LocalWorld(template)
    reset_clients()


def use_mode(world: LocalWorld, mode: str) -> None:
    function = world.function("approval_gate")
    function.environment[constants.ENV_APPROVAL_GATE] = mode
    function._module = None  # a fresh container reads the setting at cold start


def given_an_approved_version(card_status: str) -> tuple[Any, str]:
    sm = boto3.client("sagemaker", region_name=REGION)
    sm.create_model_package_group(ModelPackageGroupName=GROUP)
    # The embedded card is already in step, so carry-forward (whose rule also matches) leaves the package alone.
    embedded = {
        "ModelCardContent": json.dumps({"intended_uses": {"risk_rating": "High"}}),
        "ModelCardStatus": card_status,
    }
    arn = str(
        sm.create_model_package(
            ModelPackageGroupName=GROUP, ModelApprovalStatus="PendingManualApproval", ModelCard=embedded
        )["ModelPackageArn"]
    )
    card = {
        "model_overview": {"model_owner": "alice"},
        "model_package_details": {"model_package_arn": arn, "model_package_group_name": GROUP},
        "intended_uses": {"risk_rating": "High"},
    }
    sm.create_model_card(ModelCardName=CARD, Content=json.dumps(card), ModelCardStatus=card_status)
    # A hand-made card counts once the package names it (README: confirming a hand-made card).
    sm.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties={CARD_METADATA_KEY: CARD})
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    return sm, arn


def approved_event(sample_event: Callable[..., dict[str, Any]], arn: str) -> dict[str, Any]:
    """The AWS-documented sample, approved, moved to the moto region and account."""
    event = sample_event(
        "model_package_state_change", ModelApprovalStatus="Approved", ModelPackageVersion=1, ModelPackageArn=arn
    )
    event["resources"] = [arn]
    return event


def gate(world: LocalWorld, event: dict[str, Any]) -> dict[str, Any]:
    (invocation,) = [i for i in world.put_event(event) if i.function == "approval_gate"]
    assert invocation.error is None, invocation.error
    return dict(invocation.result)


def test_under_enforce_an_approved_package_with_a_draft_card_ends_pending_with_a_reason(
    gate_world: LocalWorld, sample_event: Callable[..., dict[str, Any]]
) -> None:
    use_mode(gate_world, "enforce")
    sm, arn = given_an_approved_version("Draft")

    result = gate(gate_world, approved_event(sample_event, arn))

    package = sm.describe_model_package(ModelPackageName=arn)
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert f"model card {CARD} (version 1) is Draft, not Approved" in package["ApprovalDescription"]
    assert result["reverted"] and result["alerted"]
    (alert,) = gate_world.inbox("AlertsOps")
    assert "approved without an approved card" in alert.subject
    notices = [
        m for m in gate_world.inbox("AlertsNotices") if m.attributes.get("event_type") == "approval_gate_reverted"
    ]
    assert len(notices) == 1
    assert notices[0].attributes == {
        "event_type": "approval_gate_reverted",
        "model_package_group": GROUP,
        "risk_rating": "High",
        "model_owner": "alice",
        "severity": "High",  # for chat filter policies: the card's risk rating
    }
    table = gate_world.function("approval_gate").environment[constants.ENV_STATE_TABLE]
    history = Ledger(boto3.client("dynamodb", region_name=REGION), table).history(group=GROUP)
    gate_steps = [r["action"] for r in history if r["subject"] == arn and r["actor"] == "model-governance"]
    # the revert first: a message that cannot be sent never delays it
    assert gate_steps[-4:] == ["gate_decision", "package_approval_reverted", "alert_sent", "notice_sent"]


def test_under_warn_the_package_stays_approved_and_ops_and_owner_are_told_once(
    gate_world: LocalWorld, sample_event: Callable[..., dict[str, Any]]
) -> None:
    sm, arn = given_an_approved_version("PendingReview")  # the synthesized default: approvalGate=warn
    event = approved_event(sample_event, arn)

    first = gate(gate_world, event)
    again = gate(gate_world, event)  # SageMaker may send the same change twice

    assert sm.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "Approved"
    assert (first["verdict"], first["alerted"], first["reverted"]) == ("warn", True, False)
    assert not again["alerted"]
    assert len(gate_world.inbox("AlertsOps")) == 1


def test_an_approved_card_passes_the_gate_silently(
    gate_world: LocalWorld, sample_event: Callable[..., dict[str, Any]]
) -> None:
    use_mode(gate_world, "enforce")
    sm, arn = given_an_approved_version("Approved")

    result = gate(gate_world, approved_event(sample_event, arn))

    assert result["verdict"] == "pass"
    assert sm.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "Approved"
    assert gate_world.inbox("AlertsOps") == []


def a_decoy_claims_the_version(sm: Any, arn: str) -> None:
    """Someone who may only edit model cards writes an Approved card whose content claims ``arn``."""
    decoy = {
        "model_overview": {"model_owner": "mallory"},
        "model_package_details": {"model_package_arn": arn, "model_package_group_name": GROUP},
        "intended_uses": {"risk_rating": "Low"},
    }
    sm.create_model_card(ModelCardName="decoy-card", Content=json.dumps(decoy), ModelCardStatus="Approved")


def test_under_enforce_an_approval_backed_only_by_a_decoy_approved_card_is_reverted(
    gate_world: LocalWorld, sample_event: Callable[..., dict[str, Any]]
) -> None:
    # given a version the system has no card for (registered before the deployment, or cards without a predecessor
    # are off), whose only Approved card is a decoy that claims it
    use_mode(gate_world, "enforce")
    carry_forward = gate_world.function("carry_forward")
    carry_forward.environment[constants.ENV_CREATE_CARD_WITHOUT_PREDECESSOR] = "false"
    carry_forward._module = None
    sm = boto3.client("sagemaker", region_name=REGION)
    sm.create_model_package_group(ModelPackageGroupName=GROUP)
    arn = str(sm.create_model_package(ModelPackageGroupName=GROUP)["ModelPackageArn"])
    a_decoy_claims_the_version(sm, arn)
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")

    result = gate(gate_world, approved_event(sample_event, arn))

    package = sm.describe_model_package(ModelPackageName=arn)
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert (
        "no model card is linked to this model package version; decoy-card (Approved) only claims it: unconfirmed claim"
        in package["ApprovalDescription"]
    )
    assert (result["verdict"], result["card_name"], result["unconfirmed_claims"]) == ("enforce", None, ["decoy-card"])
    (alert,) = gate_world.inbox("AlertsOps")
    assert "decoy-card (Approved) only claims it" in alert.body
    assert alert.attributes["model_owner"] != "mallory"  # the decoy's owner is not the version's owner


def test_under_warn_a_decoy_approved_card_does_not_silence_the_gate(
    gate_world: LocalWorld, sample_event: Callable[..., dict[str, Any]]
) -> None:
    sm, arn = given_an_approved_version("Draft")  # the version's own card is Draft
    a_decoy_claims_the_version(sm, arn)

    result = gate(gate_world, approved_event(sample_event, arn))

    assert (result["verdict"], result["card_name"], result["alerted"]) == ("warn", CARD, True)
    assert sm.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "Approved"
    (alert,) = gate_world.inbox("AlertsOps")
    assert f"model card {CARD} (version 1) is Draft, not Approved; decoy-card (Approved) only claims it" in alert.body


def test_a_rejected_registration_reaches_the_gate_and_changes_nothing(
    gate_world: LocalWorld, sample_event: Callable[..., dict[str, Any]]
) -> None:
    # Every registration reaches the gate (it may put the version straight into a gated stage); one that is
    # neither Approved nor in a stage is read and left alone.
    use_mode(gate_world, "enforce")
    sm = boto3.client("sagemaker", region_name=REGION)
    sm.create_model_package_group(ModelPackageGroupName=GROUP)
    arn = str(sm.create_model_package(ModelPackageGroupName=GROUP, ModelApprovalStatus="Rejected")["ModelPackageArn"])
    event = sample_event("model_package_state_change", ModelPackageVersion=1, ModelPackageArn=arn)  # Rejected
    event["resources"] = [arn]

    result = gate(gate_world, event)

    assert (result["verdict"], result["reverted"], result["stage"]["move"]) == ("skip", False, "skip")
    assert sm.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "Rejected"
    assert gate_world.inbox("AlertsOps") == []


# Stubber: the exact request ------------------------------------------------------------------------------
class Fakes:
    def __init__(self) -> None:
        self.published: list[Message] = []
        self.records: list[LedgerRecord] = []
        self.claims: set[str] = set()

    def link_for(self, group: str, version: int) -> CardLink | None:
        # recorded by carry-forward right after it created the card (the Stubber's CreationTime below)
        return CardLink(group, version, CARD, card_created_before=datetime(2021, 2, 24, 0, 0, 1, tzinfo=UTC))

    def claim(self, key: str, **_: Any) -> bool:
        fresh = key not in self.claims
        self.claims.add(key)
        return fresh

    def release(self, key: str) -> None:
        self.claims.discard(key)

    def publish(self, message: Message) -> str:
        self.published.append(message)
        return "id"

    def append(self, record: LedgerRecord) -> bool:
        self.records.append(record)
        return True


def test_enforce_sends_only_the_approval_status_and_its_reason(sample_event: Callable[..., dict[str, Any]]) -> None:
    arn = f"arn:aws:sagemaker:us-east-2:123456789012:model-package/{GROUP}/2"
    client = boto3.client("sagemaker", region_name="us-east-2")
    stubber = Stubber(client)
    stubber.add_response(
        "describe_model_package",
        {
            "ModelPackageName": GROUP,
            "ModelPackageGroupName": GROUP,
            "ModelPackageVersion": 2,
            "ModelPackageArn": arn,
            "CreationTime": datetime(2021, 2, 24, tzinfo=UTC),
            "ModelPackageStatus": "Completed",
            "ModelPackageStatusDetails": {"ValidationStatuses": []},
            "ModelApprovalStatus": "Approved",
            "CustomerMetadataProperties": {"team": "fraud"},
        },
        {"ModelPackageName": arn},
    )
    stubber.add_response(
        "describe_model_card",
        {
            "ModelCardArn": f"arn:aws:sagemaker:us-east-2:123456789012:model-card/{CARD}",
            "ModelCardName": CARD,
            "ModelCardVersion": 3,
            "Content": json.dumps({"model_package_details": {"model_package_arn": arn}}),
            "ModelCardStatus": "Draft",
            "CreationTime": datetime(2021, 2, 24, tzinfo=UTC),
            "CreatedBy": {"UserProfileName": "alice"},
            "LastModifiedTime": datetime(2021, 2, 24, tzinfo=UTC),
        },
        {"ModelCardName": CARD},
    )
    stubber.add_response("search", {"Results": []})  # cards that claim the version without confirmation: none
    reason = f"model card {CARD} (version 3) is Draft, not Approved"
    stubber.add_response(
        "update_model_package",
        {"ModelPackageArn": arn},
        {
            "ModelPackageArn": arn,
            "ModelApprovalStatus": "PendingManualApproval",
            "ApprovalDescription": (
                f"Returned to PendingManualApproval by the model governance approval gate: {reason}. "
                "Approve the model card, then approve this version again."
            ),
        },
    )
    fakes = Fakes()
    change = parse_model_package_state_change(
        sample_event(
            "model_package_state_change", ModelApprovalStatus="Approved", ModelPackageVersion=2, ModelPackageArn=arn
        )
        | {"resources": [arn]}
    )

    with stubber:
        result = approval_gate(
            change,
            registry=ModelRegistry(client),
            state=fakes,
            effects=MemoryEffects(),
            ops=fakes,
            notices=fakes,
            audit=fakes,
            settings=GateSettings(mode="enforce"),
        )
        stubber.assert_no_pending_responses()

    assert result.reverted and result.reason == reason
    assert [r.action for r in fakes.records] == [
        "gate_decision",
        "package_approval_reverted",
        "alert_sent",
        "notice_sent",
    ]
