"""Carries the previous version's model card onto a newly registered model package version."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from model_governance.adapters.clients import patient_with_throttling
from model_governance.events import model_package_state_changes
from model_governance.observability import logger, metrics
from model_governance.wiring import CarryForwardDependencies, carry_forward_dependencies
from model_governance.workflows.carry_forward import carry_forward


@cache
def _dependencies() -> CarryForwardDependencies:
    return carry_forward_dependencies()


@patient_with_throttling  # a burst of registrations waits out SageMaker throttling until the function's deadline
@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # The sweep hands a group's lost registrations over as one ordered replay: each version is carried after the
    # one before has its card, and the first failure stops the rest (Lambda's retry starts over; done ones no-op).
    changes = model_package_state_changes(event)
    deps = _dependencies()
    results = []
    for change in changes:
        logger.append_keys(model_package_arn=change.package_arn, event_id=change.envelope.id)
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
        results.append(result.__dict__)
    return results[0] if len(results) == 1 else {"results": results}
