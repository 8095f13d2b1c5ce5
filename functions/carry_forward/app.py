"""Carries the previous version's model card onto a newly registered model package version."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from model_governance.events import parse_model_package_state_change
from model_governance.observability import logger, metrics
from model_governance.wiring import CarryForwardDependencies, carry_forward_dependencies
from model_governance.workflows.carry_forward import carry_forward


@cache
def _dependencies() -> CarryForwardDependencies:
    return carry_forward_dependencies()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    change = parse_model_package_state_change(event)
    logger.append_keys(model_package_arn=change.package_arn, event_id=change.envelope.id)
    deps = _dependencies()
    result = carry_forward(
        change,
        registry=deps.registry,
        links=deps.links,
        effects=deps.effects,
        notices=deps.notices,
        ops=deps.ops,
        audit=deps.audit,
        settings=deps.settings,
    )
    return result.__dict__
