"""The trust rule for card-to-version links (cards/trust.py): every branch, as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from model_governance.cards.records import CardLink, CardRecord, PackageFacts
from model_governance.cards.trust import (
    CARD_METADATA_KEY,
    TrustBasis,
    confirmed_card,
    judge_link,
    same_registry,
    trusted_card,
)

HOME = "arn:aws:sagemaker:us-east-1:111111111111"
ARN = f"{HOME}:model-package/fraud/3"
CARD_ARN = f"{HOME}:model-card/fraud-v3"
# The same group name and version in another account (a shared registry).
ELSEWHERE = "arn:aws:sagemaker:us-east-1:222222222222:model-package/fraud/3"
CREATED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # when the system created fraud-v3 (AWS's CreationTime)
RECORDED = CREATED + timedelta(milliseconds=300)  # the function's clock when it recorded the link


def package(arn: str = ARN, **metadata: str) -> PackageFacts:
    return PackageFacts(arn, "fraud", 3, "Completed", "Approved", customer_metadata=dict(metadata))


def link(
    card: str = "fraud-v3",
    arn: str | None = ARN,
    group: str = "fraud",
    version: int = 3,
    created_before: datetime | None = RECORDED,
) -> CardLink:
    return CardLink(group, version, card, package_arn=arn, card_arn=CARD_ARN, card_created_before=created_before)


def test_the_systems_own_link_for_this_exact_package_counts() -> None:
    verdict = judge_link("fraud-v3", ARN, package(), link(), card_arn=CARD_ARN, card_created=CREATED)
    assert verdict.trusted and verdict.basis is TrustBasis.SYSTEM_LINK and verdict.reasons == ()


def test_the_systems_link_counts_for_a_card_whose_content_names_no_package() -> None:
    assert judge_link("fraud-v3", None, package(), link(), card_created=CREATED).basis is TrustBasis.SYSTEM_LINK


@pytest.mark.parametrize(
    ("created", "trusted"),
    [
        (RECORDED + timedelta(seconds=4), True),  # clocks a little apart
        (RECORDED + timedelta(minutes=5), False),  # deleted and created again under the name
        (None, False),  # the caller cannot say when the card was created: it cannot be told from a re-created one
    ],
)
def test_a_card_created_after_the_system_recorded_its_link_is_another_card(
    created: datetime | None, trusted: bool
) -> None:
    verdict = judge_link("fraud-v3", ARN, package(), link(), card_arn=CARD_ARN, card_created=created)
    assert verdict.trusted is trusted
    if not trusted:
        assert "is not the card this system linked" in verdict.reasons[0]


def test_a_link_recorded_without_the_cards_identity_alone_does_not_count() -> None:
    """Links of earlier releases: conservatively not enough; where both sides agree the card still counts."""
    legacy = link(created_before=None)
    verdict = judge_link("fraud-v3", ARN, package(), legacy, card_arn=CARD_ARN, card_created=CREATED)
    assert not verdict.trusted
    assert "recorded without the card's creation time" in verdict.reasons[0]
    confirmed = package(**{CARD_METADATA_KEY: "fraud-v3"})
    agreed = judge_link("fraud-v3", ARN, confirmed, legacy, card_arn=CARD_ARN, card_created=CREATED)
    assert agreed.basis is TrustBasis.PACKAGE_METADATA


def test_metadata_naming_a_card_that_does_not_name_the_package_borrows_nothing() -> None:
    """A registrant may set the metadata key when creating a version: naming another team's card is not a link."""
    facts = package(**{CARD_METADATA_KEY: "other-teams-card"})
    verdict = judge_link("other-teams-card", None, facts, None, card_arn=f"{HOME}:model-card/other-teams-card")
    assert not verdict.trusted
    assert verdict.reasons[1] == (
        f"the model package names model card other-teams-card in {CARD_METADATA_KEY}, but the card's content does "
        f"not name {ARN} (model_package_details.model_package_arn)"
    )


def test_a_card_claiming_another_package_never_counts_even_with_the_systems_link() -> None:
    verdict = judge_link("fraud-v3", ELSEWHERE, package(), link())
    assert not verdict.trusted
    assert verdict.reasons == (f"model card fraud-v3 claims {ELSEWHERE}, not {ARN}",)


def test_a_recorded_link_to_the_same_group_and_version_in_another_account_does_not_count() -> None:
    assert not judge_link("fraud-v3", ELSEWHERE, package(ELSEWHERE), link(), card_created=CREATED).trusted


@pytest.mark.parametrize(
    ("recorded", "card_arn", "trusted"),
    [
        (link(), CARD_ARN, True),
        (link(), "arn:aws:sagemaker:us-east-1:222222222222:model-card/fraud-v3", False),
        (link(), None, True),
        (link(card="other-card"), CARD_ARN, False),
        (link(version=2), CARD_ARN, False),
        (link(group="churn"), CARD_ARN, False),
    ],
)
def test_recorded_links_count_only_for_the_card_group_version_and_account_they_name(
    recorded: CardLink, card_arn: str | None, trusted: bool
) -> None:
    assert judge_link("fraud-v3", ARN, package(), recorded, card_arn=card_arn, card_created=CREATED).trusted is trusted


@pytest.mark.parametrize("value", ["hand-made", f"{HOME}:model-card/hand-made"])
def test_package_metadata_naming_the_card_by_name_or_arn_counts(value: str) -> None:
    facts = package(**{CARD_METADATA_KEY: value})
    verdict = judge_link("hand-made", ARN, facts, None, card_arn=f"{HOME}:model-card/hand-made")
    assert verdict.basis is TrustBasis.PACKAGE_METADATA
    assert confirmed_card(facts) == "hand-made"


def test_an_unconfirmed_claim_says_why() -> None:
    verdict = judge_link("decoy", ARN, package(team="fraud"), link())
    assert not verdict.trusted and verdict.basis is None
    assert verdict.reasons == (
        "this system linked model card fraud-v3 to fraud version 3, not decoy",
        f"the model package has no {CARD_METADATA_KEY} metadata naming the card",
    )
    assert verdict.explain() == "; ".join(verdict.reasons)


def test_metadata_naming_another_card_is_no_confirmation() -> None:
    verdict = judge_link("decoy", ARN, package(**{CARD_METADATA_KEY: "real-card"}), None)
    assert verdict.reasons == (
        "this system did not link model card decoy to fraud version 3",
        f"the model package names model card real-card in {CARD_METADATA_KEY}",
    )


def test_no_metadata_confirms_nothing() -> None:
    assert confirmed_card(package()) is None
    assert confirmed_card(package(**{CARD_METADATA_KEY: "  "})) is None


def test_same_registry_compares_partition_region_and_account() -> None:
    assert same_registry(ARN, CARD_ARN)
    assert not same_registry(ARN, ELSEWHERE)


def card(name: str, claims: str | None) -> CardRecord:
    content = {"model_package_details": {"model_package_arn": claims}} if claims else {}
    return CardRecord(name, 1, "Approved", content, arn=f"{HOME}:model-card/{name}", created=CREATED)


def test_trusted_card_reads_the_linked_card_then_the_one_the_package_names() -> None:
    cards = {"fraud-v3": card("fraud-v3", ARN), "hand-made": card("hand-made", ARN), "moved": card("moved", ELSEWHERE)}
    assert trusted_card(package(), link(), cards.get) == cards["fraud-v3"]
    assert trusted_card(package(**{CARD_METADATA_KEY: "hand-made"}), None, cards.get) == cards["hand-made"]
    assert trusted_card(package(), None, cards.get) is None  # no Search: a claim alone never counts
    assert trusted_card(package(), link(card="moved"), cards.get) is None  # our card, edited to claim elsewhere
    # A card the package names that names no package: another team's card borrowed in the metadata.
    borrowed = {"theirs": card("theirs", None)}
    assert trusted_card(package(**{CARD_METADATA_KEY: "theirs"}), None, borrowed.get) is None
    assert trusted_card(package(), link(card="deleted"), cards.get) is None
