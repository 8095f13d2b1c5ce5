"""The one rule for when a model card's claim to document a model package version counts.

A card's content (``model_package_details.model_package_arn``) is written by anyone who may edit model cards,
and a package's ``CustomerMetadataProperties`` by anyone who may create model packages (the condition key
``sagemaker:CustomerMetadataProperties/model-governance:model-card`` applies to CreateModelPackage too). Neither
side counts on its own. A link counts when:

- this system made it: carry-forward (and backfill, which runs it) recorded it in the state table
  (``GROUP#<group>`` / ``LINK#<version>``) when it created the card, for this exact package ARN, with the card's
  ARN and a bound on its creation time: a card deleted and re-created under that name is another card; or
- both sides agree: the package's metadata key ``model-governance:model-card`` names the card (its name or ARN)
  AND the card's content names this package's ARN. A registrant naming another team's card in a new version's
  metadata borrows nothing: that card does not name the new version.

Packages are matched by their full ARN, never by group name: a shared registry can hold same-named groups in
other accounts. Everything that a claimed link steers (which package the review workflow writes, which card the
approval gate accepts, which card carry-forward copies from, which card documents a version in the sweep, whose
owner an alert names) asks this rule first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from model_governance import text
from model_governance.cards.records import CardLink, CardRecord, PackageFacts

# The CustomerMetadataProperties key by which a model package names its model card (a hand-made card's confirmation).
CARD_METADATA_KEY = "model-governance:model-card"
# A recorded link bounds its card's CreationTime by the function's clock right after CreateModelCard answered
# (the call returns only the ARN; a DescribeModelCard would cost a call per registration). SageMaker's clock and
# Lambda's are both synchronised far better than this; deleting a card is asynchronous and takes longer.
CREATION_CLOCK_TOLERANCE = timedelta(seconds=5)


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
    card_created: datetime | None = None,
) -> LinkVerdict:
    """Does card ``card`` (whose content claims ``claimed_arn``; ARN ``card_arn``, created at ``card_created``)
    document ``package``?

    ``recorded`` is the link the system holds for the package's group and version (``link_for``), if any.
    A claim naming another package is never trusted, whatever else holds: the card says it documents something else.
    Without ``card_created`` a recorded link cannot tell its card from one re-created under the name: it does not
    count (the package's confirmation still may).
    """
    if claimed_arn is not None and claimed_arn != package.arn:
        claim = f"model card {text.name(card)} claims {text.name(claimed_arn)}, not {text.name(package.arn)}"
        return LinkVerdict(card, package.arn, None, (claim,))
    if recorded is not None and _is_recorded_link(recorded, card, package, card_arn, card_created):
        return LinkVerdict(card, package.arn, TrustBasis.SYSTEM_LINK)
    confirmed = (package.customer_metadata or {}).get(CARD_METADATA_KEY, "").strip()
    if confirmed and confirmed in {card, card_arn} and claimed_arn == package.arn:
        return LinkVerdict(card, package.arn, TrustBasis.PACKAGE_METADATA)
    # Reasons reach emails: the names in them come from card content and package metadata, so render them as data.
    version = f"{text.name(package.group)} version {package.version}"
    reasons = [_recorded_reason(recorded, card, version)]
    if not confirmed:
        reasons.append(f"the model package has no {CARD_METADATA_KEY} metadata naming the card")
    elif confirmed not in {card, card_arn}:
        reasons.append(f"the model package names model card {text.name(confirmed)} in {CARD_METADATA_KEY}")
    else:
        reasons.append(
            f"the model package names model card {text.name(card)} in {CARD_METADATA_KEY}, but the card's content "
            f"does not name {text.name(package.arn)} (model_package_details.model_package_arn)"
        )
    return LinkVerdict(card, package.arn, None, tuple(reasons))


def _recorded_reason(recorded: CardLink | None, card: str, version: str) -> str:
    if recorded is None:
        return f"this system did not link model card {text.name(card)} to {version}"
    if recorded.card_name != card:
        return f"this system linked model card {text.name(recorded.card_name)} to {version}, not {text.name(card)}"
    if recorded.card_created_before is None:
        return (
            f"this system's link of model card {text.name(card)} to {version} was recorded without the card's "
            "creation time, so a card re-created under that name cannot be told apart"
        )
    return (
        f"model card {text.name(card)} is not the card this system linked to {version} (it was deleted and "
        "created again under that name, or lives elsewhere)"
    )


def _is_recorded_link(
    recorded: CardLink, card: str, package: PackageFacts, card_arn: str | None, card_created: datetime | None
) -> bool:
    if recorded.card_name != card or (recorded.group, recorded.package_version) != (package.group, package.version):
        return False
    if recorded.package_arn is not None and recorded.package_arn != package.arn:
        return False
    # The card must be the one the system created, not one created later under the same name (anyone who may
    # delete and create cards can do that, and the name, hence the ARN, is the same). Links recorded before links
    # carried the card's creation time cannot tell the two apart: conservatively, such a link alone no longer
    # counts. The card it names still counts where both sides agree (the package names it and it names the
    # package), as a hand-made card does; otherwise the sweep reports the version and backfill gives it a card.
    if recorded.card_created_before is None or card_created is None:
        return False
    if recorded.card_arn is not None and card_arn is not None and recorded.card_arn != card_arn:
        return False
    if card_arn is not None and not same_registry(card_arn, package.arn):
        return False
    return card_created <= recorded.card_created_before + CREATION_CLOCK_TOLERANCE


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
            and judge_link(
                card.name, card.linked_package_arn, package, recorded, card_arn=card.arn, card_created=card.created
            ).trusted
        ):
            return card
    return None
