"""In-memory stand-ins for the non-SageMaker ports, for tests that stub SageMaker with botocore's Stubber."""

from __future__ import annotations

import json
import uuid
from typing import Any

from model_governance.adapters.ledger import LedgerRecord
from model_governance.adapters.notifications import Message
from model_governance.cards.records import CardLink
from model_governance.workflows.effects import EffectBusy, Lease, LeaseLost, Origin, Plan


class MemoryLinks:
    def __init__(self) -> None:
        self.links: dict[tuple[str, int], CardLink] = {}

    def link_for(self, group: str, version: int) -> CardLink | None:
        return self.links.get((group, version))

    def latest_link_before(self, group: str, version: int) -> CardLink | None:
        earlier = [link for (g, v), link in self.links.items() if g == group and v < version]
        return max(earlier, key=lambda link: link.package_version, default=None)

    def record_link(self, link: CardLink) -> None:
        self.links[(link.group, link.package_version)] = link


class MemoryNotices:
    def __init__(self) -> None:
        self.sent: list[Message] = []

    def publish(self, message: Message) -> str:
        self.sent.append(message)
        return f"message-{len(self.sent)}"


class MemoryAudit:
    def __init__(self) -> None:
        self.records: dict[tuple[str, str], LedgerRecord] = {}

    def append(self, record: LedgerRecord) -> bool:
        key = (record.partition, record.sort_key)
        if key in self.records:
            return False
        self.records[key] = record
        return True


class MemoryEffects:
    """Effect leases with the state table's semantics (adapters/effects.py), in memory; ``now`` is settable."""

    def __init__(self, lease_seconds: int = 90) -> None:
        self.lease_seconds = lease_seconds
        self.now = 0.0
        self.items: dict[str, dict[str, Any]] = {}

    def begin(self, key: str, origin: Origin) -> Lease | None:
        item = self.items.get(key)
        if item is not None and item.get("done"):
            return None
        if item is not None and item["until"] >= self.now:
            raise EffectBusy(key)
        item = item or {"id": origin.id, "time": origin.time, "plans": {}, "steps": set()}
        item.update(token=uuid.uuid4().hex, until=self.now + self.lease_seconds)
        self.items[key] = item
        plans = {name: json.loads(plan) for name, plan in item["plans"].items()}
        return Lease(key, item["token"], item["id"], item["time"], plans, set(item["steps"]))

    def plan_step(self, lease: Lease, step: str, plan: Plan | None) -> None:
        self._held(lease)["plans"][step] = json.dumps(plan)

    def step_done(self, lease: Lease, step: str, plan: Any = ...) -> None:
        item = self._held(lease)
        item["steps"].add(step)
        if plan is not ...:
            item["plans"][step] = json.dumps(plan)

    def finish(self, lease: Lease) -> None:
        self._held(lease)["done"] = True

    def release(self, lease: Lease) -> None:
        self._held(lease)["until"] = -1

    def done(self, key: str) -> bool:
        return bool(self.items.get(key, {}).get("done"))

    def _held(self, lease: Lease) -> dict[str, Any]:
        item = self.items[lease.key]
        if item["token"] != lease.token:
            raise LeaseLost(lease.key)
        return item
