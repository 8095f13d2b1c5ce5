"""The one shape of every "only these may" statement in the stack's resource policies.

An identity policy alone lets a principal of the account act on a table, bucket, topic or function of the account;
only a Deny in the resource's own policy stops it. Each such Deny names data-plane actions only (writes, publish,
invoke), never the policy or configuration actions, so CloudFormation and the account's administrators keep
managing the resource (and can always change the policy itself).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import aws_iam as iam


def deny_all_but(
    sid: str,
    actions: Sequence[str],
    resources: Sequence[str],
    *,
    principals: Sequence[str] = (),
    sources: Sequence[str] = (),
) -> iam.PolicyStatement:
    """Deny ``actions`` to every request not made by one of ``principals`` (``aws:PrincipalArn``: a role's ARN
    for any of its sessions; ArnNotLike, so an entry may be a pattern) and not sent by an AWS service on behalf
    of one of ``sources`` (``aws:SourceArn``, which only a service sets: an alarm, a rule).

    A Deny applies only when all its conditions hold, so a request escapes it by matching either exception. A
    condition key missing from the request makes a negated operator true: a person's request (no SourceArn) is
    judged on its principal alone, a service's (no PrincipalArn) on its source alone. With no exception at all
    the statement denies everyone.
    """
    conditions: dict[str, Any] = {}
    if principals:
        conditions["ArnNotLike"] = {"aws:PrincipalArn": list(principals)}
    if sources:
        conditions["ArnNotEquals"] = {"aws:SourceArn": list(sources)}
    return iam.PolicyStatement(
        sid=sid,
        effect=iam.Effect.DENY,
        principals=[iam.AnyPrincipal()],
        actions=list(actions),
        resources=list(resources),
        conditions=conditions or None,
    )


def role_arns(roles: Sequence[iam.IRole]) -> list[str]:
    """Each role once, in the order first seen (one statement per grant would repeat a role)."""
    seen: dict[str, None] = {}
    for role in roles:
        seen.setdefault(role.role_arn, None)
    return list(seen)
