"""The audit ledger: append-only records of what the system observed and did, in the state table.

Keys (``adapters/keys.py``): pk ``AUDIT#GROUP#<group>`` (or ``AUDIT#SUBJECT#<subject>`` when no group is known),
sk ``LEDGER#<event time>#<action>#<event id>``; the secondary index (gsi1pk ``CARD#<card>``) reads a card's
history. The sort key is built from the event, not the clock, so a redelivered event maps to the same key, and
the conditional put means a record, once written, is never overwritten. The functions' roles may only PutItem in
``AUDIT#`` partitions: none can update or delete a record.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from model_governance.adapters import keys
from model_governance.adapters.keys import from_item, to_item


@dataclass(frozen=True)
class LedgerRecord:
    action: (
        str  # e.g. card_created, card_status_changed, embedded_card_updated, export_started, gate_decision, alert_sent
    )
    at: datetime  # when it happened (the event's time, for observed changes)
    source_event_id: str  # the EventBridge event id (or a run id for scheduled work)
    actor: str  # who: a user profile, an IAM identity, or "model-governance"
    group: str | None = None
    card: str | None = None
    subject: str | None = None  # what, when not a card: an endpoint, a schedule, a package ARN
    before: Mapping[str, Any] = field(default_factory=dict)
    after: Mapping[str, Any] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def partition(self) -> str:
        return keys.ledger_partition(group=self.group, subject=self.subject or self.card)

    @property
    def sort_key(self) -> str:
        stamp = self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return f"{keys.LEDGER_SORT_PREFIX}{stamp}#{self.action}#{self.source_event_id}"


# The records of a version's stage changes: what it was seen moved to, and what the approval gate put it back to.
STAGE_CHANGED, STAGE_REVERTED = "stage_changed", "stage_reverted"
STAGE_ACTIONS = (STAGE_CHANGED, STAGE_REVERTED)


class Ledger:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self.table_name = table_name

    def append(self, record: LedgerRecord) -> bool:
        """Write ``record``; False when that exact record (same event, action and time) is already there."""
        values: dict[str, Any] = {
            keys.PARTITION_KEY: record.partition,
            keys.SORT_KEY: record.sort_key,
            "action": record.action,
            "at": record.at.astimezone(UTC).isoformat(),
            "source_event_id": record.source_event_id,
            "actor": record.actor,
            "group": record.group,
            "card": record.card,
            "subject": record.subject,
            "before": json.dumps(dict(record.before), default=str, sort_keys=True, ensure_ascii=False),
            "after": json.dumps(dict(record.after), default=str, sort_keys=True, ensure_ascii=False),
            "details": json.dumps(dict(record.details), default=str, sort_keys=True, ensure_ascii=False),
            # Orders the records of one event (they share its time) in the order they were written.
            "recorded_at": datetime.now(UTC).isoformat(),
        }
        if record.card:
            values[keys.INDEX_PARTITION_KEY] = keys.card_index_partition(record.card)
            values[keys.INDEX_SORT_KEY] = record.sort_key
        return keys.put_if_absent(self._client, self.table_name, values)

    def history(self, *, group: str | None = None, card: str | None = None) -> list[dict[str, Any]]:
        """A group's or a card's records in the order they happened (both given: the card's within the group)."""
        if group is None and card is None:
            raise ValueError("name a group, a card, or both")
        records = self.for_group(group) if group is not None else self.for_card(str(card))
        return in_order(r for r in records if card is None or r.get("card") == card)

    def stage_history(self, group: str, package_arn: str, *, since: datetime) -> list[dict[str, Any]]:
        """The stage records (``STAGE_ACTIONS``) of one version, oldest first: one Query of the group's partition,
        its key range starting at ``since`` (the version's creation), filtered to the version's stage records."""
        start = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": f"{keys.PARTITION_KEY} = :v AND {keys.SORT_KEY} BETWEEN :from AND :to",
            "FilterExpression": "#subject = :subject AND #action IN ("
            + ", ".join(f":a{i}" for i in range(len(STAGE_ACTIONS)))
            + ")",
            "ExpressionAttributeNames": {"#subject": "subject", "#action": "action"},
            "ExpressionAttributeValues": to_item(
                {
                    ":v": keys.ledger_partition(group=group, subject=None),
                    ":from": f"{keys.LEDGER_SORT_PREFIX}{start}",
                    ":to": f"{keys.LEDGER_SORT_PREFIX}~",
                    ":subject": package_arn,
                    **{f":a{i}": action for i, action in enumerate(STAGE_ACTIONS)},
                }
            ),
        }
        return in_order(self._pages(request))

    def for_group(self, group: str) -> Iterator[dict[str, Any]]:
        yield from self._query(keys.PARTITION_KEY, keys.ledger_partition(group=group, subject=None), index=None)
        # Records written before the ledger had partitions of its own (they share the group's link partition).
        yield from self._query(keys.PARTITION_KEY, keys.legacy_ledger_partition(group), index=None)

    def for_card(self, card: str) -> Iterator[dict[str, Any]]:
        yield from self._query(keys.INDEX_PARTITION_KEY, keys.card_index_partition(card), index=keys.INDEX)

    def _query(self, key: str, value: str, index: str | None) -> Iterator[dict[str, Any]]:
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": f"{key} = :v AND begins_with({keys.INDEX_SORT_KEY if index else keys.SORT_KEY}, :p)",
            "ExpressionAttributeValues": to_item({":v": value, ":p": keys.LEDGER_SORT_PREFIX}),
        }
        if index:
            request["IndexName"] = index
        yield from self._pages(request)

    def _pages(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        while True:
            response = self._client.query(**request)
            for item in response.get("Items", []):
                record = from_item(item)
                for name in ("before", "after", "details"):
                    record[name] = json.loads(record.get(name) or "{}")
                yield record
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def in_order(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Records by when they happened, then by when they were written (one event's steps share a time)."""
    return sorted((dict(r) for r in records), key=lambda r: (_when(r), str(r.get("recorded_at", ""))))


def _when(record: Mapping[str, Any]) -> str:
    """The fixed-width time in the sort key (``LEDGER#<time>#...``); ``at`` for records built another way."""
    key = str(record.get("sk") or "")
    return key.split("#", 2)[1] if key.startswith(keys.LEDGER_SORT_PREFIX) else str(record.get("at", ""))
