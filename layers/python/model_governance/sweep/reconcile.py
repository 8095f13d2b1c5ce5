"""Reconciliation: the changes whose event never reached (or never finished in) its handler, replayed by the sweep.

SageMaker's events are best effort (aws-facts.md 7): one can be lost. Every handler leaves a mark of what it
handled: the carry-forward and violation workflows an effect done per package version or processing job, the
review workflow a card's review mark and its export record, the approval and stage gates an effect done per state
of the version they judged (its approval or stage at its own LastModifiedTime). A change
the account shows within the lookback window that has no such mark is handed to its handler as the event it
should have had (the same code path, the same idempotency: a replay of something already handled changes
nothing), marked with the sweep run that found it. Only the latest state of each subject is visible to a sweep,
so it is the latest state that is replayed (a card's PendingReview notice is not recovered once it is Approved).

Pure functions: ``wanted`` names the marks to read for an inventory, ``actions`` decides from the marks read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from model_governance import constants, text
from model_governance.cards.records import PackageFacts
from model_governance.events import MAX_ORDERED_REPLAYS, ORDERED_REPLAYS_KEY, RECONCILED_KEY
from model_governance.monitoring.dq_monitors import MONITORING_TYPE as DATA_QUALITY_MONITORING_TYPE
from model_governance.monitoring.mq_monitors import MONITORING_TYPE as MODEL_QUALITY_MONITORING_TYPE
from model_governance.review.decisions import APPROVAL_GATE_EFFECT, STAGE_GATE_EFFECT, approval_state, stage_state
from model_governance.sweep.inventory import CardSummary, Inventory, MonitorSchedule, PackageVersion
from model_governance.workflows.effects import state_effect_key


class SweepRun(Protocol):
    """The sweep run that replays (sweep/digest.SweepRun)."""

    @property
    def run_id(self) -> str: ...
    @property
    def started(self) -> datetime: ...
    @property
    def region(self) -> str: ...
    @property
    def account(self) -> str: ...


# Handlers an action goes to (functions/<handler>), and what it replays.
CARRY_FORWARD = "carry_forward"
CARD_REVIEW = "card_review"
APPROVAL_GATE = "approval_gate"
VIOLATION_ALERT = "violation_alert"
DATA_QUALITY = "dq_monitor"
HANDLERS = (CARRY_FORWARD, CARD_REVIEW, APPROVAL_GATE, VIOLATION_ALERT, DATA_QUALITY)

# Monitoring executions whose outcome the violation workflow acts on (alert, "resolved", failure).
_TERMINAL_EXECUTIONS = {"Completed", "CompletedWithViolations", "Failed"}
# The review mark keeps the event's time, Search the API's: they may differ below the second.
_CLOCK_SLACK = timedelta(seconds=1)
EXECUTION_RUN_TIME = timedelta(hours=1)


@dataclass(frozen=True)
class ReconcileSettings:
    enabled: bool = True  # False: the sweep only reports what it would replay
    lookback: timedelta = timedelta(hours=72)  # changes older than this are the backfill's business
    settle: timedelta = timedelta(minutes=15)  # younger changes may still have their event on the way
    max_actions: int = 50  # per sweep; the rest waits for the next one
    gate_mode: str = "warn"  # the approval gate's mode: "off" leaves approvals alone


@dataclass(frozen=True)
class Action:
    """One replay: the event ``handler`` should have had, and why the sweep thinks it never had it."""

    handler: str
    subject: str  # the ARN (package version, card, processing job) or monitor name it is about
    reason: str  # plain words, for the digest and the ledger
    event: dict[str, Any] = field(repr=False)
    group: str | None = None
    card: str | None = None

    def as_plan(self) -> dict[str, Any]:
        return {
            "handler": self.handler,
            "subject": self.subject,
            "reason": self.reason,
            "event": self.event,
            "group": self.group,
            "card": self.card,
        }

    @classmethod
    def from_plan(cls, plan: Mapping[str, Any]) -> Action:
        return cls(
            handler=str(plan["handler"]),
            subject=str(plan["subject"]),
            reason=str(plan["reason"]),
            event=dict(plan["event"]),
            group=plan.get("group"),
            card=plan.get("card"),
        )

    @property
    def event_id(self) -> str:
        return str(self.event["id"])


@dataclass(frozen=True)
class CardMark:
    version: int
    modified: datetime


@dataclass(frozen=True)
class Export:
    status: str  # requested | completed | failed
    job_arn: str
    requested_at: datetime | None = None


@dataclass(frozen=True)
class Wanted:
    """The marks ``actions`` needs for one inventory (the adapter reads them in batches, no SageMaker call)."""

    effect_keys: tuple[str, ...] = ()
    cards: tuple[str, ...] = ()
    exports: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Marks:
    """What the handlers recorded as handled."""

    effects_done: frozenset[str] = frozenset()
    # Begun but not done: the handler saw the event and failed (its retries and dead-letter queue have it) or is
    # still at it. Not lost, so not replayed: the digest lists them as stuck.
    effects_begun: frozenset[str] = frozenset()
    card_marks: Mapping[str, CardMark] = field(default_factory=dict)
    exports: Mapping[tuple[str, int], Export] = field(default_factory=dict)


@dataclass(frozen=True)
class Reconciliation:
    actions: tuple[Action, ...] = ()
    waiting: int = 0  # past max_actions, or behind a version of its group still in its handler: the next sweep's
    applied: bool = True  # False: reconciliation is off, the actions were reported only
    stuck: tuple[str, ...] = ()  # changes a handler began and has not finished (not lost: in its retries or DLQ)

    def as_plan(self) -> dict[str, Any]:
        return {
            "actions": [a.as_plan() for a in self.actions],
            "waiting": self.waiting,
            "applied": self.applied,
            "stuck": list(self.stuck),
        }

    @classmethod
    def from_plan(cls, plan: Mapping[str, Any]) -> Reconciliation:
        return cls(
            tuple(Action.from_plan(a) for a in plan.get("actions") or []),
            int(plan.get("waiting") or 0),
            bool(plan.get("applied", True)),
            tuple(str(s) for s in plan.get("stuck") or []),
        )

    def as_dict(self) -> dict[str, Any]:
        """For the sweep's JSON report: what was replayed (events as handed over, without their markers)."""
        return {
            "applied": self.applied,
            "waiting": self.waiting,
            "stuck": list(self.stuck),
            "actions": [
                {"handler": a.handler, "subject": a.subject, "reason": a.reason, "event_id": a.event_id}
                for a in self.actions
            ],
        }


@dataclass(frozen=True)
class GateCheck:
    """A version found Approved, or in a gated stage, without an approved card, as DescribeModelPackage shows it:
    the effects the gates judge its state under, what that state is, and when it began (LastModifiedTime)."""

    keys: tuple[str, ...]
    state: str
    changed: datetime | None


def gate_check(package: PackageFacts) -> GateCheck:
    approval, stage = approval_state(package), stage_state(package)
    keys = [state_effect_key(APPROVAL_GATE_EFFECT, package.arn, approval)] if approval else []
    keys += [state_effect_key(STAGE_GATE_EFFECT, package.arn, stage)] if stage else []
    where = [package.approval_status or "no approval status"]
    if package.life_cycle is not None:
        where.append(f"in stage {package.life_cycle.label()}")
    return GateCheck(tuple(keys), text.name(", ".join(where)), package.last_modified or package.creation_time)


def carry_forward_key(package_arn: str) -> str:
    return f"carry-forward#{package_arn}"


def execution_key(job_arn: str) -> str:
    return f"monitor-execution#{job_arn}"


# What to read -------------------------------------------------------------------------------------------
def wanted(
    inventory: Inventory, *, now: datetime, settings: ReconcileSettings, gate: Mapping[str, GateCheck]
) -> Wanted:
    """``gate``: the versions Approved or in a gated stage without an approved card (the sweep's findings, of any
    age: a version is often approved long after it was registered), by ARN."""
    versions = recent_versions(inventory, now, settings)
    cards = _recent_cards(inventory, now, settings)
    executions = [s for s in _recent_executions(inventory, now, settings) if s.last_execution_job_arn]
    gated = [key for arn in sorted(gate) for key in gate[arn].keys] if settings.gate_mode != "off" else []
    return Wanted(
        effect_keys=tuple(
            [carry_forward_key(p.arn) for p in versions]
            + [execution_key(str(s.last_execution_job_arn)) for s in executions]
            + gated
        ),
        cards=tuple(c.name for c in cards),
        exports=tuple((c.name, c.version) for c in cards if c.status == "Approved" and c.version is not None),
    )


def _in_window(moment: datetime | None, now: datetime, settings: ReconcileSettings) -> bool:
    return moment is not None and now - settings.lookback <= moment <= now - settings.settle


def recent_versions(inventory: Inventory, now: datetime, settings: ReconcileSettings) -> list[PackageVersion]:
    return sorted(
        (p for p in inventory.packages if p.status == "Completed" and _in_window(p.created, now, settings)),
        key=lambda p: (p.created or now, p.group, p.version),
    )


def _recent_cards(inventory: Inventory, now: datetime, settings: ReconcileSettings) -> list[CardSummary]:
    return sorted(
        (c for c in inventory.cards if c.version is not None and _in_window(c.last_modified, now, settings)),
        key=lambda c: (c.last_modified or now, c.name),
    )


def _recent_executions(inventory: Inventory, now: datetime, settings: ReconcileSettings) -> list[MonitorSchedule]:
    # Only the scheduled time is known, and a run may take up to an hour after it: settle that much longer.
    executions = replace(settings, settle=settings.settle + EXECUTION_RUN_TIME)
    return sorted(
        (
            s
            for s in inventory.schedules
            if s.last_execution_status in _TERMINAL_EXECUTIONS and _in_window(s.last_execution_time, now, executions)
        ),
        key=lambda s: (s.last_execution_time or now, s.name),
    )


# What to replay -----------------------------------------------------------------------------------------
def actions(
    inventory: Inventory,
    marks: Marks,
    *,
    run: SweepRun,
    now: datetime,
    settings: ReconcileSettings,
    gate: Mapping[str, GateCheck],
    documented: frozenset[str] = frozenset(),
) -> Reconciliation:
    """The replays, most urgent first (alerts, approvals and stage entries, reviews, then cards to carry), oldest
    first within each. ``gate``: the versions Approved or in a gated stage without an approved card, as ``wanted``
    had them: replayed to the gate when it never judged their state. ``documented``: the ARNs of versions with a
    card that counts (cards/trust.py), which carry-forward would leave as they are: not replayed."""
    executions: list[Action] = []
    stuck: list[str] = []
    for schedule in _recent_executions(inventory, now, settings):
        job = schedule.last_execution_job_arn
        if not job or execution_key(job) in marks.effects_done:
            continue
        if execution_key(job) in marks.effects_begun:
            stuck.append(f"monitor {text.name(schedule.name)}'s execution {text.name(job.rsplit('/', 1)[-1])}")
            continue
        executions.append(_execution(schedule, job, run))
    judge: list[Action] = []
    if settings.gate_mode != "off":
        flagged = [p for p in inventory.packages if p.arn in gate and p.status == "Completed"]
        for package in sorted(flagged, key=lambda p: (gate[p.arn].changed or now, p.arn)):
            check = gate[package.arn]
            if all(key in marks.effects_done for key in check.keys) or not _in_window(check.changed, now, settings):
                continue
            if any(key in marks.effects_begun for key in check.keys):
                stuck.append(f"the gate's judgement of {text.name(package.group)} v{package.version}")
                continue
            judge.append(_gate(package, check, run))
    reviews = [a for c in _recent_cards(inventory, now, settings) if (a := _card_review(c, marks, run, now, settings))]
    carries, waiting = _carries(recent_versions(inventory, now, settings), marks, documented, run, stuck)
    found = [*executions, *judge, *reviews, *carries]
    waiting += max(0, len(found) - settings.max_actions)
    return Reconciliation(tuple(found[: settings.max_actions]), waiting, settings.enabled, tuple(stuck))


def _carries(
    versions: list[PackageVersion], marks: Marks, documented: frozenset[str], run: SweepRun, stuck: list[str]
) -> tuple[list[Action], int]:
    """One replay per group, of all its lost registrations in version order (each carried from the card the one
    before ends with), and how many wait behind a version its handler began and has not finished."""
    lost: dict[str, list[PackageVersion]] = {}
    waiting = 0
    blocked: set[str] = set()  # a version in its handler's retries: the later ones would carry from too far back
    for package in sorted(versions, key=lambda p: (p.group, p.version)):
        key = carry_forward_key(package.arn)
        if key in marks.effects_done or package.arn in documented:
            continue
        if package.group in blocked:
            waiting += 1
        elif key in marks.effects_begun:
            blocked.add(package.group)
            stuck.append(f"carry-forward of {text.name(package.group)} v{package.version}")
        elif len(lost.setdefault(package.group, [])) < MAX_ORDERED_REPLAYS:
            lost[package.group].append(package)
        else:
            waiting += 1  # one replay carries at most MAX_ORDERED_REPLAYS versions: the rest go with the next sweep
    ordered = sorted(lost.values(), key=lambda group: min(p.created or run.started for p in group))
    return [_carry_forward(group, run) for group in ordered], waiting


def _card_review(
    card: CardSummary, marks: Marks, run: SweepRun, now: datetime, settings: ReconcileSettings
) -> Action | None:
    assert card.version is not None and card.last_modified is not None
    mark = marks.card_marks.get(card.name)
    reviewed = mark is not None and (
        mark.version > card.version
        or (mark.version == card.version and mark.modified >= card.last_modified - _CLOCK_SLACK)
    )
    if mark is None and card.status == "Draft":
        return None  # a card first seen in Draft asks nothing of the review (no notice, no evidence, no sync)
    if not reviewed:
        reason = f"card {text.name(card.name)} v{card.version} became {text.name(card.status)}; the review never saw it"
        return _action(run, CARD_REVIEW, card.arn or card.name, reason, _card_event(card, run), card=card.name)
    export = marks.exports.get((card.name, card.version))
    if card.status != "Approved" or export is None or export.status != "requested":
        return None
    if export.requested_at is not None and export.requested_at > now - settings.settle:
        return None  # the export job may still be running
    reason = f"the PDF export of approved card {text.name(card.name)} v{card.version} never reported back"
    return _action(run, CARD_REVIEW, export.job_arn, reason, _export_event(export.job_arn), card=card.name)


def _action(
    run: SweepRun,
    handler: str,
    subject: str,
    reason: str,
    event: dict[str, Any],
    *,
    group: str | None = None,
    card: str | None = None,
) -> Action:
    """The event as EventBridge would have delivered it (``event`` without the envelope gets one), marked."""
    kind = str(event.get("detail-type") or event.get("action") or ORDERED_REPLAYS_KEY)
    digest = hashlib.sha256(f"{handler}\n{subject}\n{kind}".encode()).hexdigest()[:16]
    marked: dict[str, Any] = {"id": f"reconciled-{run.run_id}-{digest}"}
    if "detail-type" in event:
        marked |= {
            "version": "0",
            "source": constants.SAGEMAKER_SOURCE,
            "account": run.account,
            "time": run.started.astimezone(UTC).isoformat(),
            "region": run.region,
        }
    marked |= {**event, RECONCILED_KEY: {"run_id": run.run_id, "reason": reason}}
    return Action(handler, subject, reason, marked, group=group, card=card)


def _carry_forward(versions: list[PackageVersion], run: SweepRun) -> Action:
    """A group's lost registrations, handed over as one replay: the carry-forward function runs them in order and
    stops at the first that fails (its retry starts over; the versions already done are no-ops)."""
    replays = [_registration(package, run) for package in versions]
    if len(replays) == 1:
        return replays[0]
    first, group = versions[0], text.name(versions[0].group)
    numbers = ", ".join(f"v{p.version}" for p in versions)
    reason = f"{group} {numbers} were registered; carry-forward never saw them (replayed in this order)"
    event = {ORDERED_REPLAYS_KEY: [replay.event for replay in replays]}
    return _action(run, CARRY_FORWARD, first.arn, reason, event, group=first.group)


def _registration(package: PackageVersion, run: SweepRun) -> Action:
    reason = f"{text.name(package.group)} v{package.version} was registered; carry-forward never saw it"
    event = _package_event(package, updated_fields=None)
    return _action(run, CARRY_FORWARD, package.arn, reason, event, group=package.group)


def _gate(package: PackageVersion, check: GateCheck, run: SweepRun) -> Action:
    reason = f"{text.name(package.group)} v{package.version} is {check.state}; the gate never judged it so"
    # The gate reads the version itself (DescribeModelPackage): the event only names it.
    return _action(
        run, APPROVAL_GATE, package.arn, reason, _package_event(package, updated_fields=None), group=package.group
    )


def _package_event(package: PackageVersion, *, updated_fields: list[str] | None) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "ModelPackageGroupName": package.group,
        "ModelPackageVersion": package.version,
        "ModelPackageArn": package.arn,
        "ModelPackageStatus": package.status,
        "CreationTime": package.created.isoformat() if package.created else None,
    }
    if package.approval_status:
        detail["ModelApprovalStatus"] = package.approval_status
    if updated_fields is not None:
        detail["UpdatedModelPackageFields"] = updated_fields
    return {
        "detail-type": constants.MODEL_PACKAGE_STATE_CHANGE,
        "resources": [package.arn],
        "detail": {k: v for k, v in detail.items() if v is not None},
    }


def _card_event(card: CardSummary, run: SweepRun) -> dict[str, Any]:
    assert card.last_modified is not None
    detail: dict[str, Any] = {
        "ModelCardName": card.name,
        "ModelCardVersion": card.version,
        "ModelCardStatus": card.status,
        "LastModifiedTime": card.last_modified.astimezone(UTC).isoformat(),
        "AccountId": run.account,
    }
    if card.created is not None:
        detail["CreationTime"] = card.created.astimezone(UTC).isoformat()
    if card.modified_by:  # as the event names who made the change
        who = card.modified_by
        detail["LastModifiedBy"] = {"IamIdentity": {"Arn": who}} if who.startswith("arn:") else {"UserProfileName": who}
    return {
        "detail-type": constants.MODEL_CARD_STATE_CHANGE,
        "resources": [card.arn] if card.arn else [],
        "detail": detail,
    }


def _export_event(job_arn: str) -> dict[str, Any]:
    return {
        "detail-type": constants.MODEL_CARD_EXPORT_JOB_STATE_CHANGE,
        "resources": [job_arn],
        "detail": {"ModelCardExportJobArn": job_arn},
    }


def _execution(schedule: MonitorSchedule, job_arn: str, run: SweepRun) -> Action:
    status = str(schedule.last_execution_status)
    reason = f"monitor {text.name(schedule.name)}'s execution ended {text.name(status)}; no alert workflow saw it"
    if schedule.monitoring_type in {DATA_QUALITY_MONITORING_TYPE, MODEL_QUALITY_MONITORING_TYPE}:
        # Our own monitor: its function replays the run it recorded (no SageMaker processing job to describe).
        return _action(run, DATA_QUALITY, job_arn, reason, {"action": "alert", "monitor": schedule.name})
    detail: dict[str, Any] = {
        "ProcessingJobName": job_arn.rsplit("/", 1)[-1],
        "ProcessingJobArn": job_arn,
        "ProcessingJobStatus": "Failed" if status == "Failed" else "Completed",
    }
    event = {"detail-type": constants.PROCESSING_JOB_STATE_CHANGE, "resources": [job_arn], "detail": detail}
    return _action(run, VIOLATION_ALERT, job_arn, reason, event)
