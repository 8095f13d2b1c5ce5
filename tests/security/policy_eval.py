"""A small evaluator of the synthesized policies, as AWS evaluates them (enough of IAM for this stack's statements).

Given a request (principal, action, resource, request context), ``decide`` answers what a set of statements says:
``deny`` (an explicit Deny matched: nothing else can allow it), ``allow`` (an Allow matched and no Deny) or
``none``. For a same-account principal an identity policy's Allow suffices unless a resource policy says ``deny``;
an AWS service has no identity policy, so it needs ``allow`` from the resource policy.

Template intrinsics resolve to fixed names in one account: ``Fn::GetAtt [X, Arn]`` of a role is
``arn:aws:iam::111122223333:role/X``, of a function ``...:function:X``, and so on.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any

ACCOUNT = "111122223333"
REGION = "us-east-1"
PARTITION = "aws"
STACK_NAME = "ModelGovernance"
PSEUDO = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Region": REGION,
    "AWS::Partition": PARTITION,
    "AWS::StackName": STACK_NAME,
    "AWS::URLSuffix": "amazonaws.com",
}


def role(name: str) -> str:
    return f"arn:{PARTITION}:iam::{ACCOUNT}:role/{name}"


_ARNS = {
    "AWS::IAM::Role": lambda lid: role(lid),
    "AWS::Lambda::Function": lambda lid: f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:{lid}",
    "AWS::Events::Rule": lambda lid: f"arn:{PARTITION}:events:{REGION}:{ACCOUNT}:rule/{lid}",
    "AWS::CloudWatch::Alarm": lambda lid: f"arn:{PARTITION}:cloudwatch:{REGION}:{ACCOUNT}:alarm:{lid}",
    "AWS::S3::Bucket": lambda lid: f"arn:{PARTITION}:s3:::{lid.lower()}",
    "AWS::DynamoDB::GlobalTable": lambda lid: f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/{lid}",
    "AWS::SNS::Topic": lambda lid: f"arn:{PARTITION}:sns:{REGION}:{ACCOUNT}:{lid}",
    "AWS::SQS::Queue": lambda lid: f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:{lid}",
    "AWS::KMS::Key": lambda lid: f"arn:{PARTITION}:kms:{REGION}:{ACCOUNT}:key/{lid}",
    "AWS::Logs::LogGroup": lambda lid: f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:{lid}:*",
    "AWS::StepFunctions::StateMachine": lambda lid: f"arn:{PARTITION}:states:{REGION}:{ACCOUNT}:stateMachine:{lid}",
}


class Resolver:
    """Resolves CloudFormation intrinsics of one template to strings."""

    def __init__(self, template: dict[str, Any]) -> None:
        self.resources = template["Resources"]

    def arn(self, logical_id: str) -> str:
        return _ARNS[self.resources[logical_id]["Type"]](logical_id)

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "Ref" in value:
            ref = value["Ref"]
            if ref in PSEUDO:
                return PSEUDO[ref]
            kind = self.resources[ref]["Type"]
            return self.arn(ref) if kind == "AWS::SNS::Topic" else ref.lower() if kind == "AWS::S3::Bucket" else ref
        if "Fn::GetAtt" in value:
            logical_id, attribute = value["Fn::GetAtt"]
            assert attribute == "Arn", value
            return self.arn(logical_id)
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(str(self(p)) for p in parts)
        if "Fn::Sub" in value:
            return re.sub(r"\$\{([^}]+)\}", lambda m: PSEUDO[m[1]], value["Fn::Sub"])
        return {k: self(v) for k, v in value.items()}


@dataclass(frozen=True)
class Request:
    """One API request. ``principal``: an IAM ARN (a role's ARN stands for any of its sessions) or a service
    principal such as ``events.amazonaws.com``. ``context``: request keys besides those derived here."""

    principal: str
    action: str
    resource: str
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def is_service(self) -> bool:
        return self.principal.endswith(".amazonaws.com")

    def keys(self) -> dict[str, Any]:
        derived: dict[str, Any] = {"aws:SecureTransport": "true"}
        if not self.is_service:  # a service principal's request has no aws:PrincipalArn
            derived["aws:PrincipalArn"] = self.principal
            derived["aws:PrincipalAccount"] = self.principal.split(":")[4]
        return {k.lower(): v for k, v in {**derived, **self.context}.items()}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principal_matches(principal: Any, request: Request) -> bool:
    if principal is None:  # an identity policy's statement: it applies to its own principal
        return True
    if principal == "*":
        return True
    for kind, values in principal.items():
        for value in _as_list(values):
            if value == "*":  # {"AWS": "*"} is the same as "*": every principal, services included
                return True
            if kind == "Service" and value == request.principal:
                return True
            same_account_root = value.endswith(":root") and value.split(":")[4] == request.principal.split(":")[4]
            if kind == "AWS" and not request.is_service and (value == request.principal or same_account_root):
                return True
    return False


def _like(pattern: str, value: str, *, case: bool = True) -> bool:
    if not case:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern)


_POSITIVE = {
    "StringEquals": lambda p, v: p == v,
    "StringEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
    "StringLike": _like,
    "ArnEquals": _like,  # ArnEquals and ArnLike both take wildcards
    "ArnLike": _like,
    "Bool": lambda p, v: str(p).lower() == str(v).lower(),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _condition_holds(operator: str, key: str, expected: Any, keys: dict[str, Any]) -> bool:
    present = key.lower() in keys
    if operator == "Null":  # "true": the key is absent
        return (str(expected).lower() == "true") != present
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if base.startswith(("ForAllValues:", "ForAnyValue:")):
        raise NotImplementedError(operator)
    if not present:
        return if_exists or base in _NEGATED  # a missing key: positive false, negated true
    actual = [str(v) for v in _as_list(keys[key.lower()])]
    wanted = [str(v) for v in _as_list(expected)]
    if base in _NEGATED:
        match = _POSITIVE[_NEGATED[base]]
        return not any(match(w, a) for w in wanted for a in actual)
    match = _POSITIVE[base]
    return any(match(w, a) for w in wanted for a in actual)


def _statement_applies(statement: dict[str, Any], request: Request) -> bool:
    if not _principal_matches(statement.get("Principal"), request):
        return False
    if not any(_like(a, request.action, case=False) for a in _as_list(statement["Action"])):
        return False
    if not any(_like(r, request.resource) for r in _as_list(statement["Resource"])):
        return False
    keys = request.keys()
    return all(
        _condition_holds(operator, key, expected, keys)
        for operator, entries in (statement.get("Condition") or {}).items()
        for key, expected in entries.items()
    )


def decide(statements: list[dict[str, Any]], request: Request) -> str:
    """``deny``, ``allow`` or ``none`` for ``request`` under ``statements`` (already resolved)."""
    applying = [s for s in statements if _statement_applies(s, request)]
    if any(s["Effect"] == "Deny" for s in applying):
        return "deny"
    if any(s["Effect"] == "Allow" for s in applying):
        return "allow"
    return "none"
