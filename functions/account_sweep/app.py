"""Sweeps the account on a schedule (models without cards, approvals without approved cards, overdue reviews,
unmonitored or failing monitors) and sends ops a digest."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from model_governance import constants
from model_governance.adapters.clients import client
from model_governance.adapters.dq_runs import MonitorRuns, WithDataQualityMonitors
from model_governance.adapters.effects import EffectStore
from model_governance.adapters.inventory import AccountInventory, SweepReports
from model_governance.adapters.ledger import Ledger
from model_governance.adapters.notifications import Publisher
from model_governance.adapters.reconcile import HandledMarks, Handlers
from model_governance.adapters.sagemaker import ModelRegistry
from model_governance.adapters.security_hub import SecurityHub
from model_governance.adapters.state import StateStore
from model_governance.monitoring.dq_monitors import parse_monitors
from model_governance.monitoring.mq_monitors import parse_model_quality_monitors
from model_governance.observability import logger, metrics
from model_governance.review.decisions import GATE_MODES
from model_governance.settings import env_bool, env_choice, env_int, env_stages, env_str
from model_governance.sweep.asff import HubContext
from model_governance.sweep.reconcile import ReconcileSettings
from model_governance.sweep.rules import SweepSettings
from model_governance.wiring import effect_store
from model_governance.workflows.account_sweep import Reconciler, run_for, run_sweep


@cache
def _reconciler() -> Reconciler:
    settings = ReconcileSettings(
        enabled=env_bool(constants.ENV_RECONCILE),
        lookback=timedelta(hours=env_int(constants.ENV_RECONCILE_LOOKBACK_HOURS, minimum=1)),
        gate_mode=env_choice(constants.ENV_APPROVAL_GATE, GATE_MODES),
    )
    return Reconciler(
        marks=HandledMarks(client("dynamodb"), env_str(constants.ENV_STATE_TABLE)),
        handlers=Handlers(client("lambda"), json.loads(env_str(constants.ENV_RECONCILE_FUNCTIONS))),
        settings=settings,
    )


@cache
def _dependencies() -> tuple[ModelRegistry, StateStore, SweepReports, EffectStore, Publisher, Ledger, SweepSettings]:
    """Read the environment and build the adapters once per container."""
    table = env_str(constants.ENV_STATE_TABLE)
    settings = SweepSettings(
        pending_review_max_days=env_int(constants.ENV_PENDING_REVIEW_MAX_DAYS, minimum=1),
        send_all_clear=env_bool(constants.ENV_SEND_ALL_CLEAR),
        gated_stages=env_stages(constants.ENV_GATED_STAGES),
    )
    return (
        ModelRegistry(client("sagemaker")),
        StateStore(client("dynamodb"), table),
        SweepReports(client("s3"), env_str(constants.ENV_EVIDENCE_BUCKET)),
        effect_store(),
        Publisher(client("sns"), env_str(constants.ENV_OPS_TOPIC)),
        Ledger(client("dynamodb"), table),
        settings,
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    registry, links, reports, effects, ops, audit, settings = _dependencies()
    # `make smoke`: the sweep reads, reports and records, but replays nothing and tells no one (it can only do less).
    report_only = isinstance(event, dict) and event.get("mode") == constants.SWEEP_REPORT_ONLY
    run = run_for(
        event,
        request_id=context.aws_request_id,
        function_arn=context.invoked_function_arn,
        region=os.environ.get("AWS_REGION", ""),
        now=datetime.now(UTC),
    )
    logger.append_keys(run_id=run.run_id)
    outcome = run_sweep(
        run,
        reader=WithDataQualityMonitors(  # fresh per run: it counts this run's calls
            AccountInventory(client("sagemaker")),
            parse_monitors(os.environ.get(constants.ENV_DQ_MONITORS, "[]")),
            MonitorRuns(client("dynamodb"), links.table_name),
            parse_model_quality_monitors(os.environ.get(constants.ENV_MQ_MONITORS, "[]")),
        ),
        links=links,
        cards=registry,
        reports=reports,
        effects=effects,
        ops=None if report_only else ops,
        audit=audit,
        settings=settings,
        reconciler=None if report_only else _reconciler(),
        findings_hub=None if report_only else _security_hub(run.account, run.region, run.started, run.run_id),
    )
    return outcome.summary()


def _security_hub(account: str, region: str, started: datetime, run_id: str) -> SecurityHub | None:
    """The findings hub of this run when securityHubFindings is on (the stack sets the variable only then)."""
    if constants.ENV_SECURITY_HUB_FINDINGS not in os.environ or not env_bool(constants.ENV_SECURITY_HUB_FINDINGS):
        return None
    # UpdatedAt is the run's time (a retry imports the same findings), never later than now: a finding imported
    # with a future UpdatedAt would pin itself against every later sweep (BatchImportFindings ignores older ones).
    return SecurityHub(client("securityhub"), HubContext(account, region, min(started, datetime.now(UTC)), run_id))
