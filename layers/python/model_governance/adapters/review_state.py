"""State of the review workflow in the state table: per-card high-water marks and export records
(keys ``CARD#<card>`` / ``MARK`` and ``EXPORT#<version>``: ``adapters/keys.py``); conditional writes only.

An export record holds the approved version's PDF evidence: the current export job (name, attempt), its status
(requested | completed | failed) and, once completed, the PDF's S3 URI.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from model_governance.adapters import keys
from model_governance.adapters.keys import from_item, to_item
from model_governance.adapters.state import StateStore
from model_governance.review.decisions import CardMark

_STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_STAMP)


class ReviewStateStore(StateStore):
    def card_mark(self, card: str) -> CardMark | None:
        item = self._client.get_item(
            TableName=self.table_name, Key=to_item(keys.mark_key(card)), ConsistentRead=True
        ).get("Item")
        return _mark(from_item(item)) if item else None

    def advance_card_mark(self, mark: CardMark, expected: CardMark | None) -> bool:
        """Write ``mark`` only if the stored mark is still ``expected`` (optimistic concurrency): two
        deliveries racing cannot both win, and an older event can never overwrite a newer mark."""
        values: dict[str, Any] = {
            **keys.mark_key(mark.card),
            "card": mark.card,
            "card_version": mark.version,
            "modified": _stamp(mark.modified),
            "status": mark.status,
            "event_id": mark.event_id,
            "previous_status": mark.previous_status,
            "previous_version": mark.previous_version,
            "created": _stamp(mark.created) if mark.created else None,
        }
        if expected is None:
            return keys.put_if_absent(self._client, self.table_name, values)
        return keys.put_if(
            self._client,
            self.table_name,
            values,
            "card_version = :v AND modified = :m AND event_id = :e",
            {":v": expected.version, ":m": _stamp(expected.modified), ":e": expected.event_id},
        )

    def record_export(self, card: str, version: int, **details: Any) -> bool:
        """Remember where an approved version's evidence is; the first record stays (False: already there)."""
        return keys.put_if_absent(
            self._client, self.table_name, {**keys.export_key(card, version), "card": card, **details}
        )

    def update_export(self, card: str, version: int, expected_job: str, **fields: Any) -> bool:
        """Set ``fields`` on the export record only while it still names ``expected_job``: a late event of an
        earlier attempt, or a second delivery that lost the race, changes nothing (False)."""
        fields = {name: value for name, value in fields.items() if value is not None}
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values = {f":v{i}": value for i, value in enumerate(fields.values())}
        try:
            self._client.update_item(
                TableName=self.table_name,
                Key=to_item(keys.export_key(card, version)),
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
            Key=to_item(keys.export_key(card, version)),
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
        created=datetime.strptime(str(values["created"]), _STAMP).replace(tzinfo=UTC)
        if values.get("created")
        else None,
    )
