"""The one environment-agnostic stack: it composes the constructs and wires the grants between them."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from infra.alerting import AlertTopics
from infra.carry_forward import CarryForward
from infra.config import GovernanceConfig
from infra.evidence_bucket import EvidenceBucket
from infra.governed_function import RUNTIME
from infra.shared import SharedResources
from infra.shared_layer import SharedLayer
from infra.state_table import StateTable


class ModelGovernanceStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: GovernanceConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, description="SageMaker model governance backend", **kwargs)
        topics = AlertTopics(self, "Alerts", alert_emails=config.alert_emails, notice_emails=config.notice_emails)
        state = StateTable(self, "State")
        evidence = EvidenceBucket(self, "Evidence", retention_days=config.evidence_retention_days)
        layer = SharedLayer(self, "SharedLayer", runtime=RUNTIME)
        shared = SharedResources(config=config, layer=layer.layer, topics=topics, state=state, evidence=evidence)

        carry_forward = CarryForward(self, "CarryForward", shared=shared).handler
        state.grant_read_write(carry_forward.role)
        topics.grant_publish(topics.notices, carry_forward.role)
