"""Ports every workflow shares, and the one way the system sends a message exactly once.

Workflows declare what they need as Protocols, so tests hand them fakes; these are the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from model_governance.adapters.ledger import LedgerRecord
from model_governance.adapters.notifications import Message
from model_governance.workflows.effects import Origin

SYSTEM_ACTOR = "model-governance"  # the actor of every ledger record of what the system did


class Publisher(Protocol):
    def publish(self, message: Message) -> str: ...


class Audit(Protocol):
    def append(self, record: LedgerRecord) -> bool: ...


class Claims(Protocol):
    def claim(self, key: str, **details: Any) -> bool: ...
    def release(self, key: str) -> None: ...


def publish_once(claims: Claims, key: str, *sends: tuple[Publisher, Message], **details: Any) -> bool:
    """Publish ``sends`` once per ``key``: a redelivery finds the key claimed and sends nothing; a failed
    publish releases the claim, so the retry that follows sends it. True when this call published."""
    if not claims.claim(key, **details):
        return False
    try:
        for publisher, message in sends:
            publisher.publish(message)
    except Exception:
        claims.release(key)
        raise
    return True


def recorder(audit: Audit, origin: Origin, **defaults: Any) -> Callable[..., None]:
    """``record(action, **fields)``: appends a ledger record stamped with ``origin`` (the event, or the lease of
    an effect: the attempt that first began it), the system as actor, and ``defaults`` (group, card, subject);
    ``fields`` override any of them."""

    def record(action: str, **fields: Any) -> None:
        values = {"actor": SYSTEM_ACTOR, **defaults, **fields}
        audit.append(LedgerRecord(action=action, at=origin.time, source_event_id=origin.id, **values))

    return record
