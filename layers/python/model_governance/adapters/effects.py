"""Effect leases in the state table (see workflows/effects.py for what they guarantee).

Key: ``EFFECT#<effect key>`` / ``EFFECT`` (adapters/keys.py). One item per effect: the lease (token, expiry), the attempt that
first began it (its event id and time stamp the effect's ledger records), each step's plan as written ahead,
the steps done, and ``done_at`` once the effect is complete. Every write is conditional on holding the lease.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import EllipsisType
from typing import Any

from botocore.exceptions import ClientError

from model_governance.adapters.keys import effect_key, from_item, to_item
from model_governance.adapters.sagemaker import error_code
from model_governance.workflows.effects import EffectBusy, Lease, LeaseLost, Origin, Plan

# Effects are kept long past any retry or DLQ replay (the DLQ keeps 14 days), then expire (the table's TTL).
DONE_RETENTION_SECONDS = 400 * 24 * 3600


class EffectStore:
    def __init__(
        self, client: Any, table_name: str, *, lease_seconds: int, clock: Callable[[], float] = time.time
    ) -> None:
        self._client = client
        self.table_name = table_name
        self.lease_seconds = lease_seconds
        self._clock = clock

    def begin(self, key: str, origin: Origin) -> Lease | None:
        now = int(self._clock())
        token = uuid.uuid4().hex
        try:
            response = self._client.update_item(
                TableName=self.table_name,
                Key=_key(key),
                UpdateExpression=(
                    "SET lease_token = :token, lease_until = :until,"
                    " first_event_id = if_not_exists(first_event_id, :event),"
                    " first_at = if_not_exists(first_at, :at),"
                    " plans = if_not_exists(plans, :empty), steps_done = if_not_exists(steps_done, :empty),"
                    " expires_at = :expires"
                ),
                # New, or abandoned: never done, and the last lease has expired (or was released).
                ConditionExpression="attribute_not_exists(pk) OR (attribute_not_exists(done_at) AND lease_until < :now)",
                ExpressionAttributeValues=to_item(
                    {
                        ":token": token,
                        ":until": now + self.lease_seconds,
                        ":event": origin.id,
                        ":at": origin.time.astimezone(UTC).isoformat(),
                        ":empty": {},
                        ":now": now,
                        ":expires": now + DONE_RETENTION_SECONDS,
                    }
                ),
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            held = from_item(error.response.get("Item") or self._read(key))
            if held.get("done_at"):
                return None
            if held.get("lease_token") == token:  # our own first try took it; botocore retried a lost answer
                return _lease(key, held)
            raise EffectBusy(
                f"effect {key} is being done by another delivery until {held.get('lease_until')}: retry after"
            ) from None
        return _lease(key, from_item(response["Attributes"]))

    def plan_step(self, lease: Lease, step: str, plan: Plan | None) -> None:
        self._update(lease, "SET plans.#step = :plan", {"#step": step}, {":plan": json.dumps(plan, ensure_ascii=False)})

    def step_done(self, lease: Lease, step: str, plan: Plan | EllipsisType | None = ...) -> None:
        """Mark ``step`` done; with ``plan`` (a step with nothing to do) its plan is written in the same call."""
        if plan is ...:
            self._update(lease, "SET steps_done.#step = :done", {"#step": step}, {":done": True})
        else:
            expression = "SET steps_done.#step = :done, plans.#step = :plan"
            self._update(
                lease, expression, {"#step": step}, {":done": True, ":plan": json.dumps(plan, ensure_ascii=False)}
            )

    def finish(self, lease: Lease) -> None:
        now = int(self._clock())
        try:
            self._update(
                lease,
                "SET done_at = :now, expires_at = :expires REMOVE lease_token, lease_until",
                {},
                {":now": now, ":expires": now + DONE_RETENTION_SECONDS},
            )
        except LeaseLost:
            if not from_item(self._read(lease.key)).get("done_at"):  # done already: botocore retried a lost answer
                raise

    def release(self, lease: Lease) -> None:
        """Give the lease back after an ordinary error, keeping the plans: the retry need not wait for expiry."""
        # Released already (botocore retried a lost answer), or taken over: either way not ours to give back.
        with contextlib.suppress(LeaseLost):
            self._update(lease, "SET lease_until = :zero REMOVE lease_token", {}, {":zero": 0})

    def _update(self, lease: Lease, expression: str, names: Mapping[str, str], values: Mapping[str, Any]) -> None:
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": _key(lease.key),
            "UpdateExpression": expression,
            "ConditionExpression": "lease_token = :held",
            "ExpressionAttributeValues": to_item({**values, ":held": lease.token}),
        }
        if names:
            request["ExpressionAttributeNames"] = dict(names)
        try:
            self._client.update_item(**request)
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise LeaseLost(f"the lease on effect {lease.key} expired and was taken over") from None
            raise

    def _read(self, key: str) -> Mapping[str, Any]:
        return self._client.get_item(TableName=self.table_name, Key=_key(key), ConsistentRead=True).get("Item") or {}


def _key(key: str) -> dict[str, Any]:
    return to_item(effect_key(key))


def _lease(key: str, values: Mapping[str, Any]) -> Lease:
    return Lease(
        key=key,
        token=str(values["lease_token"]),
        id=str(values["first_event_id"]),
        time=datetime.fromisoformat(str(values["first_at"])),
        plans={name: json.loads(plan) for name, plan in (values.get("plans") or {}).items()},
        done={name for name, done in (values.get("steps_done") or {}).items() if done},
    )
