"""Alerts ops on Model Monitor executions: violations (deduplicated), resolution, failed or stopped monitors."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from model_governance import constants
from model_governance.adapters.clients import client
from model_governance.adapters.ledger import Ledger
from model_governance.adapters.monitoring import ModelTracer, MonitoringJobs, ScheduleStates
from model_governance.adapters.notifications import Publisher
from model_governance.adapters.sagemaker import ModelRegistry
from model_governance.adapters.state import StateStore
from model_governance.events import parse_processing_job_state_change
from model_governance.observability import logger, metrics
from model_governance.settings import env_int, env_str
from model_governance.wiring import effect_store
from model_governance.workflows.violation_alerts import AlertSettings, handle_execution


@cache
def _dependencies() -> dict[str, Any]:
    """Read the environment and build the adapters once per container."""
    table = env_str(constants.ENV_STATE_TABLE)
    links = StateStore(client("dynamodb"), table)
    return {
        "jobs": MonitoringJobs(client("sagemaker"), client("s3")),
        "tracer": ModelTracer(client("sagemaker"), links, ModelRegistry(client("sagemaker"))),
        "states": ScheduleStates(client("dynamodb"), table),
        "effects": effect_store(),
        "alerts": Publisher(client("sns"), env_str(constants.ENV_OPS_TOPIC)),
        "audit": Ledger(client("dynamodb"), table),
        "settings": AlertSettings(cooldown=timedelta(hours=env_int(constants.ENV_VIOLATION_COOLDOWN_HOURS))),
    }


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    change = parse_processing_job_state_change(event)
    logger.append_keys(processing_job=change.job_name, event_id=change.envelope.id)
    return handle_execution(change, **_dependencies()).__dict__
