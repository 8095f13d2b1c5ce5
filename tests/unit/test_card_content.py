"""Our validator against AWS's published schemas: it must refuse what they refuse, and accept what they accept."""

import pytest

from model_governance.cards.content import MAX_CONTENT_CHARS, Flavour, validate_content
from tests.oracle import oracle_errors

VALID = {
    "model_overview": {"model_owner": "risk team", "model_description": "churn", "problem_type": "Binary"},
    "intended_uses": {"risk_rating": "Medium", "intended_uses": "retention offers"},
    "business_details": {"business_problem": "churn", "line_of_business": "consumer"},
    "additional_information": {"custom_details": {"ticket": "GOV-1"}},
}

INVALID = [
    ({"intended_uses": {"risk_rating": "Extreme"}}, "risk_rating"),
    ({"business_details": {"business_problem": "x" * 2049}}, "business_problem"),
    ({"model_overview": {"model_owner": "x" * 1025}}, "model_owner"),
    ({"additional_information": {"custom_details": {"k": "v" * 1025}}}, "custom_details"),
    ({"business_details": {"unknown_field": "x"}}, "unknown_field"),
    ({"not_a_section": {}}, "not_a_section"),
    ({"model_overview": {"model_artifact": ["s3://b/k"] * 16}}, "model_artifact"),
    ({"evaluation_details": [{"name": ""}]}, "evaluation_details"),
]


@pytest.mark.parametrize("flavour", list(Flavour))
def test_valid_content_passes_ours_and_the_oracle(flavour):
    assert validate_content(VALID, flavour) == []
    assert oracle_errors(VALID, package=flavour is Flavour.PACKAGE) == []


@pytest.mark.parametrize(("content", "word"), INVALID)
def test_we_refuse_what_the_aws_schema_refuses(content, word):
    problems = validate_content(content, Flavour.STANDALONE)
    assert problems, "our validator accepted content AWS's schema refuses"
    assert any(word in p for p in problems)
    if word != "model_artifact":  # the published schema writes maxContains, which draft-07 ignores
        assert oracle_errors(content), "the oracle should refuse this content too"


def test_package_flavour_refuses_model_package_details_like_the_sdk_schema():
    content = {"model_package_details": {"model_package_arn": "arn"}}
    assert any("model_package_details" in p for p in validate_content(content, Flavour.PACKAGE))
    assert oracle_errors(content, package=True)
    assert validate_content(content, Flavour.STANDALONE) == []


def test_package_flavour_limits_model_overview_fields():
    content = {"model_overview": {"model_id": "arn:aws:sagemaker:us-east-1:1:model/x"}}
    assert validate_content(content, Flavour.PACKAGE)
    assert oracle_errors(content, package=True)


def test_content_past_100000_characters_is_refused():
    huge = {"additional_information": {"custom_details": {f"k{i}": "v" * 1000 for i in range(101)}}}
    problems = validate_content(huge, Flavour.STANDALONE)
    assert any(str(MAX_CONTENT_CHARS) in p for p in problems)
