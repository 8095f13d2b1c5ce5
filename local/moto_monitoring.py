"""Model Monitor for moto 5.2.5, which has no monitoring APIs and knows processing jobs only as Completed.

``monitoring_emulated()`` patches moto's SageMakerResponse (like local/moto_gaps.py) with
CreateMonitoringSchedule, DescribeMonitoringSchedule, ListMonitoringSchedules and ListMonitoringExecutions, and
overlays what a real DescribeProcessingJob of a monitoring execution returns (MonitoringScheduleArn, the
platform's Environment, a Failed or Stopped status with FailureReason and ExitMessage).

Scenarios and tests (the violation alerts and the account sweep) use the module-level helpers:
``add_schedule(...)`` and ``run_execution(sagemaker, schedule, ...)``, then ``execution_event(description)``.
Shapes follow the botocore service model (moto serializes responses through it); the handlers' own calls are
checked against the real model with Stubber in tests/integration. Nothing here is used by deployed functions.
"""

from __future__ import annotations

import copy
import hashlib
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

from moto.core.responses import ActionResult, EmptyResult
from moto.sagemaker.responses import SageMakerResponse

from model_governance.monitoring.execution import ENV_ENDPOINT, ENV_SCHEDULE

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/model-monitor"
ANALYZER_IMAGE = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"


@dataclass
class Schedule:
    name: str
    endpoint: str | None
    output_s3_uri: str
    monitoring_type: str = "DataQuality"
    status: str = "Scheduled"
    expression: str = "cron(0 * ? * * *)"
    region: str = REGION
    account: str = ACCOUNT
    created: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def arn(self) -> str:
        return f"arn:aws:sagemaker:{self.region}:{self.account}:monitoring-schedule/{self.name}"


@dataclass
class Execution:
    schedule: str
    job_name: str
    job_arn: str
    status: str  # monitoring execution status: Completed | CompletedWithViolations | Failed | Stopped ...
    scheduled: datetime
    failure_reason: str | None = None
    exit_message: str | None = None


_SCHEDULES: dict[str, Schedule] = {}
_EXECUTIONS: dict[str, Execution] = {}  # by processing job name


# Helpers for scenarios and tests ---------------------------------------------------------------------------
def add_schedule(
    name: str,
    *,
    endpoint: str | None,
    output_s3_uri: str,
    monitoring_type: str = "DataQuality",
    status: str = "Scheduled",
    expression: str = "cron(0 * ? * * *)",
) -> str:
    """A monitoring schedule, as if CreateMonitoringSchedule had run; returns its ARN."""
    schedule = Schedule(name, endpoint, output_s3_uri.rstrip("/"), monitoring_type, status, expression)
    _SCHEDULES[name] = schedule
    return schedule.arn


def schedules() -> list[Schedule]:
    return list(_SCHEDULES.values())


def run_execution(
    sagemaker: Any,
    schedule_name: str,
    *,
    at: datetime,
    status: str = "Completed",
    violations: int | None = None,
    failure_reason: str | None = None,
) -> dict[str, Any]:
    """Create the processing job a schedule run starts (in moto) and return its DescribeProcessingJob.

    ``status`` is the processing job's (Completed | Failed | Stopped). ``violations`` (for Completed) sets the
    exit message the analyzer writes and the execution status ListMonitoringExecutions reports.
    """
    schedule = _SCHEDULES[schedule_name]
    # Deterministic, like a schedule run: the same schedule and time give the same job (tests compare runs).
    digest = hashlib.sha256(f"{schedule_name}{at.isoformat()}{status}".encode()).hexdigest()[:24]
    job_name = f"model-monitoring-{at:%Y%m%d%H%M}-{digest}"
    output = f"{schedule.output_s3_uri}/{schedule.endpoint or 'batch'}/{schedule_name}/{at:%Y/%m/%d/%H}"
    arn = sagemaker.create_processing_job(
        ProcessingJobName=job_name,
        RoleArn=ROLE,
        AppSpecification={"ImageUri": ANALYZER_IMAGE},
        ProcessingResources={
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}
        },
        ProcessingOutputConfig={
            "Outputs": [
                {
                    "OutputName": "result",
                    "S3Output": {"S3Uri": output, "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"},
                }
            ]
        },
    )["ProcessingJobArn"]
    if status == "Completed":
        found = bool(violations)
        execution_status = "CompletedWithViolations" if found else "Completed"
        exit_message = (
            f"CompletedWithViolations: Job completed successfully with {violations} violations."
            if found
            else "Completed: Job completed successfully with no violations."
        )
    else:
        execution_status, exit_message = status, None
    _EXECUTIONS[job_name] = Execution(
        schedule=schedule_name,
        job_name=job_name,
        job_arn=arn,
        status=execution_status,
        scheduled=at,
        failure_reason=failure_reason if status != "Completed" else None,
        exit_message=exit_message,
    )
    return dict(sagemaker.describe_processing_job(ProcessingJobName=job_name))


def execution_event(
    description: dict[str, Any], *, detail_fields: tuple[str, ...] | None = None, event_id: str | None = None
) -> dict[str, Any]:
    """The `SageMaker Processing Job State Change` event of a described job. ``detail_fields`` limits the detail
    to those keys (the event's real shape is not confirmed; tests try both the rich and the bare form)."""
    detail = {k: _jsonable(v) for k, v in description.items() if k != "ResponseMetadata"}
    if detail_fields is not None:
        detail = {k: v for k, v in detail.items() if k in detail_fields}
    ended = description.get("ProcessingEndTime") or datetime.now(UTC)
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": "SageMaker Processing Job State Change",
        "source": "aws.sagemaker",
        "account": ACCOUNT,
        "time": ended.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(ended, datetime) else ended,
        "region": REGION,
        "resources": [description["ProcessingJobArn"]],
        "detail": detail,
    }


def write_report(description: dict[str, Any], body: bytes, *, file: str = "constraint_violations.json") -> str:
    """Write a report under the execution's output as its analyzer does: before the job ends (S3's LastModified
    is the job's ProcessingEndTime less a minute; moto stamps the real clock). Returns the object's URI."""
    import boto3
    from moto.s3.models import s3_backends

    uri = f"{description['ProcessingOutputConfig']['Outputs'][0]['S3Output']['S3Uri']}/{file}"
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    boto3.client("s3", region_name=REGION).put_object(Bucket=bucket, Key=key, Body=body)
    ended = description.get("ProcessingEndTime") or datetime.now(UTC)
    stored = s3_backends[ACCOUNT]["aws"].get_object(bucket, key)
    if stored is not None:
        stored.last_modified = ended.astimezone(UTC).replace(tzinfo=None) - timedelta(minutes=1)
    return uri


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


# moto patches --------------------------------------------------------------------------------------------
def _schedule_description(schedule: Schedule) -> dict[str, Any]:
    description: dict[str, Any] = {
        "MonitoringScheduleArn": schedule.arn,
        "MonitoringScheduleName": schedule.name,
        "MonitoringScheduleStatus": schedule.status,
        "MonitoringType": schedule.monitoring_type,
        "CreationTime": schedule.created,
        "LastModifiedTime": schedule.created,
        "MonitoringScheduleConfig": {
            "ScheduleConfig": {"ScheduleExpression": schedule.expression},
            "MonitoringJobDefinitionName": f"{schedule.name}-definition",
            "MonitoringType": schedule.monitoring_type,
        },
    }
    if schedule.endpoint:
        description["EndpointName"] = schedule.endpoint
    latest = _executions_of(schedule.name)
    if latest:
        description["LastMonitoringExecutionSummary"] = _summary(latest[0])
    return description


def _executions_of(schedule_name: str | None, endpoint: str | None = None) -> list[Execution]:
    found = [
        e
        for e in _EXECUTIONS.values()
        if (schedule_name is None or e.schedule == schedule_name)
        and (endpoint is None or _SCHEDULES[e.schedule].endpoint == endpoint)
    ]
    return sorted(found, key=lambda e: e.scheduled, reverse=True)


def _summary(execution: Execution) -> dict[str, Any]:
    schedule = _SCHEDULES[execution.schedule]
    summary: dict[str, Any] = {
        "MonitoringScheduleName": execution.schedule,
        "ScheduledTime": execution.scheduled,
        "CreationTime": execution.scheduled,
        "LastModifiedTime": execution.scheduled,
        "MonitoringExecutionStatus": execution.status,
        "ProcessingJobArn": execution.job_arn,
        "MonitoringType": schedule.monitoring_type,
        "MonitoringJobDefinitionName": f"{schedule.name}-definition",
    }
    if schedule.endpoint:
        summary["EndpointName"] = schedule.endpoint
    if execution.failure_reason:
        summary["FailureReason"] = execution.failure_reason
    return summary


def _not_found(name: str) -> Any:
    from moto.sagemaker.exceptions import ValidationError

    return ValidationError(message=f"Monitoring Schedule {name} does not exist.")


def _create_monitoring_schedule(self: SageMakerResponse) -> ActionResult:
    name = self._get_param("MonitoringScheduleName")
    config = self._get_param("MonitoringScheduleConfig") or {}
    definition = config.get("MonitoringJobDefinition") or {}
    inputs = definition.get("MonitoringInputs") or [{}]
    outputs = (definition.get("MonitoringOutputConfig") or {}).get("MonitoringOutputs") or [{}]
    arn = add_schedule(
        name,
        endpoint=((inputs[0] or {}).get("EndpointInput") or {}).get("EndpointName"),
        output_s3_uri=((outputs[0] or {}).get("S3Output") or {}).get(
            "S3Uri", f"s3://sagemaker-{REGION}-{ACCOUNT}/{name}"
        ),
        monitoring_type=config.get("MonitoringType") or "DataQuality",
        expression=(config.get("ScheduleConfig") or {}).get("ScheduleExpression", "cron(0 * ? * * *)"),
    )
    return ActionResult({"MonitoringScheduleArn": arn})


def _describe_monitoring_schedule(self: SageMakerResponse) -> ActionResult:
    name = self._get_param("MonitoringScheduleName")
    if name not in _SCHEDULES:
        raise _not_found(name)
    return ActionResult(_schedule_description(_SCHEDULES[name]))


def _delete_monitoring_schedule(self: SageMakerResponse) -> EmptyResult:
    name = self._get_param("MonitoringScheduleName")
    if _SCHEDULES.pop(name, None) is None:
        raise _not_found(name)
    return EmptyResult()


def _list_monitoring_schedules(self: SageMakerResponse) -> ActionResult:
    endpoint = self._get_param("EndpointName")
    summaries = []
    for schedule in sorted(_SCHEDULES.values(), key=lambda s: s.created, reverse=True):
        if endpoint and schedule.endpoint != endpoint:
            continue
        summary = {
            "MonitoringScheduleName": schedule.name,
            "MonitoringScheduleArn": schedule.arn,
            "CreationTime": schedule.created,
            "LastModifiedTime": schedule.created,
            "MonitoringScheduleStatus": schedule.status,
            "MonitoringType": schedule.monitoring_type,
            "MonitoringJobDefinitionName": f"{schedule.name}-definition",
        }
        if schedule.endpoint:
            summary["EndpointName"] = schedule.endpoint
        summaries.append(summary)
    return ActionResult({"MonitoringScheduleSummaries": summaries})


def _list_monitoring_executions(self: SageMakerResponse) -> ActionResult:
    executions = _executions_of(self._get_param("MonitoringScheduleName"), self._get_param("EndpointName"))
    status = self._get_param("StatusEquals")
    if status:
        executions = [e for e in executions if e.status == status]
    if self._get_param("SortOrder") == "Ascending":
        executions.reverse()
    limit = int(self._get_param("MaxResults") or 100)
    return ActionResult({"MonitoringExecutionSummaries": [_summary(e) for e in executions[:limit]]})


def _describe_processing_job(original: Any) -> Any:
    def describe(self: SageMakerResponse) -> ActionResult:
        result = original(self)
        execution = _EXECUTIONS.get(self._get_param("ProcessingJobName"))
        if execution is None:
            return result
        schedule = _SCHEDULES.get(execution.schedule)
        response = copy.deepcopy(result.result)  # type: ignore[attr-defined]
        response["ProcessingJobStatus"] = "Completed" if execution.status.startswith("Completed") else execution.status
        response["ProcessingEndTime"] = execution.scheduled
        response["Environment"] = {
            ENV_SCHEDULE: execution.schedule,
            **({ENV_ENDPOINT: schedule.endpoint} if schedule and schedule.endpoint else {}),
        }
        if schedule is not None:
            response["MonitoringScheduleArn"] = schedule.arn
        if execution.failure_reason:
            response["FailureReason"] = execution.failure_reason
        if execution.exit_message:
            response["ExitMessage"] = execution.exit_message
        return ActionResult(response)

    return describe


@contextmanager
def monitoring_emulated() -> Iterator[None]:
    """Patch moto's SageMaker responses with the monitoring APIs for the block (use inside ``mock_aws``)."""
    _SCHEDULES.clear()
    _EXECUTIONS.clear()
    added = {
        "create_monitoring_schedule": _create_monitoring_schedule,
        "describe_monitoring_schedule": _describe_monitoring_schedule,
        "delete_monitoring_schedule": _delete_monitoring_schedule,
        "list_monitoring_schedules": _list_monitoring_schedules,
        "list_monitoring_executions": _list_monitoring_executions,
    }
    with ExitStack() as stack:
        for name, function in added.items():
            stack.enter_context(mock.patch.object(SageMakerResponse, name, function, create=True))
        stack.enter_context(
            mock.patch.object(
                SageMakerResponse,
                "describe_processing_job",
                _describe_processing_job(SageMakerResponse.describe_processing_job),
            )
        )
        yield
    _SCHEDULES.clear()
    _EXECUTIONS.clear()
