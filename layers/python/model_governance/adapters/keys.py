"""The state table's key space, in one place: prefixes, key builders, the one conditional put, and who may
touch which partitions (the access profiles the stack turns into ``dynamodb:LeadingKeys`` grants).

Keys (pk / sk; gsi1pk / gsi1sk on the secondary index ``gsi1``):
  GROUP#<group>            LINK#<version, 10 digits>      a card linked to a version   gsi1: CARD#<card> / LINK#...
  EFFECT#<key>             EFFECT                         an effect's lease, plans and steps (workflows/effects.py)
  CARD#<card>              MARK                           the newest review state change acted on
  CARD#<card>              EXPORT#<version, 10 digits>    where an approved version's PDF evidence is
  SCHEDULE#<schedule>      VIOLATIONS                     a monitor's violation state  gsi1: SCHEDULES / SCHEDULE#...
  AUDIT#GROUP#<group>      LEDGER#<time>#<action>#<id>    the audit ledger             gsi1: CARD#<card> / LEDGER#...
  AUDIT#SUBJECT#<subject>  LEDGER#...                     ledger records about no group (an endpoint, the sweep)

The ledger has partitions of its own (``AUDIT#``) so that IAM can tell them apart: every function may only
PutItem there (conditional puts that never overwrite), and no role may update or delete a ledger record.
Ledger records written before issue 8 live in the ``GROUP#`` partitions; readers still find them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

PARTITION_KEY = "pk"
SORT_KEY = "sk"
INDEX = "gsi1"  # a second access path (by card, by schedule) that features share
INDEX_PARTITION_KEY = "gsi1pk"
INDEX_SORT_KEY = "gsi1sk"
TTL_ATTRIBUTE = "expires_at"

# Partition prefixes: the unit of access control (dynamodb:LeadingKeys matches the partition key).
LINKS = "GROUP#"
EFFECTS = "EFFECT#"
CARDS = "CARD#"
SCHEDULES = "SCHEDULE#"
AUDIT = "AUDIT#"
LEGACY_LEDGER = LINKS  # where ledger records were written before they had partitions of their own
# Secondary-index partition prefixes.
BY_CARD = "CARD#"
ALL_SCHEDULES = "SCHEDULES"

LINK_SORT_PREFIX = "LINK#"
LEDGER_SORT_PREFIX = "LEDGER#"
EFFECT_SORT_KEY = "EFFECT"
MARK_SORT_KEY = "MARK"
SCHEDULE_SORT_KEY = "VIOLATIONS"

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in values.items() if value is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _deserializer.deserialize(value) for key, value in item.items()}


# Key builders ------------------------------------------------------------------------------------------
def link_partition(group: str) -> str:
    return f"{LINKS}{group}"


def link_sort_key(version: int) -> str:
    return f"{LINK_SORT_PREFIX}{version:010d}"


def link_key(group: str, version: int) -> dict[str, str]:
    return {PARTITION_KEY: link_partition(group), SORT_KEY: link_sort_key(version)}


def effect_key(key: str) -> dict[str, str]:
    return {PARTITION_KEY: f"{EFFECTS}{key}", SORT_KEY: EFFECT_SORT_KEY}


def card_partition(card: str) -> str:
    return f"{CARDS}{card}"


def mark_key(card: str) -> dict[str, str]:
    return {PARTITION_KEY: card_partition(card), SORT_KEY: MARK_SORT_KEY}


def export_key(card: str, version: int) -> dict[str, str]:
    return {PARTITION_KEY: card_partition(card), SORT_KEY: f"EXPORT#{version:010d}"}


def schedule_key(schedule: str) -> dict[str, str]:
    return {PARTITION_KEY: f"{SCHEDULES}{schedule}", SORT_KEY: SCHEDULE_SORT_KEY}


def ledger_partition(*, group: str | None, subject: str | None) -> str:
    """``AUDIT#GROUP#<group>``, or ``AUDIT#SUBJECT#<subject>`` when the record is about no group."""
    return f"{AUDIT}GROUP#{group}" if group else f"{AUDIT}SUBJECT#{subject or 'account'}"


def legacy_ledger_partition(group: str) -> str:
    return f"{LEGACY_LEDGER}{group}"


def card_index_partition(card: str) -> str:
    return f"{BY_CARD}{card}"


# The one conditional write -----------------------------------------------------------------------------
def put_if(
    client: Any,
    table_name: str,
    values: Mapping[str, Any],
    condition: str,
    condition_values: Mapping[str, Any] | None = None,
) -> bool:
    """PutItem only while ``condition`` holds: False when it does not, any other error raises."""
    request: dict[str, Any] = {"TableName": table_name, "Item": to_item(values), "ConditionExpression": condition}
    if condition_values:
        request["ExpressionAttributeValues"] = to_item(condition_values)
    try:
        client.put_item(**request)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def put_if_absent(client: Any, table_name: str, values: Mapping[str, Any]) -> bool:
    """Write a new item; False (and nothing written) when an item with that key exists."""
    return put_if(client, table_name, values, f"attribute_not_exists({PARTITION_KEY})")


# Who may touch what ------------------------------------------------------------------------------------
Grants = Mapping[str, frozenset[str]]  # partition prefix -> DynamoDB actions on its items


@dataclass(frozen=True)
class AccessProfile:
    """The DynamoDB actions one function uses, per partition prefix of the table (``items``) and of the
    secondary index (``index``, Query only). The stack grants exactly this, nothing else."""

    items: Grants
    index: Grants = field(default_factory=dict)

    def __or__(self, other: AccessProfile) -> AccessProfile:
        return AccessProfile(_union(self.items, other.items), _union(self.index, other.index))


def _union(a: Grants, b: Grants) -> dict[str, frozenset[str]]:
    return {prefix: a.get(prefix, frozenset()) | b.get(prefix, frozenset()) for prefix in {*a, *b}}


def _access(prefix: str, *actions: str, index: bool = False) -> AccessProfile:
    grants = {prefix: frozenset(actions)}
    return AccessProfile(items={}, index=grants) if index else AccessProfile(items=grants)


# What each adapter method needs (the adapters are the only code that touches the table).
READ_LINK = _access(LINKS, "GetItem")  # StateStore.link_for
READ_LINK_HISTORY = _access(LINKS, "Query")  # StateStore.latest_link_before
RECORD_LINK = _access(LINKS, "PutItem")  # StateStore.record_link (a link converges: same key, same card)
# EffectStore: begin/plan/done/finish/release are conditional UpdateItems; GetItem reads a held lease.
EFFECT_ONCE = _access(EFFECTS, "UpdateItem", "GetItem")
REVIEW_MARKS = _access(CARDS, "GetItem", "PutItem")  # ReviewStateStore.card_mark / advance_card_mark
RECORD_EXPORT = _access(
    CARDS, "PutItem", "UpdateItem", "GetItem"
)  # ReviewStateStore.record_export / update_export / export_for
SCHEDULE_STATE = _access(SCHEDULES, "GetItem", "PutItem")  # ScheduleStates.load / save (conditional)
APPEND_LEDGER = _access(AUDIT, "PutItem")  # Ledger.append (conditional, never overwrites)
READ_STAGE_HISTORY = _access(AUDIT, "Query")  # Ledger.stage_history: a version's stage records, read only
READ_LEDGER = (
    _access(AUDIT, "Query") | _access(LEGACY_LEDGER, "Query") | _access(BY_CARD, "Query", index=True)
)  # Ledger.for_group / for_card

# One profile per function, traced from its handler through the workflow to these adapters.
CARRY_FORWARD = READ_LINK | READ_LINK_HISTORY | RECORD_LINK | EFFECT_ONCE | APPEND_LEDGER
BACKFILL = CARRY_FORWARD  # plans with link_for / latest_link_before, then runs carry-forward
CARD_REVIEW = READ_LINK | REVIEW_MARKS | RECORD_EXPORT | EFFECT_ONCE | APPEND_LEDGER
APPROVAL_GATE = READ_LINK | EFFECT_ONCE | APPEND_LEDGER | READ_STAGE_HISTORY
VIOLATION_ALERT = READ_LINK | SCHEDULE_STATE | EFFECT_ONCE | APPEND_LEDGER
READ_MONITOR_RUNS = _access(SCHEDULES, "GetItem")  # MonitorRuns.last: our data-quality monitors' last runs
# HandledMarks.read: which effects are done (the gates' judgements among them), review marks and export records.
READ_HANDLED_MARKS = _access(EFFECTS, "BatchGetItem") | _access(CARDS, "BatchGetItem")
ACCOUNT_SWEEP = READ_LINK | READ_MONITOR_RUNS | EFFECT_ONCE | APPEND_LEDGER | READ_HANDLED_MARKS
DATA_QUALITY = VIOLATION_ALERT  # our own monitor: its runs go through the violation workflow
LEDGER_READER = READ_LEDGER  # people running `make ledger`; no function reads the ledger
