"""Alerts ops on Model Monitor executions: violations (deduplicated), resolution, failed or stopped monitors."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from model_governance.events import parse_processing_job_state_change
from model_governance.observability import logger, metrics
from model_governance.wiring import violation_alert_dependencies
from model_governance.workflows.violation_alerts import handle_execution


@cache
def _dependencies() -> dict[str, Any]:
    """Read the environment and build the adapters once per container."""
    return violation_alert_dependencies()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    change = parse_processing_job_state_change(event)
    logger.append_keys(processing_job=change.job_name, event_id=change.envelope.id)
    return handle_execution(change, **_dependencies()).__dict__
