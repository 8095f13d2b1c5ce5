"""Export job names per attempt, and the export job event in every shape the handler accepts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infra.config import ConfigError, GovernanceConfig
from model_governance.cards.naming import NAME_PATTERN
from model_governance.cards.records import kms_key_arn
from model_governance.errors import InvalidEventError
from model_governance.events import parse_model_card_export_job_state_change
from model_governance.review.decisions import export_job_name

JOB_ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-card/example-card/export-job/example-card-v2-pdf"


def test_each_attempt_has_its_own_deterministic_name_within_the_entity_name_limit() -> None:
    long_card = "c" * 63
    names = [export_job_name(long_card, 12345, attempt) for attempt in (1, 2, 3)]

    assert export_job_name("example-card", 2) == "example-card-v2-pdf"  # attempt 1 keeps the earlier name
    assert export_job_name("example-card", 2, 2) == "example-card-v2-pdf-2"
    assert len(set(names)) == 3 and all(len(n) <= 63 and NAME_PATTERN.match(n) for n in names)
    assert names == [export_job_name(long_card, 12345, attempt) for attempt in (1, 2, 3)]


def test_the_sample_event_names_job_and_card(sample_event: Callable[..., dict[str, Any]]) -> None:
    change = parse_model_card_export_job_state_change(sample_event("model_card_export_job_state_change"))

    assert (change.job_arn, change.card_name, change.job_name, change.status) == (
        JOB_ARN,
        "example-card",
        "example-card-v2-pdf",
        "Completed",
    )


def test_a_minimal_event_is_read_from_resources_or_from_the_names(sample_event: Callable[..., dict[str, Any]]) -> None:
    from_resources = sample_event("model_card_export_job_state_change")
    from_resources["detail"] = {}
    from_names = sample_event("model_card_export_job_state_change")
    from_names["resources"] = []
    del from_names["detail"]["ModelCardExportJobArn"]

    assert parse_model_card_export_job_state_change(from_resources).job_arn == JOB_ARN
    assert parse_model_card_export_job_state_change(from_names).job_arn == JOB_ARN
    assert parse_model_card_export_job_state_change(from_resources).status is None


def test_an_event_naming_no_export_job_is_refused(sample_event: Callable[..., dict[str, Any]]) -> None:
    event = sample_event("model_card_export_job_state_change")
    event["detail"], event["resources"] = {}, ["arn:aws:sagemaker:us-east-1:123456789012:model-card/example-card"]

    with pytest.raises(InvalidEventError, match="names no model card export job"):
        parse_model_card_export_job_state_change(event)


def test_a_bare_key_id_is_named_by_its_arn_in_the_cards_account_and_region() -> None:
    card = "arn:aws:sagemaker:eu-west-1:111122223333:model-card/c"

    assert kms_key_arn("1234abcd", card) == "arn:aws:kms:eu-west-1:111122223333:key/1234abcd"
    assert kms_key_arn("arn:aws:kms:eu-west-1:111122223333:key/1234abcd", card).endswith(":key/1234abcd")
    assert kms_key_arn("alias/cards", card) == "alias/cards"


def test_model_card_keys_are_validated_like_the_other_key_settings() -> None:
    base = json.loads((Path(__file__).resolve().parents[2] / "cdk.json").read_text())["context"]  # the defaults
    key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

    # a comma-separated list from the command line; a key named twice is one key
    assert GovernanceConfig.from_mapping({**base, "modelCardKmsKeyArns": f"{key},{key}"}).model_card_kms_key_arns == (
        key,
    )
    assert GovernanceConfig.from_mapping({**base, "modelCardKmsKeyArns": []}).model_card_kms_key_arns == ()
    with pytest.raises(ConfigError, match="modelCardKmsKeyArns: not a KMS key ARN: 'alias/x'"):
        GovernanceConfig.from_mapping({**base, "modelCardKmsKeyArns": ["alias/x"]})
