"""Attacks on the approval and stage gate, played against the deployed handler (functions/approval_gate) on moto.

The rule under ``approvalGate=enforce``: whenever a version is Approved, or active in a gated stage, while its card
(the trust rule) is not Approved, it is set back, however many times that happens and whatever the event says.
Events are hints: the gate decides from DescribeModelPackage and keys each judgement on the package's own state.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.moto_cards import model_cards_emulated
from local.moto_gaps import sagemaker_gaps_filled
from local.world import REGION, LocalWorld
from model_governance import constants
from model_governance.adapters.clients import reset_clients
from model_governance.cards.trust import CARD_METADATA_KEY
from tests.conftest import read_event
from tests.faults import frozen_clock

GROUP = "credit-risk"
CARD = "credit-risk-card"
PENDING = "PendingManualApproval"
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(template: dict[str, Any]) -> Iterator[LocalWorld]:
    with mock_aws(), sagemaker_gaps_filled(), model_cards_emulated(), frozen_clock(START) as clock:
        world = LocalWorld(template)
        function = world.function("approval_gate")
        function.environment[constants.ENV_APPROVAL_GATE] = "enforce"
        function._module = None  # a fresh container reads the setting at cold start
        world.clock = clock  # type: ignore[attr-defined]
        yield world
    reset_clients()


def later(world: LocalWorld, minutes: float = 1) -> None:
    """Let time pass: each change of the package gets its own LastModifiedTime, as on AWS."""
    world.clock.shift(timedelta(minutes=minutes))  # type: ignore[attr-defined]


def a_version_with_a_draft_card(**extra: Any) -> tuple[Any, str]:
    """Version 1 of GROUP, documented by a hand-made Draft card its metadata confirms (the trust rule)."""
    sm = boto3.client("sagemaker", region_name=REGION)
    sm.create_model_package_group(ModelPackageGroupName=GROUP)
    arn = str(
        sm.create_model_package(ModelPackageGroupName=GROUP, ModelApprovalStatus=PENDING, **extra)["ModelPackageArn"]
    )
    card = {
        "model_overview": {"model_owner": "alice"},
        "model_package_details": {"model_package_arn": arn, "model_package_group_name": GROUP},
        "intended_uses": {"risk_rating": "High"},
    }
    sm.create_model_card(ModelCardName=CARD, Content=json.dumps(card), ModelCardStatus="Draft")
    sm.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties={CARD_METADATA_KEY: CARD})
    return sm, arn


def package_event(arn: str, *, keep: tuple[str, ...] = (), **detail: Any) -> dict[str, Any]:
    """events/model_package_approved.json for ``arn`` in moto's region, a fresh event id, with only the optional
    fields ``keep`` names (UpdatedModelPackageFields, LastModifiedTime, ModelLifeCycle) plus ``detail``."""
    event = copy.deepcopy(read_event("model_package_approved"))
    for optional in ("UpdatedModelPackageFields", "LastModifiedTime", "ModelLifeCycle"):
        if optional not in keep:
            event["detail"].pop(optional, None)
    event["detail"].update(ModelPackageGroupName=GROUP, ModelPackageVersion=1, ModelPackageArn=arn, **detail)
    now = datetime.now(UTC).isoformat()
    event.update(id=str(uuid.uuid4()), region=REGION, resources=[arn], time=now)
    return event


def deliver(world: LocalWorld, event: dict[str, Any]) -> list[dict[str, Any]]:
    """The event on the bus: what the rules deliver to the gate (none, one)."""
    runs = [i for i in world.put_event(event) if i.function == "approval_gate"]
    assert all(i.error is None for i in runs), [i.error for i in runs]
    return [dict(i.result) for i in runs]


def invoke(world: LocalWorld, event: dict[str, Any]) -> dict[str, Any]:
    """The event sent straight to the function, as anyone allowed to invoke it may."""
    return dict(world.function("approval_gate").run(copy.deepcopy(event)))


def approval(sm: Any, arn: str) -> str:
    return str(sm.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"])


def reverted_notices(world: LocalWorld, event_type: str = "approval_gate_reverted") -> list[Any]:
    """Owner notices of ``event_type`` published since the last look (the inbox is drained when read)."""
    return [m for m in world.inbox("AlertsNotices") if m.attributes.get("event_type") == event_type]


EVENT_SHAPES = {
    # the registration shape (and the older sample): no UpdatedModelPackageFields, no LastModifiedTime
    "bare": {},
    "updated-fields-only": {"UpdatedModelPackageFields": ["ModelApprovalStatus"]},
    # an update's full shape, but every copy names the same (stale) time
    "stale-last-modified-time": {
        "UpdatedModelPackageFields": ["ModelApprovalStatus"],
        "LastModifiedTime": "2026-11-23T09:00:00.000Z",
    },
}


@pytest.mark.parametrize("shape", EVENT_SHAPES.values(), ids=EVENT_SHAPES.keys())
def test_approve_revert_approve_ends_reverted_every_time_with_one_notice_per_approval(
    world: LocalWorld, shape: dict[str, Any]
) -> None:
    sm, arn = a_version_with_a_draft_card()
    notices: list[Any] = []
    alerts: list[Any] = []

    for attempt in range(1, 4):
        later(world)
        sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
        event = package_event(arn, keep=tuple(shape), ModelApprovalStatus="Approved", **shape)
        deliver(world, event)
        deliver(world, event)  # SageMaker may send the same change twice
        invoke(world, package_event(arn, keep=tuple(shape), ModelApprovalStatus="Approved", **shape))  # or a copy

        assert approval(sm, arn) == PENDING, f"approval {attempt} stayed Approved with a Draft card"
        notices += reverted_notices(world)
        alerts += [m for m in world.inbox("AlertsOps") if m.attributes.get("event_type") == "approval_gate_reverted"]
        assert (len(notices), len(alerts)) == (attempt, attempt)  # one notice and alert per approval, never two
    description = sm.describe_model_package(ModelPackageName=arn)["ApprovalDescription"]
    assert f"model card {CARD} (version 1) is Draft, not Approved" in description


def test_a_forged_event_body_is_decided_from_the_package_itself(world: LocalWorld) -> None:
    sm, arn = a_version_with_a_draft_card()
    later(world)
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")

    # The package is Approved; the body says Pending and that only the metadata changed: it is reverted anyway.
    claims_pending = package_event(
        arn,
        keep=("UpdatedModelPackageFields",),
        ModelApprovalStatus=PENDING,
        UpdatedModelPackageFields=["CustomerMetadataProperties"],
    )
    invoke(world, claims_pending)

    assert approval(sm, arn) == PENDING
    assert len(reverted_notices(world)) == 1
    assert len(world.inbox("AlertsOps")) == 1

    # Now the package is Pending; a body claiming Approved (a stale time, any fields) changes and sends nothing.
    later(world)
    claims_approved = package_event(
        arn, keep=("LastModifiedTime",), ModelApprovalStatus="Approved", LastModifiedTime="2026-11-23T09:01:00Z"
    )
    invoke(world, claims_approved)
    deliver(world, claims_approved)

    assert approval(sm, arn) == PENDING
    assert reverted_notices(world) == []
    assert world.inbox("AlertsOps") == []


def stage_of(sm: Any, arn: str) -> tuple[str, str]:
    stage = sm.describe_model_package(ModelPackageName=arn)["ModelLifeCycle"]
    return stage["Stage"], stage["StageStatus"]


def test_a_registration_straight_into_a_gated_stage_is_judged_without_model_life_cycle_in_the_event(
    world: LocalWorld,
) -> None:
    sm, arn = a_version_with_a_draft_card(ModelLifeCycle={"Stage": "Production", "StageStatus": "Approved"})

    # The registration's event: no UpdatedModelPackageFields, not Approved, and (not confirmed that it does) no
    # ModelLifeCycle either.
    deliver(world, package_event(arn, ModelApprovalStatus=PENDING))

    assert stage_of(sm, arn) == ("Production", "Rejected")  # no earlier stage known: refused where it stands
    assert len(reverted_notices(world, "stage_gate_reverted")) == 1


def test_a_stage_entry_whose_event_was_lost_is_replayed_by_the_sweep_and_reverted(world: LocalWorld) -> None:
    sm, arn = a_version_with_a_draft_card(ModelLifeCycle={"Stage": "QA", "StageStatus": "Approved"})
    deliver(world, package_event(arn, ModelApprovalStatus=PENDING))  # QA: recorded
    assert stage_of(sm, arn) == ("QA", "Approved")

    later(world, 60)
    sm.update_model_package(ModelPackageArn=arn, ModelLifeCycle={"Stage": "Production", "StageStatus": "Approved"})
    # ...and its event is lost. The daily sweep runs a day later, finds it, and replays it to the gate.
    later(world, 24 * 60)
    sweep = {**read_event("scheduled_event"), "region": REGION, "id": "sweep-1"}
    sweep["time"] = datetime.now(UTC).isoformat()
    outcome = world.function("account_sweep").run(sweep)
    for function, replay in world.invocations():
        function.run(replay)

    assert any("stage" in reason.lower() or "Production" in reason for reason in outcome["reconciled"]), outcome
    assert stage_of(sm, arn) == ("QA", "Approved")
    assert len(reverted_notices(world, "stage_gate_reverted")) == 1

    # A second sweep finds the version where the gate put it: nothing to replay.
    later(world, 60)
    again = world.function("account_sweep").run({**sweep, "id": "sweep-2", "time": datetime.now(UTC).isoformat()})
    assert again["reconciled"] == []
