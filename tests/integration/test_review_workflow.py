"""The review workflow end to end: AWS-documented events through the synthesized rules to the real handler,
on moto (with moto's model card gaps emulated by local/moto_gaps.py and local/moto_cards.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.moto_cards import DEFAULT_ACTOR, acting_as, model_cards_emulated
from local.moto_gaps import sagemaker_gaps_filled
from local.world import REGION, LocalWorld
from model_governance import constants
from model_governance.adapters.clients import reset_clients
from model_governance.adapters.ledger import Ledger
from model_governance.adapters.review_state import ReviewStateStore
from model_governance.cards.trust import CARD_METADATA_KEY

CARD = "example-card"  # the card of the AWS-documented sample event
GROUP = "example-group"
SUBMITTER = "arn:aws:iam::123456789012:user/submitter"
APPROVER = "arn:aws:iam::123456789012:user/approver"


@pytest.fixture
def review_world(template: dict[str, Any]) -> Iterator[LocalWorld]:
    with mock_aws(), sagemaker_gaps_filled(), model_cards_emulated():
        yield LocalWorld(template)
    reset_clients()


@pytest.fixture
def sm(review_world: LocalWorld) -> Any:
    return boto3.client("sagemaker", region_name=REGION)


def content(package_arn: str, risk: str) -> dict[str, Any]:
    return {
        "model_overview": {"model_owner": "alice", "model_id": package_arn, "model_name": GROUP},
        "model_package_details": {"model_package_arn": package_arn, "model_package_group_name": GROUP},
        "intended_uses": {"purpose_of_model": "score transactions", "risk_rating": risk},
        "business_details": {"business_problem": "fraud"},
    }


@pytest.fixture
def package(sm: Any) -> str:
    """Given a package version and the sample's hand-made card at version 2 (risk Low -> High), linked to it and
    confirmed by the package (README: confirming a hand-made card)."""
    sm.create_model_package_group(ModelPackageGroupName=GROUP)
    arn = str(
        sm.create_model_package(ModelPackageGroupName=GROUP, ModelApprovalStatus="PendingManualApproval")[
            "ModelPackageArn"
        ]
    )
    sm.create_model_card(ModelCardName=CARD, Content=json.dumps(content(arn, "Low")), ModelCardStatus="Draft")
    sm.update_model_card(ModelCardName=CARD, Content=json.dumps(content(arn, "High")))
    sm.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties={CARD_METADATA_KEY: CARD})
    return arn


VICTIM = "victim-group"


@pytest.fixture
def victim(sm: Any) -> str:
    """Given another group's version, with its own card (Draft, risk High) filled into its embedded card, and the
    sample's card made into a decoy: Approved, risk Low, claiming that version."""
    sm.create_model_package_group(ModelPackageGroupName=VICTIM)
    embedded = {"ModelCardContent": json.dumps({"intended_uses": {"risk_rating": "High"}}), "ModelCardStatus": "Draft"}
    arn = str(sm.create_model_package(ModelPackageGroupName=VICTIM, ModelCard=embedded)["ModelPackageArn"])
    decoy = content(arn, "Low") | {
        "model_package_details": {"model_package_arn": arn, "model_package_group_name": VICTIM}
    }
    sm.create_model_card(ModelCardName=CARD, Content=json.dumps(decoy), ModelCardStatus="Draft")
    sm.update_model_card(ModelCardName=CARD, Content=json.dumps(decoy))  # version 2, as in the sample event
    sm.update_model_card(ModelCardName=CARD, ModelCardStatus="Approved")
    return arn


def card_event(sample_event: Callable[..., dict[str, Any]], status: str, second: int) -> dict[str, Any]:
    """The AWS-documented sample (card example-card, version 2), with the status and a later modification time."""
    return sample_event(
        "model_card_state_change", ModelCardStatus=status, LastModifiedTime=f"2022-12-03T00:10:{second:02d}.893854735Z"
    )


def review(world: LocalWorld, event: dict[str, Any]) -> dict[str, Any]:
    (invocation,) = [i for i in world.put_event(event) if i.function == "card_review"]
    assert invocation.error is None, invocation.error
    return dict(invocation.result)


def embedded(sm: Any, arn: str) -> tuple[dict[str, Any], str | None]:
    card = sm.describe_model_package(ModelPackageName=arn).get("ModelCard") or {}
    return json.loads(card.get("ModelCardContent") or "{}"), card.get("ModelCardStatus")


def ledger(world: LocalWorld) -> Ledger:
    return Ledger(
        boto3.client("dynamodb", region_name=REGION),
        world.function("card_review").environment[constants.ENV_STATE_TABLE],
    )


def test_the_documented_draft_event_keeps_the_embedded_card_in_step(
    review_world: LocalWorld, sm: Any, package: str, sample_event: Callable[..., dict[str, Any]]
) -> None:
    result = review(review_world, sample_event("model_card_state_change"))

    body, status = embedded(sm, package)
    assert result["outcome"] == "acted" and result["group"] == GROUP
    assert status == "Draft"
    assert body["intended_uses"]["risk_rating"] == "High"
    assert set(body) == {"intended_uses", "business_details"}  # the simplified schema: no model_package_details
    assert review_world.inbox("AlertsNotices") == []  # Draft: nobody to notify


def test_pending_review_tells_reviewers_what_changed_who_and_the_risk(
    review_world: LocalWorld, sm: Any, package: str, sample_event: Callable[..., dict[str, Any]]
) -> None:
    with acting_as(SUBMITTER):
        sm.update_model_card(ModelCardName=CARD, ModelCardStatus="PendingReview")

    review(review_world, card_event(sample_event, "PendingReview", 1))

    (notice,) = review_world.inbox("AlertsNotices")
    assert notice.attributes == {
        "event_type": "model_card_pending_review",
        "model_package_group": GROUP,
        "risk_rating": "High",
        "severity": "High",  # for chat filter policies: the card's risk rating
    }
    assert "Changes compared with version 1:" in notice.body
    assert '~ risk_rating: "Low" -> "High"' in notice.body
    # Who submitted it as DescribeModelCard says (LastModifiedBy), not as the event body says ("user").
    assert f"Submitted by:        {SUBMITTER}" in notice.body
    assert "#/model-cards/example-card" in notice.body
    assert embedded(sm, package)[1] == "PendingReview"


def test_approved_exports_the_version_as_evidence_and_records_where_it_is(
    review_world: LocalWorld, sm: Any, package: str, sample_event: Callable[..., dict[str, Any]]
) -> None:
    sm.update_model_card(ModelCardName=CARD, ModelCardStatus="Approved")

    result = review(review_world, card_event(sample_event, "Approved", 2))

    bucket = review_world.function("card_review").environment[constants.ENV_EVIDENCE_BUCKET]
    keys = [o["Key"] for o in boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["model-cards/example-card/v2/example-card.pdf"]
    table = review_world.function("card_review").environment[constants.ENV_STATE_TABLE]
    export = ReviewStateStore(boto3.client("dynamodb", region_name=REGION), table).export_for(CARD, 2)
    assert export is not None
    assert export["s3_output_path"] == f"s3://{bucket}/model-cards/example-card/v2/"
    assert export["job_name"] == "example-card-v2-pdf" == result["export_job_arn"].rsplit("/", 1)[1]
    actions = [r["action"] for r in ledger(review_world).history(card=CARD)]
    assert "export_requested" in actions
    assert embedded(sm, package)[1] == "Approved"


def test_archived_card_archives_the_embedded_card_which_then_stays_as_it_is(
    review_world: LocalWorld, sm: Any, package: str, sample_event: Callable[..., dict[str, Any]]
) -> None:
    sm.update_model_card(ModelCardName=CARD, ModelCardStatus="Archived")
    review(review_world, card_event(sample_event, "Archived", 3))
    archived = embedded(sm, package)

    sm.update_model_card(ModelCardName=CARD, ModelCardStatus="Draft")
    sm.update_model_card(ModelCardName=CARD, Content=json.dumps(content(package, "Medium")))
    result = review(
        review_world,
        sample_event("model_card_state_change", ModelCardVersion=3, LastModifiedTime="2022-12-04T00:00:00Z"),
    )

    assert archived[1] == "Archived"
    assert embedded(sm, package) == archived
    assert not result["embedded_content_updated"] and not result["embedded_status_updated"]


def test_a_stale_event_changes_nothing(
    review_world: LocalWorld, sm: Any, package: str, sample_event: Callable[..., dict[str, Any]]
) -> None:
    sm.update_model_card(ModelCardName=CARD, ModelCardStatus="Approved")
    review(review_world, card_event(sample_event, "Approved", 5))
    before = (embedded(sm, package), ledger(review_world).history(group=GROUP))
    review_world.inbox("AlertsNotices")

    late = review(review_world, card_event(sample_event, "PendingReview", 4))  # older than the approval

    # The event is a hint: version 2 is Approved now (DescribeModelCard), a state already handled.
    assert late["outcome"] == "duplicate" and late["status"] == "Approved"
    assert (embedded(sm, package), ledger(review_world).history(group=GROUP)) == before
    assert review_world.inbox("AlertsNotices") == []


def test_a_replayed_event_changes_nothing(
    review_world: LocalWorld, sm: Any, package: str, sample_event: Callable[..., dict[str, Any]]
) -> None:
    sm.update_model_card(ModelCardName=CARD, ModelCardStatus="PendingReview")
    event = card_event(sample_event, "PendingReview", 6)
    first = review(review_world, event)
    records = ledger(review_world).history(group=GROUP)

    again = review(review_world, event)

    assert (first["outcome"], again["outcome"]) == ("acted", "duplicate")
    assert len(review_world.inbox("AlertsNotices")) == 1
    assert ledger(review_world).history(group=GROUP) == records


def test_the_ledger_shows_every_step_in_order_and_nothing_overwritten(
    review_world: LocalWorld, sm: Any, package: str, sample_event: Callable[..., dict[str, Any]]
) -> None:
    review(review_world, card_event(sample_event, "Draft", 10))
    with acting_as(SUBMITTER):
        sm.update_model_card(ModelCardName=CARD, ModelCardStatus="PendingReview")
    review(review_world, card_event(sample_event, "PendingReview", 11))
    with acting_as(APPROVER):
        sm.update_model_card(ModelCardName=CARD, ModelCardStatus="Approved")
    review(review_world, card_event(sample_event, "Approved", 12))

    history = ledger(review_world).history(group=GROUP)

    assert [(r["action"], r["after"].get("status")) for r in history] == [
        ("card_status_changed", "Draft"),
        ("embedded_card_updated", None),
        ("embedded_card_status_changed", "Draft"),
        ("card_status_changed", "PendingReview"),
        ("review_notice_sent", None),
        ("embedded_card_status_changed", "PendingReview"),
        ("card_status_changed", "Approved"),
        ("export_requested", None),
        ("embedded_card_status_changed", "Approved"),
    ]
    statuses = [
        (r["before"].get("status"), r["after"]["status"]) for r in history if r["action"] == "card_status_changed"
    ]
    assert statuses == [(None, "Draft"), ("Draft", "PendingReview"), ("PendingReview", "Approved")]
    # Who made each change as DescribeModelCard says (LastModifiedBy), never the event body's "user".
    actors = [r["actor"] for r in history if r["action"] == "card_status_changed"]
    assert actors == [DEFAULT_ACTOR, SUBMITTER, APPROVER]
    assert [r["sk"] for r in ledger(review_world).history(card=CARD)] == [r["sk"] for r in history]


def test_the_event_files_drive_the_review_and_the_gate(review_world: LocalWorld, sm: Any, package: str) -> None:
    from tests.conftest import read_event

    sm.update_model_card(ModelCardName=CARD, ModelCardStatus="PendingReview")
    result = review(review_world, read_event("model_card_pending_review"))
    approved = read_event("model_package_approved")

    assert result["review_notice_published"]
    assert [i.function for i in review_world.put_event(approved) if i.function == "approval_gate"] == ["approval_gate"]


def test_a_decoy_approved_card_claiming_another_groups_version_changes_nothing_there(
    review_world: LocalWorld, sm: Any, victim: str, sample_event: Callable[..., dict[str, Any]]
) -> None:
    before = sm.describe_model_package(ModelPackageName=victim)

    result = review(review_world, card_event(sample_event, "Approved", 20))
    again = review(review_world, card_event(sample_event, "Approved", 21))  # another event of the same state

    after = sm.describe_model_package(ModelPackageName=victim)
    assert after["ModelCard"] == before["ModelCard"]  # content (risk High) and status (Draft) as they were
    assert result["link_refused"] and not result["embedded_content_updated"] and not result["embedded_status_updated"]
    assert again["outcome"] == "duplicate"  # the card is as it was (DescribeModelCard): nothing new to refuse
    (notice,) = [
        m for m in review_world.inbox("AlertsNotices") if m.attributes["event_type"] == "model_card_link_refused"
    ]
    assert notice.attributes == {
        "event_type": "model_card_link_refused",
        "model_package_group": VICTIM,
        "risk_rating": "Low",
        "model_owner": "alice",
        "severity": "Low",
    }
    assert f"--customer-metadata-properties {CARD_METADATA_KEY}={CARD}" in notice.body
    refused = [r for r in ledger(review_world).history(group=VICTIM) if r["action"] == "link_refused"]
    assert [r["card"] for r in refused] == [CARD]
    assert refused[0]["details"]["claimed_package"] == victim
    assert "this system did not link model card example-card" in refused[0]["details"]["reasons"][0]
    assert {r["action"] for r in ledger(review_world).history(group=VICTIM)} == {"link_refused"}


def test_a_decoy_approved_card_does_not_pass_the_approval_gate_of_the_version_it_claims(
    review_world: LocalWorld, sm: Any, victim: str, sample_event: Callable[..., dict[str, Any]]
) -> None:
    gate = review_world.function("approval_gate")
    gate.environment[constants.ENV_APPROVAL_GATE] = "enforce"
    gate._module = None  # a fresh container reads the setting at cold start
    carry_forward = review_world.function("carry_forward")  # no card of the system's own: the decoy is the only one
    carry_forward.environment[constants.ENV_CREATE_CARD_WITHOUT_PREDECESSOR] = "false"
    carry_forward._module = None
    review(review_world, card_event(sample_event, "Approved", 22))
    sm.update_model_package(ModelPackageArn=victim, ModelApprovalStatus="Approved")
    approved = sample_event(
        "model_package_state_change",
        ModelApprovalStatus="Approved",
        ModelPackageGroupName=VICTIM,
        ModelPackageVersion=1,
    )
    approved["detail"]["ModelPackageArn"] = victim
    approved["resources"] = [victim]

    (verdict,) = [i.result for i in review_world.put_event(approved) if i.function == "approval_gate"]

    assert verdict["verdict"] == "enforce" and verdict["reverted"]
    assert (verdict["card_name"], verdict["unconfirmed_claims"]) == (None, [CARD])
    assert sm.describe_model_package(ModelPackageName=victim)["ModelApprovalStatus"] == "PendingManualApproval"


def test_a_hand_made_card_the_package_confirms_works_end_to_end(
    review_world: LocalWorld, sm: Any, package: str, sample_event: Callable[..., dict[str, Any]]
) -> None:
    gate = review_world.function("approval_gate")
    gate.environment[constants.ENV_APPROVAL_GATE] = "enforce"
    gate._module = None  # a fresh container reads the setting at cold start
    sm.update_model_card(ModelCardName=CARD, ModelCardStatus="Approved")

    result = review(review_world, card_event(sample_event, "Approved", 23))
    sm.update_model_package(ModelPackageArn=package, ModelApprovalStatus="Approved")
    approved = sample_event(
        "model_package_state_change", ModelApprovalStatus="Approved", ModelPackageGroupName=GROUP, ModelPackageVersion=1
    )
    approved["detail"]["ModelPackageArn"] = package
    approved["resources"] = [package]
    (verdict,) = [i.result for i in review_world.put_event(approved) if i.function == "approval_gate"]

    body, status = embedded(sm, package)
    assert not result["link_refused"] and result["group"] == GROUP
    assert (status, body["intended_uses"]["risk_rating"]) == ("Approved", "High")
    assert (verdict["verdict"], verdict["card_name"]) == ("pass", CARD)
    described = sm.describe_model_package(ModelPackageName=package)
    assert described["ModelApprovalStatus"] == "Approved"
    assert described["CustomerMetadataProperties"] == {CARD_METADATA_KEY: CARD}  # our writes kept the confirmation
