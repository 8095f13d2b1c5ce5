"""What a deployed stack is made of, read once from CloudFormation: the commands that check or repair it start here."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ops.cli import CommandError

DEFAULT_STACK = "ModelGovernance"
HANDLER_METADATA_KEY = "ModelGovernance:Handler"  # infra.governed_function: names each function's handler folder


@dataclass(frozen=True)
class Resource:
    logical_id: str
    physical_id: str
    type: str
    handler: str = ""  # for a function: its handler folder (carry_forward, account_sweep, ...)


@dataclass(frozen=True)
class DeployedStack:
    name: str
    resources: tuple[Resource, ...]
    outputs: dict[str, str] = field(default_factory=dict)

    def of_type(self, kind: str) -> list[Resource]:
        return [r for r in self.resources if r.type == kind]

    def function(self, handler: str) -> Resource | None:
        return next((r for r in self.of_type("AWS::Lambda::Function") if r.handler == handler), None)

    def topic(self, logical_prefix: str) -> Resource | None:
        return next((r for r in self.of_type("AWS::SNS::Topic") if r.logical_id.startswith(logical_prefix)), None)


def read_stack(cloudformation: Any, name: str) -> DeployedStack:
    """The stack's resources (physical ids, and each function's handler from the template) and outputs."""
    try:
        described = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    except cloudformation.exceptions.ClientError as error:
        if "does not exist" in str(error):
            raise CommandError(f"no stack {name} in this account and region: deploy it, or pass STACK=<name>") from None
        raise
    template = cloudformation.get_template(StackName=name, TemplateStage="Processed")["TemplateBody"]
    body = json.loads(template) if isinstance(template, str) else template
    handlers = {
        logical: str((resource.get("Metadata") or {}).get(HANDLER_METADATA_KEY, ""))
        for logical, resource in body.get("Resources", {}).items()
    }
    resources = []
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=name):
        for summary in page["StackResourceSummaries"]:
            logical = summary["LogicalResourceId"]
            resources.append(
                Resource(
                    logical, summary.get("PhysicalResourceId", ""), summary["ResourceType"], handlers.get(logical, "")
                )
            )
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    return DeployedStack(name, tuple(resources), outputs)
