"""One Model Monitor execution (a processing job a monitoring schedule started), as DescribeProcessingJob
tells it. The event only names the job: anyone allowed to invoke the function can send any body, so nothing
the workflow decides on (status, end time, exit message, output) is ever taken from it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from model_governance import constants
from model_governance.constants import VIOLATIONS_REPORT_FILE
from model_governance.errors import InvalidEventError
from model_governance.events import parse_timestamp

_SCHEDULE_ARN = re.compile(
    r"^arn:aws[a-z\-]*:sagemaker:(?P<region>[a-z0-9\-]+):\d{12}:monitoring-schedule/(?P<name>.+)$"
)
# Environment variables the Model Monitor platform sets on its processing jobs (container contract inputs).
ENV_ENDPOINT = "sagemaker_endpoint_name"
ENV_SCHEDULE = "sagemaker_monitoring_schedule_name"


@dataclass(frozen=True)
class JobFacts:
    """The fields of a processing job this feature reads, from either source; None where a source lacks one."""

    job_name: str
    job_arn: str | None = None
    status: str | None = None
    schedule_arn: str | None = None
    output_uri: str | None = None
    failure_reason: str | None = None
    exit_message: str | None = None
    ended_at: datetime | None = None
    environment: Mapping[str, str] | None = None

    @classmethod
    def from_description(cls, response: Mapping[str, Any]) -> JobFacts:
        """From a DescribeProcessingJob response (or the execution event our own monitor builds of its run)."""
        outputs = (response.get("ProcessingOutputConfig") or {}).get("Outputs") or []
        uri = ((outputs[0] or {}).get("S3Output") or {}).get("S3Uri") if outputs else None
        ended = response.get("ProcessingEndTime")
        environment = response.get("Environment")
        return cls(
            job_name=str(response.get("ProcessingJobName") or ""),
            job_arn=_str(response.get("ProcessingJobArn")),
            status=_str(response.get("ProcessingJobStatus")),
            schedule_arn=_str(response.get("MonitoringScheduleArn")),
            output_uri=_str(uri),
            failure_reason=_str(response.get("FailureReason")),
            exit_message=_str(response.get("ExitMessage")),
            ended_at=_time(ended),
            environment={str(k): str(v) for k, v in environment.items()} if isinstance(environment, dict) else None,
        )


@dataclass(frozen=True)
class MonitoringExecution:
    """A terminal Model Monitor execution, everything known about it resolved."""

    job_name: str
    job_arn: str
    status: str  # Completed | Failed | Stopped
    schedule_name: str
    schedule_arn: str
    region: str
    ended_at: datetime
    output_uri: str | None = None
    endpoint: str | None = None
    failure_reason: str | None = None
    exit_message: str | None = None

    @property
    def report_uri(self) -> str | None:
        return f"{self.output_uri.rstrip('/')}/{VIOLATIONS_REPORT_FILE}" if self.output_uri else None

    @property
    def html_report_uri(self) -> str | None:
        """report.html beside the files, written by our own data-quality runs (Model Monitor's jobs write none)."""
        if not self.output_uri or not self.job_name.startswith(constants.SERVERLESS_RUN_PREFIX):
            return None
        return f"{self.output_uri.rstrip('/')}/{constants.HTML_REPORT_FILE}"

    @property
    def exit_reports_violations(self) -> bool:
        """The analyzer's exit message says it found violations (seen in AWS-authored containers; aws-facts 1.3)."""
        return (self.exit_message or "").startswith("CompletedWithViolations")

    @property
    def exit_reports_no_violations(self) -> bool:
        """The analyzer's exit message says the run found no violations ("Completed: ... no violations")."""
        message = self.exit_message or ""
        return message.startswith("Completed:") and "no violations" in message.lower()


def resolve_execution(facts: JobFacts, *, region: str, fallback_time: datetime) -> MonitoringExecution | None:
    """The execution, or None when the job is not a Model Monitor execution (no schedule behind it)."""
    if not facts.schedule_arn:
        return None
    match = _SCHEDULE_ARN.match(facts.schedule_arn)
    if not match:
        raise InvalidEventError(f"{facts.schedule_arn!r} is not a monitoring schedule ARN")
    if not facts.job_arn or not facts.status:
        raise InvalidEventError(f"processing job {facts.job_name} has no ARN or status")
    environment = facts.environment or {}
    return MonitoringExecution(
        job_name=facts.job_name,
        job_arn=facts.job_arn,
        status=facts.status,
        schedule_name=match["name"],
        schedule_arn=facts.schedule_arn,
        region=match["region"] or region,
        ended_at=facts.ended_at or fallback_time,
        output_uri=facts.output_uri,
        endpoint=environment.get(ENV_ENDPOINT) or None,
        failure_reason=facts.failure_reason,
        exit_message=facts.exit_message,
    )


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> (bucket, key)."""
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise ValueError(f"not an S3 object URI: {uri!r}")
    bucket, key = uri[5:].split("/", 1)
    return bucket, key


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if value in (None, ""):
        return None
    try:
        return parse_timestamp(value, field_name="ProcessingEndTime")
    except InvalidEventError:
        return None
