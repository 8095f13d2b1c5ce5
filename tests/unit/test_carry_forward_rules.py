"""The pure carry-forward rules, with what they produce checked against AWS's published schemas."""

from datetime import UTC, datetime

from model_governance.cards.carry_forward import choose_source, fill_embedded_card, plan_new_card
from model_governance.cards.content import Flavour, validate_content
from model_governance.cards.records import CardLink, CardRecord, Container, EmbeddedCard, PackageFacts
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
    assert content["model_overview"]["model_id"] == V2_ARN
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
