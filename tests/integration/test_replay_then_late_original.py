"""A sweep's replay of an event it thought lost, then the original arriving late (a DLQ redrive, Lambda's async
queue, EventBridge's retries): the handler acts once. The replay carries API times (milliseconds), the event its
own (nanoseconds); both map to one effect."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.moto_cards import model_cards_emulated
from local.moto_gaps import sagemaker_gaps_filled
from local.world import REGION, LocalWorld
from model_governance.adapters.clients import reset_clients
from model_governance.adapters.sagemaker import ModelRegistry
from model_governance.sweep.digest import SweepRun
from model_governance.sweep.inventory import CardSummary, PackageVersion
from model_governance.sweep.reconcile import Marks, ReconcileSettings, _card_review, _gate, gate_check
from tests.integration.test_approval_gate import approved_event, given_an_approved_version
from tests.integration.test_exactly_once import _card_event, _hand_made_card, _register

RUN = SweepRun(  # the run that replays
    "20261124T090000Z-sweep", datetime.now(UTC), REGION, "123456789012"
)


@pytest.fixture
def world(template: dict[str, Any]) -> Iterator[LocalWorld]:
    with mock_aws(), sagemaker_gaps_filled(), model_cards_emulated():
        yield LocalWorld(template)
    reset_clients()


def test_gate_replay_then_the_late_original_alerts_once(
    world: LocalWorld, sample_event: Callable[..., dict[str, Any]]
) -> None:
    sm, arn = given_an_approved_version("PendingReview")  # approvalGate=warn
    original = approved_event(sample_event, arn)
    original["detail"]["UpdatedModelPackageFields"] = ["ModelApprovalStatus"]
    described = sm.describe_model_package(ModelPackageName=arn)
    package = PackageVersion(
        described["ModelPackageGroupName"], 1, arn, "Completed", "Approved", described["CreationTime"]
    )
    approved_at = described["LastModifiedTime"].astimezone(UTC)
    check = gate_check(ModelRegistry(sm).describe_package(arn))  # as the sweep reads it (milliseconds)
    replay = _gate(package, check, RUN).event
    original["detail"]["LastModifiedTime"] = approved_at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "854735Z"

    gate = world.function("approval_gate")
    gate.run(replay)  # the sweep thought the event was lost
    gate.run(original)  # it was only late (DLQ redrive, async queue, EventBridge retry)

    assert len(world.inbox("AlertsOps")) == 1, [m.subject for m in world.inbox("AlertsOps")]


def test_review_replay_then_the_late_original_notifies_once(world: LocalWorld) -> None:
    sm = boto3.client("sagemaker", region_name=REGION)
    sm.create_model_package_group(ModelPackageGroupName="fraud")
    v1 = _register(sm, "fraud", 1)
    _hand_made_card(sm, "fraud-card", v1, "fraud")
    sm.update_model_card(ModelCardName="fraud-card", ModelCardStatus="PendingReview")
    described = sm.describe_model_card(ModelCardName="fraud-card")
    original = _card_event(sm, "fraud-card", "review-1")
    # The event's LastModifiedTime has nanoseconds (aws-facts 1.2); the API's has milliseconds.
    modified = described["LastModifiedTime"].astimezone(UTC)
    original["detail"]["LastModifiedTime"] = modified.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "854735Z"
    summary = CardSummary(
        "fraud-card",
        "PendingReview",
        modified,
        arn=described["ModelCardArn"],
        version=described["ModelCardVersion"],
        created=described["CreationTime"],
    )
    replay = _card_review(summary, Marks(), RUN, modified + timedelta(hours=1), ReconcileSettings())
    assert replay is not None

    review = world.function("card_review")
    review.run(replay.event)
    review.run(original)

    notices = [m for m in world.inbox("AlertsNotices") if "review" in m.subject.lower()]
    assert len(notices) == 1, [m.subject for m in notices]
