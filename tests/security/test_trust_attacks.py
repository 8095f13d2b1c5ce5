"""Attacks on the trust rule (cards/trust.py), each played against the deployed handlers on moto.

Who attacks: anyone allowed to create model packages (the metadata key can be set by CreateModelPackage) or to
create and delete model cards, but not to change this system's state table. What they want: a version that
passes for documented (the approval gate lets it through, the sweep counts it) without a card of its own, or a
version that never gets its card.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import time_machine
from moto import mock_aws

from local.moto_cards import model_cards_emulated
from local.moto_gaps import sagemaker_gaps_filled
from local.moto_monitoring import monitoring_emulated
from local.world import REGION, LocalWorld
from model_governance.adapters.clients import reset_clients
from model_governance.cards.naming import card_name_for
from model_governance.cards.trust import CARD_METADATA_KEY
from tests.conftest import read_event


@pytest.fixture
def world(template: dict[str, Any]) -> Iterator[LocalWorld]:
    with mock_aws(), sagemaker_gaps_filled(), monitoring_emulated(), model_cards_emulated():
        yield LocalWorld(template)
    reset_clients()


def _sm() -> Any:
    return boto3.client("sagemaker", region_name=REGION)


def _register(group: str, version: int, **extra: Any) -> str:
    spec = {
        "Containers": [
            {"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/xgb:1.7", "ModelDataUrl": f"s3://m/{version}"}
        ],
        "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["text/csv"],
    }
    return str(
        _sm().create_model_package(ModelPackageGroupName=group, InferenceSpecification=spec, **extra)["ModelPackageArn"]
    )


def _event(group: str, arn: str, version: int, *, approved: bool = False) -> dict[str, Any]:
    event = read_event("model_package_state_change")
    event["detail"].update(ModelPackageGroupName=group, ModelPackageVersion=version, ModelPackageArn=arn)
    event.update(region=REGION, resources=[arn], id=f"{group}-{version}-{'approved' if approved else 'registered'}")
    if approved:
        event["detail"].update(ModelApprovalStatus="Approved", UpdatedModelPackageFields=["ModelApprovalStatus"])
    return event


def _handled_by(world: LocalWorld, event: dict[str, Any], function: str) -> Any:
    (invocation,) = [i for i in world.put_event(event) if i.function == function]
    return invocation


def _approve(world: LocalWorld, group: str, arn: str, version: int) -> Any:
    _sm().update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    gated = _handled_by(world, _event(group, arn, version, approved=True), "approval_gate")
    assert gated.error is None, gated.error
    return gated.result


def _content(card: str) -> dict[str, Any]:
    return json.loads(_sm().describe_model_card(ModelCardName=card)["Content"])


def test_borrowing_another_teams_approved_card_in_create_model_package_documents_nothing(world):
    # Another team's Approved card documents a model of theirs; its content names no package of this group.
    sm = _sm()
    theirs = {"model_overview": {"model_owner": "payments team"}, "intended_uses": {"risk_rating": "Low"}}
    sm.create_model_card(ModelCardName="payments-scoring", Content=json.dumps(theirs), ModelCardStatus="Approved")
    # The registrant names that card in the new version's metadata, in CreateModelPackage itself.
    sm.create_model_package_group(ModelPackageGroupName="shadow")
    arn = _register("shadow", 1, CustomerMetadataProperties={CARD_METADATA_KEY: "payments-scoring"})

    carried = _handled_by(world, _event("shadow", arn, 1), "carry_forward")
    gate = _approve(world, "shadow", arn, 1)

    # The version got a card of its own (carry-forward did not skip it), and the gate judged that Draft card.
    assert carried.error is None and carried.result["card_name"] == "shadow-v1"
    assert _content("shadow-v1")["model_package_details"]["model_package_arn"] == arn
    assert gate["card_name"] == "shadow-v1" and gate["alerted"]
    (alert,) = world.inbox("AlertsOps")
    assert "approved without an approved card" in alert.subject
    assert _content("payments-scoring") == theirs


def test_a_card_deleted_and_created_again_under_a_system_linked_name_is_not_the_linked_card(world):
    sm = _sm()
    sm.create_model_package_group(ModelPackageGroupName="loans")
    v1 = _register("loans", 1)
    assert _handled_by(world, _event("loans", v1, 1), "carry_forward").result["card_name"] == "loans-v1"
    # Later, someone who may delete and create cards replaces the system's card with an Approved one of theirs
    # under the same name (the ARN is the same: it is made of the name).
    forged = {
        "intended_uses": {"risk_rating": "Low", "intended_uses": "anything"},
        "business_details": {"business_problem": "written by whoever re-created the card"},
        "model_package_details": {"model_package_arn": v1, "model_package_group_name": "loans"},
    }
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=10), tick=False):
        sm.delete_model_card(ModelCardName="loans-v1")
        sm.create_model_card(ModelCardName="loans-v1", Content=json.dumps(forged), ModelCardStatus="Approved")

    gate = _approve(world, "loans", v1, 1)
    v2 = _register("loans", 2)
    carried = _handled_by(world, _event("loans", v2, 2), "carry_forward")

    # The approval gate does not take the forged card for the version's card ...
    assert gate["alerted"] and gate["card_name"] is None
    # ... and the next version's card carries nothing from it.
    assert carried.error is None and carried.result["source_card"] is None
    assert "business_details" not in _content(card_name_for("loans", 2))


def test_a_card_name_taken_before_registration_does_not_block_the_versions_card(world):
    sm = _sm()
    sm.create_model_package_group(ModelPackageGroupName="fraud")
    # Before version 2 exists, someone creates a card under the name carry-forward will use for it.
    squatter = {"model_overview": {"model_owner": "not the fraud team"}}
    sm.create_model_card(ModelCardName="fraud-v2", Content=json.dumps(squatter), ModelCardStatus="Draft")
    v1 = _register("fraud", 1)
    assert _handled_by(world, _event("fraud", v1, 1), "carry_forward").error is None
    v2 = _register("fraud", 2)

    first = _handled_by(world, _event("fraud", v2, 2), "carry_forward")
    again = _handled_by(world, _event("fraud", v2, 2), "carry_forward")  # SageMaker may deliver it twice

    # The version has its own card, carried from version 1's, under a name nobody could take ahead ...
    assert first.error is None, first.error
    own = first.result["card_name"]
    assert own != "fraud-v2" and own.startswith("fraud-v2-r")
    assert _content(own)["model_package_details"]["model_package_arn"] == v2
    assert first.result["source_card"] == "fraud-v1"
    assert again.error is None and again.result["outcome"] == "done"
    names = sorted(c["ModelCardName"] for c in sm.list_model_cards()["ModelCardSummaries"])
    assert names == sorted(["fraud-v1", "fraud-v2", own])
    assert _content("fraud-v2") == squatter
    # ... the owner is told why, and the gate judges that card.
    notice = [m for m in world.inbox("AlertsNotices") if "fraud v2" in m.subject][-1]
    assert "Name taken: a model card named fraud-v2 already existed" in notice.body and own in notice.body
    assert _approve(world, "fraud", v2, 2)["card_name"] == own


def test_a_retry_after_the_fallback_name_was_planned_creates_that_card_not_another(world, monkeypatch):
    """Exactly once: the random part is drawn once, in the plan written ahead; a retry after a failure uses it."""
    from model_governance.adapters.sagemaker import ModelRegistry
    from model_governance.workflows import carry_forward as cf

    tokens = iter(["first", "second", "third"])
    monkeypatch.setattr(cf, "new_fallback_token", lambda: next(tokens))
    create = ModelRegistry.create_card
    failed: list[str] = []

    def create_failing_once_on_the_fallback(self, name, *args, **kwargs):
        if name.endswith("-rfirst") and not failed:
            failed.append(name)
            raise RuntimeError("the function timed out inside CreateModelCard")
        return create(self, name, *args, **kwargs)

    monkeypatch.setattr(ModelRegistry, "create_card", create_failing_once_on_the_fallback)
    sm = _sm()
    sm.create_model_package_group(ModelPackageGroupName="retry")
    sm.create_model_card(ModelCardName="retry-v1", Content=json.dumps({}), ModelCardStatus="Draft")
    v1 = _register("retry", 1)

    first = _handled_by(world, _event("retry", v1, 1), "carry_forward")
    retried = _handled_by(world, _event("retry", v1, 1), "carry_forward")

    assert failed and first.error is not None
    assert retried.error is None and retried.result["card_name"] == "retry-v1-rfirst"
    names = sorted(c["ModelCardName"] for c in sm.list_model_cards()["ModelCardSummaries"])
    assert names == ["retry-v1", "retry-v1-rfirst"]
