"""Carry the model card forward onto a newly registered model package version.

Converges rather than acts: every step checks what already exists, so the same event delivered three times, or
retried after a partial failure, ends with one card, one embedded-card update and one notice.

Only links that count (cards/trust.py) are followed: the version's existing card and the source card to carry
forward are cards the system linked or the package names, never a card that merely claims a version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from model_governance.adapters.notifications import Message
from model_governance.cards import content as card_content
from model_governance.cards.carry_forward import (
    NewCardPlan,
    carry_notes,
    choose_source,
    fill_embedded_card,
    plan_new_card,
)
from model_governance.cards.naming import card_name_for
from model_governance.cards.records import CardLink, CardRecord, PackageFacts
from model_governance.cards.trust import CARD_METADATA_KEY, judge_link, same_registry, trusted_card
from model_governance.errors import (
    CardKeyNotGrantedError,
    CardNameTakenError,
    InvalidCardContentError,
    MissingResourceError,
)
from model_governance.events import ModelPackageStateChange
from model_governance.observability import MetricUnit, logger, metrics
from model_governance.workflows.card_keys import report_key_not_granted
from model_governance.workflows.ports import Audit, Claims, publish_once, recorder
from model_governance.workflows.ports import Publisher as Notices


class Registry(Protocol):
    def describe_package(self, arn: str) -> PackageFacts: ...
    def describe_card(self, name: str, version: int | None = None) -> CardRecord | None: ...
    def search_group_cards(self, group: str) -> list[CardRecord]: ...
    def create_card(
        self, name: str, content: dict[str, Any], status: str = "Draft", kms_key_id: str | None = None
    ) -> bool: ...
    def update_package_card_content(self, package_arn: str, content: dict[str, Any]) -> None: ...


class Links(Claims, Protocol):
    def link_for(self, group: str, version: int) -> CardLink | None: ...
    def latest_link_before(self, group: str, version: int) -> CardLink | None: ...
    def record_link(self, link: CardLink) -> None: ...


@dataclass(frozen=True)
class CarryForwardSettings:
    create_card_without_predecessor: bool = True


@dataclass
class CarryForwardResult:
    package_arn: str
    outcome: str  # created | exists | skipped | no-predecessor | key-not-granted
    card_name: str | None = None
    source_card: str | None = None
    source_card_version: int | None = None
    source_package_version: int | None = None
    kms_key_id: str | None = None  # the key the new card is encrypted with: its predecessor's
    carried: list[str] = field(default_factory=list)
    refreshed: list[str] = field(default_factory=list)
    needs_review: list[str] = field(default_factory=list)
    embedded_card_updated: bool = False
    notice_published: bool = False
    reason: str = ""


def carry_forward(
    change: ModelPackageStateChange,
    *,
    registry: Registry,
    links: Links,
    notices: Notices,
    ops: Notices,
    audit: Audit,
    settings: CarryForwardSettings,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> CarryForwardResult:
    result = CarryForwardResult(package_arn=change.package_arn, outcome="skipped")
    record = recorder(audit, change.envelope, group=change.group_name, subject=change.package_arn)
    try:
        return _carry_forward(change, result, record, registry, links, notices, settings, now)
    except CardKeyNotGrantedError as error:
        result.outcome, result.reason = "key-not-granted", str(error)
        report_key_not_granted(
            error, claims=links, ops=ops, record=record, skipped=f"carrying a model card onto {change.package_arn}"
        )
        return result


def _carry_forward(
    change: ModelPackageStateChange,
    result: CarryForwardResult,
    record: Callable[..., None],
    registry: Registry,
    links: Links,
    notices: Notices,
    settings: CarryForwardSettings,
    now: Callable[[], datetime],
) -> CarryForwardResult:
    if not change.is_registration_complete:
        result.reason = f"package status is {change.status}, not Completed"
        return result
    package = registry.describe_package(change.package_arn)
    if package.status != "Completed":
        result.reason = f"package status is now {package.status}"
        return result

    plan: NewCardPlan | None = None
    source: CardRecord | None = None
    card = _card_of_this_version(package, registry, links)
    if card is None:
        source = source_card(package, registry, links)
        if source is None and not settings.create_card_without_predecessor:
            result.outcome = "no-predecessor"
            result.reason = "no earlier version has a card and card creation without a predecessor is off"
            result.notice_published = publish_once(
                links,
                f"no-predecessor#{package.arn}",
                (notices, _no_predecessor_notice(package, change.envelope.region, created=None)),
            )
            if result.notice_published:
                record("notice_sent", details={"notice": "no_documented_predecessor", "version": package.version})
            return result
        plan = plan_new_card(card_name_for(package.group, package.version), package, source, now())
        problems = card_content.validate_content(plan.content, card_content.Flavour.STANDALONE)
        if problems:
            origin = f" (carried from {source.name} v{source.version})" if source else ""
            raise InvalidCardContentError(plan.card_name + origin, problems)
        # Encrypted like its predecessor: without SecurityConfig the content would be stored under an AWS-owned key.
        key = source.kms_key_id if source else None
        created = registry.create_card(plan.card_name, plan.content, kms_key_id=key)
        # Written by this call: we know the card. Otherwise another delivery (or a person) got there first: read it.
        card = (
            CardRecord(name=plan.card_name, version=1, status="Draft", content=plan.content, kms_key_id=key)
            if created
            else registry.describe_card(plan.card_name)
        )
        if card is None:  # deleted between the conflict and the read: let the retry start over
            raise RuntimeError(f"model card {plan.card_name} disappeared right after a conflicting write")
        if card.linked_package_arn not in (None, package.arn):
            raise CardNameTakenError(
                f"model card {plan.card_name} already exists and documents {card.linked_package_arn}, not "
                f"{package.arn}: rename that card or link a card to this version by hand"
            )
        if not created and not _is_ours(card, package, links):
            raise CardNameTakenError(
                f"model card {plan.card_name} already exists, but this system did not create it for {package.arn} "
                f"and the package does not name it: delete or rename that card, or, if it is the right card, "
                f"confirm it with {CARD_METADATA_KEY}={plan.card_name} in the package's CustomerMetadataProperties"
            )
        links.record_link(CardLink(package.group, package.version, plan.card_name, package_arn=package.arn))
        result.outcome = "created" if created else "exists"
        if created:
            metrics.add_metric(name="ModelCardsCarriedForward", unit=MetricUnit.Count, value=1)
            record(
                "card_created",
                card=plan.card_name,
                after={"status": "Draft", "card_version": card.version, "linked_version": package.version},
                details={
                    "source_card": plan.source.name if plan.source else None,
                    "source_card_version": plan.source.version if plan.source else None,
                    "carried": list(plan.carried),
                    "kms_key_id": key,
                    "unreadable_source": plan.unreadable_source.name if plan.unreadable_source else None,
                    "trimmed": list(plan.trimmed),
                    "registrant_kept": [change.as_record() for change in plan.registrant_kept],
                },
            )
    else:
        result.outcome = "exists"
    result.card_name = card.name
    result.kms_key_id = card.kms_key_id
    if plan is not None:
        _describe_plan(result, plan)

    before = package.embedded_card.content if package.embedded_card else {}
    filled = _fill_embedded_card(package, card, registry)
    result.embedded_card_updated = filled is not None
    if filled is not None:
        record("embedded_card_updated", card=card.name, before=before, after=filled)
    if _is_carried_by_us(card):
        source_name = card.content.get("additional_information", {}).get("custom_details", {}).get("carried_from_card")
        message = (
            _card_created_notice(package, card, plan, change.envelope.region)
            if source_name or carry_notes(card.content)
            else _no_predecessor_notice(package, change.envelope.region, created=card.name)
        )
        result.notice_published = publish_once(links, f"card-created#{package.arn}", (notices, message))
        if result.notice_published:
            record("notice_sent", card=card.name, details={"subject": message.subject})
    logger.info("carry-forward done", extra={"result": result.__dict__})
    return result


def _card_of_this_version(package: PackageFacts, registry: Registry, links: Links) -> CardRecord | None:
    """A card already linked to this version by a link that counts: recorded by us, or named by the package."""
    return trusted_card(package, links.link_for(package.group, package.version), registry.describe_card)


def _is_ours(card: CardRecord, package: PackageFacts, links: Links) -> bool:
    """A card that took our deterministic name is ours only if we recorded it (another delivery just did)."""
    recorded = links.link_for(package.group, package.version)
    return judge_link(card.name, card.linked_package_arn, package, recorded, card_arn=card.arn).trusted


def source_card(package: PackageFacts, registry: Registry, links: Links) -> CardRecord | None:
    """The card to carry forward, from one Search over the group's cards.

    The source is the card of the highest earlier version whose link counts: the system's own links (consistent),
    or a hand-made card (Search finds those, also ones older than the deployment) whose package names it. A card
    that claims this version without confirmation is not adopted: the version gets its own card.
    """
    recorded = links.latest_link_before(package.group, package.version)
    claims: list[CardRecord] = []
    for found in registry.search_group_cards(package.group):
        if found.linked_group != package.group or found.linked_version is None:
            continue
        if found.linked_version == package.version:  # a confirmed card was found by _card_of_this_version
            logger.info("unconfirmed card claim ignored", extra={"card": found.name, "package_arn": package.arn})
            continue
        if found.linked_version < package.version and found.linked_package_arn:
            claims.append(found)
    while True:
        candidates = [recorded] if recorded else []
        candidates += [CardLink(package.group, int(c.linked_version or 0), c.name) for c in claims]
        chosen = choose_source(candidates, package.version)
        if chosen is None:
            return None
        if chosen is recorded or _confirmed_source(chosen, claims, package, registry, links):
            break
        claims = [c for c in claims if c.name != chosen.card_name]
    source = registry.describe_card(chosen.card_name)  # latest content, not Search's possibly stale copy
    if source is None:
        logger.warning("source card vanished", extra={"card": chosen.card_name})
    return source


def _confirmed_source(
    chosen: CardLink, claims: list[CardRecord], package: PackageFacts, registry: Registry, links: Links
) -> bool:
    """Whether a hand-made card's claim on an earlier version counts (one DescribeModelPackage of that version)."""
    card = next(c for c in claims if c.name == chosen.card_name)
    arn = str(card.linked_package_arn)
    if not same_registry(arn, package.arn):
        return False
    try:
        earlier = registry.describe_package(arn)
    except MissingResourceError:
        return False
    if earlier.group != package.group:
        return False
    recorded = links.link_for(earlier.group, earlier.version)
    verdict = judge_link(card.name, arn, earlier, recorded, card_arn=card.arn)
    if not verdict.trusted:
        logger.info("unconfirmed source card skipped", extra={"card": card.name, "why": verdict.explain()})
    return verdict.trusted


def _fill_embedded_card(package: PackageFacts, card: CardRecord, registry: Registry) -> dict[str, Any] | None:
    """The embedded content written, or None when it was already in step."""
    updated = fill_embedded_card(package.embedded_card, card.content)
    if updated is None:
        return None
    problems = card_content.validate_content(updated, card_content.Flavour.PACKAGE)
    if problems:
        raise InvalidCardContentError(f"embedded card of {package.arn}", problems)
    registry.update_package_card_content(package.arn, updated)
    metrics.add_metric(name="EmbeddedCardsFilled", unit=MetricUnit.Count, value=1)
    return updated


def _is_carried_by_us(card: CardRecord) -> bool:
    custom = (card.content.get("additional_information") or {}).get("custom_details") or {}
    return isinstance(custom, dict) and "carried_by" in custom


def _describe_plan(result: CarryForwardResult, plan: NewCardPlan) -> None:
    if plan.source is not None:
        result.source_card = plan.source.name
        result.source_card_version = plan.source.version
        result.source_package_version = plan.source.linked_version
    result.carried = list(plan.carried)
    result.refreshed = list(plan.refreshed)
    result.needs_review = list(plan.needs_review)


def console_card_url(region: str, card_name: str) -> str:
    return f"https://{region}.console.aws.amazon.com/sagemaker/home?region={region}#/model-cards/{card_name}"


def _card_created_notice(package: PackageFacts, card: CardRecord, plan: NewCardPlan | None, region: str) -> Message:
    custom = (card.content.get("additional_information") or {}).get("custom_details") or {}
    source = custom.get("carried_from_card")
    source_version = custom.get("carried_from_card_version")
    source_package = custom.get("carried_from_model_package_version")
    notes = carry_notes(card.content)  # an unreadable predecessor, trimmed texts, the registrant's values kept
    lines = [
        f"A Draft model card was created for version {package.version} of model package group {package.group}.",
        "",
        f"Card:            {card.name}",
        f"Model package:   {package.arn}",
        f"Carried from:    {source} (card version {source_version}, linked to package version {source_package})"
        if source
        else "Carried from:    nothing" + ("" if notes else " (no earlier version has a card)"),
        f"Risk rating:     {card.risk_rating}",
    ]
    if notes:
        lines += ["", "Note:", *(f"  - {note}" for note in notes)]
    if plan is not None:
        lines += ["", "Carried from the previous card:", *(f"  - {item}" for item in plan.carried or ["(nothing)"])]
        lines += ["", "Taken from the new package version:", *(f"  - {item}" for item in plan.refreshed)]
        lines += ["", "Please review:", *(f"  - {item}" for item in plan.needs_review)]
    lines += ["", f"Open the card: {console_card_url(region, card.name)}"]
    return Message(
        subject=f"Model card {card.name} created for {package.group} v{package.version}",
        body="\n".join(lines),
        attributes={
            "event_type": "model_card_created",
            "model_package_group": package.group,
            "risk_rating": card.risk_rating,
        },
    )


def _no_predecessor_notice(package: PackageFacts, region: str, *, created: str | None) -> Message:
    lines = [
        f"Version {package.version} of model package group {package.group} has no documented predecessor:",
        "no earlier version of the group has a linked model card.",
        "",
        f"Model package: {package.arn}",
    ]
    if created:
        lines += [
            f"A Draft card was created from the package alone: {created}",
            "Write its business details, intended uses and risk rating.",
            f"Open the card: {console_card_url(region, created)}",
        ]
    else:
        lines += ["No card was created (createCardWithoutPredecessor is off). Create one for this version."]
    return Message(
        subject=f"No documented predecessor for {package.group} v{package.version}",
        body="\n".join(lines),
        attributes={
            "event_type": "no_documented_predecessor",
            "model_package_group": package.group,
            "risk_rating": "Unknown",
        },
    )
