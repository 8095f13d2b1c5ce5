"""Ports every workflow shares: publishing a message and appending to the audit ledger.

Workflows declare what they need as Protocols, so tests hand them fakes; these two are the same everywhere.
"""

from __future__ import annotations

from typing import Protocol

from model_governance.adapters.ledger import LedgerRecord
from model_governance.adapters.notifications import Message


class Publisher(Protocol):
    def publish(self, message: Message) -> str: ...


class Audit(Protocol):
    def append(self, record: LedgerRecord) -> bool: ...
