"""In-memory stand-ins for the non-SageMaker ports, for tests that stub SageMaker with botocore's Stubber."""

from __future__ import annotations

from model_governance.adapters.ledger import LedgerRecord
from model_governance.adapters.notifications import Message
from model_governance.cards.records import CardLink


class MemoryLinks:
    def __init__(self) -> None:
        self.links: dict[tuple[str, int], CardLink] = {}
        self.claims: set[str] = set()

    def link_for(self, group: str, version: int) -> CardLink | None:
        return self.links.get((group, version))

    def latest_link_before(self, group: str, version: int) -> CardLink | None:
        earlier = [link for (g, v), link in self.links.items() if g == group and v < version]
        return max(earlier, key=lambda link: link.package_version, default=None)

    def record_link(self, link: CardLink) -> None:
        self.links[(link.group, link.package_version)] = link

    def claim(self, key: str, **_: object) -> bool:
        if key in self.claims:
            return False
        self.claims.add(key)
        return True

    def release(self, key: str) -> None:
        self.claims.discard(key)


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
