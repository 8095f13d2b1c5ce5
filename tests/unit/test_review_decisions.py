"""Pure decisions of the review workflow and the approval gate."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from model_governance.cards.content import Flavour, validate_content
from model_governance.cards.records import CardRecord, EmbeddedCard
from model_governance.review.decisions import (
    CardMark,
    Freshness,
    approval_description,
    card_owner,
    embedded_card_sync,
    export_job_name,
    export_prefix,
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

    sync = embedded_card_sync(current, source)

    assert sync.content == {
        "intended_uses": {"risk_rating": "High"},
        "training_details": {"training_observations": "kept"},
        "business_details": {"business_problem": "fraud"},
    }
    assert sync.status == "PendingReview"


def test_embedded_card_in_step_or_archived_needs_no_update() -> None:
    source = card("Approved", intended_uses={"risk_rating": "High"})

    in_step = embedded_card_sync(EmbeddedCard({"intended_uses": {"risk_rating": "High"}}, "Approved"), source)
    archived = embedded_card_sync(EmbeddedCard({}, "Archived"), source)

    assert not in_step.needed and in_step.reason == "already in step"
    assert not archived.needed and "Archived" in archived.reason


def test_status_only_change_writes_only_the_status() -> None:
    sync = embedded_card_sync(
        EmbeddedCard({"intended_uses": {"risk_rating": "High"}}, "Draft"),
        card("Approved", intended_uses={"risk_rating": "High"}),
    )

    assert (sync.content, sync.status) == (None, "Approved")


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
