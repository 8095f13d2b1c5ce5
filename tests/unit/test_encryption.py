"""What is kept of encrypted card content outside its key: digests, the key, field names, never values."""

from __future__ import annotations

import json

from model_governance.cards.encryption import NOT_SHOWN, digest, same_key, sealed, sealed_changes, shown
from model_governance.cards.records import FieldChange
from model_governance.review.diff import changed_sections, diff_content, render_encrypted_diff

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:us-east-1:123456789012:key/{KEY_ID}"
PACKAGE = "arn:aws:sagemaker:us-east-1:123456789012:model-package/g/1"
SECRET = "the-secret-value"


def test_the_digest_of_the_same_content_is_the_same_whatever_the_key_order():
    assert digest({"a": 1, "b": [SECRET]}) == digest({"b": [SECRET], "a": 1})
    assert digest({"a": 1}) != digest({"a": 2})


def test_sealed_content_and_changes_keep_digests_and_field_names_not_values():
    kept = sealed({"business_details": {"business_problem": SECRET}}, KEY_ARN)
    changes = sealed_changes([FieldChange("business_details.business_problem", SECRET, "other")], KEY_ARN)

    assert SECRET not in json.dumps([kept, changes])
    assert kept["note"] == NOT_SHOWN and kept["encrypted_with"] == KEY_ARN
    assert changes[0]["field"] == "business_details.business_problem"
    assert changes[0]["old_sha256"] == digest(SECRET)


def test_plain_content_is_shown_as_it_is():
    assert shown({"a": SECRET}, None) == {"a": SECRET}
    assert sealed_changes([FieldChange("a", SECRET, None)], None) == [{"field": "a", "old": SECRET, "new": None}]


def test_a_key_id_and_its_arn_are_the_same_key_but_no_key_or_another_key_is_not():
    assert same_key(KEY_ID, PACKAGE, KEY_ARN, PACKAGE)
    assert not same_key(KEY_ARN, PACKAGE, None, PACKAGE)
    assert not same_key(KEY_ARN, PACKAGE, KEY_ARN.replace("1234abcd", "9999abcd"), PACKAGE)
    assert not same_key(KEY_ARN, PACKAGE, "alias/cards", PACKAGE)  # an alias's key is not known without KMS


def test_the_review_diff_of_an_encrypted_card_names_schema_sections_and_counts_never_values():
    before = {"intended_uses": {"risk_rating": "Low"}, "my_section": {"x": 1}}
    after = {"intended_uses": {"risk_rating": "High", "purpose_of_model": SECRET}, "my_section": {"x": SECRET}}
    diffs = diff_content(before, after)

    lines = render_encrypted_diff(diffs, KEY_ARN)

    assert SECRET not in "\n".join(lines) and "my_section" not in "\n".join(lines)
    assert "  intended_uses (changed): 2 changed fields" in lines
    assert "  ... and 1 other changed sections" in lines
    assert changed_sections(diffs, encrypted=True) == ["intended_uses"]
