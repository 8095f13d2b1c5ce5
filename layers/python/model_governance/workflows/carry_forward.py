"""Carry the model card forward onto a newly registered model package version.

Converges rather than acts: every step checks what already exists, so the same event delivered three times, or
retried after a partial failure, ends with one card, one embedded-card update and one notice.

Only links that count (cards/trust.py) are followed: the version's existing card and the source card to carry
forward are cards the system linked or the package names, never a card that merely claims a version.

A card encrypted with a customer-managed key gives its key to the card carried from it, and its content stays under
that key (cards/encryption.py): the plans and records hold digests, the content is derived again from the same card
version when written, and the package's embedded card gets it only when the package is encrypted with that key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from model_governance import text
from model_governance.adapters.notifications import Message
from model_governance.cards import content as card_content
from model_governance.cards.carry_forward import carry_notes, choose_source, fill_embedded_card, plan_new_card
from model_governance.cards.encryption import NOT_SHOWN, digest, same_key, sealed_changes, shown
from model_governance.cards.naming import card_name_for, fallback_card_name, new_fallback_token
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
from model_governance.workflows.effects import EffectRun, Effects, Plan, once
from model_governance.workflows.ports import Audit, recorder
from model_governance.workflows.ports import Publisher as Notices


class Registry(Protocol):
    def describe_package(self, arn: str) -> PackageFacts: ...
    def describe_card(self, name: str, version: int | None = None) -> CardRecord | None: ...
    def search_group_cards(self, group: str) -> list[CardRecord]: ...
    def create_card(
        self, name: str, content: dict[str, Any], status: str = "Draft", kms_key_id: str | None = None
    ) -> str | None: ...
    def update_package_card_content(self, package_arn: str, content: dict[str, Any]) -> None: ...


class Links(Protocol):
    def link_for(self, group: str, version: int) -> CardLink | None: ...
    def latest_link_before(self, group: str, version: int) -> CardLink | None: ...
    def record_link(self, link: CardLink) -> None: ...


@dataclass(frozen=True)
class CarryForwardSettings:
    create_card_without_predecessor: bool = True


@dataclass
class CarryForwardResult:
    package_arn: str
    outcome: str  # created | exists | done | skipped | no-predecessor | key-not-granted
    card_name: str | None = None
    source_card: str | None = None
    source_card_version: int | None = None
    source_package_version: int | None = None
    kms_key_id: str | None = None  # the key the new card is encrypted with: its predecessor's
    carried: list[str] = field(default_factory=list)
    refreshed: list[str] = field(default_factory=list)
    needs_review: list[str] = field(default_factory=list)
    embedded_card_updated: bool = False
    embedded_content_withheld: bool = False  # encrypted content the package's key does not protect: not copied
    notice_published: bool = False
    reason: str = ""


def carry_forward(
    change: ModelPackageStateChange,
    *,
    registry: Registry,
    links: Links,
    effects: Effects,
    notices: Notices,
    ops: Notices,
    audit: Audit,
    settings: CarryForwardSettings,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> CarryForwardResult:
    """One effect per package version (``carry-forward#<package ARN>``): the card, its link, the embedded card
    and the notice are planned on the first attempt and each done once (workflows/effects.py)."""
    result = CarryForwardResult(package_arn=change.package_arn, outcome="skipped")
    if not change.is_registration_complete:
        result.reason = f"package status is {change.status}, not Completed"
        return result
    try:
        try:
            package = registry.describe_package(change.package_arn)
        except MissingResourceError as error:  # deleted since the event: nothing to carry onto, nothing to retry
            result.outcome, result.reason = "package-missing", str(error)
            recorder(audit, change.envelope, group=change.group_name, subject=change.package_arn)(
                "skipped", details={"reason": result.reason}
            )
            return result
        if package.status != "Completed":
            result.reason = f"package status is now {package.status}"
            return result
        done = once(
            effects,
            f"carry-forward#{package.arn}",
            change.envelope,
            lambda run: _carry(run, package, result, registry, links, notices, audit, settings, now, change),
        )
    except CardKeyNotGrantedError as error:
        result.outcome, result.reason = "key-not-granted", str(error)
        report_key_not_granted(
            error,
            effects=effects,
            origin=change.envelope,
            ops=ops,
            record=recorder(audit, change.envelope, group=change.group_name, subject=change.package_arn),
            skipped=f"carrying a model card onto {change.package_arn}",
        )
        return result
    if done is None:
        result.outcome = "done"
        result.reason = "an earlier delivery carried the card forward onto this version"
    logger.info("carry-forward done", extra={"result": result.__dict__})
    return result


def _carry(
    run: EffectRun,
    package: PackageFacts,
    result: CarryForwardResult,
    registry: Registry,
    links: Links,
    notices: Notices,
    audit: Audit,
    settings: CarryForwardSettings,
    now: Callable[[], datetime],
    change: ModelPackageStateChange,
) -> bool:
    record = recorder(audit, run.lease, group=package.group, subject=package.arn)
    existing: list[CardRecord] = []  # the version's card, when the plan found one (read once, not planned)

    def plan_card() -> Plan:
        card = _card_of_this_version(package, registry, links)
        if card is not None:
            existing.append(card)
            return {"card": card.name, "created": False, "kms_key_id": card.kms_key_id}
        source = source_card(package, registry, links)
        if source is None and not settings.create_card_without_predecessor:
            return {"card": None, "created": False}
        carried_at = now()
        new = plan_new_card(card_name_for(package.group, package.version), package, source, carried_at)
        problems = card_content.validate_content(new.content, card_content.Flavour.STANDALONE)
        if problems:
            origin = f" (carried from {source.name} v{source.version})" if source else ""
            raise InvalidCardContentError(new.card_name + origin, problems)
        # Encrypted like its predecessor: without SecurityConfig the content would be under an AWS-owned key.
        key = source.kms_key_id if source else None
        return {
            "card": new.card_name,
            "created": True,
            # The name to take if the usual one is held by a card this system did not make (squatted): random, so
            # nobody can take it ahead; drawn once, here, so a retry tries the very same name.
            "fallback": fallback_card_name(package.group, package.version, new_fallback_token()),
            "content": new.content if key is None else None,  # encrypted: derived again (_new_card_content)
            "content_sha256": digest(new.content),
            "carried_at": carried_at.isoformat(),
            "kms_key_id": key,
            "source": {"name": source.name, "version": source.version, "package_version": source.linked_version}
            if source
            else None,
            "carried": list(new.carried),
            "refreshed": list(new.refreshed),
            "needs_review": list(new.needs_review),
            "unreadable_source": new.unreadable_source.name if new.unreadable_source else None,
            "trimmed": list(new.trimmed),
            "registrant_kept": sealed_changes(new.registrant_kept, key),
        }

    contents: list[dict[str, Any]] = []  # the new card's content, derived once per attempt

    def new_content(planned: Plan) -> dict[str, Any]:
        if not contents:
            contents.append(_new_card_content(planned, package, registry))
        return contents[0]

    plan = run.step(
        "card",
        plan_card,
        lambda planned: _create_and_link(planned, new_content(planned), package, registry, links, now),
        settles=True,
    )
    assert plan is not None
    _describe(result, plan)
    if plan["card"] is None:
        result.outcome = "no-predecessor"
        result.reason = "no earlier version has a card and card creation without a predecessor is off"
        message = _no_predecessor_notice(package, change.envelope.region, created=None)
        result.notice_published = _notify(run, notices, message, record, {"notice": "no_documented_predecessor"})
        return True
    if plan["created"]:
        _record_created(plan, package, record)

    def card_content_now() -> dict[str, Any]:
        if plan["created"]:
            return dict(new_content(plan))
        card = existing[0] if existing else registry.describe_card(plan["card"])
        return card.content if card else {}

    key = plan.get("kms_key_id")
    embedded = run.step(
        "embedded",
        lambda: _embedded_plan(package, card_content_now(), key),
        lambda planned: _fill_embedded(package, planned, card_content_now, registry),
    )
    result.embedded_card_updated = embedded is not None and not embedded.get("withheld")
    result.embedded_content_withheld = embedded is not None and bool(embedded.get("withheld"))
    if embedded is not None and embedded.get("withheld"):
        record("embedded_card_content_withheld", card=plan["card"], details=embedded["withheld"])
    elif embedded is not None:
        after = embedded["after"]
        if after is None:
            after = {"encrypted_with": key, "sha256": embedded["after_sha256"], "note": NOT_SHOWN}
        record("embedded_card_updated", card=plan["card"], before=embedded["before"], after=after)
    if plan["created"]:
        content = new_content(plan)
        message = (
            _card_created_notice(package, plan, content, change.envelope.region)
            if plan["source"] or carry_notes(content)
            else _no_predecessor_notice(
                package, change.envelope.region, created=plan["card"], name_taken=plan.get("name_taken")
            )
        )
        result.notice_published = _notify(run, notices, message, record, {}, card=plan["card"])
    return True


def _new_card_content(plan: Plan, package: PackageFacts, registry: Registry) -> dict[str, Any]:
    """The planned card's content: as planned, or, for an encrypted source (the plan holds only its digest),
    derived again from the same source version (immutable), the package and the planned time."""
    if plan.get("content") is not None or not plan["created"]:
        return dict(plan.get("content") or {})
    source = plan.get("source")
    card = registry.describe_card(source["name"], source["version"]) if source else None
    carried_at = datetime.fromisoformat(plan["carried_at"])
    content = plan_new_card(str(plan["card"]), package, card, carried_at).content
    if digest(content) != plan["content_sha256"]:  # the package changed since planned: its facts as they are now
        logger.warning("carried content differs from the plan", extra={"card": plan["card"]})
    return content


def _create_and_link(
    plan: Plan,
    content: dict[str, Any],
    package: PackageFacts,
    registry: Registry,
    links: Links,
    now: Callable[[], datetime],
) -> Plan | None:
    """Create the planned card and record its link; the plan as settled when the usual name was squatted.

    A card already under the usual name that this system did not make (someone created it before the version was
    registered, or it is another version's) would block the version for good: the card is then created under the
    plan's fallback name, which nobody could know in advance, and the owner's notice says so."""
    if not plan["created"]:
        return None
    name = str(plan["card"])
    link = _create(name, plan, content, package, registry, links, now)
    settled = None
    if link is None:
        fallback = plan.get("fallback")  # plans written before fallback names existed have none
        if not fallback or (link := _create(str(fallback), plan, content, package, registry, links, now)) is None:
            raise CardNameTakenError(
                f"model card {fallback or name} already exists, but this system did not create it for "
                f"{package.arn} and the package does not name it: delete or rename that card, or, if it is the "
                f"right card, confirm it with {CARD_METADATA_KEY}={name} in the package's CustomerMetadataProperties"
            )
        logger.warning("card name taken: fallback used", extra={"taken": name, "card": fallback})
        metrics.add_metric(name="ModelCardNamesTaken", unit=MetricUnit.Count, value=1)
        settled = {**plan, "card": fallback, "name_taken": name}
    links.record_link(link)
    metrics.add_metric(name="ModelCardsCarriedForward", unit=MetricUnit.Count, value=1)
    return settled


def _create(
    name: str,
    plan: Plan,
    content: dict[str, Any],
    package: PackageFacts,
    registry: Registry,
    links: Links,
    now: Callable[[], datetime],
) -> CardLink | None:
    """Create card ``name`` with the planned content: the link to record, or None when the name is held by a card
    that is not ours (a conflict is a card already there)."""
    arn = registry.create_card(name, content, kms_key_id=plan["kms_key_id"])
    if arn:
        # CreateModelCard answers the ARN only: the card's CreationTime is no later than now (cards/trust.py).
        return CardLink(
            package.group, package.version, name, package_arn=package.arn, card_arn=arn, card_created_before=now()
        )
    card = registry.describe_card(name)
    if card is None:  # deleted between the conflict and the read: let the retry start over
        raise RuntimeError(f"model card {name} disappeared right after a conflicting write")
    # Ours when an earlier attempt created it and lost the answer: it holds exactly the planned content (written
    # ahead). Someone who pre-created that very content made the card we would have made, nothing else.
    if card.content != content and not _is_ours(card, package, links):
        return None
    return CardLink(
        package.group,
        package.version,
        name,
        package_arn=package.arn,
        card_arn=card.arn,
        card_created_before=card.created or now(),
    )


def _record_created(plan: Plan, package: PackageFacts, record: Callable[..., None]) -> None:
    source = plan.get("source") or {}
    record(
        "card_created",
        card=plan["card"],
        after={"status": "Draft", "card_version": 1, "linked_version": package.version},
        details={
            "source_card": source.get("name"),
            "source_card_version": source.get("version"),
            "carried": plan["carried"],
            "kms_key_id": plan["kms_key_id"],
            "unreadable_source": plan.get("unreadable_source"),
            "trimmed": plan.get("trimmed", []),
            "registrant_kept": plan.get("registrant_kept", []),
        },
    )


def _embedded_plan(package: PackageFacts, card_content_now: dict[str, Any], key: str | None) -> Plan | None:
    """What the package's embedded card becomes (before and after), or None when it is already in step.

    Content encrypted with ``key`` goes only into a package encrypted with the same key (the embedded card takes
    no SecurityConfig of its own): otherwise the plan says it was withheld. Encrypted, the plan holds digests."""
    updated = fill_embedded_card(package.embedded_card, card_content_now)
    if updated is None:
        return None
    if key and not same_key(key, package.arn, package.kms_key_id, package.arn):
        return {
            "withheld": {
                "kms_key_id": key,
                "package_kms_key_id": package.kms_key_id,
                "reason": "the card's content is encrypted with a customer-managed key that does not protect the "
                "model package; the embedded card takes no key of its own, so the content is not copied",
            }
        }
    problems = card_content.validate_content(updated, card_content.Flavour.PACKAGE)
    if problems:
        raise InvalidCardContentError(f"embedded card of {package.arn}", problems)
    before = package.embedded_card.content if package.embedded_card else {}
    return {
        "before": shown(before, key),
        "after": updated if key is None else None,  # encrypted: derived again when written
        "after_sha256": digest(updated),
    }


def _fill_embedded(
    package: PackageFacts, plan: Plan, card_content_now: Callable[[], dict[str, Any]], registry: Registry
) -> None:
    if plan.get("withheld"):
        return
    # Encrypted, derived again from the card and the package as they are: None when an earlier attempt wrote it.
    updated = (
        plan["after"] if plan["after"] is not None else fill_embedded_card(package.embedded_card, card_content_now())
    )
    if updated is None:
        return
    registry.update_package_card_content(package.arn, updated)
    metrics.add_metric(name="EmbeddedCardsFilled", unit=MetricUnit.Count, value=1)


def _notify(
    run: EffectRun,
    notices: Notices,
    message: Message,
    record: Callable[..., None],
    details: dict[str, Any],
    *,
    card: str | None = None,
) -> bool:
    """Send the notice once (planned: a retry sends exactly this message), then record it."""
    sent = run.step("notice", message.as_plan, lambda planned: notices.publish(Message.from_plan(planned)))
    if sent is None:
        return False
    record("notice_sent", card=card, details={"subject": sent["subject"], **details})
    return True


def _describe(result: CarryForwardResult, plan: Plan) -> None:
    result.card_name = plan["card"]
    result.kms_key_id = plan.get("kms_key_id")
    result.outcome = "created" if plan["created"] else "exists"
    source = plan.get("source")
    if source:
        result.source_card = source["name"]
        result.source_card_version = source["version"]
        result.source_package_version = source["package_version"]
    result.carried = list(plan.get("carried") or [])
    result.refreshed = list(plan.get("refreshed") or [])
    result.needs_review = list(plan.get("needs_review") or [])


def _card_of_this_version(package: PackageFacts, registry: Registry, links: Links) -> CardRecord | None:
    """A card already linked to this version by a link that counts: recorded by us, or named by the package."""
    return trusted_card(package, links.link_for(package.group, package.version), registry.describe_card)


def _is_ours(card: CardRecord, package: PackageFacts, links: Links) -> bool:
    """A card that took our name is ours only if we recorded it (another delivery just did)."""
    recorded = links.link_for(package.group, package.version)
    return judge_link(
        card.name, card.linked_package_arn, package, recorded, card_arn=card.arn, card_created=card.created
    ).trusted


def source_card(package: PackageFacts, registry: Registry, links: Links) -> CardRecord | None:
    """The card to carry forward, from one Search over the group's cards.

    The source is the card of the highest earlier version whose link counts: the system's own links (consistent;
    the card must still be the one the system created), or a hand-made card (Search finds those, also ones older
    than the deployment) that names its package and whose package names it. A card that claims this version
    without confirmation is not adopted: the version gets its own card.
    """
    recorded = links.latest_link_before(package.group, package.version)
    claims: list[CardRecord] = []
    found_by_name: dict[str, CardRecord] = {}
    for found in registry.search_group_cards(package.group):
        found_by_name[found.name] = found
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
        if chosen is recorded:
            source = _read_source(chosen.card_name, found_by_name, registry)
            if source is not None and _system_linked(source, chosen, package):
                return source
            recorded = None  # re-created under that name, or a link without the card's identity: a claim at most
            continue
        if _confirmed_source(chosen, claims, package, registry, links):
            return _read_source(chosen.card_name, found_by_name, registry)
        claims = [c for c in claims if c.name != chosen.card_name]


def _read_source(name: str, found_by_name: dict[str, CardRecord], registry: Registry) -> CardRecord | None:
    # Search returns each card's content: read the card again only when Search has not indexed it yet (a card
    # this system created seconds ago), or when it is encrypted (reading it is what proves we may use its key).
    # One call fewer per registration; Search lags an edit by seconds at most.
    indexed = found_by_name.get(name)
    source = indexed if indexed is not None and not indexed.kms_key_id else registry.describe_card(name)
    if source is None:
        logger.warning("source card vanished", extra={"card": name})
    return source


def _system_linked(card: CardRecord, recorded: CardLink, package: PackageFacts) -> bool:
    """The card this system linked to an earlier version is still the card it created (no call: the link holds
    the package's ARN, the card its own identity)."""
    if recorded.package_arn is None:
        return False
    earlier = PackageFacts(recorded.package_arn, package.group, recorded.package_version, "Completed", None)
    verdict = judge_link(
        card.name, card.linked_package_arn, earlier, recorded, card_arn=card.arn, card_created=card.created
    )
    if not verdict.trusted:
        logger.info("recorded source card not counted", extra={"card": card.name, "why": verdict.explain()})
    return verdict.trusted


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
    verdict = judge_link(card.name, arn, earlier, recorded, card_arn=card.arn, card_created=card.created)
    if not verdict.trusted:
        logger.info("unconfirmed source card skipped", extra={"card": card.name, "why": verdict.explain()})
    return verdict.trusted


def console_card_url(region: str, card_name: str) -> str:
    # The name is URL-encoded: whatever it holds, it stays inside this link's path.
    return f"https://{region}.console.aws.amazon.com/sagemaker/home?region={region}#/model-cards/{text.url_part(card_name)}"


def _card_created_notice(package: PackageFacts, plan: Plan, content: dict[str, Any], region: str) -> Message:
    source = plan["source"]
    risk = str((content.get("intended_uses") or {}).get("risk_rating") or "Unknown")
    notes = carry_notes(content)  # an unreadable predecessor, trimmed texts, the registrant's values kept
    # Names and the risk rating come from SageMaker and card content: rendered as data, like every outside value.
    lines = [
        f"A Draft model card was created for version {package.version} of model package group "
        f"{text.name(package.group)}.",
        "",
        f"Card:            {text.name(plan['card'])}",
        f"Model package:   {text.name(package.arn)}",
        f"Carried from:    {text.name(source['name'])} (card version {text.name(source['version'])}, linked to "
        f"package version {text.name(source['package_version'])})"
        if source
        else "Carried from:    nothing",
        f"Risk rating:     {text.name(risk)}",
    ]
    if notes:
        lines += ["", "Note:", *(f"  - {text.one_line(note)}" for note in notes)]
    lines += _name_taken_lines(plan.get("name_taken"), plan["card"])
    # Plan items are our sentences (cards/carry_forward.py renders the values in them); one line each.
    carried = plan["carried"] or ["(nothing)"]
    lines += ["", "Carried from the previous card:", *(f"  - {text.one_line(item)}" for item in carried)]
    lines += ["", "Taken from the new package version:", *(f"  - {text.one_line(item)}" for item in plan["refreshed"])]
    lines += ["", "Please review:", *(f"  - {text.one_line(item)}" for item in plan["needs_review"])]
    lines += ["", f"Open the card: {console_card_url(region, plan['card'])}"]
    short = text.SUBJECT_NAME_LIMIT
    return Message(
        subject=f"Model card {text.name(plan['card'], short)} created for {text.name(package.group, short)} "
        f"v{package.version}",
        body="\n".join(lines),
        attributes={"event_type": "model_card_created", "model_package_group": package.group, "risk_rating": risk},
    )


def _name_taken_lines(taken: str | None, card: str) -> list[str]:
    """What the owner must know when the usual card name was held by a card this system did not make."""
    if not taken:
        return []
    return [
        "",
        f"Name taken: a model card named {text.name(taken)} already existed, and this system did not make it for "
        "this version. The version's card was created under a name nobody could know in advance instead: "
        f"{text.name(card)}. Find out who created {text.name(taken)}, and delete it if it is not yours.",
    ]


def _no_predecessor_notice(
    package: PackageFacts, region: str, *, created: str | None, name_taken: str | None = None
) -> Message:
    lines = [
        f"Version {package.version} of model package group {text.name(package.group)} has no documented predecessor:",
        "no earlier version of the group has a linked model card.",
        "",
        f"Model package: {text.name(package.arn)}",
    ]
    if created:
        lines += [
            f"A Draft card was created from the package alone: {text.name(created)}",
            "Write its business details, intended uses and risk rating.",
            f"Open the card: {console_card_url(region, created)}",
            *_name_taken_lines(name_taken, created),
        ]
    else:
        lines += ["No card was created (createCardWithoutPredecessor is off). Create one for this version."]
    return Message(
        subject=f"No documented predecessor for {text.name(package.group, text.SUBJECT_NAME_LIMIT)} v{package.version}",
        body="\n".join(lines),
        attributes={
            "event_type": "no_documented_predecessor",
            "model_package_group": package.group,
            "risk_rating": "Unknown",
        },
    )
