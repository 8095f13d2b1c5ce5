"""modelCardKmsKeyArns becomes exactly scoped KMS grants through SageMaker; the export job rule and permissions."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from local.world import synthesize
from model_governance import constants
from tests.infra.test_review_infra import allowing, delivered, function_env

pytestmark = pytest.mark.infra

KEYS = [
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321",
]
VIA_SAGEMAKER = {"Fn::Join": ["", ["sagemaker.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
READERS = ("ApprovalGate", "ViolationAlerts", "AccountSweepHandler")
WRITERS = ("CarryForward", "CardReview", "AccountSweepBackfill")


@pytest.fixture(scope="module")
def keyed_template() -> dict[str, Any]:
    return synthesize({"modelCardKmsKeyArns": KEYS})


def card_key_statements(template: dict[str, Any], construct: str) -> list[dict[str, Any]]:
    return [
        s
        for s in allowing(template, construct, "kms:Decrypt")
        if isinstance(s["Resource"], list) and sorted(s["Resource"]) == sorted(KEYS)
    ]


@pytest.mark.parametrize("construct", WRITERS)
def test_roles_that_write_cards_may_decrypt_and_generate_data_keys_of_exactly_those_keys(
    keyed_template: dict[str, Any], construct: str
) -> None:
    (statement,) = card_key_statements(keyed_template, construct)
    assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert statement["Condition"] == {"StringEquals": {"kms:ViaService": VIA_SAGEMAKER}}


@pytest.mark.parametrize("construct", READERS)
def test_roles_that_only_read_cards_may_only_decrypt(keyed_template: dict[str, Any], construct: str) -> None:
    (statement,) = card_key_statements(keyed_template, construct)
    assert statement["Action"] == "kms:Decrypt"
    assert statement["Condition"] == {"StringEquals": {"kms:ViaService": VIA_SAGEMAKER}}


def test_no_card_key_is_granted_when_none_is_configured(template: dict[str, Any]) -> None:
    for construct in READERS + WRITERS:
        kms = [s for s in allowing(template, construct, "kms:Decrypt") if "TopicKey" not in json.dumps(s)]
        assert kms == [], construct  # only the alert topics' key


def test_a_key_that_is_not_a_kms_key_arn_fails_synthesis() -> None:
    with pytest.raises(Exception, match="modelCardKmsKeyArns: not a KMS key ARN"):
        synthesize({"modelCardKmsKeyArns": ["alias/model-cards"]})


def test_card_review_confirms_export_jobs_and_may_alert_ops(template: dict[str, Any]) -> None:
    (describe,) = allowing(template, "CardReview", "sagemaker:DescribeModelCardExportJob")
    assert describe["Resource"]["Fn::Join"][1][-1] == ":model-card/*/export-job/*"
    assert constants.ENV_OPS_TOPIC in (function_env(template, "card_review") or {})
    (publish,) = [s for s in allowing(template, "CardReview", "sns:Publish") if "OpsTopic" in json.dumps(s)]
    assert publish["Effect"] == "Allow"


def test_the_export_rule_delivers_the_sample_and_its_minimal_form_and_nothing_else(
    template: dict[str, Any], sample_event: Callable[..., dict[str, Any]]
) -> None:
    minimal = sample_event("model_card_export_job_state_change")
    minimal["detail"] = {}  # AWS documents no payload: resources[0] names the job

    assert delivered(template, "CardReview", sample_event("model_card_export_job_state_change"))
    assert delivered(template, "CardReview", minimal)
    assert not delivered(template, "CardReview", sample_event("processing_job_state_change"))
    assert not delivered(template, "CarryForward", sample_event("model_card_export_job_state_change"))
