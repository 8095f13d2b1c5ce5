"""cdk-nag AwsSolutions acknowledgments: each names the exact finding it accepts and why."""

from __future__ import annotations

import re

import aws_cdk as cdk
from constructs import IConstruct

_PSEUDO_PARAMETER_TOKEN = re.compile(r"\$\{Token\[AWS\.(\w+)\.\d+\]\}")


def acknowledge(scope: IConstruct, finding: str, reason: str) -> None:
    """Acknowledge one AwsSolutions finding (``IAM5[Resource::...]``, ``L1``...) on ``scope`` and below."""
    if not reason.strip():
        raise ValueError(f"acknowledging {finding} on {scope.node.path} needs a reason")
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=f"AwsSolutions::AwsSolutions-{finding}", reason=reason))


def nag_form(value: str) -> str:
    """How cdk-nag prints a resource string: pseudo parameters (partition, region, account) as ``<AWS::Name>``."""
    return _PSEUDO_PARAMETER_TOKEN.sub(lambda match: f"<AWS::{match[1]}>", value)
