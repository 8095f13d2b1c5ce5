"""Approval gate: a model package version approved while its model card is not Approved is flagged or reverted."""

from __future__ import annotations

from functools import cache
from typing import Any

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
from model_governance.settings import env_choice, env_str
from model_governance.wiring import effect_store
from model_governance.workflows.approval_gate import GateSettings, approval_gate


@cache
def _dependencies() -> tuple[ModelRegistry, StateStore, EffectStore, Publisher, Publisher, Ledger, GateSettings]:
    """Read the environment and build the adapters once per container."""
    table = env_str(constants.ENV_STATE_TABLE)
    return (
        ModelRegistry(client("sagemaker")),
        StateStore(client("dynamodb"), table),
        effect_store(),
        Publisher(client("sns"), env_str(constants.ENV_OPS_TOPIC)),
        Publisher(client("sns"), env_str(constants.ENV_NOTICES_TOPIC)),
        Ledger(client("dynamodb"), table),
        GateSettings(mode=env_choice(constants.ENV_APPROVAL_GATE, GATE_MODES)),
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    change = parse_model_package_state_change(event)
    logger.append_keys(model_package_arn=change.package_arn, event_id=change.envelope.id)
    registry, state, effects, ops, notices, audit, settings = _dependencies()
    result = approval_gate(
        change,
        registry=registry,
        state=state,
        effects=effects,
        ops=ops,
        notices=notices,
        audit=audit,
        settings=settings,
    )
    return result.__dict__
