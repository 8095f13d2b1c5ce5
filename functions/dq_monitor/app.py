"""Our data-quality monitor (for accounts without Model Monitor): baseline, check a capture period, or one
step of the Distributed Map fan-out. Writes Model Monitor's files and alerts through the violation workflow."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from data_quality.baseline import baseline_of
from data_quality.mq_run import check_window
from data_quality.storage import S3Files
from data_quality.workflow import MonitorRun, finish_fan_out, fired_at, profile_batch, replay_alert, start
from model_governance import constants
from model_governance.adapters.clients import client
from model_governance.adapters.dq_runs import MonitorRuns
from model_governance.errors import InvalidEventError
from model_governance.events import RECONCILED_KEY, parse_processing_job_state_change
from model_governance.monitoring.dq_monitors import DataQualityMonitor, bucket_and_key, parse_monitors
from model_governance.monitoring.mq_monitors import ModelQualityMonitor, parse_model_quality_monitors
from model_governance.observability import logger, metrics
from model_governance.settings import env_str
from model_governance.wiring import violation_alert_dependencies
from model_governance.workflows.violation_alerts import handle_execution


@cache
def _monitors() -> dict[str, DataQualityMonitor]:
    return {m.name: m for m in parse_monitors(env_str(constants.ENV_DQ_MONITORS))}


@cache
def _model_quality_monitors() -> dict[str, ModelQualityMonitor]:
    return {m.name: m for m in parse_model_quality_monitors(os.environ.get(constants.ENV_MQ_MONITORS, "[]"))}


@cache
def _run(account: str) -> MonitorRun:
    dependencies = violation_alert_dependencies()
    return MonitorRun(
        files=S3Files(client("s3")),
        runs=MonitorRuns(client("dynamodb"), env_str(constants.ENV_STATE_TABLE)),
        alert=lambda event: handle_execution(parse_processing_job_state_change(event), **dependencies),
        region=os.environ.get("AWS_REGION", ""),
        account=account,
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    action = event.get("action")
    if action == "baseline":
        files = S3Files(client("s3"))
        bucket, key = bucket_and_key(str(event["dataset"]))
        documents = baseline_of(files.lines(bucket, key), header=str(event.get("header", "auto")))
        output = str(event["output"]).rstrip("/")
        return {name: files.write_json(f"{output}/{name}", doc) for name, doc in documents.items()}
    quality = _model_quality_monitors().get(str(event.get("monitor")))
    if quality is not None:  # a model-quality monitor: one invocation checks its window, or replays its alert
        logger.append_keys(monitor=quality.name)
        run = _run(context.invoked_function_arn.split(":")[4])
        if action == "check":
            return run.conclude(check_window(run.files, quality, fired_at(event)))
        if action == "alert":
            return replay_alert(quality, dict(event.get(RECONCILED_KEY) or {}), run)
        raise InvalidEventError(f"unknown action {action!r} for a model-quality monitor: expected check or alert")
    monitor = _monitors().get(str(event.get("monitor")))
    if monitor is None:
        raise InvalidEventError(
            f"unknown monitor {event.get('monitor')!r}: not in cdk.json dataQualityMonitors or modelQualityMonitors"
        )
    logger.append_keys(monitor=monitor.name)
    run = _run(context.invoked_function_arn.split(":")[4])
    if action == "check":
        return start(monitor, fired_at(event), run)
    if action == "profile":
        return profile_batch(monitor, fired_at(event), list(event.get("Items") or []), run)
    if action == "finish":
        return finish_fan_out(monitor, fired_at(event), run)
    if action == "alert":  # the account sweep replays a run whose alert never happened
        return replay_alert(monitor, dict(event.get(RECONCILED_KEY) or {}), run)
    raise InvalidEventError(f"unknown action {action!r}: expected baseline, check, profile, finish or alert")
