"""Stage gate: the approval gate's rule for model registry stages (``ModelLifeCycle``).

A version moved into a gated stage (setting ``gatedStages``, default Production) while its card is not Approved
is warned about (``approvalGate=warn``) or, under ``enforce``, put back where it was, with the approval gate's
notices. "Its card" follows the same trust rule (cards/trust.py).

Where it was comes from the ledger: every stage the gate sees a version in is recorded (``stage_changed``, also
outside the gated stages), and every revert (``stage_reverted``). The stage judged is the package's stage now
(DescribeModelPackage), whatever the event carries (``detail.ModelLifeCycle`` or not, any updated fields, a
registration): each state of the version (its stage at its own LastModifiedTime) is judged once. Under enforce
a version active in a gated stage without an approved card is put back whenever the gate finds it there, not only
when it enters; under warn ops hear of each entry once.

A revert changes the stage, which sends another event: the gate finds its own ``stage_reverted`` as the last
record and the stage the same, records the move as its own, and judges nothing. Its target is never a gated stage
with an active status (review/decisions.stage_revert_target), so it could not be judged anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from model_governance import text
from model_governance.adapters.ledger import STAGE_CHANGED, STAGE_REVERTED
from model_governance.adapters.notifications import Message
from model_governance.cards.records import CardRecord, LifeCycle, PackageFacts
from model_governance.errors import CardKeyNotGrantedError, MissingResourceError
from model_governance.events import ModelPackageStateChange
from model_governance.observability import MetricUnit, logger, metrics
from model_governance.review.decisions import (
    STAGE_GATE_EFFECT,
    StageDecision,
    StageMark,
    StageMove,
    last_stage,
    stage_gate_decision,
    stage_move,
    stage_state,
)
from model_governance.workflows.approval_gate import (
    GateState,
    Registry,
    gate_alert_and_notice,
    gate_cards,
    tell_ops_and_owner,
)
from model_governance.workflows.card_keys import report_key_not_granted
from model_governance.workflows.effects import EffectRun, Effects, Plan, once_per_state
from model_governance.workflows.ports import Audit, Publisher, recorder

# Stage records are read from the version's creation on; events (and so records) are never much older than it.
HISTORY_MARGIN = timedelta(hours=1)


class StageRegistry(Registry, Protocol):
    def update_package_stage(self, package_arn: str, stage: LifeCycle) -> None: ...


class StageHistory(Protocol):
    def stage_history(self, group: str, package_arn: str, *, since: Any) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class StageGateSettings:
    mode: str  # off | warn | enforce (the approval gate's setting)
    gated_stages: tuple[str, ...] = ("Production",)


@dataclass
class StageGateResult:
    package_arn: str
    move: str  # skip | unchanged | own-revert | moved | entered
    verdict: str  # skip | recorded | pass | warn | enforce
    reason: str
    stage: str | None = None
    card_name: str | None = None
    alerted: bool = False
    reverted_to: str | None = None


def stage_gate(
    change: ModelPackageStateChange,
    *,
    registry: StageRegistry,
    state: GateState,
    history: StageHistory,
    effects: Effects,
    ops: Publisher,
    notices: Publisher,
    audit: Audit,
    settings: StageGateSettings,
) -> StageGateResult:
    if settings.mode == "off":
        return StageGateResult(change.package_arn, "skip", "skip", "the approval gate is off")
    origin = change.envelope
    record = recorder(audit, origin, group=change.group_name, subject=change.package_arn)
    try:
        package = registry.describe_package(change.package_arn)
    except MissingResourceError as error:  # deleted since the event: nothing to judge, nothing to retry
        record("skipped", details={"reason": str(error), "gate": "stage"})
        return StageGateResult(change.package_arn, "skip", "skip", str(error))
    except CardKeyNotGrantedError as error:
        report_key_not_granted(
            error, effects=effects, origin=origin, ops=ops, record=record, skipped="the stage gate for this version"
        )
        return StageGateResult(change.package_arn, "skip", "key-not-granted", str(error))
    current = package.life_cycle
    if current is None:
        return StageGateResult(package.arn, "skip", "skip", "the version has no stage (ModelLifeCycle)")
    result = StageGateResult(package.arn, "unchanged", "skip", "", stage=current.label())
    judged = once_per_state(
        effects,
        STAGE_GATE_EFFECT,
        package.arn,
        origin,
        stage_state(package),
        lambda run: _judge(
            run, change, package, current, registry, state, history, ops, notices, audit, settings, result
        ),
    )
    if judged is None:
        result.reason = "this state of the version (stage, same LastModifiedTime) was judged by an earlier delivery"
    logger.info("stage gate done", extra={"result": result.__dict__})
    return result


def _judge(
    run: EffectRun,
    change: ModelPackageStateChange,
    package: PackageFacts,
    current: LifeCycle,
    registry: StageRegistry,
    state: GateState,
    history: StageHistory,
    ops: Publisher,
    notices: Publisher,
    audit: Audit,
    settings: StageGateSettings,
    result: StageGateResult,
) -> bool:
    """Plan once (the ledger's last stage, the card, the decision), record the move, then alert, tell the owner
    and revert: each a step, so a retry replays the first attempt's plan."""

    def plan() -> Plan:
        since = (package.creation_time or change.envelope.time) - HISTORY_MARGIN
        previous = last_stage(history.stage_history(package.group, package.arn, since=since))
        move = stage_move(previous, current, settings.gated_stages)
        planned: Plan = {
            "move": move.value,
            "before": previous.stage.as_record() if previous else None,
            "after": current.as_record(),
            "verdict": "recorded",
            "reason": _move_reason(move, previous, current),
            "card": None,
            "alert": None,
            "notice": None,
            "revert": None,
            "details": {"stage_description": current.description, "observed": "stage of the version now"},
        }
        if not _judged(move, current, settings):
            return planned
        cards, key_error = gate_cards(package, registry, state)
        decision = stage_gate_decision(
            settings.mode, previous, current, settings.gated_stages, cards.card, unconfirmed=cards.unconfirmed
        )
        card = cards.card
        alert, notice = stage_messages(package, current, card, decision, change.envelope.region)
        target = decision.revert_to
        planned.update(
            verdict=decision.verdict,
            reason=decision.reason,
            card=card.name if card else None,
            alert=alert.as_plan() if decision.alert else None,
            notice=notice.as_plan() if decision.alert else None,
            revert={"stage": target.stage, "stage_status": target.status, "description": target.description}
            if target
            else None,
            gate={
                "mode": settings.mode,
                "verdict": decision.verdict,
                "reason": decision.reason,
                "gated_stages": list(settings.gated_stages),
                "card_status": card.status if card else None,
                "card_version": card.version if card else None,
                "unconfirmed_claims": [{"card": c.name, "status": c.status} for c in cards.unconfirmed],
                "owner_unknown_key_not_granted": key_error.key_arn if key_error else None,
            },
        )
        return planned

    def act(p: Plan) -> None:
        if p["move"] == StageMove.UNCHANGED.value and not p.get("gate"):
            return
        record = recorder(audit, run.lease, group=package.group, subject=package.arn)
        by = "the approval gate's own revert" if p["move"] == StageMove.OWN_REVERT.value else None
        record(
            STAGE_CHANGED,
            before=p["before"] or {},
            after=p["after"],
            details={**p["details"], "move": p["move"], "reason": p["reason"], **({"by": by} if by else {})},
        )
        if p.get("gate"):
            record("stage_gate_decision", card=p["card"], before=p["before"] or {}, after=p["after"], details=p["gate"])

    planned = run.step("decision", plan, act)
    assert planned is not None
    result.move, result.verdict, result.reason, result.card_name = (
        planned["move"],
        planned["verdict"],
        planned["reason"],
        planned["card"],
    )
    record = recorder(audit, run.lease, group=package.group, card=planned["card"], subject=package.arn)
    revert = planned["revert"]
    if revert is not None:  # the revert first: a message that cannot be sent never delays it
        target = LifeCycle(revert["stage"], revert["stage_status"], revert["description"])
        run.step("revert", lambda: dict(revert), lambda _: _revert(registry, package, target))
        record(
            STAGE_REVERTED,
            before=planned["after"],
            after=target.as_record(),
            details={"stage_description": target.description, "reason": planned["reason"]},
        )
        result.reverted_to = target.label()
    result.alerted = tell_ops_and_owner(run, planned, ops=ops, notices=notices, record=record)
    if result.alerted:
        metrics.add_metric(name="StageGateAlerts", unit=MetricUnit.Count, value=1)
    return True


def _revert(registry: StageRegistry, package: PackageFacts, target: LifeCycle) -> None:
    registry.update_package_stage(package.arn, target)
    metrics.add_metric(name="StagesReverted", unit=MetricUnit.Count, value=1)


def _judged(move: StageMove, current: LifeCycle, settings: StageGateSettings) -> bool:
    """Entering a gated stage is judged; under enforce so is any state of a version active in a gated stage
    (a status change inside it, an update that left it there): never one the gate itself put it in."""
    if move is StageMove.ENTERED:
        return True
    return settings.mode == "enforce" and move is not StageMove.OWN_REVERT and current.active_in(settings.gated_stages)


def _move_reason(move: StageMove, previous: StageMark | None, current: LifeCycle) -> str:
    before = previous.stage.label() if previous else "no stage recorded"
    return {
        StageMove.UNCHANGED: f"the ledger already holds {current.label()}",
        StageMove.OWN_REVERT: f"the approval gate put the version back to {current.label()}",
        StageMove.MOVED: f"moved from {before} to {current.label()}",
        StageMove.ENTERED: f"moved from {before} into gated stage {current.stage}",
    }[move]


def stage_messages(
    package: PackageFacts, stage: LifeCycle, card: CardRecord | None, decision: StageDecision, region: str
) -> tuple[Message, Message]:
    """The ops alert and the owner's notice for a version moved into a gated stage without an approved card."""
    where = text.name(stage.stage)
    if decision.revert_to is not None:
        action = f"The version was put back to {text.name(decision.revert_to.label())} (approvalGate=enforce)."
    else:
        action = f"The version stays in {where} (approvalGate=warn): approve the card or move the version out of it."
    verdict = "reverted" if decision.revert_to is not None else "warning"
    short = text.name(package.group, text.SUBJECT_NAME_LIMIT)
    stage_short = text.name(stage.stage, 24)
    return gate_alert_and_notice(
        package,
        card,
        region,
        headline=f"was moved to stage {where} ({text.name(stage.status)}), but {text.one_line(decision.reason)}.",
        action=action,
        event_type=f"stage_gate_{verdict}",
        alert_subject=f"Stage gate ({verdict}): {short} v{package.version} in {stage_short} without an approved card",
        notice_subject=f"Your model card needs approval: {short} v{package.version} ({stage_short})",
    )
