"""The functions' synthesized DynamoDB grants, enforced on moto (moto checks no IAM at all).

While a handler runs in the local world, each DynamoDB request it makes must be allowed by a statement of its
own role in the template: the action, the table or its index, and the request's partition key against the
statement's ``dynamodb:LeadingKeys`` patterns (``ForAllValues:StringLike``). A request no statement allows fails
with AccessDeniedException, as it would in AWS. So the flow tests and the demo fail when a function needs
something its role does not grant, and the infra tests pin the grants from the other side (nothing more).
"""

from __future__ import annotations

import contextlib
import contextvars
import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

from model_governance.adapters.keys import PARTITION_KEY

_KEY_CONDITION = re.compile(r"^\s*#?(\w+)\s*=\s*(:\w+)")


@dataclass(frozen=True)
class Grant:
    actions: frozenset[str]  # "dynamodb:GetItem", ...
    on_index: bool  # the statement names the table's index (.../index/<name>), not the table
    leading_keys: tuple[str, ...] | None  # StringLike patterns; None: no condition


def role_grants(template: dict[str, Any], role_id: str) -> list[Grant]:
    """The DynamoDB Allow statements of every policy attached to ``role_id`` in ``template``."""
    grants = []
    for resource in template["Resources"].values():
        props = resource.get("Properties") or {}
        if resource["Type"] != "AWS::IAM::Policy" or {"Ref": role_id} not in props.get("Roles", []):
            continue
        for statement in props["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            dynamodb = frozenset(a for a in actions if a.startswith("dynamodb:"))
            if statement["Effect"] != "Allow" or not dynamodb:
                continue
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            patterns = ((statement.get("Condition") or {}).get("ForAllValues:StringLike") or {}).get(
                "dynamodb:LeadingKeys"
            )
            for arn in resources:
                grants.append(Grant(dynamodb, "/index/" in str(arn), tuple(patterns) if patterns else None))
    return grants


def leading_keys(operation: str, params: dict[str, Any]) -> list[str] | None:
    """The partition key values a request addresses (what IAM's dynamodb:LeadingKeys holds; a batch holds one
    per item, and ``ForAllValues`` needs every one of them allowed by the same statement)."""
    if operation in {"GetItem", "DeleteItem", "UpdateItem"}:
        return _present(_string(params.get("Key", {}).get(PARTITION_KEY)))
    if operation == "PutItem":
        return _present(_string(params.get("Item", {}).get(PARTITION_KEY)))
    if operation == "Query":
        match = _KEY_CONDITION.match(params.get("KeyConditionExpression", ""))
        if match:
            return _present(_string(params.get("ExpressionAttributeValues", {}).get(match[2])))
    if operation == "BatchGetItem":
        values = [
            _string(key.get(PARTITION_KEY))
            for table in (params.get("RequestItems") or {}).values()
            for key in table.get("Keys", [])
        ]
        return [v for v in values if v is not None] if values and all(values) else None
    return None  # Scan and PartiQL calls: no key, so a LeadingKeys grant never allows them


def leading_key(operation: str, params: dict[str, Any]) -> str | None:
    found = leading_keys(operation, params)
    return ", ".join(found) if found else None


def _present(value: str | None) -> list[str] | None:
    return [value] if value is not None else None


def _string(value: Any) -> str | None:
    return value.get("S") if isinstance(value, dict) else None


def allowed(grants: list[Grant], operation: str, params: dict[str, Any]) -> bool:
    action, found, on_index = f"dynamodb:{operation}", leading_keys(operation, params), bool(params.get("IndexName"))
    return any(
        action in grant.actions
        and grant.on_index == on_index
        and (
            grant.leading_keys is None
            or (
                found is not None and all(any(fnmatch.fnmatchcase(key, p) for p in grant.leading_keys) for key in found)
            )
        )
        for grant in grants
    )


_CURRENT: contextvars.ContextVar[tuple[str, list[Grant]] | None] = contextvars.ContextVar("grants", default=None)


def _check(params: dict[str, Any], model: Any, **_: Any) -> None:
    current = _CURRENT.get()
    if current is None or allowed(current[1], model.name, params):
        return
    function, _grants = current
    key = leading_key(model.name, params)
    raise ClientError(
        {
            "Error": {
                "Code": "AccessDeniedException",
                "Message": f"the {function} role may not dynamodb:{model.name} partition {key!r}"
                + (f" of index {params['IndexName']}" if params.get("IndexName") else ""),
            }
        },
        model.name,
    )


def install() -> None:
    """Check the requests of every boto3 DynamoDB client created from now on (idempotent)."""
    session = boto3._get_default_session()  # the session that model_governance's clients come from
    session.events.register("before-parameter-build.dynamodb", _check, unique_id="local-dynamodb-grants")


@contextlib.contextmanager
def acting_as(function: str, grants: list[Grant]) -> Iterator[None]:
    """DynamoDB requests made inside the block are checked against ``grants``."""
    token = _CURRENT.set((function, grants))
    try:
        yield
    finally:
        _CURRENT.reset(token)
