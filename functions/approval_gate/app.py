"""Approval gate: a model package version approved, or moved into a gated stage, while its model card is not
Approved is flagged or reverted."""

from __future__ import annotations

from functools import cache
from typing import Any, NamedTuple

from aws_lambda_powertools.utilities.typing import LambdaContext

from model_governance import constants
from model_governance.adapters.clients import client
from model_governance.adapters.effects import EffectStore
from model_governance.adapters.ledger import Ledger
from model_governance.adapters.notifications import Publisher
from model_governance.adapters.sagemaker import ModelRegistry
from model_governance.adapters.state import StateStore
from model_governance.events import parse_model_package_state_change
from model_governance.observability import logger, metrics
from model_governance.review.decisions import GATE_MODES
from model_governance.settings import env_choice, env_stages, env_str
from model_governance.wiring import effect_store
from model_governance.workflows.approval_gate import GateSettings, approval_gate
from model_governance.workflows.stage_gate import StageGateSettings, stage_gate


class Dependencies(NamedTuple):
    registry: ModelRegistry
    state: StateStore
    effects: EffectStore
    ops: Publisher
    notices: Publisher
    audit: Ledger
    approvals: GateSettings
    stages: StageGateSettings


@cache
def _dependencies() -> Dependencies:
    """Read the environment and build the adapters once per container."""
    table = env_str(constants.ENV_STATE_TABLE)
    mode = env_choice(constants.ENV_APPROVAL_GATE, GATE_MODES)
    return Dependencies(
        registry=ModelRegistry(client("sagemaker")),
        state=StateStore(client("dynamodb"), table),
        effects=effect_store(),
        ops=Publisher(client("sns"), env_str(constants.ENV_OPS_TOPIC)),
        notices=Publisher(client("sns"), env_str(constants.ENV_NOTICES_TOPIC)),
        audit=Ledger(client("dynamodb"), table),
        approvals=GateSettings(mode=mode),
        stages=StageGateSettings(mode=mode, gated_stages=env_stages(constants.ENV_GATED_STAGES)),
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    change = parse_model_package_state_change(event)
    logger.append_keys(model_package_arn=change.package_arn, event_id=change.envelope.id)
    d = _dependencies()
    # One event may change both the approval and the stage: each is judged, once, under its own effect key.
    approval = approval_gate(
        change,
        registry=d.registry,
        state=d.state,
        effects=d.effects,
        ops=d.ops,
        notices=d.notices,
        audit=d.audit,
        settings=d.approvals,
    )
    stage = stage_gate(
        change,
        registry=d.registry,
        state=d.state,
        history=d.audit,
        effects=d.effects,
        ops=d.ops,
        notices=d.notices,
        audit=d.audit,
        settings=d.stages,
    )
    return {**approval.__dict__, "stage": stage.__dict__}
