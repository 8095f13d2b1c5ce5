"""Approval gate: no model package version stays Approved while its model card is not Approved.

Setting ``approvalGate``: ``off`` (no gate), ``warn`` (alert ops and the card's owner), ``enforce`` (also set
the version back to PendingManualApproval with a reason, first). Decided on the package's state now
(DescribeModelPackage), never on the event's: any event for the version makes the gate look, a late one for a
version that is no longer Approved changes nothing, and each Approved state (the package's own LastModifiedTime)
is judged once, however many times the version is approved again.

"The version's card" is only a card whose link counts (cards/trust.py): one the system linked, or one the package
names in its metadata. A card that merely claims the version in its content is never it, however Approved it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from model_governance import text
from model_governance.adapters.notifications import Message
from model_governance.cards.records import CardLink, CardRecord, PackageFacts
from model_governance.cards.trust import judge_link, trusted_card
from model_governance.errors import CardKeyNotGrantedError, MissingResourceError
from model_governance.events import Envelope, ModelPackageStateChange
from model_governance.observability import MetricUnit, logger, metrics
from model_governance.review.decisions import (
    APPROVAL_GATE_EFFECT,
    APPROVAL_REVERT_PREFIX,
    GateDecision,
    approval_description,
    approval_state,
    card_owner,
    gate_decision,
)
from model_governance.workflows.card_keys import report_key_not_granted
from model_governance.workflows.carry_forward import console_card_url
from model_governance.workflows.effects import EffectRun, Effects, Plan, once_per_state
from model_governance.workflows.ports import Audit, Publisher, recorder

PENDING = "PendingManualApproval"


class Registry(Protocol):
    def describe_package(self, arn: str) -> PackageFacts: ...
    def describe_card(self, name: str, version: int | None = None) -> CardRecord | None: ...
    def search_group_cards(self, group: str) -> list[CardRecord]: ...
    def update_package_approval(self, package_arn: str, status: str, description: str) -> None: ...


class GateState(Protocol):
    def link_for(self, group: str, version: int) -> CardLink | None: ...


@dataclass(frozen=True)
class GateSettings:
    mode: str  # off | warn | enforce


@dataclass
class GateResult:
    package_arn: str
    verdict: str
    reason: str
    card_name: str | None = None
    unconfirmed_claims: list[str] = field(default_factory=list)
    alerted: bool = False
    reverted: bool = False


@dataclass(frozen=True)
class VersionCards:
    """The version's card (a link that counts), and the cards that only claim the version in their content."""

    card: CardRecord | None
    unconfirmed: tuple[CardRecord, ...] = ()


def approval_gate(
    change: ModelPackageStateChange,
    *,
    registry: Registry,
    state: GateState,
    effects: Effects,
    ops: Publisher,
    notices: Publisher,
    audit: Audit,
    settings: GateSettings,
) -> GateResult:
    """Judge the version as DescribeModelPackage shows it now, whatever the event says (its approval status, its
    fields, its times): each state of the version (an Approved version at its own LastModifiedTime) once."""
    if settings.mode == "off":
        decision = gate_decision(settings.mode, None, None)
        return GateResult(change.package_arn, decision.verdict, decision.reason)
    origin = change.envelope
    try:
        package = registry.describe_package(change.package_arn)
    except MissingResourceError as error:  # deleted since the event: nothing to judge, nothing to retry
        recorder(audit, origin, group=change.group_name, subject=change.package_arn)(
            "skipped", details={"reason": str(error)}
        )
        return GateResult(change.package_arn, "skip", str(error))
    except CardKeyNotGrantedError as error:
        report_key_not_granted(
            error,
            effects=effects,
            origin=origin,
            ops=ops,
            record=recorder(audit, origin, group=change.group_name, subject=change.package_arn),
            skipped="the approval gate for this version",
        )
        return GateResult(change.package_arn, "key-not-granted", str(error))
    judging = approval_state(package)
    result = GateResult(package.arn, "skip", gate_decision(settings.mode, package.approval_status, None).reason)
    judged = once_per_state(
        effects,
        APPROVAL_GATE_EFFECT,
        package.arn,
        origin,
        judging,
        lambda run: _judge(run, origin, package, registry, state, effects, ops, notices, audit, settings, result),
        may_be_ours=_as_reverted(package),
    )
    if judged is None and judging is not None:
        result.reason = "this state of the version (Approved, same LastModifiedTime) was judged by an earlier delivery"
    logger.info("approval gate done", extra={"result": result.__dict__})
    return result


def _judge(
    run: EffectRun,
    origin: Envelope,
    package: PackageFacts,
    registry: Registry,
    state: GateState,
    effects: Effects,
    ops: Publisher,
    notices: Publisher,
    audit: Audit,
    settings: GateSettings,
    result: GateResult,
) -> bool:
    """Plan once (the card, the decision, the messages), record it, revert, then alert ops and tell the owner:
    each a step, so a retry replays the first attempt's plan (also after the revert changed the version)."""

    def plan() -> Plan:
        cards, key_error = gate_cards(package, registry, state)
        card = cards.card
        if key_error is not None:
            report_key_not_granted(
                key_error,
                effects=effects,
                origin=origin,
                ops=ops,
                record=recorder(
                    audit, origin, group=package.group, card=card.name if card else None, subject=package.arn
                ),
                skipped="the card's content (owner) in the gate's messages",
            )
        decision = gate_decision(settings.mode, package.approval_status, card, unconfirmed=cards.unconfirmed)
        alert, notice = gate_messages(package, card, decision, origin.region)
        return {
            "verdict": decision.verdict,
            "reason": decision.reason,
            "card": card.name if card else None,
            "unconfirmed": [claim.name for claim in cards.unconfirmed],
            "alert": alert.as_plan() if decision.alert else None,
            "notice": notice.as_plan() if decision.alert else None,
            "revert": approval_description(decision.reason) if decision.revert else None,
            "details": {
                "mode": settings.mode,
                "verdict": decision.verdict,
                "reason": decision.reason,
                "card_status": card.status if card else None,
                "card_version": card.version if card else None,
                "unconfirmed_claims": [{"card": c.name, "status": c.status} for c in cards.unconfirmed],
                "judged_state": approval_state(package),
            },
        }

    def act(p: Plan) -> None:
        if p["verdict"] != "skip":  # the version is no longer Approved (a retry planning late): nothing to record
            recorder(audit, run.lease, group=package.group, card=p["card"], subject=package.arn)(
                "gate_decision",
                before={"approval_status": "Approved"},
                after={"approval_status": PENDING if p["revert"] else "Approved"},
                details=p["details"],
            )

    planned = run.step("decision", plan, act)
    assert planned is not None
    result.verdict, result.reason, result.card_name = planned["verdict"], planned["reason"], planned["card"]
    result.unconfirmed_claims = list(planned["unconfirmed"])
    record = recorder(audit, run.lease, group=package.group, card=planned["card"], subject=package.arn)
    if planned["revert"] is not None:  # the revert first: a message that cannot be sent never delays it
        description = str(planned["revert"])
        run.step("revert", lambda: {"description": description}, lambda p: _revert(registry, package, p["description"]))
        record(
            "package_approval_reverted",
            before={"approval_status": "Approved"},
            after={"approval_status": PENDING, "approval_description": description},
        )
        result.reverted = True
    result.alerted = tell_ops_and_owner(run, planned, ops=ops, notices=notices, record=record)
    if result.alerted:
        metrics.add_metric(name="ApprovalGateAlerts", unit=MetricUnit.Count, value=1)
    return True


def _as_reverted(package: PackageFacts) -> bool:
    """The version is as the gate's revert leaves it (pending, with the gate's description): a first attempt
    may have reverted it and not yet sent its messages."""
    return package.approval_status == PENDING and (package.approval_description or "").startswith(
        APPROVAL_REVERT_PREFIX
    )


def _revert(registry: Registry, package: PackageFacts, description: str) -> None:
    registry.update_package_approval(package.arn, PENDING, description)
    metrics.add_metric(name="ApprovalsReverted", unit=MetricUnit.Count, value=1)


def gate_cards(
    package: PackageFacts, registry: Registry, state: GateState
) -> tuple[VersionCards, CardKeyNotGrantedError | None]:
    """``version_cards``, or, when the card's key is not granted, the card its metadata names if its link counts
    (the status and the link need no key: MetadataOnly), with the error to report (only the owner is unknown)."""
    try:
        return version_cards(package, registry, state), None
    except CardKeyNotGrantedError as error:
        metadata = error.metadata
        recorded = state.link_for(package.group, package.version)
        trusted = (
            # MetadataOnly still returns model_package_details.model_package_arn (aws-facts.md 3.1): the claim
            metadata is not None
            and judge_link(
                metadata.name,
                metadata.linked_package_arn,
                package,
                recorded,
                card_arn=metadata.arn,
                card_created=metadata.created,
            ).trusted
        )
        return VersionCards(metadata if trusted else None), error


def version_cards(package: PackageFacts, registry: Registry, state: GateState) -> VersionCards:
    """The version's card: the one the system linked, else the one the package names in its metadata. Unless that
    card is Approved, the cards whose content claims this package (one Search) are reported as unconfirmed claims,
    so an alert names a decoy instead of letting it pass for the version's card."""
    card = trusted_card(package, state.link_for(package.group, package.version), registry.describe_card)
    if card is not None and card.status == "Approved":
        return VersionCards(card)
    claims = tuple(
        found
        for found in registry.search_group_cards(package.group)
        if found.linked_package_arn == package.arn and (card is None or found.name != card.name)
    )
    return VersionCards(card, claims)


def gate_messages(
    package: PackageFacts, card: CardRecord | None, decision: GateDecision, region: str
) -> tuple[Message, Message]:
    """The ops alert and the owner's notice for a version approved without an approved card."""
    action = (
        f"The version was set back to {PENDING} (approvalGate=enforce)."
        if decision.revert
        else "The version stays Approved (approvalGate=warn): approve the card or withdraw the approval."
    )
    verdict = "reverted" if decision.revert else "warning"
    short = text.name(package.group, text.SUBJECT_NAME_LIMIT)
    return gate_alert_and_notice(
        package,
        card,
        region,
        # The reason quotes the names it holds (review/decisions.py); it stays one line of ours.
        headline=f"was approved, but {text.one_line(decision.reason)}.",
        action=action,
        event_type=f"approval_gate_{verdict}",
        alert_subject=f"Approval gate ({verdict}): {short} v{package.version} approved without an approved card",
        notice_subject=f"Your model card needs approval: {short} v{package.version}",
    )


def gate_alert_and_notice(
    package: PackageFacts,
    card: CardRecord | None,
    region: str,
    *,
    headline: str,
    action: str,
    event_type: str,
    alert_subject: str,
    notice_subject: str,
) -> tuple[Message, Message]:
    """The ops alert and the owner's notice of a gate (approval or stage): the same facts, the owner named."""
    owner = card_owner(card, fallback=package.created_by) or "unknown"
    lines = [
        f"Model package {text.name(package.group)} version {package.version} {headline}",
        action,
        "",
        f"Model package: {text.name(package.arn)}",
        f"Model card:    {text.name(card.name) if card else '(none)'}",
        f"Card owner:    {text.value(owner)}",
        f"Risk rating:   {text.name(card.risk_rating) if card else 'Unknown'}",
    ]
    if card is not None:
        lines += ["", f"Open the card: {console_card_url(region, card.name)}"]
    body = "\n".join(lines)
    attributes = {
        "event_type": event_type,
        "model_package_group": package.group,
        "risk_rating": card.risk_rating if card else "Unknown",
        "model_owner": owner,
    }
    alert = Message(subject=alert_subject, body=body, attributes=attributes)
    notice = Message(subject=notice_subject, body=f"To {text.value(owner)}:\n\n{body}", attributes=attributes)
    return alert, notice


def tell_ops_and_owner(
    run: EffectRun, planned: Plan, *, ops: Publisher, notices: Publisher, record: Callable[..., None]
) -> bool:
    """Send the planned ops alert and owner notice (``planned["alert"]``, ``planned["notice"]``), each once and
    each recorded; True when either was planned."""
    told = False
    for topic, publisher in (("ops", ops), ("notices", notices)):
        message = planned["alert" if topic == "ops" else "notice"]
        if message is None:
            continue
        run.step(topic, lambda m=message: m, lambda m, p=publisher: p.publish(Message.from_plan(m)))  # type: ignore[misc]
        record(
            "alert_sent" if topic == "ops" else "notice_sent",
            details={"topic": topic, "subject": message["subject"], "owner": message["attributes"].get("model_owner")},
        )
        told = True
    return told
