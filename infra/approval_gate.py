"""Approval gate: flags (warn) or reverts (enforce) a model package approval while its card is not Approved."""

from __future__ import annotations

from constructs import Construct

from infra import event_patterns
from infra.governed_function import GovernedFunction
from infra.shared import SharedResources
from model_governance import constants


class ApprovalGate(Construct):
    """Built only when ``approvalGate`` is warn or enforce; only enforce may touch the approval status."""

    def __init__(self, scope: Construct, construct_id: str, *, shared: SharedResources) -> None:
        super().__init__(scope, construct_id)
        mode = shared.config.approval_gate
        self.handler = GovernedFunction(
            self,
            "Handler",
            handler_dir="approval_gate",
            description=f"Approval gate ({mode}): no approved model package version without an approved card",
            shared=shared,
            environment={
                constants.ENV_STATE_TABLE: shared.state.table.table_name,
                constants.ENV_OPS_TOPIC: shared.topics.ops.topic_arn,
                constants.ENV_NOTICES_TOPIC: shared.topics.notices.topic_arn,
                constants.ENV_APPROVAL_GATE: mode,
            },
        )
        self.handler.trigger_on(
            "ModelPackageApproved",
            description="A versioned model package was approved",
            event_pattern=event_patterns.model_package_approved(),
        )
        self.handler.allow(
            ["sagemaker:DescribeModelPackage"],
            [self.handler.sagemaker_arn("model-package/*/*")],
            wildcard_reason="any group of the account may approve a version; versioned packages only (<group>/<n>)",
        )
        if mode == "enforce":
            # It may only ever withdraw an approval, never grant one.
            self.handler.allow(
                ["sagemaker:UpdateModelPackage"],
                [self.handler.sagemaker_arn("model-package/*/*")],
                wildcard_reason="any group of the account may approve a version; versioned packages only (<group>/<n>)",
                StringEquals={"sagemaker:ModelApprovalStatus": "PendingManualApproval"},
            )
        self.handler.allow(
            ["sagemaker:DescribeModelCard"],
            [self.handler.sagemaker_arn("model-card/*")],
            wildcard_reason="the version's card may have any name (hand-made ones included)",
        )
        self.handler.use_card_keys(shared.config.model_card_kms_key_arns)
        self.handler.allow(
            ["sagemaker:Search"],
            ["*"],
            wildcard_reason="sagemaker:Search has no resource type in IAM; it finds a hand-made card of the version",
        )
