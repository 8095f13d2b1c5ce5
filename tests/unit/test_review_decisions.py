"""Pure decisions of the review workflow and the approval gate."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from model_governance.cards.content import Flavour, validate_content
from model_governance.cards.records import CardRecord, EmbeddedCard, FieldChange
from model_governance.review.decisions import (
    CardMark,
    Freshness,
    approval_description,
    card_owner,
    embedded_card_sync,
    export_job_name,
    export_prefix,
    first_version_needed,
    freshness,
    gate_decision,
    next_mark,
    package_flavour,
)

T0 = datetime(2022, 12, 3, 0, 9, 44, 893854, tzinfo=UTC)
ENTITY_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/g/1"


def card(status: str = "Draft", version: int = 2, **content: object) -> CardRecord:
    return CardRecord(name="example-card", version=version, status=status, content=dict(content))


MARK = CardMark("example-card", 2, T0, "PendingReview", "event-a")


@pytest.mark.parametrize(
    ("version", "modified", "event_id", "expected"),
    [
        (2, T0 + timedelta(seconds=1), "event-b", Freshness.NEW),  # status change: same version, later time
        (3, T0 - timedelta(days=1), "event-b", Freshness.NEW),  # content change: a higher version wins
        (2, T0, "event-b", Freshness.DUPLICATE),  # a second copy of the same change
        (2, T0 - timedelta(seconds=1), "event-b", Freshness.STALE),  # arrived late
        (1, T0 + timedelta(days=1), "event-b", Freshness.STALE),  # an older version
        (2, T0, "event-a", Freshness.RETRY),  # the event that set the mark, retried after a failure
    ],
)
def test_freshness_orders_events_by_version_then_time(
    version: int, modified: datetime, event_id: str, expected: Freshness
) -> None:
    assert freshness(MARK, version=version, modified=modified, event_id=event_id) is expected


def test_first_event_of_a_card_is_new_and_the_next_mark_remembers_the_previous_state() -> None:
    assert freshness(None, version=1, modified=T0, event_id="x") is Freshness.NEW

    mark = next_mark(MARK, card="example-card", version=2, modified=T0, status="Approved", event_id="event-b")

    assert (mark.previous_status, mark.previous_version, mark.status) == ("PendingReview", 2, "Approved")


def test_export_job_names_are_deterministic_valid_and_distinct() -> None:
    long_a, long_b = "a" * 60 + "-one", "a" * 60 + "-two"

    assert export_job_name("example-card", 2) == "example-card-v2-pdf"
    assert export_job_name(long_a, 12) == export_job_name(long_a, 12)
    assert export_job_name(long_a, 12) != export_job_name(long_b, 12)
    for name in (export_job_name(long_a, 12), export_job_name("a" * 63, 99999)):
        assert len(name) <= 63 and ENTITY_NAME.match(name)
    assert export_prefix("example-card", 2) == "model-cards/example-card/v2/"


def test_package_flavour_strips_what_an_embedded_card_refuses() -> None:
    content = {
        "model_overview": {"model_id": ARN, "model_name": "g", "model_owner": "alice"},
        "model_package_details": {"model_package_arn": ARN},
        "intended_uses": {"risk_rating": "High"},
    }

    flavoured = package_flavour(content)

    assert flavoured == {"model_overview": {"model_owner": "alice"}, "intended_uses": {"risk_rating": "High"}}
    assert validate_content(flavoured, Flavour.PACKAGE) == []


def test_embedded_card_follows_the_cards_written_sections_and_status() -> None:
    current = EmbeddedCard(
        content={"intended_uses": {"risk_rating": "Low"}, "training_details": {"training_observations": "kept"}},
        status="Draft",
    )
    source = card(
        "PendingReview",
        intended_uses={"risk_rating": "High"},
        business_details={"business_problem": "fraud"},
        model_package_details={"model_package_arn": ARN},
    )

    sync = embedded_card_sync(current, source, first_version=None)

    assert sync.content == {
        "intended_uses": {"risk_rating": "High"},
        "training_details": {"training_observations": "kept"},
        "business_details": {"business_problem": "fraud"},
    }
    assert sync.status == "PendingReview"
    # a person made this card: their value replaces the embedded one, on the record
    assert sync.replaced == (FieldChange("intended_uses.risk_rating", "Low", "High"),)


def test_embedded_card_in_step_or_archived_needs_no_update() -> None:
    source = card("Approved", intended_uses={"risk_rating": "High"})

    in_step = embedded_card_sync(
        EmbeddedCard({"intended_uses": {"risk_rating": "High"}}, "Approved"), source, first_version=None
    )
    archived = embedded_card_sync(EmbeddedCard({}, "Archived"), source, first_version=None)

    assert not in_step.needed and in_step.reason == "already in step"
    assert not archived.needed and "Archived" in archived.reason


def test_status_only_change_writes_only_the_status() -> None:
    sync = embedded_card_sync(
        EmbeddedCard({"intended_uses": {"risk_rating": "High"}}, "Draft"),
        card("Approved", intended_uses={"risk_rating": "High"}),
        first_version=None,
    )

    assert (sync.content, sync.status) == (None, "Approved")


# Precedence: what a person wrote is never replaced by what was only carried ------------------------------------
PROVENANCE = {"custom_details": {"carried_by": "model-governance carry-forward", "carried_from_card": "g-v1"}}
CARRIED_V1 = CardRecord(
    name="g-v2",
    version=1,
    status="Draft",
    content={
        "intended_uses": {"risk_rating": "Medium", "purpose_of_model": "churn offers"},
        "business_details": {"business_problem": "customers leave"},
        "additional_information": PROVENANCE,
    },
)
REGISTERED = EmbeddedCard({"intended_uses": {"risk_rating": "High"}}, "Draft")


def carried_card(version: int, status: str = "Draft", **sections: object) -> CardRecord:
    return CardRecord(name="g-v2", version=version, status=status, content={**CARRIED_V1.content, **sections})


def test_the_registrants_high_risk_rating_survives_the_review_sync() -> None:
    # given the registrant wrote High in the package's card, and carry-forward carried Medium into the card
    submitted = carried_card(1, "PendingReview")
    # when the card goes to review
    sync = embedded_card_sync(REGISTERED, submitted, first_version=None)
    # then High stays; what was only carried fills the empty fields
    assert sync.content is not None
    assert sync.content["intended_uses"] == {"risk_rating": "High", "purpose_of_model": "churn offers"}
    assert sync.content["business_details"] == {"business_problem": "customers leave"}
    assert sync.replaced == ()
    assert sync.kept == (FieldChange("intended_uses.risk_rating", "High", "Medium"),)
    assert sync.status == "PendingReview"


def test_a_later_edit_of_an_unrelated_field_does_not_bring_the_carried_rating_back() -> None:
    edited = carried_card(3, business_details={"business_problem": "customers leave for rivals"})
    assert first_version_needed(edited)

    sync = embedded_card_sync(REGISTERED, edited, first_version=CARRIED_V1)

    assert sync.content is not None
    assert sync.content["intended_uses"]["risk_rating"] == "High"
    assert sync.content["business_details"] == {"business_problem": "customers leave for rivals"}
    assert sync.replaced == ()


def test_a_persons_edit_of_the_card_wins_and_the_replaced_value_is_listed_for_the_ledger() -> None:
    # given a reviewer changed the carried Medium to Low in the standalone card
    edited = carried_card(2, intended_uses={"risk_rating": "Low", "purpose_of_model": "churn offers"})
    # when the sync runs
    sync = embedded_card_sync(REGISTERED, edited, first_version=CARRIED_V1)
    # then Low replaces the registrant's High, and the plan says so (field, old, new)
    assert sync.content is not None and sync.content["intended_uses"]["risk_rating"] == "Low"
    assert sync.replaced == (FieldChange("intended_uses.risk_rating", "High", "Low"),)
    assert sync.replaced[0].as_record() == {"field": "intended_uses.risk_rating", "old": "High", "new": "Low"}


def test_a_field_a_person_emptied_is_removed_on_the_record() -> None:
    current = EmbeddedCard({"business_details": {"business_problem": "customers leave"}}, "Draft")
    edited = carried_card(2, business_details={})

    sync = embedded_card_sync(current, edited, first_version=CARRIED_V1)

    assert sync.content is not None and "business_details" not in sync.content
    assert sync.replaced == (FieldChange("business_details.business_problem", "customers leave", None),)


def test_a_hand_made_card_without_a_section_leaves_the_embedded_one_alone() -> None:
    current = EmbeddedCard({"business_details": {"business_problem": "written at registration"}}, "Draft")

    sync = embedded_card_sync(
        current, card("Draft", version=1, intended_uses={"risk_rating": "Low"}), first_version=None
    )

    assert sync.content == {
        "business_details": {"business_problem": "written at registration"},
        "intended_uses": {"risk_rating": "Low"},
    }
    assert sync.replaced == ()


def test_a_carried_card_edited_since_needs_its_first_version() -> None:
    with pytest.raises(ValueError, match="version 1"):
        embedded_card_sync(REGISTERED, carried_card(2), first_version=None)
    assert not first_version_needed(carried_card(1))
    assert not first_version_needed(card("Draft", version=5))


@pytest.mark.parametrize(
    ("mode", "approval", "card_status", "verdict", "alert", "revert"),
    [
        ("off", "Approved", "Draft", "off", False, False),
        ("warn", "Approved", "Approved", "pass", False, False),
        ("warn", "Approved", "Draft", "warn", True, False),
        ("enforce", "Approved", "PendingReview", "enforce", True, True),
        ("enforce", "Approved", None, "enforce", True, True),
        ("enforce", "PendingManualApproval", "Draft", "skip", False, False),
    ],
)
def test_gate_decision(
    mode: str, approval: str, card_status: str | None, verdict: str, alert: bool, revert: bool
) -> None:
    decision = gate_decision(mode, approval, card(card_status) if card_status else None)

    assert (decision.verdict, decision.alert, decision.revert) == (verdict, alert, revert)


def test_gate_reason_names_the_card_and_fits_the_approval_description() -> None:
    decision = gate_decision("enforce", "Approved", card("Draft"))

    assert decision.reason == "model card example-card (version 2) is Draft, not Approved"
    assert decision.reason in approval_description(decision.reason)
    assert len(approval_description("x" * 5000)) == 1024
    with pytest.raises(ValueError, match="approval gate mode"):
        gate_decision("block", "Approved", None)


def test_card_owner_prefers_the_named_owner() -> None:
    assert card_owner(card(model_overview={"model_owner": "alice"})) == "alice"
    assert card_owner(CardRecord("c", 1, "Draft", {}, last_modified_by="bob")) == "bob"
    assert card_owner(None, fallback="carol") == "carol"
