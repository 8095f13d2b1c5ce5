"""SageMaker calls and time of one account sweep as the account grows (the budget: ~3,000 calls at 10,000 versions).

moto at 10,000 versions is far too slow, so a fake SageMaker client serves synthetic pages: it validates every
request against botocore's service model, honours MaxResults and NextToken, and counts calls. The sweep code
is the deployed one (adapters/inventory.py, workflows/account_sweep.py); only the client and the non-SageMaker
ports (state table, S3, SNS, ledger) are in-memory.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.session
from botocore.exceptions import ClientError
from botocore.validate import validate_parameters

from model_governance.adapters.inventory import AccountInventory
from model_governance.cards.records import CardLink, CardRecord, PackageFacts
from model_governance.cards.trust import CARD_METADATA_KEY
from model_governance.sweep.digest import SweepRun
from model_governance.sweep.reconcile import Action, CardMark, Export, Marks, ReconcileSettings, Wanted
from model_governance.sweep.rules import SweepSettings
from model_governance.workflows.account_sweep import Reconciler, run_sweep
from tests.fakes import MemoryEffects

SIZES = ((100, 10, 10), (1_000, 100, 100), (10_000, 1_000, 1_000))  # (versions, groups, endpoints)
BUDGET = 3_000
HAND_MADE_BUDGET = 1_200
LATENCY_S = 0.05  # a typical SageMaker control-plane call, for the Lambda estimate
NOW = datetime(2024, 5, 6, 6, 0, tzinfo=UTC)
_MODEL = botocore.session.get_session().get_service_model("sagemaker")
_ARN = "arn:aws:sagemaker:us-east-1:123456789012:{}"


class FakeSageMaker:
    """Synthetic account: every version has a card (carry-forward's steady state) and every endpoint a schedule,
    with a few of each problem mixed in. ``hand_made``: the cards were written by hand and each package confirms
    its card in its metadata (the system linked none of them)."""

    def __init__(self, versions: int, groups: int, endpoints: int, *, hand_made: bool = False) -> None:
        self.calls: Counter[str] = Counter()
        self.hand_made = hand_made
        per_group = versions // groups
        self.packages = [
            {
                "ModelPackageGroupName": f"group-{g:04d}",
                "ModelPackageVersion": v,
                "ModelPackageArn": _ARN.format(f"model-package/group-{g:04d}/{v}"),
                "CreationTime": NOW - timedelta(days=per_group - v),
                "ModelPackageStatus": "Completed",
                "ModelApprovalStatus": "Approved" if v % 5 == 0 else "PendingManualApproval",
            }
            for g in range(groups)
            for v in range(per_group, 0, -1)
        ]
        self.cards = [
            {
                "ModelCardArn": _ARN.format(f"model-card/{p['ModelPackageGroupName']}-v{p['ModelPackageVersion']}"),
                "ModelCardName": f"{p['ModelPackageGroupName']}-v{p['ModelPackageVersion']}",
                "ModelCardVersion": 1,
                "ModelCardStatus": ("Approved", "Draft", "PendingReview", "Approved")[i % 4],
                "CreationTime": NOW - timedelta(days=i % 20 + 1),
                "LastModifiedTime": NOW - timedelta(days=i % 20),
                "Content": json.dumps(
                    {
                        "intended_uses": {"risk_rating": "Medium"},
                        "model_package_details": {
                            "model_package_arn": p["ModelPackageArn"],
                            "model_package_group_name": p["ModelPackageGroupName"],
                        },
                    }
                ),
            }
            for i, p in enumerate(self.packages)
            if i % 50  # every 50th version has no card
        ]
        # Hand-made cards: each package names its card in its metadata (what makes such a link count).
        self.metadata = {
            str(p["ModelPackageArn"]): {CARD_METADATA_KEY: f"{p['ModelPackageGroupName']}-v{p['ModelPackageVersion']}"}
            for i, p in enumerate(self.packages)
            if hand_made and i % 50
        }
        self.endpoints = [
            {
                "EndpointName": f"endpoint-{e:04d}",
                "EndpointArn": _ARN.format(f"endpoint/endpoint-{e:04d}"),
                "CreationTime": NOW - timedelta(days=30),
                "LastModifiedTime": NOW - timedelta(days=30),
                "EndpointStatus": "InService",
            }
            for e in range(endpoints)
        ]
        statuses = ("Scheduled",) * 8 + ("Stopped", "Failed")
        self.schedules = [
            {
                "MonitoringScheduleName": f"monitor-{e:04d}",
                "MonitoringScheduleArn": _ARN.format(f"monitoring-schedule/monitor-{e:04d}"),
                "CreationTime": NOW - timedelta(days=30),
                "MonitoringScheduleStatus": statuses[e % 10],
                "EndpointName": f"endpoint-{e:04d}",
                "MonitoringType": "DataQuality",
            }
            for e in range(endpoints)
            if e % 20  # every 20th endpoint unmonitored
        ]
        self._by_name = {s["MonitoringScheduleName"]: s for s in self.schedules}

    def _request(self, operation: str, params: dict[str, Any]) -> None:
        self.calls[operation] += 1
        validate_parameters(params, _MODEL.operation_model(operation).input_shape)

    def _page(self, operation: str, key: str, items: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
        self._request(operation, params)
        start = int(params.get("NextToken") or 0)
        end = start + int(params.get("MaxResults") or 10)  # the services' defaults are small
        page: dict[str, Any] = {key: items[start:end]}
        if end < len(items):
            page["NextToken"] = str(end)
        return page

    def list_model_packages(self, **params: Any) -> dict[str, Any]:
        return self._page("ListModelPackages", "ModelPackageSummaryList", self.packages, params)

    def search(self, **params: Any) -> dict[str, Any]:
        if params.get("Resource") == "ModelPackage":
            page = self._page("Search", "Results", self.packages, params)
            page["Results"] = [
                {"ModelPackage": {**p, "CustomerMetadataProperties": self.metadata.get(str(p["ModelPackageArn"]), {})}}
                for p in page["Results"]
            ]
            return page
        page = self._page("Search", "Results", self.cards, params)
        page["Results"] = [{"ModelCard": card} for card in page["Results"]]
        return page

    def list_endpoints(self, **params: Any) -> dict[str, Any]:
        return self._page("ListEndpoints", "Endpoints", self.endpoints, params)

    def list_monitoring_schedules(self, **params: Any) -> dict[str, Any]:
        return self._page("ListMonitoringSchedules", "MonitoringScheduleSummaries", self.schedules, params)

    def describe_monitoring_schedule(self, **params: Any) -> dict[str, Any]:
        self._request("DescribeMonitoringSchedule", params)
        summary = self._by_name.get(params["MonitoringScheduleName"])
        if summary is None:
            raise ClientError({"Error": {"Code": "ValidationException", "Message": "does not exist"}}, "Describe")
        number = int(str(summary["MonitoringScheduleName"]).rsplit("-", 1)[1])
        hours_ago = (1, 1, 1, 5, 1, 1, 1, 1)[number % 8]  # some idle
        return {
            **summary,
            "MonitoringScheduleConfig": {"ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}},
            "LastMonitoringExecutionSummary": {
                "MonitoringScheduleName": summary["MonitoringScheduleName"],
                "ScheduledTime": NOW - timedelta(hours=hours_ago),
                "CreationTime": NOW - timedelta(hours=hours_ago),
                "LastModifiedTime": NOW - timedelta(hours=hours_ago),
                "MonitoringExecutionStatus": "Failed" if number % 13 == 0 else "Completed",
                "ProcessingJobArn": _ARN.format(f"processing-job/monitor-{number:04d}-{hours_ago}"),
            },
        }


class _Links:
    """The state table of carry-forward's steady state: every card the fake account holds, the system linked."""

    def __init__(self, fake: FakeSageMaker) -> None:
        self._cards = {} if fake.hand_made else {card["ModelCardName"]: card for card in fake.cards}

    def link_for(self, group: str, version: int) -> CardLink | None:
        name = f"{group}-v{version}"
        card = self._cards.get(name)
        if card is None:
            return None
        return CardLink(
            group,
            version,
            name,
            package_arn=_ARN.format(f"model-package/{group}/{version}"),
            card_arn=str(card["ModelCardArn"]),
            card_created_before=created if isinstance(created := card.get("CreationTime"), datetime) else None,
        )

    def claim(self, key: str, **_: Any) -> bool:
        return True

    def release(self, key: str) -> None:
        pass


class _Nothing:
    def __init__(self, calls: Counter[str], metadata: dict[str, dict[str, str]] | None = None) -> None:
        self._calls = calls
        self._metadata = metadata or {}

    def describe_card(self, name: str, version: int | None = None) -> CardRecord | None:
        return None

    def uri_for(self, key: str) -> str:
        return f"s3://bench/{key}"

    def describe_package(self, arn: str) -> PackageFacts:
        """A version the system did not link: read for a confirming metadata key."""
        self._calls["DescribeModelPackage"] += 1
        group, version = arn.split("model-package/", 1)[1].rsplit("/", 1)
        return PackageFacts(arn, group, int(version), "Completed", None, customer_metadata=self._metadata.get(arn, {}))

    def put_json(self, key: str, document: dict[str, Any]) -> str:
        self.size = len(json.dumps(document, default=str))
        return self.uri_for(key)

    def publish(self, message: Any) -> str:
        self.digest_bytes = len(message.body.encode())
        return "id"

    def append(self, record: Any) -> bool:
        return True


class _AllHandled:
    """Reconciliation when nothing needs fixing: every handler marked every change it saw. Counts the DynamoDB
    reads the sweep makes for it (batches of 100 keys; the gates' judgements are effects among them)."""

    def __init__(self, fake: FakeSageMaker) -> None:
        self.reads = 0
        self.replays = 0

    def read(self, wanted: Wanted) -> Marks:
        self.reads += -(-len(wanted.effect_keys) // 100) + -(-(len(wanted.cards) + len(wanted.exports)) // 100)
        far = NOW + timedelta(days=1)
        return Marks(
            effects_done=frozenset(wanted.effect_keys),
            card_marks={name: CardMark(1, far) for name in wanted.cards},
            exports={key: Export("completed", "") for key in wanted.exports},
        )

    def hand_over(self, action: Action) -> None:
        self.replays += 1


def sweep_once(
    versions: int, groups: int, endpoints: int, *, hand_made: bool = False
) -> tuple[Counter[str], float, int, int, _AllHandled]:
    fake = FakeSageMaker(versions, groups, endpoints, hand_made=hand_made)
    sink = _Nothing(fake.calls, fake.metadata)
    handled = _AllHandled(fake)
    started = time.perf_counter()
    outcome = run_sweep(
        SweepRun("bench", NOW, "us-east-1", "123456789012"),
        reader=AccountInventory(fake),
        links=_Links(fake),
        cards=sink,
        reports=sink,
        effects=MemoryEffects(),
        ops=sink,
        audit=sink,
        settings=SweepSettings(),
        reconciler=Reconciler(marks=handled, handlers=handled, settings=ReconcileSettings()),
        now=lambda: NOW,
    )
    if handled.replays:
        raise AssertionError(f"{handled.replays} replays in an account where every change was handled")
    return fake.calls, time.perf_counter() - started, sum(outcome.counts.values()), sink.digest_bytes, handled


def run() -> list[str]:
    lines = [
        "### Account sweep: SageMaker calls and time per sweep",
        "",
        f"Budget: about {BUDGET:,} SageMaker calls at 10,000 versions. Every version has a card (Search returns them all),",
        "every endpoint but one in 20 has a schedule. Local time is the sweep's own work against an in-memory client;",
        f"the Lambda estimate adds {int(LATENCY_S * 1000)} ms per call, the describes 8 at a time. One pass over all",
        "versions costs V/100 calls; the per-group alternative (ListModelPackageGroups + one ListModelPackages per",
        "group) would cost 1,010 at 10,000 versions and miss older Approved versions. Reconciliation is on, in an",
        "account where every change was handled: it adds no SageMaker call, only batched DynamoDB reads of the",
        "handlers' marks for the changes of the last 72 hours (and replays nothing).",
        "",
        "| versions | groups | cards | endpoints | ListModelPackages | Search | ListEndpoints | ListMonitoringSchedules | DescribeMonitoringSchedule | total calls | reconcile reads (DynamoDB) | findings | local time | Lambda estimate |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for versions, groups, endpoints in SIZES:
        calls, seconds, findings, _, handled = sweep_once(versions, groups, endpoints)
        total = sum(calls.values())
        if total > BUDGET:
            raise AssertionError(f"{total} calls at {versions} versions exceed the budget of {BUDGET}")
        describes = calls["DescribeMonitoringSchedule"]
        estimate = (total - describes) * LATENCY_S + describes * LATENCY_S / 8 + seconds
        cards = versions - versions // 50
        lines.append(
            f"| {versions:,} | {groups:,} | {cards:,} | {endpoints:,} | {calls['ListModelPackages']} | {calls['Search']} | "
            f"{calls['ListEndpoints']} | {calls['ListMonitoringSchedules']} | {describes:,} | **{total:,}** | "
            f"{handled.reads:,} | {findings:,} | {seconds * 1000:.0f} ms | {estimate:.0f} s |"
        )
    lines += [
        "",
        "Where the cards were written by hand and each package confirms its card (CustomerMetadataProperties), the",
        "sweep needs every judged version's metadata: one Search pass over the model packages (100 a page) instead of",
        f"a DescribeModelPackage per version (budget: {HAND_MADE_BUDGET:,} calls at 10,000 versions).",
        "",
        "| versions | groups | endpoints | Search (cards and packages) | DescribeModelPackage | total calls |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for versions, groups, endpoints in SIZES:
        calls, *_ = sweep_once(versions, groups, endpoints, hand_made=True)
        total = sum(calls.values())
        if versions == 10_000 and total > HAND_MADE_BUDGET:
            raise AssertionError(f"{total} calls with hand-made cards exceed the budget of {HAND_MADE_BUDGET}")
        lines.append(
            f"| {versions:,} | {groups:,} | {endpoints:,} | {calls['Search']} | {calls['DescribeModelPackage']} | "
            f"**{total:,}** |"
        )
    return lines
