"""Bring existing groups up to standard: carry a card forward onto every latest version that has none.

It reuses the carry-forward workflow as if each such version had just been registered, so a backfilled card
is exactly what the event-driven path would have made (same content, links, ledger records and notice), and a
re-run converges: carry-forward checks what already exists before writing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from model_governance.cards.carry_forward import choose_source
from model_governance.cards.naming import card_name_for
from model_governance.cards.records import CardLink, PackageFacts
from model_governance.constants import MODEL_PACKAGE_STATE_CHANGE, SAGEMAKER_SOURCE
from model_governance.events import ModelPackageStateChange, parse_model_package_state_change
from model_governance.observability import logger
from model_governance.sweep.inventory import Inventory, PackageVersion
from model_governance.workflows import carry_forward as cf
from model_governance.workflows.account_sweep import InventoryReader, read_inventory
from model_governance.workflows.effects import EffectRun, Effects, once


@dataclass
class BackfillItem:
    group: str
    version: int
    package_arn: str
    card_name: str
    source_card: str | None  # the card to carry forward (None: created from the package alone)
    source_version: int | None
    registered: datetime | None = None  # the version's creation time: the time of its (synthetic) registration event
    outcome: str = "planned"  # planned | created | exists | no-predecessor | skipped | failed
    error: str | None = None

    def describe(self) -> str:
        source = (
            f"carry {self.source_card} (documents v{self.source_version}) forward"
            if self.source_card
            else "create a card from the package alone (no earlier version has a card)"
        )
        return f"{self.group} v{self.version}: {source} as {self.card_name}"


@dataclass
class BackfillResult:
    run_id: str
    dry_run: bool
    items: list[BackfillItem] = field(default_factory=list)
    remaining: int = 0  # planned items beyond this run's limit: run again

    @property
    def failed(self) -> list[BackfillItem]:
        return [item for item in self.items if item.outcome == "failed"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "remaining": self.remaining,
            "items": [{**item.__dict__, "action": item.describe()} for item in self.items],
        }


def plan_backfill(inventory: Inventory, links: cf.Links) -> list[BackfillItem]:
    """Each group's latest Completed version without a linked card, and the card carry-forward would start from.

    Only links that count (the inventory's, cards/trust.py) name a source: a card that merely claims a version is
    never planned as one, just as carry-forward never carries it.
    """
    by_group: dict[str, list[CardLink]] = {}
    for (group, version), name in inventory.links.items():
        by_group.setdefault(group, []).append(CardLink(group, version, name))
    known = {card.name for card in inventory.cards}
    plan = []
    for package in inventory.latest_versions():
        linked = inventory.links.get((package.group, package.version))
        if linked and linked in known:
            continue
        candidates = list(by_group.get(package.group, []))
        recorded = links.latest_link_before(package.group, package.version)
        if recorded:
            candidates.append(recorded)
        source = choose_source(candidates, package.version)
        plan.append(
            BackfillItem(
                group=package.group,
                version=package.version,
                package_arn=package.arn,
                card_name=card_name_for(package.group, package.version),
                source_card=source.card_name if source else None,
                source_version=source.package_version if source else None,
                registered=package.created,
            )
        )
    return plan


def registration_change(package: BackfillItem | PackageVersion, run_id: str, at: datetime) -> ModelPackageStateChange:
    """The registration event SageMaker sent (or would have sent) for ``package``, as carry-forward reads it."""
    arn = package.package_arn if isinstance(package, BackfillItem) else package.arn
    _, _, _, region, account, _ = arn.split(":", 5)
    return parse_model_package_state_change(
        {
            "version": "0",
            "id": f"backfill-{run_id}",
            "detail-type": MODEL_PACKAGE_STATE_CHANGE,
            "source": SAGEMAKER_SOURCE,
            "account": account,
            "time": at.astimezone(UTC).isoformat(),
            "region": region,
            "resources": [arn],
            "detail": {
                "ModelPackageGroupName": package.group,
                "ModelPackageVersion": package.version,
                "ModelPackageArn": arn,
                "ModelPackageStatus": "Completed",
            },
        }
    )


def run_backfill(
    run_id: str,
    *,
    dry_run: bool,
    reader: InventoryReader,
    registry: cf.Registry,
    links: cf.Links,
    effects: Effects,
    notices: cf.Notices,
    ops: cf.Notices,
    audit: cf.Audit,
    settings: cf.CarryForwardSettings,
    limit: int = 200,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> BackfillResult:
    """Plan (dry run) or apply at most ``limit`` carry-forwards; one group's failure does not stop the others."""
    inventory = read_inventory(reader, links, registry, monitoring=False)
    plan = plan_backfill(inventory, links)
    for item in plan[:limit]:
        if item.source_card is None:  # a confirmed hand-made card of an earlier version: what carry-forward finds
            facts = PackageFacts(item.package_arn, item.group, item.version, "Completed", None)
            source = cf.source_card(facts, registry, links)
            if source is not None:
                item.source_card, item.source_version = source.name, source.linked_version
    result = BackfillResult(run_id=run_id, dry_run=dry_run, items=plan[:limit], remaining=max(0, len(plan) - limit))
    if dry_run:
        logger.info("backfill planned", extra={"run_id": run_id, "planned": len(plan)})
        return result

    def apply(run: EffectRun) -> None:
        # The run's items are planned once: a retry of a run that died mid-way finishes the same versions (each
        # carry-forward finishes its own effect), even though they now have the card it created.
        planned = run.step("items", lambda: {"items": [_item_plan(i) for i in result.items]}, lambda _: None)
        assert planned is not None
        result.items = [_item(values) for values in planned["items"]]
        for item in result.items:
            _carry(item, run_id, registry, links, effects, notices, ops, audit, settings, now)
        if result.failed:
            run.keep_open()  # a rerun of this run id tries the failed versions again

    once(effects, f"backfill#{run_id}", RunOrigin(run_id, now()), apply)
    logger.info("backfill applied", extra={"run_id": run_id, "items": len(result.items), "failed": len(result.failed)})
    return result


def _carry(
    item: BackfillItem,
    run_id: str,
    registry: cf.Registry,
    links: cf.Links,
    effects: Effects,
    notices: cf.Notices,
    ops: cf.Notices,
    audit: cf.Audit,
    settings: cf.CarryForwardSettings,
    now: Callable[[], datetime],
) -> None:
    try:
        done = cf.carry_forward(
            # Stamped with the version's registration, not the clock: a retried run is the same event.
            registration_change(item, run_id, item.registered or now()),
            registry=registry,
            links=links,
            effects=effects,
            notices=notices,
            ops=ops,
            audit=audit,
            settings=settings,
            now=now,
        )
    except Exception as error:  # reported per item; the run says how many failed
        logger.exception("backfill of one version failed", extra={"package_arn": item.package_arn})
        item.outcome, item.error = "failed", f"{type(error).__name__}: {error}"
        return
    item.outcome = done.outcome
    item.card_name = done.card_name or item.card_name
    item.source_card = done.source_card or item.source_card


@dataclass(frozen=True)
class RunOrigin:
    id: str
    time: datetime


def _item_plan(item: BackfillItem) -> dict[str, Any]:
    values = asdict(item)
    values["registered"] = item.registered.isoformat() if item.registered else None
    return values


def _item(values: dict[str, Any]) -> BackfillItem:
    registered = values.get("registered")
    return BackfillItem(**{**values, "registered": datetime.fromisoformat(registered) if registered else None})
