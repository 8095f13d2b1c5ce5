"""Sweep the account the way the SageMaker Model Dashboard reads it, and tell ops what needs attention.

One effect per run id (workflows/effects.py): a retried run (Lambda's async retry of the same scheduled event)
rewrites the same report key, appends no duplicate ledger records (conditional puts keyed on the run id) and
sends the digest its first attempt planned, once. The metrics are gauges (findings now), so a repeated value
changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from model_governance.adapters.ledger import LedgerRecord
from model_governance.adapters.notifications import Message
from model_governance.cards.records import CardLink, CardRecord, PackageFacts
from model_governance.cards.trust import confirmed_card, judge_link
from model_governance.errors import MissingResourceError
from model_governance.events import parse_timestamp
from model_governance.observability import MetricUnit, logger, metrics
from model_governance.sweep.digest import SweepRun, build_report, checked_run_id, render_digest, report_key
from model_governance.sweep.inventory import CardSummary, Endpoint, Inventory, MonitorSchedule, PackageVersion
from model_governance.sweep.reconcile import (
    Action,
    GateCheck,
    Marks,
    ReconcileSettings,
    Reconciliation,
    Wanted,
    actions,
    carry_forward_key,
    gate_check,
    recent_versions,
    wanted,
)
from model_governance.sweep.rules import (
    APPROVED_WITHOUT_APPROVED_CARD,
    GATED_STAGE_WITHOUT_APPROVED_CARD,
    KINDS,
    Finding,
    SweepSettings,
    counts,
    find_problems,
)
from model_governance.workflows.effects import EffectRun, Effects, once
from model_governance.workflows.ports import SYSTEM_ACTOR, Audit, Publisher
from model_governance.workflows.security_hub import FindingsHub, pinned_notice, sync_findings

METRIC_FINDINGS = "SweepFindings"
METRIC_COMPLETED = "SweepsCompleted"
METRIC_CALLS = "SweepSageMakerCalls"
METRIC_RECONCILED = "SweepReconciled"
PACKAGE_PAGE = 100  # model packages per Search page (adapters/inventory.py)


class InventoryReader(Protocol):
    @property
    def total_calls(self) -> int: ...
    def package_versions(self) -> list[PackageVersion]: ...
    def cards(self) -> list[CardSummary]: ...
    def searched_packages(self) -> dict[str, PackageFacts]: ...
    def endpoints_in_service(self) -> list[Endpoint]: ...
    def schedules(self, endpoints: set[str]) -> list[MonitorSchedule]: ...


class Links(Protocol):
    def link_for(self, group: str, version: int) -> CardLink | None: ...


class Cards(Protocol):
    def describe_card(self, name: str, version: int | None = None) -> CardRecord | None: ...
    def describe_package(self, arn: str) -> PackageFacts: ...


class MarksReader(Protocol):
    def read(self, wanted: Wanted) -> Marks: ...


class HandOver(Protocol):
    def hand_over(self, action: Action) -> None: ...


@dataclass(frozen=True)
class Reconciler:
    """What reconciliation needs: the handlers' marks, the handlers themselves, and its settings."""

    marks: MarksReader
    handlers: HandOver
    settings: ReconcileSettings


class Reports(Protocol):
    def uri_for(self, key: str) -> str: ...
    def put_json(self, key: str, document: dict[str, Any]) -> str: ...


@dataclass
class SweepOutcome:
    run_id: str
    counts: dict[str, int]
    scanned: dict[str, int]
    report_uri: str
    digest_sent: bool
    findings: list[Finding] = field(repr=False, default_factory=list)
    digest: Message | None = field(repr=False, default=None)
    reconciliation: Reconciliation = field(repr=False, default_factory=Reconciliation)

    def summary(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "counts": self.counts,
            "scanned": self.scanned,
            "report_uri": self.report_uri,
            "digest_sent": self.digest_sent,
            "reconciled": [a.reason for a in self.reconciliation.actions] if self.reconciliation.applied else [],
        }


def read_inventory(reader: InventoryReader, links: Links, cards: Cards, *, monitoring: bool = True) -> Inventory:
    """The account, with each version the rules judge (Approved ones and each group's latest) linked to its card.

    Only a link that counts (cards/trust.py) documents a version: the system's record (the state table, which
    does not lag like Search's index), else the card the package names in its metadata and that names the package.
    The metadata of the judged versions the system did not link is read the cheaper way: one DescribeModelPackage
    each, or, when there are more of them than pages of packages, one Search pass over all model packages (100 a
    page; a version Search has not indexed yet is described). Cards that merely claim a judged version in their
    content are kept as unconfirmed claims, which the findings name.
    """
    packages = reader.package_versions()
    summaries = {card.name: card for card in reader.cards()}
    claims: dict[tuple[str, int], list[CardSummary]] = defaultdict(list)
    for card in summaries.values():
        if card.linked_group and card.linked_version is not None:
            claims[(card.linked_group, card.linked_version)].append(card)
    inventory = Inventory(packages=tuple(packages))
    judged = {(p.group, p.version): p for p in packages if p.approval_status == "Approved"}
    judged |= {(p.group, p.version): p for p in inventory.latest_versions()}
    recorded = {key: links.link_for(*key) for key in sorted(judged)}
    unlinked = sum(1 for link in recorded.values() if link is None or link.card_created_before is None)
    # Versions a DescribeModelPackage would otherwise be spent on: those the system did not link (for their
    # confirmation), and the Approved ones (the gate's state, should their card not be approved).
    to_describe = unlinked + sum(1 for p in judged.values() if p.approval_status == "Approved")
    searched = reader.searched_packages() if to_describe > -(-len(packages) // PACKAGE_PAGE) else {}
    metadata = {arn: facts.customer_metadata or {} for arn, facts in searched.items()}
    links_found: dict[tuple[str, int], str] = {}
    unconfirmed: dict[tuple[str, int], tuple[str, ...]] = {}
    for key, package in sorted(judged.items()):
        name = _documenting_card(package, recorded[key], metadata.get(package.arn), cards, summaries)
        if name is not None:
            links_found[key] = name
        others = tuple(sorted(c.name for c in claims.get(key, []) if c.name != name))
        if others:
            unconfirmed[key] = others
    endpoints = reader.endpoints_in_service() if monitoring else []
    schedules = reader.schedules({e.name for e in endpoints}) if endpoints else []
    return replace(
        inventory,
        cards=tuple(summaries.values()),
        endpoints=tuple(endpoints),
        schedules=tuple(schedules),
        links=links_found,
        unconfirmed=unconfirmed,
        searched=searched,
    )


def _documenting_card(
    package: PackageVersion,
    recorded: CardLink | None,
    metadata: dict[str, str] | None,
    cards: Cards,
    summaries: dict[str, CardSummary],
) -> str | None:
    """The card documenting ``package`` by the trust rule; a card Search has not indexed yet is described (and
    added to ``summaries``). ``metadata``: the package's CustomerMetadataProperties from Search, if read."""
    facts = PackageFacts(
        package.arn,
        package.group,
        package.version,
        package.status,
        package.approval_status,
        customer_metadata=metadata or {},
    )
    if metadata is None and (recorded is None or recorded.card_created_before is None):
        try:  # its metadata may confirm a card: read it
            facts = cards.describe_package(package.arn)
        except MissingResourceError:
            return None  # deleted since the listing
    name = recorded.card_name if recorded is not None else confirmed_card(facts)
    if name is None:
        return None
    summary = summaries.get(name) or _described(name, package, cards)
    if summary is None:
        return None  # the card was deleted: the version is undocumented again
    verdict = judge_link(
        name, summary.linked_package_arn, facts, recorded, card_arn=summary.arn, card_created=summary.created
    )
    if not verdict.trusted:
        logger.info("card link not counted", extra={"card": name, "why": verdict.explain()})
        return None
    summaries[name] = summary
    return name


def _described(name: str, package: PackageVersion, cards: Cards) -> CardSummary | None:
    record = cards.describe_card(name)
    if record is None:
        return None
    return CardSummary(
        name=record.name,
        status=record.status,
        last_modified=record.last_modified,
        linked_group=package.group,
        linked_version=package.version,
        risk_rating=record.risk_rating,
        linked_package_arn=record.linked_package_arn,
        arn=record.arn,
        created=record.created,
        version=record.version,
    )


def scanned_counts(inventory: Inventory, reader: InventoryReader) -> dict[str, int]:
    return {
        "groups": len(inventory.groups),
        "versions": len(inventory.packages),
        "cards": len(inventory.cards),
        "endpoints_in_service": len(inventory.endpoints),
        "schedules": len(inventory.schedules),
        "sagemaker_calls": reader.total_calls,
    }


def run_sweep(
    run: SweepRun,
    *,
    reader: InventoryReader,
    links: Links,
    cards: Cards,
    reports: Reports,
    effects: Effects,
    ops: Publisher | None,
    audit: Audit,
    settings: SweepSettings,
    reconciler: Reconciler | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    findings_hub: FindingsHub | None = None,
) -> SweepOutcome:
    inventory = read_inventory(reader, links, cards)
    moment = now()
    findings = find_problems(inventory, now=moment, settings=settings)
    scanned = scanned_counts(inventory, reader)
    key = report_key(run)
    run = replace(run, report_uri=reports.uri_for(key))
    totals = counts(findings)
    for kind in KINDS:
        metrics.add_metric(name=kind.metric, unit=MetricUnit.Count, value=totals[kind.code])
    metrics.add_metric(name=METRIC_FINDINGS, unit=MetricUnit.Count, value=len(findings))
    metrics.add_metric(name=METRIC_CALLS, unit=MetricUnit.Count, value=reader.total_calls)
    planned: dict[str, Any] = {}

    def reconcile_report_and_tell(effect: EffectRun) -> bool:
        # What to replay is decided once (a retry hands over the same events: their handlers make a repeat a
        # no-op); the replays go first so that the report and the digest say what was done.
        plan = effect.step(
            "reconcile",
            lambda: _reconciliation(inventory, findings, reconciler, cards, run, moment).as_plan(),
            lambda plan: _hand_over(Reconciliation.from_plan(plan), reconciler),
        )
        reconciliation = Reconciliation.from_plan(plan or {})
        planned["reconciliation"] = reconciliation
        # The report may hold thousands of findings (too big for a lease's plan): a retry writes the same key
        # with what it finds then. The digest sent is the one the first attempt planned.
        effect.step(
            "report",
            lambda: {"key": key},
            lambda plan: reports.put_json(
                plan["key"],
                build_report(findings, run=run, scanned=scanned, settings=settings, reconciliation=reconciliation),
            ),
        )
        _record(run, findings, totals, audit)  # conditional puts keyed on the run: a retry adds nothing
        _record_reconciled(run, reconciliation, audit)
        digest = (
            effect.step(
                "digest",
                lambda: _plan_of(
                    render_digest(findings, run=run, scanned=scanned, settings=settings, reconciliation=reconciliation)
                ),
                lambda plan: ops.publish(Message.from_plan(plan)),
            )
            if ops is not None  # a report-only run (make smoke) tells no one
            else None
        )
        planned["digest"] = Message.from_plan(digest) if digest else None
        if findings_hub is not None:  # last: Security Hub being down never holds the digest back
            effect.step(
                "security-hub",
                lambda: {"findings": len(findings)},
                lambda _: logger.info("security hub synced", extra=sync_findings(findings_hub, findings, inventory)),
            )
        if findings_hub is not None and ops is not None:
            # Read back: a finding someone pinned with a later UpdatedAt would otherwise stay silently wrong.
            teller = ops
            effect.step(
                "security-hub-read-back",
                lambda: _plan_of(pinned_notice(findings_hub, findings)),
                lambda plan: teller.publish(Message.from_plan(plan)),
            )
        return digest is not None

    sent = once(effects, f"account-sweep#{run.run_id}", run, reconcile_report_and_tell)
    reconciliation = planned.get("reconciliation") or Reconciliation(applied=False)
    metrics.add_metric(
        name=METRIC_RECONCILED,
        unit=MetricUnit.Count,
        value=len(reconciliation.actions) if reconciliation.applied else 0,
    )
    metrics.add_metric(name=METRIC_COMPLETED, unit=MetricUnit.Count, value=1)
    outcome = SweepOutcome(
        run.run_id,
        totals,
        scanned,
        run.report_uri or "",
        bool(sent),
        findings,
        planned.get("digest"),
        reconciliation,
    )
    logger.info("account sweep done", extra=outcome.summary())
    return outcome


def _plan_of(message: Message | None) -> dict[str, Any] | None:
    return message.as_plan() if message else None


def _reconciliation(
    inventory: Inventory,
    findings: list[Finding],
    reconciler: Reconciler | None,
    cards: Cards,
    run: SweepRun,
    now: datetime,
) -> Reconciliation:
    """The changes whose event never reached its handler (sweep/reconcile.py), read from the handlers' marks.

    A version Approved, or in a gated stage, without an approved card is read once more (DescribeModelPackage):
    its state now is the key the gate judges it under, and its LastModifiedTime the window.
    """
    if reconciler is None:
        return Reconciliation(applied=False)
    flagged = {
        (f.group, f.version)
        for f in findings
        if f.kind in (APPROVED_WITHOUT_APPROVED_CARD, GATED_STAGE_WITHOUT_APPROVED_CARD) and f.group and f.version
    }
    settings = reconciler.settings
    gate: dict[str, GateCheck] = {}
    if settings.gate_mode != "off":
        for package in sorted(inventory.packages, key=lambda p: p.arn):
            if (package.group, package.version) not in flagged:
                continue
            try:
                # Search's copy when the sweep read one (it lags by seconds: a state changed since is judged by its
                # own event, or by the next sweep), else the version described.
                facts = inventory.searched.get(package.arn) or cards.describe_package(package.arn)
                gate[package.arn] = gate_check(facts)
            except MissingResourceError:
                continue  # deleted since the listing
    marks = reconciler.marks.read(wanted(inventory, now=now, settings=settings, gate=gate))
    documented = _documented_lost_versions(inventory, marks, cards, now, settings)
    return actions(inventory, marks, run=run, now=now, settings=settings, gate=gate, documented=documented)


def _documented_lost_versions(
    inventory: Inventory, marks: Marks, cards: Cards, now: datetime, settings: ReconcileSettings
) -> frozenset[str]:
    """Of the registrations no carry-forward handled, those that already have a card that counts (a hand-made card
    the package names): carry-forward would leave them as they are, so they are not replayed. The judged versions'
    links are in the inventory; for the others one DescribeModelPackage reads the package's confirmation (a link
    the system recorded comes with its carry-forward done: no need to read one)."""
    summaries = {card.name: card for card in inventory.cards}
    documented = set()
    for package in recent_versions(inventory, now, settings):
        if carry_forward_key(package.arn) in marks.effects_done | marks.effects_begun:
            continue
        key = (package.group, package.version)
        if key in inventory.links or _documenting_card(package, None, None, cards, summaries):
            documented.add(package.arn)
    return frozenset(documented)


def _hand_over(reconciliation: Reconciliation, reconciler: Reconciler | None) -> None:
    """Hand every replay over, then raise if Lambda refused any: the step stays undone and the sweep's retry hands
    the same plan over again (a replay handed over twice is one effect in its handler). Whether a refused call
    reached Lambda is unknown, so it is never reported as not handed over."""
    if reconciler is None or not reconciliation.applied:
        return
    refused: list[Exception] = []
    for action in reconciliation.actions:
        try:
            reconciler.handlers.hand_over(action)
        except Exception as error:  # the others still go
            logger.exception("replay not handed over", extra={"handler": action.handler, "subject": action.subject})
            refused.append(error)
    if refused:
        raise refused[0]


def _record_reconciled(run: SweepRun, reconciliation: Reconciliation, audit: Audit) -> None:
    """One ``reconciled`` record per replay (keyed by the replayed event: a retry adds nothing)."""
    if not reconciliation.applied:
        return
    for action in reconciliation.actions:
        audit.append(
            LedgerRecord(
                action="reconciled",
                at=run.started,
                source_event_id=action.event_id,
                actor=SYSTEM_ACTOR,
                group=action.group,
                card=action.card,
                subject=action.subject,
                details={"handler": action.handler, "reason": action.reason, "run": run.run_id},
            )
        )


def _record(run: SweepRun, findings: list[Finding], totals: dict[str, int], audit: Audit) -> None:
    """One ledger record per group (or endpoint, or unlinked card) with findings, and one for the run."""
    by_subject: dict[tuple[str | None, str | None], list[Finding]] = defaultdict(list)
    for finding in findings:
        if finding.group:
            by_subject[(finding.group, None)].append(finding)
        elif finding.endpoint:
            by_subject[(None, f"endpoint/{finding.endpoint}")].append(finding)
        else:
            by_subject[(None, f"model-card/{finding.card}")].append(finding)
    for (group, subject), items in by_subject.items():
        audit.append(
            LedgerRecord(
                action="sweep_findings",
                at=run.started,
                source_event_id=run.run_id,
                actor=SYSTEM_ACTOR,
                group=group,
                subject=subject,
                details={"findings": [item.as_dict() for item in items], "report": run.report_uri},
            )
        )
    audit.append(
        LedgerRecord(
            action="account_swept",
            at=run.started,
            source_event_id=run.run_id,
            actor=SYSTEM_ACTOR,
            subject="account-sweep",
            details={"counts": totals, "report": run.report_uri},
        )
    )


def run_for(event: Any, *, request_id: str, function_arn: str, region: str, now: datetime) -> SweepRun:
    """The run an invocation is about, keyed so that a retry of the same event is the same run.

    A scheduled event names it (its time and id); a hand-made invocation may pass ``run_id``, else the
    Lambda request id is used. A malformed ``run_id`` raises InvalidEventError before anything is read or written.
    """
    event = event if isinstance(event, dict) else {}
    account = function_arn.split(":")[4] if function_arn.count(":") >= 5 else str(event.get("account", ""))
    if event.get("detail-type") == "Scheduled Event" and event.get("time") and event.get("id"):
        started = parse_timestamp(event["time"])
        run_id = f"{started:%Y%m%dT%H%M%SZ}-{str(event['id'])[:8]}"
    else:
        started = now
        given = event.get("run_id")
        # Lambda's retry of an invocation keeps its request id, not its clock: the id alone names the run.
        run_id = checked_run_id(given) if given is not None else checked_run_id(f"manual-{request_id}")
    return SweepRun(run_id=run_id, started=started, region=str(event.get("region") or region), account=account)
