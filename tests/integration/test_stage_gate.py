"""The stage gate (model registry stages, ModelLifeCycle) end to end on moto, and its exact requests under a
Stubber (moto keeps no ModelLifeCycle at all: local/moto_gaps.py emulates it)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
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
from model_governance.adapters.inventory import AccountInventory
from model_governance.adapters.ledger import Ledger
from model_governance.adapters.sagemaker import ModelRegistry
from model_governance.cards.records import LifeCycle
from model_governance.cards.trust import CARD_METADATA_KEY

GROUP = "versionedmp-p-idy6c3e1fiqj"
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


def given_a_staged_version(card_status: str, stage: dict[str, str] | None) -> tuple[Any, str]:
    """Version 1 in ``stage`` (None: no stage yet), documented by a hand-made card its metadata confirms."""
    sm = boto3.client("sagemaker", region_name=REGION)
    sm.create_model_package_group(ModelPackageGroupName=GROUP)
    embedded = {
        "ModelCardContent": json.dumps({"intended_uses": {"risk_rating": "High"}}),
        "ModelCardStatus": card_status,
    }
    extra = {"ModelLifeCycle": stage} if stage else {}
    arn = str(
        sm.create_model_package(
            ModelPackageGroupName=GROUP, ModelApprovalStatus="PendingManualApproval", ModelCard=embedded, **extra
        )["ModelPackageArn"]
    )
    card = {
        "model_overview": {"model_owner": "alice"},
        "model_package_details": {"model_package_arn": arn, "model_package_group_name": GROUP},
        "intended_uses": {"risk_rating": "High"},
    }
    sm.create_model_card(ModelCardName=CARD, Content=json.dumps(card), ModelCardStatus=card_status)
    sm.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties={CARD_METADATA_KEY: CARD})
    return sm, arn


def at(minutes: int) -> str:
    """A time ``minutes`` after now (moto stamps the package's creation with the real clock)."""
    return (datetime.now(UTC) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def stage_event(
    sample_event: Callable[..., dict[str, Any]], arn: str, minutes: int, *, carries_stage: bool = True, **detail: Any
) -> dict[str, Any]:
    """The stage-change sample (with or without detail.ModelLifeCycle) for version 1 in moto's region, sent
    ``minutes`` from now."""
    name = "model_package_stage_changed" if carries_stage else "model_package_stage_changed_minimal"
    event = sample_event(name, ModelPackageVersion=1, ModelPackageArn=arn, LastModifiedTime=at(minutes), **detail)
    event.update(resources=[arn], id=f"stage-{minutes}", region=REGION, time=at(minutes))
    return event


def gate(world: LocalWorld, event: dict[str, Any]) -> dict[str, Any]:
    (invocation,) = [i for i in world.put_event(event) if i.function == "approval_gate"]
    assert invocation.error is None, invocation.error
    return dict(invocation.result)


def ledger(world: LocalWorld, arn: str) -> list[dict[str, Any]]:
    table = world.function("approval_gate").environment[constants.ENV_STATE_TABLE]
    history = Ledger(boto3.client("dynamodb", region_name=REGION), table).history(group=GROUP)
    return [r for r in history if r["subject"] == arn]


def stage_of(sm: Any, arn: str) -> dict[str, str]:
    return dict(sm.describe_model_package(ModelPackageName=arn)["ModelLifeCycle"])


def test_under_enforce_a_version_promoted_with_a_draft_card_goes_back_to_its_previous_stage_once(
    gate_world: LocalWorld, sample_event: Callable[..., dict[str, Any]]
) -> None:
    use_mode(gate_world, "enforce")
    sm, arn = given_a_staged_version("Draft", {"Stage": "Development", "StageStatus": "InProgress"})
    sm.update_model_package(ModelPackageArn=arn, ModelLifeCycle={"Stage": "QA", "StageStatus": "Approved"})
    seen = gate(gate_world, stage_event(sample_event, arn, 1, carries_stage=False))
    assert (seen["stage"]["move"], seen["stage"]["verdict"]) == ("moved", "recorded")  # QA: recorded, not judged

    sm.update_model_package(ModelPackageArn=arn, ModelLifeCycle={"Stage": "Production", "StageStatus": "Approved"})
    promoted = stage_event(sample_event, arn, 2)
    result = gate(gate_world, promoted)["stage"]

    assert (result["move"], result["verdict"], result["reverted_to"]) == ("entered", "enforce", "QA/Approved")
    stage = stage_of(sm, arn)
    assert (stage["Stage"], stage["StageStatus"]) == ("QA", "Approved")
    assert stage["StageDescription"].startswith("Returned to QA/Approved by the model governance approval gate: ")
    assert f"model card {CARD} (version 1) is Draft, not Approved" in stage["StageDescription"]
    (alert,) = gate_world.inbox("AlertsOps")
    assert alert.subject.startswith(f"Stage gate (reverted): {GROUP} v1 in Production without an approved card")
    assert "The version was put back to QA/Approved (approvalGate=enforce)." in alert.body
    (notice,) = [m for m in gate_world.inbox("AlertsNotices") if m.attributes["event_type"] == "stage_gate_reverted"]
    assert notice.attributes["model_owner"] == "alice"

    # The revert's own event (here without detail.ModelLifeCycle), then a second copy of the promotion's event.
    own = gate(gate_world, stage_event(sample_event, arn, 3, carries_stage=False))["stage"]
    again = gate(gate_world, promoted)["stage"]

    assert (own["move"], own["verdict"], own["alerted"]) == ("own-revert", "recorded", False)
    assert not again["alerted"] and again["reverted_to"] is None
    assert stage_of(sm, arn)["Stage"] == "QA"
    assert gate_world.inbox("AlertsOps") == []  # nothing more was sent (the inbox hands each message out once)
    records = ledger(gate_world, arn)
    steps = [(r["action"], r["before"].get("stage"), r["after"].get("stage")) for r in records]
    assert steps == [
        ("stage_changed", None, "QA"),
        ("stage_changed", "QA", "Production"),
        ("stage_gate_decision", "QA", "Production"),
        ("stage_reverted", "Production", "QA"),  # the revert first, then the messages
        ("alert_sent", None, None),
        ("notice_sent", None, None),
        ("stage_changed", "QA", "QA"),  # the revert's own event: recorded as the gate's, judged allowed
    ]
    assert records[-1]["details"]["by"] == "the approval gate's own revert"


def test_under_warn_the_version_stays_and_ops_and_the_owner_are_told_once(
    gate_world: LocalWorld, sample_event: Callable[..., dict[str, Any]]
) -> None:
    sm, arn = given_a_staged_version("PendingReview", {"Stage": "QA", "StageStatus": "Approved"})
    sm.update_model_package(ModelPackageArn=arn, ModelLifeCycle={"Stage": "Production", "StageStatus": "Approved"})
    event = stage_event(sample_event, arn, 2, carries_stage=False)  # Describe gives the stage

    first = gate(gate_world, event)["stage"]
    again = gate(gate_world, event)["stage"]

    assert (first["move"], first["verdict"], first["alerted"], first["reverted_to"]) == ("entered", "warn", True, None)
    assert not again["alerted"]
    assert stage_of(sm, arn)["Stage"] == "Production"
    (alert,) = gate_world.inbox("AlertsOps")
    assert "stays in Production (approvalGate=warn)" in alert.body


def test_a_version_first_seen_in_a_gated_stage_keeps_the_stage_with_status_rejected(
    gate_world: LocalWorld, sample_event: Callable[..., dict[str, Any]]
) -> None:
    use_mode(gate_world, "enforce")
    sm, arn = given_a_staged_version("Draft", {"Stage": "Production", "StageStatus": "Approved"})
    registered = sample_event("model_package_state_change", ModelPackageVersion=1, ModelPackageArn=arn)
    registered["detail"]["ModelLifeCycle"] = {"Stage": "Production", "StageStatus": "Approved"}
    registered.update(resources=[arn], region=REGION, time=at(1))

    result = gate(gate_world, registered)["stage"]

    assert (result["move"], result["reverted_to"]) == ("entered", "Production/Rejected")
    assert (stage_of(sm, arn)["Stage"], stage_of(sm, arn)["StageStatus"]) == ("Production", "Rejected")


def test_an_event_changing_approval_and_stage_is_judged_for_both_once_each(
    gate_world: LocalWorld, sample_event: Callable[..., dict[str, Any]]
) -> None:
    use_mode(gate_world, "enforce")
    sm, arn = given_a_staged_version("Draft", {"Stage": "QA", "StageStatus": "Approved"})
    gate(gate_world, stage_event(sample_event, arn, 1))  # QA recorded
    sm.update_model_package(
        ModelPackageArn=arn,
        ModelApprovalStatus="Approved",
        ModelLifeCycle={"Stage": "Production", "StageStatus": "Approved"},
    )
    both = stage_event(
        sample_event,
        arn,
        2,
        ModelApprovalStatus="Approved",
        UpdatedModelPackageFields=["ModelApprovalStatus", "ModelLifeCycle"],
    )

    first = gate(gate_world, both)
    second = gate(gate_world, both)

    assert (first["verdict"], first["reverted"]) == ("enforce", True)
    assert (first["stage"]["verdict"], first["stage"]["reverted_to"]) == ("enforce", "QA/Approved")
    assert not second["alerted"] and not second["stage"]["alerted"]
    package = sm.describe_model_package(ModelPackageName=arn)
    assert (package["ModelApprovalStatus"], package["ModelLifeCycle"]["Stage"]) == ("PendingManualApproval", "QA")
    subjects = sorted(m.subject.split(" (")[0] for m in gate_world.inbox("AlertsOps"))
    assert subjects == ["Approval gate", "Stage gate"]


def test_an_approved_card_passes_and_the_move_is_recorded(
    gate_world: LocalWorld, sample_event: Callable[..., dict[str, Any]]
) -> None:
    use_mode(gate_world, "enforce")
    sm, arn = given_a_staged_version("Approved", {"Stage": "QA", "StageStatus": "Approved"})
    sm.update_model_package(ModelPackageArn=arn, ModelLifeCycle={"Stage": "Production", "StageStatus": "Approved"})

    result = gate(gate_world, stage_event(sample_event, arn, 2))["stage"]

    assert (result["verdict"], result["alerted"], result["reverted_to"]) == ("pass", False, None)
    assert stage_of(sm, arn)["Stage"] == "Production"
    assert gate_world.inbox("AlertsOps") == []
    actions = [(r["action"], r["after"].get("stage")) for r in ledger(gate_world, arn)]
    assert actions == [("stage_changed", "Production"), ("stage_gate_decision", "Production")]


def test_an_update_that_did_not_touch_the_stage_is_not_looked_at(
    gate_world: LocalWorld, sample_event: Callable[..., dict[str, Any]]
) -> None:
    use_mode(gate_world, "enforce")
    sm, arn = given_a_staged_version("Draft", {"Stage": "Production", "StageStatus": "Approved"})
    event = stage_event(sample_event, arn, 2, UpdatedModelPackageFields=["CustomerMetadataProperties"])

    invocations = [i for i in gate_world.put_event(event) if i.function == "approval_gate"]

    # The event carries ModelLifeCycle but names other fields: the rule does not even deliver it.
    assert invocations == []
    assert stage_of(sm, arn)["Stage"] == "Production"


# Request shapes against the real service model -------------------------------------------------------------
ARN = f"arn:aws:sagemaker:us-east-1:123456789012:model-package/{GROUP}/2"


def test_the_revert_sends_only_the_model_life_cycle() -> None:
    client = boto3.client("sagemaker", region_name="us-east-1")
    target = LifeCycle("QA", "Approved", "Returned to QA/Approved by the model governance approval gate: reason.")
    with Stubber(client) as stub:
        stub.add_response(
            "update_model_package",
            {"ModelPackageArn": ARN},
            {
                "ModelPackageArn": ARN,
                "ModelLifeCycle": {"Stage": "QA", "StageStatus": "Approved", "StageDescription": target.description},
            },
        )
        ModelRegistry(client).update_package_stage(ARN, target)
        stub.assert_no_pending_responses()


def test_the_sweep_reads_each_version_stage_from_the_listing_alone() -> None:
    client = boto3.client("sagemaker", region_name="us-east-1")
    summary = {
        "ModelPackageGroupName": GROUP,
        "ModelPackageVersion": 2,
        "ModelPackageArn": ARN,
        "CreationTime": datetime(2026, 11, 1, tzinfo=UTC),
        "ModelPackageStatus": "Completed",
        "ModelApprovalStatus": "PendingManualApproval",
        "ModelLifeCycle": {"Stage": "Production", "StageStatus": "Approved"},
    }
    with Stubber(client) as stub:
        stub.add_response("list_model_packages", {"ModelPackageSummaryList": [summary]})
        inventory = AccountInventory(client)
        (version,) = inventory.package_versions()
        stub.assert_no_pending_responses()

    assert version.stage == LifeCycle("Production", "Approved")
    assert inventory.calls == {"list_model_packages": 1}
