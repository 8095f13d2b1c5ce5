"""State of the review workflow in the state table: per-card high-water marks and export records.

Keys (pk / sk), next to StateStore's:
  CARD#<card>    MARK                         the newest state change acted on (conditional writes only)
  CARD#<card>    EXPORT#<version, 10 digits>  the approved version's PDF evidence: the current export job
                                              (name, attempt), its status (requested | completed | failed)
                                              and, once completed, the PDF's S3 URI
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from model_governance.adapters.state import StateStore, from_item, to_item
from model_governance.review.decisions import CardMark

_STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_STAMP)


class ReviewStateStore(StateStore):
    def card_mark(self, card: str) -> CardMark | None:
        item = self._client.get_item(
            TableName=self.table_name, Key=to_item({"pk": f"CARD#{card}", "sk": "MARK"}), ConsistentRead=True
        ).get("Item")
        return _mark(from_item(item)) if item else None

    def advance_card_mark(self, mark: CardMark, expected: CardMark | None) -> bool:
        """Write ``mark`` only if the stored mark is still ``expected`` (optimistic concurrency): two
        deliveries racing cannot both win, and an older event can never overwrite a newer mark."""
        values: dict[str, Any] = {
            "pk": f"CARD#{mark.card}",
            "sk": "MARK",
            "card": mark.card,
            "card_version": mark.version,
            "modified": _stamp(mark.modified),
            "status": mark.status,
            "event_id": mark.event_id,
            "previous_status": mark.previous_status,
            "previous_version": mark.previous_version,
        }
        request: dict[str, Any] = {"TableName": self.table_name, "Item": to_item(values)}
        if expected is None:
            request["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            request["ConditionExpression"] = "card_version = :v AND modified = :m AND event_id = :e"
            request["ExpressionAttributeValues"] = to_item(
                {":v": expected.version, ":m": _stamp(expected.modified), ":e": expected.event_id}
            )
        try:
            self._client.put_item(**request)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def record_export(self, card: str, version: int, **details: Any) -> bool:
        """Remember where an approved version's evidence is; the first record stays (False: already there)."""
        try:
            self._client.put_item(
                TableName=self.table_name,
                Item=to_item({"pk": f"CARD#{card}", "sk": f"EXPORT#{version:010d}", "card": card, **details}),
                ConditionExpression="attribute_not_exists(sk)",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def update_export(self, card: str, version: int, expected_job: str, **fields: Any) -> bool:
        """Set ``fields`` on the export record only while it still names ``expected_job``: a late event of an
        earlier attempt, or a second delivery that lost the race, changes nothing (False)."""
        fields = {name: value for name, value in fields.items() if value is not None}
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values = {f":v{i}": value for i, value in enumerate(fields.values())}
        try:
            self._client.update_item(
                TableName=self.table_name,
                Key=to_item({"pk": f"CARD#{card}", "sk": f"EXPORT#{version:010d}"}),
                UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields))),
                ConditionExpression="job_name = :expected",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_item({**values, ":expected": expected_job}),
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def export_for(self, card: str, version: int) -> dict[str, Any] | None:
        item = self._client.get_item(
            TableName=self.table_name,
            Key=to_item({"pk": f"CARD#{card}", "sk": f"EXPORT#{version:010d}"}),
            ConsistentRead=True,
        ).get("Item")
        return from_item(item) if item else None


def _mark(values: Mapping[str, Any]) -> CardMark:
    previous = values.get("previous_version")
    return CardMark(
        card=str(values["card"]),
        version=int(values["card_version"]),
        modified=datetime.strptime(str(values["modified"]), _STAMP).replace(tzinfo=UTC),
        status=str(values["status"]),
        event_id=str(values["event_id"]),
        previous_status=values.get("previous_status"),
        previous_version=int(previous) if previous is not None else None,
    )
