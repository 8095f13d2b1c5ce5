"""The one environment-agnostic stack: it composes the constructs and wires the grants between them."""

from __future__ import annotations

from typing import Any, TypeVar

from aws_cdk import Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from infra.account_sweep import AccountSweep
from infra.alerting import AlertTopics
from infra.approval_gate import ApprovalGate
from infra.card_review import CardReview
from infra.carry_forward import CarryForward
from infra.chat_channels import ChatChannels
from infra.config import GovernanceConfig
from infra.dashboard import GovernanceDashboard
from infra.data_quality import DataQualityMonitors
from infra.evidence_bucket import EvidenceBucket
from infra.governed_function import RUNTIME, GovernedFunction
from infra.security_hub import SecurityHubFindings
from infra.shared import SharedResources
from infra.shared_layer import SharedLayer
from infra.state_table import StateTable
from infra.violation_alerts import ViolationAlerts
from model_governance.adapters import keys

_T = TypeVar("_T")


class ModelGovernanceStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: GovernanceConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, description="SageMaker model governance backend", **kwargs)
        topics = AlertTopics(self, "Alerts", alert_emails=config.alert_emails, notice_emails=config.notice_emails)
        if config.chat_channels:  # email stays the default; chat is added per channel (chatChannels)
            ChatChannels(
                self, "Chat", channels=config.chat_channels, severities=dict(config.chat_severities), topics=topics
            )
        state = StateTable(self, "State")
        evidence = EvidenceBucket(
            self, "Evidence", retention_days=config.evidence_retention_days, lock_mode=config.evidence_lock_mode
        )
        layer = SharedLayer(self, "SharedLayer", runtime=RUNTIME)
        shared = SharedResources(config=config, layer=layer.layer, topics=topics, state=state, evidence=evidence)

        carry_forward = CarryForward(self, "CarryForward", shared=shared).handler
        state.grant(carry_forward.role, keys.CARRY_FORWARD)
        topics.grant_publish(topics.notices, carry_forward.role)
        topics.grant_publish(topics.ops, carry_forward.role)  # a card whose KMS key was not granted

        violations = ViolationAlerts(self, "ViolationAlerts", shared=shared).handler
        state.grant(violations.role, keys.VIOLATION_ALERT)
        topics.grant_publish(topics.ops, violations.role)

        data_quality = DataQualityMonitors(self, "DataQuality", shared=shared).handler
        state.grant(data_quality.role, keys.DATA_QUALITY)
        topics.grant_publish(topics.ops, data_quality.role)

        card_review = CardReview(self, "CardReview", shared=shared).handler
        state.grant(card_review.role, keys.CARD_REVIEW)
        topics.grant_publish(topics.notices, card_review.role)
        topics.grant_publish(topics.ops, card_review.role)  # failed exports, keys not granted
        replayed = {"carry_forward": carry_forward, "card_review": card_review, "violation_alert": violations}
        if config.data_quality_monitors or config.model_quality_monitors:
            replayed["dq_monitor"] = data_quality
        if config.approval_gate != "off":  # off: no function, no rule, no permission on approvals
            approval_gate = ApprovalGate(self, "ApprovalGate", shared=shared).handler
            replayed["approval_gate"] = approval_gate
            state.grant(approval_gate.role, keys.APPROVAL_GATE)
            topics.grant_publish(topics.ops, approval_gate.role)
            topics.grant_publish(topics.notices, approval_gate.role)

        # Fills itself at synthesis with every GovernedFunction of the stack, wherever this line stands.
        GovernanceDashboard(self, "Dashboard")

        sweep = AccountSweep(self, "AccountSweep", shared=shared, handlers=replayed)
        state.grant(sweep.handler.role, keys.ACCOUNT_SWEEP)
        if config.security_hub_findings:  # opt in: the sweep's findings in Security Hub
            SecurityHubFindings(self, "SecurityHub", sweep=sweep.handler)
        topics.grant_publish(topics.ops, sweep.handler.role)
        state.grant(sweep.backfill.role, keys.BACKFILL)
        topics.grant_publish(topics.notices, sweep.backfill.role)
        topics.grant_publish(topics.ops, sweep.backfill.role)

        # Last: every grant, rule, caller and alarm exists now, so each resource policy names exactly who may act
        # (an identity policy alone would let any principal of the account invoke, write or publish).
        for function in self._all(GovernedFunction):
            if config.function_resource_policies:
                function.restrict_invocations(config.operator_principal_arns)
            else:
                function.permit_rules_only()
        state.restrict_writers()
        evidence.restrict_writers()
        topics.restrict_publishers(self._all(cloudwatch.Alarm))

    def _all(self, kind: type[_T]) -> list[_T]:
        return [construct for construct in self.node.find_all() if isinstance(construct, kind)]
