"""The sweep's listing calls: everything the account holds, read in full pages, each item fetched once.

Calls for an account with V package versions, C cards, E in-service endpoints and S monitoring schedules:
ceil(V/100) ListModelPackages + ceil(C/100) Search + ceil(E/100) ListEndpoints + ceil(S/100)
ListMonitoringSchedules + one DescribeMonitoringSchedule per running schedule of an in-service endpoint (the
summary lacks the schedule expression and the last execution); when many judged versions were not linked by this
system (hand-made cards), ceil(V/100) Search over ModelPackage for their confirmations. 10,000 versions in 1,000
groups with 9,800 cards, 1,000 endpoints and 950 schedules: 1,168 calls (bench/account_sweep.py).

One pass over all versioned packages (not one call per group) gives the latest version of every group and
every Approved version, older ones included, in V/100 calls; Search gives every card's status and link.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from model_governance.adapters.sagemaker import _is_not_found, card_record, package_facts
from model_governance.cards.records import PackageFacts, life_cycle
from model_governance.sweep.inventory import CardSummary, Endpoint, MonitorSchedule, PackageVersion

PAGE_SIZE = 100  # the maximum every list call and Search accept
DESCRIBE_WORKERS = 8  # parallel DescribeMonitoringSchedule calls; adaptive retries slow them if throttled


class AccountInventory:
    """Reads the account. ``monitoring`` defaults to ``sagemaker`` (tests hand a Stubber for the monitoring APIs)."""

    def __init__(self, sagemaker: Any, *, monitoring: Any = None, describe_workers: int = DESCRIBE_WORKERS) -> None:
        self._sagemaker = sagemaker
        self._monitoring = monitoring if monitoring is not None else sagemaker
        self._workers = max(1, describe_workers)
        self._lock = threading.Lock()
        self.calls: dict[str, int] = {}

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def _call(self, client: Any, operation: str, **request: Any) -> dict[str, Any]:
        with self._lock:
            self.calls[operation] = self.calls.get(operation, 0) + 1
        response: dict[str, Any] = getattr(client, operation)(**request)
        return response

    def _pages(self, client: Any, operation: str, key: str, **request: Any) -> Iterator[dict[str, Any]]:
        token: str | None = None
        while True:
            response = self._call(client, operation, **request, **({"NextToken": token} if token else {}))
            yield from response.get(key, [])
            token = response.get("NextToken")
            if not token:
                return

    def package_versions(self) -> list[PackageVersion]:
        return [
            PackageVersion(
                group=summary["ModelPackageGroupName"],
                version=int(summary["ModelPackageVersion"]),
                arn=summary["ModelPackageArn"],
                status=summary.get("ModelPackageStatus", ""),
                approval_status=summary.get("ModelApprovalStatus"),
                created=summary.get("CreationTime"),
                stage=life_cycle(summary.get("ModelLifeCycle")),
            )
            for summary in self._pages(
                self._sagemaker,
                "list_model_packages",
                "ModelPackageSummaryList",
                ModelPackageType="Versioned",
                SortBy="CreationTime",
                SortOrder="Descending",
                MaxResults=PAGE_SIZE,
            )
            if summary.get("ModelPackageGroupName") and summary.get("ModelPackageVersion")
        ]

    def cards(self) -> list[CardSummary]:
        """Every standalone card (latest version) with the package version its content links to: one Search pass."""
        summaries = []
        for result in self._pages(self._sagemaker, "search", "Results", Resource="ModelCard", MaxResults=PAGE_SIZE):
            raw = result.get("ModelCard") or {}
            if not raw.get("ModelCardName"):
                continue
            record = card_record(raw)
            summaries.append(
                CardSummary(
                    name=record.name,
                    status=record.status,
                    last_modified=record.last_modified,
                    linked_group=record.linked_group or raw.get("ModelPackageGroupName"),
                    linked_version=record.linked_version,
                    linked_package_arn=record.linked_package_arn,
                    arn=record.arn,
                    version=record.version,
                    created=raw.get("CreationTime"),
                    modified_by=record.last_modified_by,
                    risk_rating=record.risk_rating
                    if record.risk_rating != "Unknown"
                    else raw.get("RiskRating") or "Unknown",
                )
            )
        return summaries

    def searched_packages(self) -> dict[str, PackageFacts]:
        """Every model package as DescribeModelPackage would describe it, by ARN: its CustomerMetadataProperties
        (where a hand-made card's confirmation is), approval, stage and LastModifiedTime (what the gate judges), in
        one Search pass, 100 packages a page, instead of a DescribeModelPackage per version. Search's index lags a
        change by seconds: a package it has not indexed yet is missing here (the caller describes it)."""
        found = {}
        for result in self._pages(self._sagemaker, "search", "Results", Resource="ModelPackage", MaxResults=PAGE_SIZE):
            package = {k: v for k, v in (result.get("ModelPackage") or {}).items() if k != "ModelCard"}
            if package.get("ModelPackageArn"):
                found[str(package["ModelPackageArn"])] = package_facts(package)
        return found

    def endpoints_in_service(self) -> list[Endpoint]:
        return [
            Endpoint(
                name=summary["EndpointName"],
                arn=summary.get("EndpointArn", ""),
                status=summary.get("EndpointStatus", ""),
                created=summary.get("CreationTime"),
            )
            for summary in self._pages(
                self._sagemaker, "list_endpoints", "Endpoints", StatusEquals="InService", MaxResults=PAGE_SIZE
            )
        ]

    def schedules(self, endpoints: set[str]) -> list[MonitorSchedule]:
        """Schedules of the given endpoints; running or failed ones described (in parallel) for the rules."""
        summaries = [
            s
            for s in self._pages(
                self._monitoring, "list_monitoring_schedules", "MonitoringScheduleSummaries", MaxResults=PAGE_SIZE
            )
            if s.get("EndpointName") in endpoints
        ]
        described = self._map(self._describe_schedule, [s for s in summaries if _needs_details(s)])
        details = {d["MonitoringScheduleName"]: d for d in described if d}
        return [_schedule(s, details.get(s["MonitoringScheduleName"])) for s in summaries]

    def _describe_schedule(self, summary: dict[str, Any]) -> dict[str, Any] | None:
        try:
            return self._call(
                self._monitoring,
                "describe_monitoring_schedule",
                MonitoringScheduleName=summary["MonitoringScheduleName"],
            )
        except ClientError as error:
            if _is_not_found(error):  # deleted since the listing
                return None
            raise

    def _map(self, function: Callable[[dict[str, Any]], Any], items: list[dict[str, Any]]) -> list[Any]:
        if self._workers == 1 or len(items) < 2:
            return [function(item) for item in items]
        with ThreadPoolExecutor(max_workers=self._workers) as pool:
            return list(pool.map(function, items))


def _needs_details(summary: dict[str, Any]) -> bool:
    # Stopped needs nothing more; Pending is too new to judge; Scheduled and Failed need the description.
    return summary.get("MonitoringScheduleStatus") in {"Scheduled", "Failed"}


def _schedule(summary: dict[str, Any], described: dict[str, Any] | None) -> MonitorSchedule:
    source = described or summary
    config = (source.get("MonitoringScheduleConfig") or {}).get("ScheduleConfig") or {}
    last = source.get("LastMonitoringExecutionSummary") or {}
    return MonitorSchedule(
        name=summary["MonitoringScheduleName"],
        endpoint=summary.get("EndpointName"),
        status=source.get("MonitoringScheduleStatus") or summary.get("MonitoringScheduleStatus", ""),
        monitoring_type=source.get("MonitoringType") or summary.get("MonitoringType"),
        expression=config.get("ScheduleExpression"),
        created=source.get("CreationTime"),
        failure_reason=source.get("FailureReason"),
        last_execution_status=last.get("MonitoringExecutionStatus"),
        last_execution_time=last.get("ScheduledTime"),
        last_execution_failure=last.get("FailureReason"),
        last_execution_job_arn=last.get("ProcessingJobArn"),
    )


class SweepReports:
    """Writes sweep reports to the evidence bucket (the same run id always writes the same key)."""

    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self.bucket = bucket

    def uri_for(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def put_json(self, key: str, document: dict[str, Any]) -> str:
        self._s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=json.dumps(document, indent=2, default=str).encode(),
            ContentType="application/json",
            # The bucket has Object Lock: S3 refuses an upload without an integrity checksum (or Content-MD5),
            # and older botocore releases (as in some Lambda runtimes) send none by default.
            ChecksumAlgorithm="SHA256",
        )
        return self.uri_for(key)
