"""The pure carry-forward rules, with what they produce checked against AWS's published schemas."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from model_governance.adapters.sagemaker import card_record
from model_governance.cards.carry_forward import (
    choose_source,
    fill_embedded_card,
    package_details,
    plan_new_card,
)
from model_governance.cards.content import (
    MAX_CONTENT_CHARS,
    Flavour,
    sdk_load_problems,
    serialize,
    validate_content,
)
from model_governance.cards.records import (
    UNPARSEABLE_CONTENT_KEY,
    CardLink,
    CardRecord,
    Container,
    EmbeddedCard,
    FieldChange,
    PackageFacts,
)
from tests.oracle import oracle_errors

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
V1_ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/1"
V2_ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/2"

SOURCE = CardRecord(
    name="churn-hand-made",
    version=3,
    status="Approved",
    content={
        "model_overview": {
            "model_owner": "retention-ml team",
            "model_creator": "a.ng",
            "model_description": "Predicts churn",
            "problem_type": "Binary classification",
            "algorithm_type": "XGBoost",
            "model_artifact": ["s3://old/v1/model.tar.gz"],
            "model_id": V1_ARN,
        },
        "model_package_details": {"model_package_arn": V1_ARN, "model_package_group_name": "churn"},
        "intended_uses": {"purpose_of_model": "retention", "risk_rating": "High"},
        "business_details": {"business_problem": "customers leave", "business_stakeholders": "CRM"},
        "additional_information": {
            "caveats_and_recommendations": "not for credit decisions",
            "custom_details": {"ticket": "GOV-12", "carried_from_card": "something-older"},
        },
        "training_details": {"training_observations": "v1 training"},
        "evaluation_details": [{"name": "v1 eval"}],
    },
)
PACKAGE = PackageFacts(
    arn=V2_ARN,
    group="churn",
    version=2,
    status="Completed",
    approval_status="PendingManualApproval",
    description="Retrained on October data",
    containers=(Container("123.dkr.ecr.us-east-1.amazonaws.com/xgb:1", "s3://new/v2/model.tar.gz"),),
    metrics=(("ModelQuality", "Statistics", "s3://new/v2/evaluation.json"),),
)


def test_source_is_the_card_of_the_highest_earlier_version():
    links = [CardLink("churn", 1, "a"), CardLink("churn", 3, "c"), CardLink("churn", 5, "e"), CardLink("churn", 4, "d")]
    assert choose_source(links, 5) == CardLink("churn", 4, "d")
    assert choose_source(links, 1) is None


def test_new_card_carries_family_sections_and_refreshes_version_facts():
    plan = plan_new_card("churn-v2", PACKAGE, SOURCE, NOW)
    content = plan.content
    assert content["business_details"] == SOURCE.content["business_details"]
    assert content["intended_uses"] == SOURCE.content["intended_uses"]
    assert content["additional_information"]["caveats_and_recommendations"] == "not for credit decisions"
    assert content["model_overview"]["model_owner"] == "retention-ml team"
    assert content["model_overview"]["algorithm_type"] == "XGBoost"
    # taken from the new package, never from the old card
    assert content["model_overview"]["model_artifact"] == ["s3://new/v2/model.tar.gz"]
    # the package is named by model_package_details alone: the SDK refuses model_overview.model_id beside it
    assert "model_id" not in content["model_overview"]
    assert content["model_package_details"]["model_package_arn"] == V2_ARN
    assert content["model_package_details"]["model_package_version"] == 2
    assert "training_details" not in content
    assert content["evaluation_details"][0]["metadata"]["report_s3_uri"] == "s3://new/v2/evaluation.json"


def test_provenance_names_the_source_and_replaces_older_provenance():
    custom = plan_new_card("churn-v2", PACKAGE, SOURCE, NOW).content["additional_information"]["custom_details"]
    assert custom["carried_from_card"] == "churn-hand-made"
    assert custom["carried_from_card_version"] == "3"
    assert custom["carried_from_model_package_version"] == "1"
    assert custom["carried_at"] == "2026-11-22T09:30:00+00:00"
    assert custom["ticket"] == "GOV-12"


def test_the_new_card_is_valid_for_us_and_for_the_published_schema():
    content = plan_new_card("churn-v2", PACKAGE, SOURCE, NOW).content
    assert validate_content(content, Flavour.STANDALONE) == []
    assert oracle_errors(content) == []


def test_without_a_source_the_card_comes_from_the_package_alone():
    plan = plan_new_card("churn-v2", PACKAGE, None, NOW)
    assert plan.carried == ()
    assert "business_details" not in plan.content
    assert plan.content["model_overview"]["model_description"] == "Retrained on October data"
    assert "carried_from_card" not in plan.content["additional_information"]["custom_details"]
    assert oracle_errors(plan.content) == []


def test_embedded_card_is_filled_when_empty_and_valid_for_the_package_schema():
    card = plan_new_card("churn-v2", PACKAGE, SOURCE, NOW).content
    filled = fill_embedded_card(None, card)
    assert filled == {
        "business_details": SOURCE.content["business_details"],
        "intended_uses": SOURCE.content["intended_uses"],
    }
    assert oracle_errors(filled, package=True) == []


def test_embedded_card_keeps_what_a_person_wrote():
    card = plan_new_card("churn-v2", PACKAGE, SOURCE, NOW).content
    current = EmbeddedCard(
        content={"intended_uses": {"purpose_of_model": "written by hand", "intended_uses": ""}}, status="Draft"
    )
    filled = fill_embedded_card(current, card)
    assert filled is not None
    assert filled["intended_uses"]["purpose_of_model"] == "written by hand"
    assert filled["intended_uses"]["risk_rating"] == "High"
    assert filled["business_details"] == SOURCE.content["business_details"]


def test_embedded_card_already_in_step_or_archived_is_left_alone():
    card = plan_new_card("churn-v2", PACKAGE, SOURCE, NOW).content
    in_step = EmbeddedCard(content=fill_embedded_card(None, card) or {}, status="Draft")
    assert fill_embedded_card(in_step, card) is None
    assert fill_embedded_card(EmbeddedCard(content={}, status="Archived"), card) is None


# The SageMaker Python SDK can load what we write (aws-facts.md 7) -------------------------------------------
def test_the_new_card_keeps_the_rule_the_sdk_loader_enforces():
    # given a source card that names its model in model_overview.model_id (hand-made cards often do)
    plan = plan_new_card("churn-v2", PACKAGE, SOURCE, NOW)
    # then the new card links the package through model_package_details only, which the SDK's loader accepts
    assert sdk_load_problems(plan.content) == []
    assert plan.problems == ()
    assert "model_overview.model_id" not in plan.refreshed


def test_our_validator_refuses_content_the_sdk_cannot_load():
    content = {"model_overview": {"model_id": V2_ARN}, "model_package_details": {"model_package_arn": V2_ARN}}
    assert sdk_load_problems(content)
    assert any("model_id" in problem for problem in validate_content(content, Flavour.STANDALONE))
    # either one alone loads
    assert sdk_load_problems({"model_overview": {"model_id": V2_ARN, "model_name": "churn"}}) == []
    assert sdk_load_problems({"model_package_details": {"model_package_arn": V2_ARN}}) == []


# What the registrant wrote for this version wins over what is carried ----------------------------------------
REGISTERED = replace(
    PACKAGE,
    embedded_card=EmbeddedCard(
        content={
            "intended_uses": {"risk_rating": "High", "purpose_of_model": ""},
            "model_overview": {"model_owner": "fraud-ml team", "model_artifact": ["s3://new/v2/model.tar.gz"]},
            "additional_information": {"custom_details": {"carried_from_card": "copied provenance is not theirs"}},
        },
        status="Draft",
    ),
)
MEDIUM_SOURCE = replace(SOURCE, content={**SOURCE.content, "intended_uses": {"risk_rating": "Medium"}})


def test_the_registrants_risk_rating_wins_over_the_carried_one():
    # given the previous card says Medium and the registrant wrote High in this version's embedded card
    plan = plan_new_card("churn-v2", REGISTERED, MEDIUM_SOURCE, NOW)
    # then the new card says High, and says so
    assert plan.content["intended_uses"]["risk_rating"] == "High"
    assert plan.content["model_overview"]["model_owner"] == "fraud-ml team"
    assert plan.registrant_kept == (
        FieldChange("model_overview.model_owner", "retention-ml team", "fraud-ml team"),
        FieldChange("intended_uses.risk_rating", "Medium", "High"),
    )
    assert any("intended_uses.risk_rating" in note and "registrant" in note for note in plan.notes)
    # empty registrant fields and copied provenance change nothing
    assert plan.content["additional_information"]["custom_details"]["carried_from_card"] == "churn-hand-made"
    assert oracle_errors(plan.content) == [] and plan.problems == ()


def test_registrant_values_are_kept_without_a_previous_card_too():
    plan = plan_new_card("churn-v2", REGISTERED, None, NOW)
    assert plan.content["intended_uses"] == {"risk_rating": "High"}
    assert plan.registrant_kept == ()


# An unreadable predecessor is not carried as if it were empty -------------------------------------------------
UNREADABLE = CardRecord(
    name="churn-v1", version=4, status="Approved", content={UNPARSEABLE_CONTENT_KEY: '{"intended_uses": {"risk'}
)


def test_an_unreadable_predecessor_is_refused_and_the_plan_says_so():
    plan = plan_new_card("churn-v2", PACKAGE, UNREADABLE, NOW)
    assert plan.unreadable_source is UNREADABLE
    assert plan.source is None and plan.carried == ()
    custom = plan.content["additional_information"]["custom_details"]
    assert "carried_from_card" not in custom
    assert custom["carry_refused_unreadable_card"] == "churn-v1 version 4"
    assert any("could not be read" in note and "churn-v1 version 4" in note for note in plan.notes)
    assert any("could not be read" in item for item in plan.needs_review)
    assert plan.problems == () and oracle_errors(plan.content) == []


def test_an_adapter_record_of_unparseable_content_is_unreadable():
    record = card_record({"ModelCardName": "churn-v1", "ModelCardVersion": 4, "Content": "not json"})
    assert record.unreadable
    assert plan_new_card("churn-v2", PACKAGE, record, NOW).carried == ()


# A predecessor near the 100,000-character limit gives a valid card ------------------------------------------
def _near_limit_source(total: int, text: str = "x") -> CardRecord:
    """A valid predecessor of exactly ``total`` characters, nearly all of it in sections that are carried."""
    long = (text * 2048)[:2048]
    content = {
        **SOURCE.content,
        "business_details": {"business_problem": long, "business_stakeholders": long, "line_of_business": long},
        "intended_uses": {"risk_rating": "High", "purpose_of_model": long, "intended_uses": long},
        "additional_information": {
            "ethical_considerations": long,
            "caveats_and_recommendations": long,
            "custom_details": {f"note-{i:03}": (text * 1000)[:1000] for i in range(200)},
        },
    }
    custom = content["additional_information"]["custom_details"]
    while len(serialize(content)) > total:
        custom.popitem()
    custom["padding"] = ""
    custom["padding"] = "p" * (total - len(serialize(content)))
    assert len(serialize(content)) == total
    assert oracle_errors(content) == []  # a card AWS would hold (it names its model the old way, with model_id)
    return replace(SOURCE, content=content)


@pytest.mark.parametrize("text", ["x", 'quote " and newline\n'])  # escapes count as sent
def test_a_99990_character_predecessor_gives_a_valid_trimmed_card(text):
    source = _near_limit_source(99_990, text)
    plan = plan_new_card("churn-v2", REGISTERED, source, NOW)
    content = plan.content
    assert len(serialize(content)) <= MAX_CONTENT_CHARS
    assert plan.problems == ()
    assert oracle_errors(content) == []
    # the largest carried texts were cut first, each naming where the full text is
    assert plan.trimmed and plan.trimmed[0].startswith(("business_details", "intended_uses", "additional_information"))
    assert "2048" in plan.trimmed[0]
    assert len(plan.trimmed) == 1  # one text takes the whole cut: the others stay whole
    cut = [v for _, v in _texts(content) if "trimmed to fit" in v]
    assert cut and all("churn-hand-made version 3" in v for v in cut)
    assert any("trimmed" in note for note in plan.notes)
    # never the package's facts, the registrant's values or the provenance
    assert content["model_package_details"] == package_details(REGISTERED)
    assert content["intended_uses"]["risk_rating"] == "High"
    assert content["model_overview"]["model_owner"] == "fraud-ml team"
    assert content["additional_information"]["custom_details"]["carried_from_card"] == "churn-hand-made"


def test_a_predecessor_that_fits_is_not_trimmed():
    plan = plan_new_card("churn-v2", PACKAGE, SOURCE, NOW)
    assert plan.trimmed == ()
    assert "carry_trimmed_to_fit" not in plan.content["additional_information"]["custom_details"]


def _texts(content, prefix=""):
    for key, value in content.items():
        if isinstance(value, dict):
            yield from _texts(value, f"{prefix}{key}.")
        elif isinstance(value, str):
            yield f"{prefix}{key}", value


def test_filling_an_embedded_card_near_the_limit_leaves_out_what_does_not_fit():
    # given the registrant's embedded card is 99,000 characters
    big = {"additional_information": {"custom_details": {f"k{i:02}": "v" * 1000 for i in range(98)}}}
    big["additional_information"]["custom_details"]["pad"] = ""
    big["additional_information"]["custom_details"]["pad"] = "p" * (99_000 - len(serialize(big)))
    card = plan_new_card("churn-v2", PACKAGE, SOURCE, NOW).content
    # when it is filled from a card with 2,000-character intended uses
    card["intended_uses"]["intended_uses"] = "u" * 2000
    filled = fill_embedded_card(EmbeddedCard(content=big, status="Draft"), card)
    # then what fits is filled, what does not is left out, and the result is valid
    assert filled is not None
    assert len(serialize(filled)) <= MAX_CONTENT_CHARS
    assert filled["intended_uses"]["risk_rating"] == "High"
    assert "intended_uses" not in filled["intended_uses"]
    assert validate_content(filled, Flavour.PACKAGE) == []
