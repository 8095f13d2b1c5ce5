"""The state table: card links, one-time claims (idempotency), and whatever records features keep.

Keys (pk / sk; gsi1pk / gsi1sk on the secondary index):
  GROUP#<group>      LINK#<version, 10 digits>      a card linked to a version (written by the system)
  CLAIM#<key>        CLAIM                          an effect done once (a notice sent)
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from model_governance.cards.records import CardLink

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in values.items() if value is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _deserializer.deserialize(value) for key, value in item.items()}


def _link_sort_key(version: int) -> str:
    return f"LINK#{version:010d}"


class StateStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self.table_name = table_name

    # Card links ---------------------------------------------------------------------------------------
    def link_for(self, group: str, version: int) -> CardLink | None:
        item = self._client.get_item(
            TableName=self.table_name,
            Key=to_item({"pk": f"GROUP#{group}", "sk": _link_sort_key(version)}),
            ConsistentRead=True,
        ).get("Item")
        return _link(item) if item else None

    def latest_link_before(self, group: str, version: int) -> CardLink | None:
        """The recorded link of the highest version below ``version``: one query, one item."""
        items = self._client.query(
            TableName=self.table_name,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
            ExpressionAttributeValues=to_item(
                {":pk": f"GROUP#{group}", ":low": _link_sort_key(0), ":high": _link_sort_key(max(version - 1, 0))}
            ),
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=True,
        ).get("Items", [])
        return _link(items[0]) if items else None

    def record_link(self, link: CardLink) -> None:
        self._client.put_item(
            TableName=self.table_name,
            Item=to_item(
                {
                    "pk": f"GROUP#{link.group}",
                    "sk": _link_sort_key(link.package_version),
                    "card_name": link.card_name,
                    "package_version": link.package_version,
                    "group": link.group,
                    "package_arn": link.package_arn,
                    "gsi1pk": f"CARD#{link.card_name}",
                    "gsi1sk": _link_sort_key(link.package_version),
                }
            ),
        )

    # One-time effects ---------------------------------------------------------------------------------
    def claim(self, key: str, **details: Any) -> bool:
        """True the first time ``key`` is claimed; False ever after (until released)."""
        try:
            self._client.put_item(
                TableName=self.table_name,
                Item=to_item({"pk": f"CLAIM#{key}", "sk": "CLAIM", "claimed_at": int(time.time()), **details}),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def release(self, key: str) -> None:
        """Undo a claim whose effect failed, so a retry can do it."""
        self._client.delete_item(TableName=self.table_name, Key=to_item({"pk": f"CLAIM#{key}", "sk": "CLAIM"}))


def _link(item: Mapping[str, Any]) -> CardLink:
    values = from_item(item)
    return CardLink(
        group=values["group"],
        package_version=int(values["package_version"]),
        card_name=values["card_name"],
        package_arn=values.get("package_arn"),
    )
