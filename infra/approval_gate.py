"""Approval gate: flags (warn) or reverts (enforce) a model package approval, or a move into a gated model
registry stage, while its card is not Approved."""

from __future__ import annotations

from constructs import Construct

from infra import event_patterns
from infra.governed_function import GovernedFunction
from infra.package_conditions import APPROVAL_KEY, STAGE_KEY, STAGE_STATUS_KEY, no_card_confirmation
from infra.shared import SharedResources
from model_governance import constants
from model_governance.cards.records import INACTIVE_STAGE_STATUSES


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
                constants.ENV_GATED_STAGES: ",".join(shared.config.gated_stages),
            },
        )
        self.handler.trigger_on(
            "ModelPackageApprovedOrStaged",
            description="A versioned model package was approved, or its model registry stage changed",
            event_pattern=event_patterns.model_package_gated(),
        )
        self.handler.allow(
            ["sagemaker:DescribeModelPackage"],
            [self.handler.sagemaker_arn("model-package/*/*")],
            wildcard_reason="any group of the account may approve a version; versioned packages only (<group>/<n>)",
        )
        if mode == "enforce":
            self._allow_reverts(shared.config.gated_stages)
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

    def _allow_reverts(self, gated_stages: tuple[str, ...]) -> None:
        """UpdateModelPackage only to withdraw: an approval back to pending, a version out of the gated stages.

        None may carry the card confirmation or remove metadata (``no_card_confirmation``). Each statement read as
        IAM evaluates it (a key missing from the request: StringEquals is false,
        StringNotEquals is true, Null "true" is true):
        - approval revert: the request sets PendingManualApproval and no stage (an approval-only request);
        - stage revert: no approval status, a stage, and not a gated one (StringNotEquals alone would also allow
          a request without any stage, hence the Null check);
        - stage rejected: no approval status, and a stage status of Rejected or Retired (a gated stage may keep
          its name; StringEqualsIfExists here would let an approval-only request through, so plain StringEquals).
        """
        versions = [self.handler.sagemaker_arn("model-package/*/*")]
        reason = "any group of the account may approve or promote a version; versioned packages only (<group>/<n>)"
        self.handler.allow(
            ["sagemaker:UpdateModelPackage"],
            versions,
            wildcard_reason=reason,
            StringEquals={APPROVAL_KEY: "PendingManualApproval"},
            Null={STAGE_KEY: "true", **no_card_confirmation()},
        )
        if not gated_stages:
            return
        self.handler.allow(
            ["sagemaker:UpdateModelPackage"],
            versions,
            wildcard_reason=reason,
            Null={APPROVAL_KEY: "true", STAGE_KEY: "false", **no_card_confirmation()},
            StringNotEquals={STAGE_KEY: list(gated_stages)},
        )
        self.handler.allow(
            ["sagemaker:UpdateModelPackage"],
            versions,
            wildcard_reason=reason,
            Null={APPROVAL_KEY: "true", **no_card_confirmation()},
            StringEquals={STAGE_STATUS_KEY: list(INACTIVE_STAGE_STATUSES)},
        )
