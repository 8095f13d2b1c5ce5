"""The sweep's reconciliation I/O: reading what the handlers marked as handled (DynamoDB only, in batches of
100 keys: no SageMaker call), and handing each replay to its handler's function as an asynchronous invocation,
so it runs with that function's role, retries and dead-letter queue, exactly as the lost event would have."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from model_governance.adapters import keys
from model_governance.adapters.keys import from_item, to_item
from model_governance.sweep.reconcile import Action, CardMark, Export, Marks, Wanted

BATCH_GET_LIMIT = 100  # keys per BatchGetItem
_STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"


class HandledMarks:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self.table_name = table_name

    def read(self, wanted: Wanted) -> Marks:
        effects = {keys.effect_key(key)[keys.PARTITION_KEY]: key for key in wanted.effect_keys}
        marks = [keys.mark_key(card) for card in wanted.cards]
        exports = {tuple(keys.export_key(card, version).values()): (card, version) for card, version in wanted.exports}
        # One partition prefix per batch: IAM checks every key of a batch against one statement (keys.py).
        items = [
            *self._get([keys.effect_key(key) for key in wanted.effect_keys]),
            *self._get(marks + [keys.export_key(card, version) for card, version in wanted.exports]),
        ]
        done: set[str] = set()
        begun: set[str] = set()
        card_marks: dict[str, CardMark] = {}
        found_exports: dict[tuple[str, int], Export] = {}
        for item in items:
            pk, sk = str(item[keys.PARTITION_KEY]), str(item[keys.SORT_KEY])
            if pk in effects and sk == keys.EFFECT_SORT_KEY:
                (done if item.get("done_at") else begun).add(effects[pk])
            elif sk == keys.MARK_SORT_KEY:
                card_marks[str(item["card"])] = CardMark(int(item["card_version"]), _time(item["modified"]))
            elif (pk, sk) in exports:
                found_exports[exports[(pk, sk)]] = Export(
                    status=str(item.get("status") or "requested"),
                    job_arn=str(item.get("job_arn") or ""),
                    requested_at=_time(item["requested_at"]) if item.get("requested_at") else None,
                )
        return Marks(
            effects_done=frozenset(done),
            effects_begun=frozenset(begun),
            card_marks=card_marks,
            exports=found_exports,
        )

    def _get(self, wanted_keys: list[dict[str, str]]) -> Iterator[dict[str, Any]]:
        for start in range(0, len(wanted_keys), BATCH_GET_LIMIT):
            pending: dict[str, Any] = {
                self.table_name: {"Keys": [to_item(key) for key in wanted_keys[start : start + BATCH_GET_LIMIT]]}
            }
            while pending:  # DynamoDB may return part of a batch as UnprocessedKeys: ask again for those
                response = self._client.batch_get_item(RequestItems=pending)
                yield from (from_item(item) for item in response.get("Responses", {}).get(self.table_name, []))
                pending = response.get("UnprocessedKeys") or {}


def _time(value: Any) -> datetime:
    text = str(value)
    try:
        return datetime.strptime(text, _STAMP).replace(tzinfo=UTC)
    except ValueError:
        parsed = datetime.fromisoformat(text)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


class Handlers:
    """Invokes the handler functions (``functions`` maps a handler name to its function name) asynchronously."""

    def __init__(self, client: Any, functions: Mapping[str, str]) -> None:
        self._client = client
        self._functions = dict(functions)

    def hand_over(self, action: Action) -> None:
        function = self._functions.get(action.handler)
        if function is None:
            raise LookupError(f"no function is configured for the {action.handler} handler")
        response = self._client.invoke(
            FunctionName=function, InvocationType="Event", Payload=json.dumps(action.event).encode()
        )
        if int(response.get("StatusCode", 0)) != 202:
            raise RuntimeError(f"Lambda did not accept the {action.handler} replay: {response.get('StatusCode')}")
