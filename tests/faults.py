"""Fault injection at every AWS call boundary, with Lambda's retries and a DLQ replay after it.

A workflow's fault-free run is recorded as the list of AWS calls it makes. Then, for each call k and each kind
of fault, the scenario is played again in a fresh account with the fault at call k:

- ``crash``: the function is killed inside the call before AWS saw it (a timeout: ``BaseException``, no
  ``except Exception`` runs, no ``finally`` is trusted to finish its AWS calls);
- ``lost``: AWS did the call, the caller saw an error (a read timeout on the response).

Then Lambda does what it does: the same event again a minute later, twice, then the DLQ, from which the runbook
replays it (modelled as further attempts minutes apart). The account the story ends with must equal the
fault-free one: nothing lost, nothing done twice.
"""

from __future__ import annotations

import builtins
import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

import time_machine
from botocore.client import BaseClient
from botocore.exceptions import ReadTimeoutError

# Lambda's async invocation: the first attempt, two retries about one and two minutes later; then the DLQ, its
# alarm, and a replay by the runbook (modelled as two more attempts, 20 minutes apart: after the longest lease, a
# 15-minute sweep's).
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=20), timedelta(minutes=20))


class Killed(BaseException):
    """The function was killed mid-call (timeout, out of memory): nothing after this line runs."""


@dataclass(frozen=True)
class Fault:
    at: int  # the index of the AWS call (0-based) in the run
    kind: str  # crash | lost

    def __str__(self) -> str:
        return f"{self.kind} at call {self.at}"


@dataclass(frozen=True)
class MetricRecord:
    """One EMF record a function printed (CloudWatch Logs turns it into metrics): what CloudWatch receives."""

    after_calls: int  # the AWS calls made before it was printed (where it sits among the story's calls)
    document: dict[str, Any]


@dataclass
class CallLog:
    calls: list[str] = field(default_factory=list)
    metrics: list[MetricRecord] = field(default_factory=list)
    killed: bool = False  # the attempt running now was killed: nothing it prints from here on reaches CloudWatch

    def attempt(self) -> None:
        self.killed = False


@contextmanager
def aws_calls(log: CallLog, fault: Fault | None = None) -> Iterator[CallLog]:
    """Record every boto3 call ``service.Operation`` made inside the block and every EMF record printed by an
    attempt still alive (a killed function's ``finally`` never runs on Lambda: its late flush is not counted), and
    inject ``fault`` once."""
    original = BaseClient._make_api_call
    original_print = builtins.print
    fired = False

    def make_api_call(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        nonlocal fired
        index = len(log.calls)
        log.calls.append(f"{self.meta.service_model.service_name}.{operation_name}")
        if fault is not None and not fired and index == fault.at:
            fired = True
            if fault.kind == "crash":
                log.killed = True
                raise Killed(f"killed inside {operation_name}")
            response = original(self, operation_name, api_params)
            del response
            raise ReadTimeoutError(endpoint_url=f"https://{operation_name}.lost-response")
        return original(self, operation_name, api_params)

    def emf_print(*args: Any, **kwargs: Any) -> None:
        line = args[0] if len(args) == 1 and isinstance(args[0], str) else ""
        if line.startswith("{") and '"_aws"' in line and not log.killed:
            log.metrics.append(MetricRecord(len(log.calls), json.loads(line)))
        original_print(*args, **kwargs)

    with (
        mock.patch.object(BaseClient, "_make_api_call", make_api_call),
        mock.patch.object(builtins, "print", emf_print),
    ):
        yield log


def metric_sums(records: list[MetricRecord]) -> Counter[tuple[str, str, tuple[tuple[str, str], ...]]]:
    """What CloudWatch's Sum shows for each (namespace, metric, dimensions) the records published."""
    sums: Counter[tuple[str, str, tuple[tuple[str, str], ...]]] = Counter()
    for record in records:
        document = record.document
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for dimension_set in directive["Dimensions"]:
                dimensions = tuple(sorted((name, str(document[name])) for name in dimension_set))
                for metric in directive["Metrics"]:
                    value = document[metric["Name"]]
                    total = sum(value) if isinstance(value, list) else value
                    sums[(directive["Namespace"], metric["Name"], dimensions)] += total
    return sums


def invoke_like_lambda(invoke: Callable[[], Any], clock: Any) -> int:
    """Invoke until it succeeds, the way Lambda's retries and a DLQ replay would; the number of attempts."""
    for attempt, delay in enumerate((*RETRY_DELAYS, None), start=1):
        try:
            invoke()
        except BaseException:  # Killed or an ordinary error: Lambda retries either way
            if delay is None:
                raise
            clock.shift(delay)
            continue
        return attempt
    raise AssertionError("unreachable")


def faults_for(calls: int) -> list[Fault]:
    return [Fault(at, kind) for at in range(calls) for kind in ("crash", "lost")]


@contextmanager
def frozen_clock(start: datetime) -> Iterator[Any]:
    """A clock that moves only when told (retries shift it): every run of a story sees the same times."""
    with time_machine.travel(start, tick=False) as clock:
        yield clock


# What the account looks like: compared between the fault-free run and every faulted one -------------------
# Attributes that say when our own bookkeeping ran, not what the account holds. ``card_created_before`` (a link's
# bound on its card's CreationTime) moves with the retry that created the card, as the card's own time does.
VOLATILE = {
    "recorded_at",
    "requested_at",
    "completed_at",
    "expires_at",
    "carried_at",
    "last_alert_at",
    "card_created_before",
}
INTERNAL_PREFIXES = ("CLAIM#", "LEASE#", "EFFECT#")


def account_state(world: Any) -> dict[str, Any]:
    """Cards, packages with their embedded cards, the state table (links, marks, evidence, ledger), objects in
    the evidence bucket and every message published: what a person would find in the account."""
    import boto3

    sm = boto3.client("sagemaker")
    cards = {}
    for summary in sm.list_model_cards()["ModelCardSummaries"]:
        card = sm.describe_model_card(ModelCardName=summary["ModelCardName"])
        cards[card["ModelCardName"]] = {
            "status": card["ModelCardStatus"],
            "version": card["ModelCardVersion"],
            "content": _scrub(json.loads(card.get("Content") or "{}")),
            "security": card.get("SecurityConfig"),
        }
    packages = {}
    for group in sm.list_model_package_groups()["ModelPackageGroupSummaryList"]:
        listed = sm.list_model_packages(ModelPackageGroupName=group["ModelPackageGroupName"])
        for summary in listed["ModelPackageSummaryList"]:
            package = sm.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
            embedded = package.get("ModelCard")
            packages[package["ModelPackageArn"]] = {
                "approval": package.get("ModelApprovalStatus"),
                "approval_description": package.get("ApprovalDescription"),
                "stage": package.get("ModelLifeCycle"),  # the model registry stage (the stage gate's revert)
                "embedded": {
                    "status": embedded.get("ModelCardStatus"),
                    "content": json.loads(embedded.get("ModelCardContent") or "{}"),
                }
                if embedded
                else None,
            }
    s3 = boto3.client("s3")
    # Every object version, named by its key and its place among the key's versions: S3 draws a VersionId at
    # random, so a record that pins one is compared by the version it names, not by the random string.
    versions: dict[str, str] = {}
    objects = []
    for bucket in s3.list_buckets()["Buckets"]:
        listed = s3.list_object_versions(Bucket=bucket["Name"]).get("Versions", [])
        for key in sorted({v["Key"] for v in listed}):
            of_key = sorted((v for v in listed if v["Key"] == key), key=lambda v: v["LastModified"])
            # A retried write of the same object adds a version (the evidence bucket keeps them): the account holds
            # the same objects; only a record that pins a version must name the same one.
            for n, version in enumerate(of_key, 1):
                versions[version["VersionId"]] = f"{bucket['Name']}/{key}@{n}"
        for obj in s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", []):
            objects.append(f"{bucket['Name']}/{obj['Key']}")
    versions.pop("null", None)  # unversioned buckets
    ddb = boto3.client("dynamodb")
    items = []
    for table in ddb.list_tables()["TableNames"]:
        for item in ddb.scan(TableName=table)["Items"]:
            if item["pk"]["S"].startswith(INTERNAL_PREFIXES):
                continue
            item = _version_named(item, versions)
            items.append(_timeless_if_aws_time({k: v for k, v in sorted(item.items()) if k not in VOLATILE}))
    messages = [(m.topic, m.subject, m.body) for m in world.inbox("")]
    hub = boto3.client("securityhub").get_findings()["Findings"]
    security_hub = sorted((f["Id"], f["RecordState"], f["UpdatedAt"], f["CreatedAt"], f["Title"]) for f in hub)
    return {
        "cards": cards,
        "packages": packages,
        "table": sorted(items, key=lambda i: json.dumps(i, sort_keys=True)),
        "objects": sorted(objects),
        "messages": sorted(messages),
        "security_hub": security_hub,
    }


def _version_named(value: Any, versions: dict[str, str]) -> Any:
    """``value`` with every S3 VersionId in it replaced by the version it names (unversioned objects keep
    "null")."""
    if isinstance(value, dict):
        return {k: _version_named(v, versions) for k, v in value.items()}
    if isinstance(value, list):
        return [_version_named(v, versions) for v in value]
    if isinstance(value, str):  # a whole attribute, or inside a JSON document (the ledger's details)
        for version_id, label in versions.items():
            value = value.replace(version_id, label)
    return value


def _timeless_if_aws_time(item: dict[str, Any]) -> dict[str, Any]:
    """A record of what an AWS job did is stamped with the job's own time, which moves with the retries that
    started it late: such records are compared without their time (every other record keeps it)."""
    if not str(item.get("source_event_id", {}).get("S", "")).startswith("export-job/"):
        return item
    timeless = dict(item)
    timeless.pop("at", None)
    for key in ("sk", "gsi1sk"):
        if key in timeless:
            prefix, _, rest = timeless[key]["S"].partition("#")
            timeless[key] = {"S": prefix + "#<time>#" + rest.split("#", 1)[1]}
    return timeless


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value
