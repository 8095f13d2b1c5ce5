"""Model card review workflow: reviewer notices, PDF evidence of approved versions, embedded cards in step."""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra import event_patterns
from infra.governed_function import GovernedFunction
from infra.nag import acknowledge
from infra.package_conditions import embedded_card_only
from infra.shared import SharedResources
from model_governance import constants
from model_governance.review.decisions import EVIDENCE_PREFIX


class CardReview(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, shared: SharedResources) -> None:
        super().__init__(scope, construct_id)
        bucket = shared.evidence.bucket
        self.handler = GovernedFunction(
            self,
            "Handler",
            handler_dir="card_review",
            description="Model card review: reviewer notices, approved-card PDF evidence, embedded cards in step",
            shared=shared,
            environment={
                constants.ENV_STATE_TABLE: shared.state.table.table_name,
                constants.ENV_NOTICES_TOPIC: shared.topics.notices.topic_arn,
                constants.ENV_OPS_TOPIC: shared.topics.ops.topic_arn,
                constants.ENV_EVIDENCE_BUCKET: bucket.bucket_name,
            },
        )
        self.handler.trigger_on(
            "ModelCardStateChanged",
            description="A model card changed status (Draft, PendingReview, Approved, Archived)",
            event_pattern=event_patterns.model_card_state_changed(),
        )
        self.handler.allow(
            ["sagemaker:DescribeModelCard", "sagemaker:ListModelCardVersions", "sagemaker:CreateModelCardExportJob"],
            [self.handler.sagemaker_arn("model-card/*")],
            wildcard_reason="reviews any card of the account; export jobs are authorized on the card (model-card/<name>)",
        )
        self.handler.trigger_on(
            "ModelCardExportJobStateChanged",
            description="A model card export job changed status: its PDF is evidence once it Completed",
            event_pattern=event_patterns.model_card_export_job_state_changed(),
        )
        self.handler.allow(
            ["sagemaker:DescribeModelCardExportJob"],
            [self.handler.sagemaker_arn("model-card/*/export-job/*")],
            wildcard_reason="confirms the export jobs it starts (<card>-v<version>-pdf[-<attempt>]) of any card",
        )
        # Reads card content, exports it and writes the package's embedded card under the card's key.
        self.handler.use_card_keys(shared.config.model_card_kms_key_arns, write=True)
        self.handler.allow(
            ["sagemaker:DescribeModelPackage"],
            [self.handler.sagemaker_arn("model-package/*/*")],
            wildcard_reason="a card may link any versioned package of the account (<group>/<n>)",
        )
        # The embedded card only: a request that sets an approval, a stage or a confirmation is refused.
        self.handler.allow(
            ["sagemaker:UpdateModelPackage"],
            [self.handler.sagemaker_arn("model-package/*/*")],
            wildcard_reason="a card may link any versioned package of the account (<group>/<n>)",
            **embedded_card_only(),
        )
        # CreateModelCardExportJob takes no role: SageMaker writes the PDF with the caller's credentials, so the
        # function itself may put objects, and only under the evidence prefix.
        shared.evidence.grant_put(self.handler.role, f"{EVIDENCE_PREFIX}/")
        # Reads the exported PDF back to pin the version that is the evidence: HeadObject and GetObject of the
        # current version need s3:GetObject, GetObject of a named version s3:GetObjectVersion. No s3:ListBucket:
        # the object is named by the job.
        self.handler.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:GetObjectVersion"],
                resources=[bucket.arn_for_objects(f"{EVIDENCE_PREFIX}/*")],
            )
        )
        # cdk-nag prints the bucket ARN as <LogicalId.Arn>; allow() can only name literal resources.
        bucket_id = Stack.of(self).resolve(Stack.of(self).get_logical_id(bucket.node.default_child))  # type: ignore[arg-type]
        acknowledge(
            self.handler.role,
            f"IAM5[Resource::<{bucket_id}.Arn>/{EVIDENCE_PREFIX}/*]",
            "PDF exports of approved card versions: keys model-cards/<card>/v<version>/... are named per card",
        )
        output = CfnOutput(
            self,
            "StateTableName",
            value=shared.state.table.table_name,
            description="State table holding the audit ledger (python -m ops.ledger --group <group>)",
        )
        output.override_logical_id(constants.STATE_TABLE_OUTPUT)
