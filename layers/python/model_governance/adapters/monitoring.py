"""Model Monitor calls: the processing job, its violations report in S3, the endpoint's model and card,
and the per-schedule dedup state in the state table (optimistic, conditional writes)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from model_governance.adapters import keys
from model_governance.adapters.keys import from_item, to_item
from model_governance.adapters.sagemaker import ModelRegistry, error_code
from model_governance.adapters.state import StateStore
from model_governance.cards.records import CardRecord
from model_governance.cards.trust import trusted_card
from model_governance.errors import MissingResourceError
from model_governance.monitoring.dedup import ScheduleState
from model_governance.monitoring.execution import JobFacts, split_s3_uri
from model_governance.monitoring.render import ModelContext
from model_governance.observability import logger

# Reports of thousands of features are a few MB; anything far larger is not a violations report.
MAX_REPORT_BYTES = 64 * 1024 * 1024
_DENIED = {"AccessDenied", "AccessDeniedException", "AllAccessDisabled", "InvalidObjectState", "KMS.DisabledException"}
_MISSING = {"NoSuchKey", "404", "NotFound"}


class ReportAccessError(PermissionError):
    """The function may not read the report (S3 or KMS permissions): retrying will not help."""


class ReportTooLargeError(ValueError):
    pass


class ReportOverwrittenError(ValueError):
    """The report changed after its job ended: whoever may write the output bucket wrote it, not the monitor."""


def _not_found(error: ClientError) -> bool:
    message = str(error.response.get("Error", {}).get("Message", "")).lower()
    return error_code(error) in {"ResourceNotFound", "ResourceNotFoundException"} or (
        error_code(error) == "ValidationException" and any(s in message for s in ("not find", "not found", "not exist"))
    )


class MonitoringJobs:
    """DescribeProcessingJob / DescribeMonitoringSchedule, and the violations report in S3."""

    def __init__(self, sagemaker: Any, s3: Any) -> None:
        self._sagemaker = sagemaker
        self._s3 = s3

    def describe_job(self, job_name: str) -> JobFacts | None:
        try:
            return JobFacts.from_description(self._sagemaker.describe_processing_job(ProcessingJobName=job_name))
        except ClientError as error:
            if _not_found(error):
                return None
            raise

    def endpoint_of_schedule(self, schedule_name: str) -> str | None:
        """The schedule's endpoint (None for batch-transform monitors or a deleted schedule)."""
        try:
            response = self._sagemaker.describe_monitoring_schedule(MonitoringScheduleName=schedule_name)
        except ClientError as error:
            if _not_found(error):
                return None
            raise
        endpoint = response.get("EndpointName")
        return endpoint if isinstance(endpoint, str) and endpoint else None

    def read_report(self, uri: str, *, written_by: datetime | None = None) -> bytes | None:
        """The report's bytes; None when there is no report (needs s3:ListBucket, else S3 says 403, not 404).
        ``written_by``: the latest time the monitor can have written it; a later LastModified is refused."""
        bucket, key = split_s3_uri(uri)
        try:
            response = self._s3.get_object(Bucket=bucket, Key=key)
        except ClientError as error:
            code = error_code(error)
            if code in _MISSING:
                return None
            if code in _DENIED or code.startswith("KMS."):
                raise ReportAccessError(
                    f"{code} reading {uri}: the function needs s3:GetObject and s3:ListBucket on bucket {bucket}"
                    " (context key monitoringOutputBuckets) and kms:Decrypt on the output key if one is set"
                    " (monitoringOutputKmsKeyArns)"
                ) from error
            raise
        size = int(response.get("ContentLength") or 0)
        modified = response.get("LastModified")
        if written_by is not None and isinstance(modified, datetime) and modified > written_by:
            response["Body"].close()
            raise ReportOverwrittenError(
                f"{uri} was modified at {modified.astimezone(UTC).isoformat()}, after its processing job ended"
                " (DescribeProcessingJob ProcessingEndTime): someone else wrote it, so it decides nothing;"
                " check who may write the monitoring output bucket"
            )
        if size > MAX_REPORT_BYTES:
            response["Body"].close()
            raise ReportTooLargeError(f"{uri} is {size} bytes, over the {MAX_REPORT_BYTES} bytes this function reads")
        return bytes(response["Body"].read())


class RecordedRun:
    """The Jobs port for our own data-quality monitor's run: no SageMaker processing job exists, so the run's
    facts are the execution event the monitor function built (or recorded in the state table) itself, never a
    body someone sent; the report is read from S3 like any other."""

    def __init__(self, detail: Mapping[str, Any], reports: MonitoringJobs) -> None:
        self._facts = JobFacts.from_description(detail)
        self._reports = reports

    def describe_job(self, job_name: str) -> JobFacts | None:
        return self._facts if job_name == self._facts.job_name else None

    def endpoint_of_schedule(self, schedule_name: str) -> str | None:
        return None  # the run's event names its endpoint

    def read_report(self, uri: str, *, written_by: datetime | None = None) -> bytes | None:
        # The run wrote its report after the period it names ended, in this or an earlier invocation.
        return self._reports.read_report(uri)


class ModelTracer:
    """endpoint -> endpoint config -> model -> model package -> linked card (owner, risk rating).

    Best effort: an alert must not fail because the endpoint was deleted or a card is missing, so every gap
    ends the trace with what is known so far. The card is only one whose link counts (cards/trust.py): a card
    that merely claims the version must not choose whose name and which risk rating an alert shows.
    """

    def __init__(self, sagemaker: Any, links: StateStore, registry: ModelRegistry) -> None:
        self._sagemaker = sagemaker
        self._links = links
        self._registry = registry

    def trace(self, endpoint: str | None) -> ModelContext:
        if not endpoint:
            return ModelContext()
        try:
            package_arn = self._package_of(endpoint)
            if not package_arn:
                return ModelContext(endpoint=endpoint)
            package = self._registry.describe_package(package_arn)
            group = package.group or None
            card = trusted_card(package, self._links.link_for(package.group, package.version), self._describe_card)
        except (ClientError, MissingResourceError) as error:
            logger.warning("model trace stopped", extra={"endpoint": endpoint, "error": str(error)})
            return ModelContext(endpoint=endpoint)
        if card is None:
            return ModelContext(endpoint=endpoint, model_package_arn=package_arn, group=group)
        # An encrypted card's owner is content under its key (cards/encryption.py): not put in an alert.
        owner = (card.content.get("model_overview") or {}).get("model_owner") if not card.kms_key_id else None
        return ModelContext(
            endpoint=endpoint,
            model_package_arn=package_arn,
            card_name=card.name,
            owner=owner if isinstance(owner, str) and owner else None,
            risk_rating=card.risk_rating,
            group=group,
        )

    def _package_of(self, endpoint: str) -> str | None:
        try:
            config = self._sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
        except ClientError as error:
            if _not_found(error):
                return None
            raise
        variants = self._sagemaker.describe_endpoint_config(EndpointConfigName=config).get("ProductionVariants", [])
        for variant in variants:
            if not variant.get("ModelName"):
                continue
            model = self._sagemaker.describe_model(ModelName=variant["ModelName"])
            containers = [model.get("PrimaryContainer") or {}, *(model.get("Containers") or [])]
            for container in containers:
                if container.get("ModelPackageName"):
                    return str(container["ModelPackageName"])
        return None

    def _describe_card(self, name: str) -> CardRecord | None:
        return self._registry.describe_card(name)


class ScheduleStates:
    """pk ``SCHEDULE#<name>``, sk ``VIOLATIONS``: one item per schedule, written only if nobody wrote since read."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self.table_name = table_name

    def load(self, schedule: str) -> ScheduleState | None:
        item = self._client.get_item(
            TableName=self.table_name,
            Key=to_item(keys.schedule_key(schedule)),
            ConsistentRead=True,
        ).get("Item")
        return _state(from_item(item)) if item else None

    def save(self, state: ScheduleState, *, expected_revision: int) -> bool:
        """False when another invocation wrote first (re-read and decide again)."""
        values = {
            **keys.schedule_key(state.schedule),
            "schedule": state.schedule,
            "violating": state.violating,
            "fingerprint": state.fingerprint,
            "violation_count": state.violation_count,
            "last_job_arn": state.last_job_arn,
            "last_ended_at": state.last_ended_at.astimezone(UTC).isoformat(),
            "last_decision": state.last_decision,
            "last_alert_at": state.last_alert_at.astimezone(UTC).isoformat() if state.last_alert_at else None,
            "alerted_count": state.alerted_count,
            "check_counts": state.check_counts,
            "sample": [list(pair) for pair in state.sample],
            "revision": state.revision,
            keys.INDEX_PARTITION_KEY: keys.ALL_SCHEDULES,
            keys.INDEX_SORT_KEY: f"{keys.SCHEDULES}{state.schedule}",
        }
        if expected_revision == 0:
            return keys.put_if_absent(self._client, self.table_name, values)
        return keys.put_if(
            self._client, self.table_name, values, "revision = :expected", {":expected": expected_revision}
        )


def _state(values: dict[str, Any]) -> ScheduleState:
    alert = values.get("last_alert_at")
    return ScheduleState(
        schedule=values["schedule"],
        violating=bool(values.get("violating")),
        fingerprint=str(values.get("fingerprint") or ""),
        violation_count=int(values.get("violation_count") or 0),
        last_job_arn=str(values.get("last_job_arn") or ""),
        last_ended_at=datetime.fromisoformat(values["last_ended_at"]),
        last_decision=str(values.get("last_decision") or ""),
        last_alert_at=datetime.fromisoformat(alert) if alert else None,
        alerted_count=int(values.get("alerted_count") or 0),
        check_counts={str(k): int(v) for k, v in (values.get("check_counts") or {}).items()},
        sample=tuple((str(p[0]), str(p[1])) for p in values.get("sample") or []),
        revision=int(values.get("revision") or 0),
    )
