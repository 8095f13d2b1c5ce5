"""Our data-quality and model-quality monitors (for accounts without Model Monitor): baseline, check a capture
period or a model-quality window, or one step of the Distributed Map fan-out of either. Writes Model Monitor's
files and alerts through the violation workflow."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from data_quality import mq_run
from data_quality.baseline import baseline_of
from data_quality.storage import S3Files
from data_quality.workflow import (
    MonitorRun,
    finish_fan_out,
    fired_at,
    model_quality_refusal,
    profile_batch,
    refusal,
    replay_alert,
    start,
)
from model_governance import constants
from model_governance.adapters.clients import client
from model_governance.adapters.dq_runs import MonitorRuns
from model_governance.adapters.monitoring import RecordedRun
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
    reports = dependencies.pop("jobs")

    def alert(event: dict[str, Any]) -> Any:
        # The run's own event (built by this function, or recorded by it in the state table) is its truth.
        jobs = RecordedRun(event["detail"], reports)
        return handle_execution(parse_processing_job_state_change(event), jobs=jobs, **dependencies)

    return MonitorRun(
        files=S3Files(client("s3")),
        runs=MonitorRuns(client("dynamodb"), env_str(constants.ENV_STATE_TABLE)),
        alert=alert,
        region=os.environ.get("AWS_REGION", ""),
        account=account,
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    action = event.get("action")
    now = datetime.now(UTC)
    quality = _model_quality_monitors().get(str(event.get("monitor")))
    if quality is not None:  # a model-quality monitor: its window in one invocation or fanned out, or its alert
        problem = model_quality_refusal(event, quality, now)
        if problem is not None:
            logger.warning(f"event refused: {problem}; nothing read or written")
            return {"mode": "refused", "reason": problem}
        logger.append_keys(monitor=quality.name)
        run = _run(context.invoked_function_arn.split(":")[4])
        if action == "check":
            return mq_run.start_window(quality, fired_at(event), run)
        if action == "profile":
            return mq_run.profile_batch(quality, fired_at(event), str(event["Kind"]), list(event["Items"]), run)
        if action == "finish":
            return mq_run.finish_window(quality, fired_at(event), run)
        return replay_alert(quality, dict(event.get(RECONCILED_KEY) or {}), run)
    monitor = _monitors().get(str(event.get("monitor")))
    problem = refusal(event, monitor, now)
    if problem is not None or monitor is None:
        logger.warning(f"event refused: {problem}; nothing read or written")
        return {"mode": "refused", "reason": problem}
    logger.append_keys(monitor=monitor.name)
    if action == "baseline":
        files = S3Files(client("s3"))
        bucket, key = bucket_and_key(str(event["dataset"]))
        documents = baseline_of(files.lines(bucket, key), header=str(event.get("header", "auto")))
        return {name: files.write_json(f"{monitor.baseline_prefix}/{name}", d) for name, d in documents.items()}
    run = _run(context.invoked_function_arn.split(":")[4])
    if action == "check":
        return start(monitor, fired_at(event), run)
    if action == "profile":
        return profile_batch(monitor, fired_at(event), list(event.get("Items") or []), run)
    if action == "finish":
        return finish_fan_out(monitor, fired_at(event), run)
    # "alert": the account sweep replays a run whose alert never happened
    return replay_alert(monitor, dict(event.get(RECONCILED_KEY) or {}), run)
