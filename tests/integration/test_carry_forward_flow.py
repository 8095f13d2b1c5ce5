"""Carry-forward end to end: the synthesized rule delivers SageMaker's event to the real handler on moto.

moto lacks Search over model cards and drops a package's ModelCard; local/moto_gaps.py fills both (their
request and response shapes are checked against the service model in test_sagemaker_adapter.py).
"""

import json

import boto3
import pytest

from model_governance.adapters.ledger import Ledger
from model_governance.cards.naming import card_name_for
from model_governance.cards.trust import CARD_METADATA_KEY
from tests.oracle import oracle_errors

REGION = "us-east-1"
HAND_MADE = {
    "model_overview": {
        "model_owner": "retention-ml team",
        "model_description": "Predicts churn",
        "problem_type": "Binary classification",
    },
    "intended_uses": {
        "purpose_of_model": "Target retention offers",
        "intended_uses": "Monthly batch scoring",
        "risk_rating": "Medium",
    },
    "business_details": {
        "business_problem": "Subscribers leave",
        "business_stakeholders": "CRM team",
        "line_of_business": "Consumer",
    },
    "additional_information": {"caveats_and_recommendations": "Not for pricing decisions"},
}


def container(version: int) -> dict:
    return {
        "Containers": [
            {
                "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/xgb:1.7",
                "ModelDataUrl": f"s3://models/churn/v{version}/model.tar.gz",
            }
        ],
        "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["text/csv"],
    }


class Account:
    """SageMaker actions a data scientist would take, on moto."""

    def __init__(self, group: str = "versionedmp-p-idy6c3e1fiqj") -> None:
        self.sm = boto3.client("sagemaker", region_name=REGION)
        self.group = group
        self.sm.create_model_package_group(ModelPackageGroupName=group)

    def register(self, version: int, **extra) -> str:
        arn = self.sm.create_model_package(
            ModelPackageGroupName=self.group, InferenceSpecification=container(version), **extra
        )
        return arn["ModelPackageArn"]

    def hand_made_card(self, name: str, package_arn: str, content: dict | None = None, *, confirm: bool = True) -> None:
        """A card written by a person; ``confirm``: the package names it (README: confirming a hand-made card)."""
        body = dict(content or HAND_MADE)
        body["model_package_details"] = {"model_package_arn": package_arn, "model_package_group_name": self.group}
        self.sm.create_model_card(ModelCardName=name, Content=json.dumps(body), ModelCardStatus="Draft")
        if confirm:
            self.sm.update_model_package(
                ModelPackageArn=package_arn, CustomerMetadataProperties={CARD_METADATA_KEY: name}
            )

    def card(self, name: str) -> dict:
        described = self.sm.describe_model_card(ModelCardName=name)
        return {"status": described["ModelCardStatus"], "content": json.loads(described["Content"])}

    def card_names(self) -> list[str]:
        return sorted(c["ModelCardName"] for c in self.sm.list_model_cards()["ModelCardSummaries"])

    def embedded(self, arn: str) -> dict | None:
        card = self.sm.describe_model_package(ModelPackageName=arn).get("ModelCard")
        return json.loads(card["ModelCardContent"]) if card else None


def carried(world, event: dict) -> list:
    """Deliver ``event`` through the synthesized rules; the carry-forward function's invocations (every
    registration also reaches the approval gate, which judges the version and changes nothing here)."""
    return [invocation for invocation in world.put_event(event) if invocation.function == "carry_forward"]


def registered_event(sample_event, account: Account, arn: str, version: int) -> dict:
    event = sample_event(
        "model_package_state_change",
        ModelPackageGroupName=account.group,
        ModelPackageVersion=version,
        ModelPackageArn=arn,
    )
    event.update(region=REGION, resources=[arn])
    return event


def test_documented_event_for_version_2_carries_version_1s_card_exactly_once(world, sample_event):
    # given version 1 with a hand-made linked card, and version 2 just registered
    account = Account()
    v1 = account.register(1)
    account.hand_made_card("churn-card-by-hand", v1)
    v2 = account.register(2)
    event = registered_event(sample_event, account, v2, 2)

    # when SageMaker's event arrives three times
    results = [inv for _ in range(3) for inv in carried(world, event)]

    # then exactly one new card exists, linked to version 2, with version 1's family sections
    assert [r.error for r in results] == [None, None, None]
    new_name = card_name_for(account.group, 2)
    assert account.card_names() == sorted(["churn-card-by-hand", new_name])
    card = account.card(new_name)
    assert card["status"] == "Draft"
    assert card["content"]["model_package_details"]["model_package_arn"] == v2
    assert card["content"]["business_details"] == HAND_MADE["business_details"]
    assert card["content"]["intended_uses"] == HAND_MADE["intended_uses"]
    assert card["content"]["additional_information"]["caveats_and_recommendations"] == "Not for pricing decisions"
    assert card["content"]["model_overview"]["model_artifact"] == ["s3://models/churn/v2/model.tar.gz"]
    assert card["content"]["additional_information"]["custom_details"]["carried_from_card"] == "churn-card-by-hand"
    assert oracle_errors(card["content"]) == []
    # and the package's own card was filled once, valid for the package schema
    embedded = account.embedded(v2)
    assert embedded == {"business_details": HAND_MADE["business_details"], "intended_uses": HAND_MADE["intended_uses"]}
    assert oracle_errors(embedded, package=True) == []
    # and one notice was published
    [notice] = world.inbox("AlertsNotices")
    assert notice.subject == f"Model card {new_name} created for {account.group} v2"
    assert "Carried from:    churn-card-by-hand" in notice.body
    assert notice.attributes == {
        "event_type": "model_card_created",
        "model_package_group": account.group,
        "risk_rating": "Medium",
        "severity": "Medium",  # for chat filter policies: the card's risk rating
    }
    # and the metric was emitted once
    assert sum(m.get("ModelCardsCarriedForward", [0])[0] for r in results for m in r.metrics) == 1


def test_ledger_records_the_creation_once_per_event(world, sample_event):
    account = Account("ledger-group")
    v1 = account.register(1)
    account.hand_made_card("ledger-card", v1)
    v2 = account.register(2)
    for _ in range(2):
        carried(world, registered_event(sample_event, account, v2, 2))
    table = world.function("carry_forward").environment["STATE_TABLE_NAME"]
    actions = [
        r["action"] for r in Ledger(boto3.client("dynamodb", region_name=REGION), table).for_group(account.group)
    ]
    assert sorted(actions) == ["card_created", "embedded_card_updated", "notice_sent"]


def test_source_is_the_highest_earlier_version_with_a_card(world, sample_event):
    account = Account("multi")
    v1, v2, _v3 = account.register(1), account.register(2), account.register(3)
    account.hand_made_card("card-for-v1", v1, {**HAND_MADE, "business_details": {"business_problem": "old"}})
    account.hand_made_card("card-for-v2", v2, {**HAND_MADE, "business_details": {"business_problem": "newer"}})
    v4 = account.register(4)
    carried(world, registered_event(sample_event, account, v4, 4))
    card = account.card(card_name_for("multi", 4))
    assert card["content"]["business_details"] == {"business_problem": "newer"}
    assert card["content"]["additional_information"]["custom_details"]["carried_from_model_package_version"] == "2"


def test_chain_of_registrations_carries_from_the_systems_own_previous_card(world, sample_event):
    account = Account("chain")
    v1 = account.register(1)
    account.hand_made_card("chain-origin", v1)
    for version in (2, 3):
        arn = account.register(version)
        carried(world, registered_event(sample_event, account, arn, version))
    custom = account.card(card_name_for("chain", 3))["content"]["additional_information"]["custom_details"]
    assert custom["carried_from_card"] == card_name_for("chain", 2)
    assert account.card(card_name_for("chain", 3))["content"]["intended_uses"] == HAND_MADE["intended_uses"]


def test_no_earlier_card_creates_a_draft_from_the_package_and_says_so(world, sample_event):
    account = Account("first-of-its-kind")
    v1 = account.register(1, ModelPackageDescription="Baseline model")
    carried(world, registered_event(sample_event, account, v1, 1))
    card = account.card(card_name_for("first-of-its-kind", 1))
    assert card["content"]["model_overview"]["model_description"] == "Baseline model"
    assert "business_details" not in card["content"]
    [notice] = world.inbox("AlertsNotices")
    assert notice.attributes["event_type"] == "no_documented_predecessor"
    assert "no documented predecessor" in notice.body


def test_card_creation_without_predecessor_can_be_turned_off(world, sample_event):
    world.function("carry_forward").environment["CREATE_CARD_WITHOUT_PREDECESSOR"] = "false"
    account = Account("off-switch")
    v1 = account.register(1)
    for _ in range(2):
        carried(world, registered_event(sample_event, account, v1, 1))
    assert account.card_names() == []
    [notice] = world.inbox("AlertsNotices")
    assert "No card was created" in notice.body


def test_an_invalid_source_card_gives_a_clear_error_and_writes_nothing(world, sample_event):
    account = Account("bad-source")
    v1 = account.register(1)
    account.hand_made_card("bad-card", v1, {**HAND_MADE, "intended_uses": {"risk_rating": "Catastrophic"}})
    v2 = account.register(2)
    [invocation] = carried(world, registered_event(sample_event, account, v2, 2))
    assert "risk_rating" in str(invocation.error) and "bad-card" in str(invocation.error)
    assert account.card_names() == ["bad-card"]
    assert account.embedded(v2) is None
    assert world.inbox("AlertsNotices") == []


def test_a_person_written_embedded_card_is_not_overwritten(world, sample_event):
    account = Account("hand-written-package-card")
    v1 = account.register(1)
    account.hand_made_card("origin", v1)
    written = {"business_details": {"business_problem": "As written by the owner"}}
    v2 = account.register(2, ModelCard={"ModelCardContent": json.dumps(written), "ModelCardStatus": "Draft"})
    carried(world, registered_event(sample_event, account, v2, 2))
    embedded = account.embedded(v2)
    assert embedded["business_details"]["business_problem"] == "As written by the owner"
    assert embedded["business_details"]["business_stakeholders"] == "CRM team"
    assert embedded["intended_uses"] == HAND_MADE["intended_uses"]


def test_an_archived_embedded_card_is_never_touched(world, sample_event):
    account = Account("archived-package-card")
    v1 = account.register(1)
    account.hand_made_card("origin-archived", v1)
    v2 = account.register(2, ModelCard={"ModelCardContent": "{}", "ModelCardStatus": "Archived"})
    [invocation] = carried(world, registered_event(sample_event, account, v2, 2))
    assert invocation.error is None
    assert account.embedded(v2) == {}


def test_retry_after_a_failed_package_update_converges(world, sample_event, monkeypatch):
    account = Account("partial")
    v1 = account.register(1)
    account.hand_made_card("partial-origin", v1)
    v2 = account.register(2)
    event = registered_event(sample_event, account, v2, 2)
    from model_governance.adapters import sagemaker

    original = sagemaker.ModelRegistry.update_package_card_content

    def fail_once(self, arn, content):
        monkeypatch.setattr(sagemaker.ModelRegistry, "update_package_card_content", original)
        raise RuntimeError("throttled for too long")

    monkeypatch.setattr(sagemaker.ModelRegistry, "update_package_card_content", fail_once)
    [first] = carried(world, event)
    assert first.error is not None and account.embedded(v2) is None
    assert world.inbox("AlertsNotices") == []
    [retry] = carried(world, event)
    [again] = carried(world, event)
    assert retry.error is None and again.error is None
    assert account.card_names() == sorted(["partial-origin", card_name_for("partial", 2)])
    assert account.embedded(v2)["business_details"] == HAND_MADE["business_details"]
    assert len(world.inbox("AlertsNotices")) == 1


@pytest.mark.parametrize("detail", [{"ModelPackageStatus": "InProgress"}, {"ModelPackageStatus": "Failed"}])
def test_packages_that_did_not_complete_are_not_delivered(world, sample_event, detail):
    account = Account("incomplete")
    v1 = account.register(1)
    event = registered_event(sample_event, account, v1, 1)
    event["detail"].update(detail)
    assert carried(world, event) == []


def test_a_63_character_group_gets_a_valid_card_name(world, sample_event):
    account = Account("g" * 63)
    v1 = account.register(1)
    carried(world, registered_event(sample_event, account, v1, 1))
    [name] = account.card_names()
    assert name == card_name_for("g" * 63, 1) and len(name) <= 63


def test_a_package_deleted_before_the_event_is_handled_is_a_ledgered_skip_not_a_retry_loop(world, sample_event):
    account = Account("gone")
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/gone/7"
    [invocation] = carried(world, registered_event(sample_event, account, arn, 7))
    assert invocation.error is None  # retrying cannot bring the package back: no DLQ loop
    assert invocation.result["outcome"] == "package-missing" and "gone/7" in invocation.result["reason"]
    assert account.card_names() == []
    table = world.function("carry_forward").environment["STATE_TABLE_NAME"]
    history = Ledger(boto3.client("dynamodb", region_name=REGION), table).history(group="gone")
    assert [(r["action"], "gone/7" in r["details"]["reason"]) for r in history] == [("skipped", True)]


def test_a_card_someone_already_linked_to_the_new_version_is_adopted_not_duplicated(world, sample_event):
    account = Account("adopt")
    v1 = account.register(1)
    account.hand_made_card("adopt-v1-card", v1)
    v2 = account.register(2)
    account.hand_made_card("written-for-v2-by-the-sdk", v2)
    carried(world, registered_event(sample_event, account, v2, 2))
    assert account.card_names() == ["adopt-v1-card", "written-for-v2-by-the-sdk"]
    assert account.embedded(v2)["business_details"] == HAND_MADE["business_details"]


def test_a_deterministic_name_taken_by_another_versions_card_gets_the_version_a_card_of_its_own(world, sample_event):
    # The name is held by a card documenting version 2: version 1 gets its card under the fallback name (it used to
    # end in the DLQ, for good). tests/security/test_trust_attacks.py plays the squatting attack in full.
    account = Account("taken")
    v1 = account.register(1)
    other = account.register(2)
    account.hand_made_card(card_name_for("taken", 1), other)
    [invocation] = carried(world, registered_event(sample_event, account, v1, 1))
    assert invocation.error is None
    own = invocation.result["card_name"]
    assert own.startswith("taken-v1-r") and own != card_name_for("taken", 1)
    assert account.card(own)["content"]["model_package_details"]["model_package_arn"] == v1
    assert account.card(card_name_for("taken", 1))["content"]["model_package_details"]["model_package_arn"] == other


def test_a_decoy_card_claiming_an_earlier_version_is_never_carried_forward(world, sample_event):
    # given version 1's confirmed card, and a later-edited decoy that claims version 1 without confirmation
    account = Account("decoy-source")
    v1 = account.register(1)
    account.hand_made_card("real-v1-card", v1)
    decoy = {**HAND_MADE, "business_details": {"business_problem": "written by the decoy"}}
    account.hand_made_card("decoy-v1-card", v1, decoy, confirm=False)
    v2 = account.register(2)

    [invocation] = carried(world, registered_event(sample_event, account, v2, 2))

    card = account.card(card_name_for(account.group, 2))
    assert invocation.error is None
    assert card["content"]["additional_information"]["custom_details"]["carried_from_card"] == "real-v1-card"
    assert card["content"]["business_details"] == HAND_MADE["business_details"]
    assert account.embedded(v2)["business_details"] == HAND_MADE["business_details"]


def test_a_decoy_card_claiming_the_new_version_is_not_adopted(world, sample_event):
    # given an unconfirmed card that claims version 2 before carry-forward runs
    account = Account("decoy-adopt")
    v1 = account.register(1)
    account.hand_made_card("decoy-adopt-v1-card", v1)
    v2 = account.register(2)
    account.hand_made_card("squatter", v2, {**HAND_MADE, "intended_uses": {"risk_rating": "Low"}}, confirm=False)

    [invocation] = carried(world, registered_event(sample_event, account, v2, 2))

    own = card_name_for(account.group, 2)
    assert invocation.error is None and invocation.result["card_name"] == own
    assert account.card_names() == sorted(["decoy-adopt-v1-card", "squatter", own])
    assert account.embedded(v2)["intended_uses"] == HAND_MADE["intended_uses"]  # not the squatter's "Low"


def test_our_card_name_taken_by_an_unconfirmed_card_is_not_adopted(world, sample_event):
    # given someone created a card under the name carry-forward would use, claiming the new version
    account = Account("squat")
    v1 = account.register(1)
    account.hand_made_card(card_name_for("squat", 1), v1, confirm=False)

    [invocation] = carried(world, registered_event(sample_event, account, v1, 1))

    # the version's card is one of its own, under a name nobody could choose ahead; the squatter is untouched
    assert invocation.error is None and invocation.result["card_name"] != card_name_for("squat", 1)
    assert account.card_names() == sorted([card_name_for("squat", 1), invocation.result["card_name"]])
    assert account.card(card_name_for("squat", 1))["content"]["business_details"] == HAND_MADE["business_details"]


def test_the_registrants_risk_rating_wins_over_the_carried_one_in_both_cards(world, sample_event):
    # given version 1's card says Medium, and the registrant wrote High into version 2's own card
    account = Account("registrant-wins")
    v1 = account.register(1)
    account.hand_made_card("registrant-origin", v1)
    written = {"intended_uses": {"risk_rating": "High"}}
    v2 = account.register(2, ModelCard={"ModelCardContent": json.dumps(written), "ModelCardStatus": "Draft"})
    # when version 2's event arrives
    [invocation] = carried(world, registered_event(sample_event, account, v2, 2))
    # then both the new card and the package's card say High, and the notice says whose value it is
    assert invocation.error is None
    card = account.card(card_name_for("registrant-wins", 2))["content"]
    assert card["intended_uses"]["risk_rating"] == "High"
    assert card["intended_uses"]["purpose_of_model"] == HAND_MADE["intended_uses"]["purpose_of_model"]
    assert account.embedded(v2)["intended_uses"]["risk_rating"] == "High"
    [notice] = world.inbox("AlertsNotices")
    assert notice.attributes["risk_rating"] == "High"
    assert "registrant" in notice.body and "intended_uses.risk_rating" in notice.body


def test_an_unreadable_predecessor_is_not_carried_as_empty_and_the_notice_says_so(world, sample_event):
    # given version 2's card, carried by the system, whose latest version holds content that is not JSON
    account = Account("unreadable-origin")
    v1 = account.register(1)
    account.hand_made_card("readable-first", v1)
    v2 = account.register(2)
    carried(world, registered_event(sample_event, account, v2, 2))
    v2_card = card_name_for("unreadable-origin", 2)
    account.sm.update_model_card(ModelCardName=v2_card, Content='{"intended_uses": {"risk_rating": "Hi')
    world.inbox("AlertsNotices")  # read: only what comes next counts
    v3 = account.register(3)
    # when version 3's event arrives
    [invocation] = carried(world, registered_event(sample_event, account, v3, 3))
    # then the new card carries nothing, says why, and the notice names the unreadable card
    assert invocation.error is None
    card = account.card(card_name_for("unreadable-origin", 3))["content"]
    assert "intended_uses" not in card and "business_details" not in card
    custom = card["additional_information"]["custom_details"]
    assert "carried_from_card" not in custom
    assert custom["carry_refused_unreadable_card"] == f"{v2_card} version 2"
    [notice] = world.inbox("AlertsNotices")
    assert "could not be read" in notice.body and f"{v2_card} version 2" in notice.body
    assert "no earlier version has a card" not in notice.body


def test_a_predecessor_near_the_size_limit_gives_a_valid_trimmed_card_not_a_poison_event(world, sample_event):
    # given version 1's card is 99,990 characters, nearly all of it in sections that are carried
    account = Account("near-the-limit")
    v1 = account.register(1)
    long = "x" * 2048
    body = {
        **HAND_MADE,
        "business_details": {"business_problem": long, "business_stakeholders": long, "line_of_business": long},
        "additional_information": {"custom_details": {f"note-{i:03}": "n" * 1000 for i in range(100)}},
    }
    body["model_package_details"] = {"model_package_arn": v1, "model_package_group_name": account.group}
    custom = body["additional_information"]["custom_details"]
    while len(json.dumps(body, separators=(",", ":"))) > 99_990 - len(',"padding":""'):
        custom.popitem()
    custom["padding"] = ""
    custom["padding"] = "p" * (99_990 - len(json.dumps(body, separators=(",", ":"))))
    assert len(json.dumps(body, separators=(",", ":"))) == 99_990
    account.sm.create_model_card(ModelCardName="big-origin", Content=json.dumps(body), ModelCardStatus="Draft")
    account.sm.update_model_package(ModelPackageArn=v1, CustomerMetadataProperties={CARD_METADATA_KEY: "big-origin"})
    v2 = account.register(2)
    # when version 2's event arrives
    [invocation] = carried(world, registered_event(sample_event, account, v2, 2))
    # then a valid card within the limit exists, with the package's facts whole, and the notice says what was cut
    assert invocation.error is None
    described = account.sm.describe_model_card(ModelCardName=card_name_for("near-the-limit", 2))
    assert len(described["Content"]) <= 100_000
    card = json.loads(described["Content"])
    assert oracle_errors(card) == []
    assert card["model_package_details"]["model_package_arn"] == v2
    assert "carry_trimmed_to_fit" in card["additional_information"]["custom_details"]
    [notice] = world.inbox("AlertsNotices")
    assert "trimmed to fit" in notice.body
