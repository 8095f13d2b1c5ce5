"""The one rule for when a model card's claim to document a model package version counts.

A card's content (``model_package_details.model_package_arn``) is written by anyone who may edit model cards,
so on its own it is only a claim. The claim counts when:

- this system made the link: carry-forward (and backfill, which runs it) recorded it in the state table
  (``GROUP#<group>`` / ``LINK#<version>``) when it created the card, for this exact package ARN; or
- the model package confirms it: its ``CustomerMetadataProperties`` hold ``model-governance:model-card`` naming the
  card (its name or ARN). Only those allowed to update model packages can set that.

Packages are matched by their full ARN, never by group name: a shared registry can hold same-named groups in
other accounts. Everything that a claimed link steers (which package the review workflow writes, which card the
approval gate accepts, which card carry-forward copies from, which card documents a version in the sweep, whose
owner an alert names) asks this rule first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from model_governance import text
from model_governance.cards.records import CardLink, CardRecord, PackageFacts

# The CustomerMetadataProperties key by which a model package names its model card (a hand-made card's confirmation).
CARD_METADATA_KEY = "model-governance:model-card"


class TrustBasis(Enum):
    SYSTEM_LINK = "system_link"  # carry-forward or backfill created the card for this version and recorded it
    PACKAGE_METADATA = "package_metadata"  # the package's CustomerMetadataProperties name the card


@dataclass(frozen=True)
class LinkVerdict:
    """Whether card ``card`` documents package ``package_arn``: trusted on a basis, or untrusted with reasons."""

    card: str
    package_arn: str
    basis: TrustBasis | None
    reasons: tuple[str, ...] = ()

    @property
    def trusted(self) -> bool:
        return self.basis is not None

    def explain(self) -> str:
        if self.basis is TrustBasis.SYSTEM_LINK:
            return f"this system linked model card {self.card} to {self.package_arn}"
        if self.basis is TrustBasis.PACKAGE_METADATA:
            return f"{self.package_arn} names model card {self.card} in {CARD_METADATA_KEY}"
        return "; ".join(self.reasons)


def confirmed_card(package: PackageFacts) -> str | None:
    """The card name the package's own metadata confirms (an ARN value is reduced to the name), or None."""
    value = (package.customer_metadata or {}).get(CARD_METADATA_KEY, "").strip()
    if not value:
        return None
    return value.rsplit(":model-card/", 1)[1] if ":model-card/" in value else value


def judge_link(
    card: str,
    claimed_arn: str | None,
    package: PackageFacts,
    recorded: CardLink | None,
    *,
    card_arn: str | None = None,
) -> LinkVerdict:
    """Does card ``card`` (whose content claims ``claimed_arn``) document ``package``?

    ``recorded`` is the link the system holds for the package's group and version (``link_for``), if any.
    A claim naming another package is never trusted, whatever else holds: the card says it documents something else.
    """
    if claimed_arn is not None and claimed_arn != package.arn:
        claim = f"model card {text.name(card)} claims {text.name(claimed_arn)}, not {text.name(package.arn)}"
        return LinkVerdict(card, package.arn, None, (claim,))
    if recorded is not None and _is_recorded_link(recorded, card, package, card_arn):
        return LinkVerdict(card, package.arn, TrustBasis.SYSTEM_LINK)
    confirmed = (package.customer_metadata or {}).get(CARD_METADATA_KEY, "").strip()
    if confirmed and confirmed in {card, card_arn}:
        return LinkVerdict(card, package.arn, TrustBasis.PACKAGE_METADATA)
    # Reasons reach emails: the names in them come from card content and package metadata, so render them as data.
    version = f"{text.name(package.group)} version {package.version}"
    reasons = [
        f"this system linked model card {text.name(recorded.card_name)} to {version}, not {text.name(card)}"
        if recorded is not None and recorded.card_name != card
        else f"this system did not link model card {text.name(card)} to {version}",
        f"the model package names model card {text.name(confirmed)} in {CARD_METADATA_KEY}"
        if confirmed
        else f"the model package has no {CARD_METADATA_KEY} metadata naming the card",
    ]
    return LinkVerdict(card, package.arn, None, tuple(reasons))


def _is_recorded_link(recorded: CardLink, card: str, package: PackageFacts, card_arn: str | None) -> bool:
    if recorded.card_name != card or (recorded.group, recorded.package_version) != (package.group, package.version):
        return False
    if recorded.package_arn is not None:
        return recorded.package_arn == package.arn
    # A link recorded before links carried the package ARN: the system only links cards to packages of its own
    # account and region, which is where the card lives.
    return card_arn is None or same_registry(card_arn, package.arn)


def _home(arn: str) -> tuple[str, ...]:
    """(partition, region, account) of an ARN."""
    parts = arn.split(":", 5)
    return (parts[1], parts[3], parts[4]) if len(parts) == 6 else (arn,)


def same_registry(arn: str, other: str) -> bool:
    """Both ARNs are in the same partition, region and account (a group name alone does not say so)."""
    return _home(arn) == _home(other)


def trusted_card(
    package: PackageFacts, recorded: CardLink | None, describe_card: Callable[[str], CardRecord | None]
) -> CardRecord | None:
    """The card of ``package`` whose link counts: the one the system linked, else the one the package's metadata
    names (at most two reads; no Search: a card found only by its own claim never counts)."""
    names = (recorded.card_name if recorded else None, confirmed_card(package))
    for name in dict.fromkeys(n for n in names if n):
        card = describe_card(name)
        if (
            card is not None
            and judge_link(card.name, card.linked_package_arn, package, recorded, card_arn=card.arn).trusted
        ):
            return card
    return None
