"""Carry model cards forward onto every newly registered model package version."""

from __future__ import annotations

from constructs import Construct

from infra import event_patterns
from infra.governed_function import GovernedFunction
from infra.package_conditions import embedded_card_only
from infra.shared import SharedResources
from model_governance import constants


class CarryForward(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, shared: SharedResources) -> None:
        super().__init__(scope, construct_id)
        self.handler = GovernedFunction(
            self,
            "Handler",
            handler_dir="carry_forward",
            description="Carries the previous version's model card onto a newly registered model package version",
            shared=shared,
            environment={
                constants.ENV_STATE_TABLE: shared.state.table.table_name,
                constants.ENV_NOTICES_TOPIC: shared.topics.notices.topic_arn,
                constants.ENV_OPS_TOPIC: shared.topics.ops.topic_arn,
                constants.ENV_CREATE_CARD_WITHOUT_PREDECESSOR: str(
                    shared.config.create_card_without_predecessor
                ).lower(),
            },
        )
        self.handler.trigger_on(
            "ModelPackageRegistered",
            description="A versioned model package reached Completed",
            event_pattern=event_patterns.model_package_registered(),
        )
        versions = [self.handler.sagemaker_arn("model-package/*/*")]
        any_version = "any group of the account may register a version; versioned packages only (<group>/<n>)"
        self.handler.allow(["sagemaker:DescribeModelPackage"], versions, wildcard_reason=any_version)
        # It fills the embedded card; the condition keeps it from setting an approval, a stage or a confirmation.
        self.handler.allow(
            ["sagemaker:UpdateModelPackage"],
            versions,
            wildcard_reason=any_version,
            **embedded_card_only(),
        )
        self.handler.allow(
            ["sagemaker:DescribeModelCard", "sagemaker:CreateModelCard"],
            [self.handler.sagemaker_arn("model-card/*")],
            wildcard_reason="source cards may have any name (hand-made ones included); new card names derive from group names",
        )
        # Reads the predecessor's content and creates the new card under the same key.
        self.handler.use_card_keys(shared.config.model_card_kms_key_arns, write=True)
        self.handler.allow(
            ["sagemaker:Search"],
            ["*"],
            wildcard_reason="sagemaker:Search has no resource type in IAM; it reads the group's cards in one call",
        )
