"""The state table: links between cards and versions. Keys: ``adapters/keys.py``; effects: ``adapters/effects.py``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from model_governance.adapters import keys
from model_governance.adapters.keys import from_item as from_item
from model_governance.adapters.keys import to_item as to_item
from model_governance.cards.records import CardLink


class StateStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self.table_name = table_name

    # Card links ---------------------------------------------------------------------------------------
    def link_for(self, group: str, version: int) -> CardLink | None:
        item = self._client.get_item(
            TableName=self.table_name, Key=to_item(keys.link_key(group, version)), ConsistentRead=True
        ).get("Item")
        return _link(item) if item else None

    def latest_link_before(self, group: str, version: int) -> CardLink | None:
        """The recorded link of the highest version below ``version``: one query, one item."""
        items = self._client.query(
            TableName=self.table_name,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
            ExpressionAttributeValues=to_item(
                {
                    ":pk": keys.link_partition(group),
                    ":low": keys.link_sort_key(0),
                    ":high": keys.link_sort_key(max(version - 1, 0)),
                }
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
                    **keys.link_key(link.group, link.package_version),
                    "card_name": link.card_name,
                    "package_version": link.package_version,
                    "group": link.group,
                    "package_arn": link.package_arn,
                    "card_arn": link.card_arn,
                    "card_created_before": link.card_created_before.isoformat() if link.card_created_before else None,
                    keys.INDEX_PARTITION_KEY: keys.card_index_partition(link.card_name),
                    keys.INDEX_SORT_KEY: keys.link_sort_key(link.package_version),
                }
            ),
        )


def _link(item: Mapping[str, Any]) -> CardLink:
    values = from_item(item)
    return CardLink(
        group=values["group"],
        package_version=int(values["package_version"]),
        card_name=values["card_name"],
        package_arn=values.get("package_arn"),
        card_arn=values.get("card_arn"),
        card_created_before=datetime.fromisoformat(created) if (created := values.get("card_created_before")) else None,
    )
