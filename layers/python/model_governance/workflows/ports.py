"""Ports every workflow shares, and the one way the system sends a single message once.

Workflows declare what they need as Protocols, so tests hand them fakes; these are the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from model_governance.adapters.ledger import LedgerRecord
from model_governance.adapters.notifications import Message
from model_governance.workflows.effects import EffectRun, Effects, Lease, Origin, once

SYSTEM_ACTOR = "model-governance"  # the actor of every ledger record of what the system did


class Publisher(Protocol):
    def publish(self, message: Message) -> str: ...


class Audit(Protocol):
    def append(self, record: LedgerRecord) -> bool: ...


def publish_once(
    effects: Effects,
    key: str,
    origin: Origin,
    publisher: Publisher,
    message: Message,
    *,
    record: Callable[[Lease], object] | None = None,
) -> bool:
    """Publish ``message`` once per ``key`` (an effect, workflows/effects.py: planned on the first attempt, marked
    done right after the publish), then ``record(lease)`` its ledger record. True when this call published."""

    def work(run: EffectRun) -> bool:
        run.step("publish", message.as_plan, lambda plan: publisher.publish(Message.from_plan(plan)))
        if record is not None:
            record(run.lease)
        return True

    return bool(once(effects, key, origin, work))


def recorder(audit: Audit, origin: Origin, **defaults: Any) -> Callable[..., None]:
    """``record(action, **fields)``: appends a ledger record stamped with ``origin`` (the event, or the lease of
    an effect: the attempt that first began it), the system as actor, and ``defaults`` (group, card, subject);
    ``fields`` override any of them."""

    def record(action: str, **fields: Any) -> None:
        values = {"actor": SYSTEM_ACTOR, **defaults, **fields}
        audit.append(LedgerRecord(action=action, at=origin.time, source_event_id=origin.id, **values))

    return record
