"""Attacks through what an event or a card says, played against the real handlers on moto.

An event is a hint: whoever may invoke the review function can send any body, so the body decides nothing; the
review reads the card back (DescribeModelCard). A card encrypted with a customer-managed key keeps its content under
that key: it never reaches, in plain text, a package's embedded card the key does not protect, the state table
(ledger records, effect plans, marks), the SNS topics, or the chat payloads published with them.

Each attack is played through the synthesized rules to the real handlers (local/world.py), with moto's SageMaker
gaps emulated (local/moto_gaps.py, local/moto_cards.py) and KMS played by ``card_keys_enforced``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.sns.models import sns_backends

from local.moto_cards import DEFAULT_ACTOR, acting_as, card_keys_enforced, export_jobs, model_cards_emulated
from local.moto_gaps import sagemaker_gaps_filled
from local.world import REGION, LocalWorld
from model_governance import constants
from model_governance.adapters.clients import reset_clients
from model_governance.adapters.ledger import Ledger
from model_governance.cards.naming import card_name_for
from model_governance.cards.trust import CARD_METADATA_KEY

ACCOUNT = "123456789012"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
CARD = "example-card"  # the card of the AWS-documented sample event (version 2)
GROUP = "credit-limit"
# A string found nowhere but in the encrypted card's content: wherever it shows up, the content leaked.
MARKER = "QX7-ENCRYPTED-CONTENT-MARKER-4410"
AUTHOR = "arn:aws:iam::123456789012:user/card-author"


@pytest.fixture
def sec_world(template: dict[str, Any]) -> Iterator[LocalWorld]:
    with mock_aws(), sagemaker_gaps_filled(), model_cards_emulated():
        yield LocalWorld(template)
    reset_clients()


@pytest.fixture
def sm(sec_world: LocalWorld) -> Any:
    client = boto3.client("sagemaker", region_name=REGION)
    client.create_model_package_group(ModelPackageGroupName=GROUP)
    return client


def secret_content(package_arn: str, risk: str, note: str) -> dict[str, Any]:
    """A card whose every written field holds the marker (the risk rating is what AWS shows without the key)."""
    return {
        "model_overview": {"model_owner": f"{MARKER} owner", "model_description": f"{MARKER} {note}"},
        "model_package_details": {"model_package_arn": package_arn, "model_package_group_name": GROUP},
        "intended_uses": {"purpose_of_model": f"{MARKER} purpose {note}", "risk_rating": risk},
        "business_details": {"business_problem": f"{MARKER} problem {note}", "line_of_business": f"{MARKER} lob"},
        "additional_information": {"custom_details": {"notes": f"{MARKER} custom {note}"}},
    }


def register(sm: Any, *, embedded: dict[str, Any] | None = None, kms_key: str | None = None) -> str:
    extra: dict[str, Any] = {}
    if embedded is not None:
        extra["ModelCard"] = {"ModelCardContent": json.dumps(embedded), "ModelCardStatus": "Draft"}
    if kms_key is not None:
        extra["SecurityConfig"] = {"KmsKeyId": kms_key}
    created = sm.create_model_package(
        ModelPackageGroupName=GROUP,
        InferenceSpecification={
            "Containers": [{"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/model:1"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ModelApprovalStatus="PendingManualApproval",
        **extra,
    )
    return str(created["ModelPackageArn"])


def encrypted_card(sm: Any, name: str, package_arn: str) -> None:
    """Given a hand-made card encrypted with KEY (version 1 risk Low, version 2 risk High), confirmed by the
    package it documents."""
    with acting_as(AUTHOR):
        sm.create_model_card(
            ModelCardName=name,
            Content=json.dumps(secret_content(package_arn, "Low", "first")),
            ModelCardStatus="Draft",
            SecurityConfig={"KmsKeyId": KEY},
        )
        sm.update_model_card(ModelCardName=name, Content=json.dumps(secret_content(package_arn, "High", "second")))
    sm.update_model_package(ModelPackageArn=package_arn, CustomerMetadataProperties={CARD_METADATA_KEY: name})


def card_event(sample_event: Callable[..., dict[str, Any]], status: str, **detail: Any) -> dict[str, Any]:
    return sample_event("model_card_state_change", ModelCardStatus=status, **detail)


def deliver(world: LocalWorld, event: dict[str, Any], function: str) -> dict[str, Any]:
    (invocation,) = [i for i in world.put_event(event) if i.function == function]
    assert invocation.error is None, invocation.error
    return dict(invocation.result)


def table_items(world: LocalWorld) -> list[dict[str, Any]]:
    """Every item of the state table: ledger records, effect leases and their plans, marks, export records."""
    client = boto3.client("dynamodb", region_name=REGION)
    table = world.function("card_review").environment[constants.ENV_STATE_TABLE]
    items, request = [], {"TableName": table}
    while True:
        page = client.scan(**request)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def published() -> list[tuple[str, str]]:
    """Every SNS message as moto's SNS backend holds it, as (email, chat): one publish carries the email body and,
    beside it, the chat payload (MessageStructure json, adapters/notifications.py)."""
    messages = []
    for topic in sns_backends[ACCOUNT][REGION].topics.values():
        for _, raw, subject, *_ in topic.sent_notifications:
            try:
                bodies = json.loads(raw)
            except json.JSONDecodeError:
                bodies = {"default": raw}
            bodies = bodies if isinstance(bodies, dict) else {"default": raw}
            messages.append((f"{subject}\n{bodies.get('default', raw)}", str(bodies.get("https", ""))))
    return messages


def embedded_content(sm: Any, arn: str) -> str:
    return str((sm.describe_model_package(ModelPackageName=arn).get("ModelCard") or {}).get("ModelCardContent"))


def ledger(world: LocalWorld) -> Ledger:
    table = world.function("card_review").environment[constants.ENV_STATE_TABLE]
    return Ledger(boto3.client("dynamodb", region_name=REGION), table)


# A. A card event's body decides nothing -------------------------------------------------------------------------


def test_a_forged_approval_by_a_named_officer_records_what_describe_model_card_says(
    sec_world: LocalWorld, sm: Any, sample_event: Callable[..., dict[str, Any]]
) -> None:
    arn = register(sm)
    sm.create_model_card(
        ModelCardName=CARD,
        Content=json.dumps({"model_package_details": {"model_package_arn": arn, "model_package_group_name": GROUP}}),
        ModelCardStatus="Draft",
    )
    sm.update_model_card(ModelCardName=CARD, Content=json.dumps({"intended_uses": {"risk_rating": "High"}}))
    officer = {"UserProfileName": "chief-risk-officer", "DomainId": "d-1", "UserProfileArn": "arn:x"}

    # When anyone allowed to invoke the function sends version 2 "Approved by chief-risk-officer"
    result = deliver(sec_world, card_event(sample_event, "Approved", LastModifiedBy=officer), "card_review")

    # Then the ledger says what SageMaker says: version 2 is a Draft, last changed by whoever changed it
    (record,) = [r for r in ledger(sec_world).history(card=CARD) if r["action"] == "card_status_changed"]
    assert (record["after"], record["actor"]) == ({"status": "Draft", "card_version": 2}, DEFAULT_ACTOR)
    assert result["status"] == "Draft" and "the event said Approved" in result["reason"]
    assert export_jobs() == []  # no evidence of an approval that never happened
    assert not any("chief-risk-officer" in json.dumps(item) for item in table_items(sec_world))


def test_an_event_dated_in_the_future_is_refused_and_cannot_silence_the_real_changes_after_it(
    sec_world: LocalWorld, sm: Any, sample_event: Callable[..., dict[str, Any]]
) -> None:
    arn = register(sm)
    body = {"model_package_details": {"model_package_arn": arn, "model_package_group_name": GROUP}}
    sm.create_model_card(ModelCardName=CARD, Content=json.dumps(body), ModelCardStatus="Draft")
    sm.update_model_card(ModelCardName=CARD, Content=json.dumps(body | {"intended_uses": {"risk_rating": "High"}}))
    sm.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties={CARD_METADATA_KEY: CARD})

    # When a forged event dates version 2 in 2099 (it would move the card's high-water mark past every real change)
    forged = deliver(
        sec_world, card_event(sample_event, "Draft", LastModifiedTime="2099-01-01T00:00:00Z"), "card_review"
    )
    items_after_forgery = table_items(sec_world)
    # and then the card really goes to review
    sm.update_model_card(ModelCardName=CARD, ModelCardStatus="PendingReview")
    real = deliver(sec_world, card_event(sample_event, "PendingReview"), "card_review")

    assert [m.attributes["event_type"] for m in sec_world.inbox("AlertsNotices")] == ["model_card_pending_review"]
    assert real["outcome"] == "acted" and real["review_notice_published"]
    assert items_after_forgery == []  # nothing read into the state table, no record, no mark
    assert forged["outcome"] == "refused" and "in the future" in forged["reason"]


# B. Encrypted content stays encrypted ---------------------------------------------------------------------------


def plain_content(world: LocalWorld, sm: Any, *packages: str) -> dict[str, int]:
    """Where the encrypted card's content shows in plain text: how many embedded cards, state table items (ledger
    records, effect plans, marks), emails and chat payloads hold the marker."""
    messages = published()
    return {
        "embedded cards": sum(MARKER in embedded_content(sm, arn) for arn in packages),
        "state table items": sum(MARKER in json.dumps(item) for item in table_items(world)),
        "emails": sum(MARKER in email for email, _ in messages),
        "chat payloads": sum(MARKER in chat for _, chat in messages),
    }


NOWHERE = {"embedded cards": 0, "state table items": 0, "emails": 0, "chat payloads": 0}


def test_the_review_of_an_encrypted_card_copies_no_content_to_its_package_records_plans_or_messages(
    sec_world: LocalWorld, sm: Any, sample_event: Callable[..., dict[str, Any]]
) -> None:
    arn = register(sm)  # not encrypted with the card's key
    encrypted_card(sm, CARD, arn)

    with card_keys_enforced({KEY}):  # the function was given the key (modelCardKmsKeyArns)
        deliver(sec_world, card_event(sample_event, "Draft"), "card_review")
        sm.update_model_card(ModelCardName=CARD, ModelCardStatus="PendingReview")
        review = deliver(sec_world, card_event(sample_event, "PendingReview"), "card_review")
        sm.update_model_card(ModelCardName=CARD, ModelCardStatus="Approved")
        approved = deliver(sec_world, card_event(sample_event, "Approved"), "card_review")

    assert plain_content(sec_world, sm, arn) == NOWHERE
    assert sm.describe_model_package(ModelPackageName=arn)["ModelCard"]["ModelCardStatus"] == "Approved"
    assert review["review_notice_published"] and review["embedded_content_withheld"]
    assert approved["export_job_arn"]  # the evidence of the approval is asked for as usual
    (notice,) = [
        m for m in sec_world.inbox("AlertsNotices") if m.attributes["event_type"] == "model_card_pending_review"
    ]
    assert "encrypted with a customer-managed key" in notice.body and notice.attributes["risk_rating"] == "High"
    actions = [r["action"] for r in ledger(sec_world).history(card=CARD)]
    assert "embedded_card_content_withheld" in actions and "embedded_card_updated" not in actions


def test_a_package_encrypted_with_the_cards_key_gets_the_content_and_the_records_keep_digests(
    sec_world: LocalWorld, sm: Any, sample_event: Callable[..., dict[str, Any]]
) -> None:
    arn = register(sm, kms_key=KEY)  # the package's information is under the card's key
    encrypted_card(sm, CARD, arn)

    with card_keys_enforced({KEY}):
        result = deliver(sec_world, card_event(sample_event, "Draft"), "card_review")

    assert plain_content(sec_world, sm) == NOWHERE  # the embedded card holds it: under the same key
    assert result["embedded_content_updated"] and MARKER in embedded_content(sm, arn)
    (updated,) = [r for r in ledger(sec_world).history(card=CARD) if r["action"] == "embedded_card_updated"]
    assert updated["after"]["encrypted_with"] == KEY and len(updated["after"]["sha256"]) == 64


def test_a_card_carried_from_an_encrypted_one_leaves_no_content_in_the_package_records_plans_or_messages(
    sec_world: LocalWorld, sm: Any, sample_event: Callable[..., dict[str, Any]]
) -> None:
    v1 = register(sm)
    encrypted_card(sm, "credit-limit-card", v1)
    # The registrant wrote their own business problem for version 2: the carried (encrypted) value it replaces is
    # recorded as digests.
    v2 = register(sm, embedded={"business_details": {"business_problem": "registrant's own words"}})
    event = sample_event("model_package_state_change", ModelPackageGroupName=GROUP, ModelPackageVersion=2)
    event["detail"]["ModelPackageArn"] = v2
    event.update(region=REGION, resources=[v2])

    with card_keys_enforced({KEY}):
        result = deliver(sec_world, event, "carry_forward")
        carried = sm.describe_model_card(ModelCardName=card_name_for(GROUP, 2))

    assert plain_content(sec_world, sm, v2) == NOWHERE
    assert result["outcome"] == "created" and result["kms_key_id"] == KEY
    assert carried["SecurityConfig"] == {"KmsKeyId": KEY} and MARKER in carried["Content"]  # carried, under the key
    assert result["embedded_content_withheld"]
    (created,) = [r for r in ledger(sec_world).history(group=GROUP) if r["action"] == "card_created"]
    assert [kept["field"] for kept in created["details"]["registrant_kept"]] == ["business_details.business_problem"]


def test_the_backfill_of_a_version_after_an_encrypted_card_leaves_no_content_outside_the_key(
    sec_world: LocalWorld, sm: Any
) -> None:
    v1 = register(sm)
    encrypted_card(sm, "credit-limit-card", v1)
    v2 = register(sm)  # its registration event was lost: the backfill carries the card forward

    with card_keys_enforced({KEY}):
        applied = sec_world.function("backfill").invoke({"mode": "backfill", "dry_run": False}).result
        carried = sm.describe_model_card(ModelCardName=card_name_for(GROUP, 2))

    assert plain_content(sec_world, sm, v2) == NOWHERE
    assert [(item["group"], item["outcome"]) for item in applied["items"]] == [(GROUP, "created")]
    assert carried["SecurityConfig"] == {"KmsKeyId": KEY} and MARKER in carried["Content"]
