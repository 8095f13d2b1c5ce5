"""Reconciliation: with every event lost, one sweep leaves the account as the events would have.

The same story of 20 events (registrations, card status changes and their export jobs, approvals, monitoring
executions) is played twice on the same frozen clock: once with the rules delivering every event, once with every
event lost. Then the scheduled sweep runs in both accounts, and the replays it hands over run (with their export
jobs reporting back, as events do once the rules work). The accounts must be identical except for what says
"reconciled": the sweep's `reconciled` ledger records, the digest's list of replays, the "(found late)" line of
a late alert, and the ids and times of the events that caused each record. A second sweep replays nothing.
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.moto_cards import export_job_event, export_jobs, model_cards_emulated
from local.moto_gaps import sagemaker_gaps_filled
from local.moto_monitoring import add_schedule, execution_event, monitoring_emulated, run_execution, write_report
from local.world import LocalWorld
from model_governance.adapters.clients import reset_clients
from tests.conftest import read_event
from tests.faults import account_state, frozen_clock
from tests.integration.test_exactly_once import _card_event, _hand_made_card, _register, _registered

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SLOT = timedelta(minutes=10)
REGION = "us-east-1"
ACCOUNT = "123456789012"
BUCKET = f"sagemaker-{REGION}-{ACCOUNT}"
SEED = read_event("constraint_violations_seed")["violations"]

Event = dict[str, Any]


def story(world: LocalWorld, tick: Callable[[], None]) -> Iterator[Event]:
    """21 events' worth of changes, each at its own time (``tick``); each yield is one event SageMaker sends,
    the driver delivers or loses it. Events whose id starts with "setup-" describe the account before the story
    and are always delivered."""
    sm = boto3.client("sagemaker", region_name=REGION)
    tick()
    monitor = _monitored_endpoint(sm)  # the endpoint, its model's version and Approved card, two schedules
    telco = sm.list_model_packages(ModelPackageGroupName="telco-churn")["ModelPackageSummaryList"][0]
    yield {**_registered("telco-churn", telco["ModelPackageArn"], 1), "id": "setup-registered-telco"}
    yield _card_event(sm, "telco-churn-v1", "setup-telco-card")
    tick()
    for job in export_jobs():
        yield {**export_job_event(job["ModelCardExportJobArn"]), "id": "setup-telco-export"}
    # Eight groups whose second version is registered: carry-forward carries the hand-made card of version 1.
    for index, group in enumerate(("churn", "fraud", "ltv", "upsell", "claims", "pricing", "credit", "payments")):
        tick()
        sm.create_model_package_group(ModelPackageGroupName=group)
        v1 = _register(sm, group, 1)
        _hand_made_card(sm, f"{group}-card", v1, group)
        yield {**_registered(group, v1, 1), "id": f"setup-registered-{group}"}
        v2 = _register(sm, group, 2)
        yield {**_registered(group, v2, 2), "id": f"registered-{group}"}
        if index < 2:  # and version 1 of two of them is approved while its card is still Draft
            tick()
            sm.update_model_package(ModelPackageArn=v1, ModelApprovalStatus="Approved")
            event = _registered(group, v1, 1)
            event["detail"].update(ModelApprovalStatus="Approved", UpdatedModelPackageFields=["ModelApprovalStatus"])
            yield {**event, "id": f"approved-{group}"}
    # Six cards of their own groups change status: three go to review, three are approved (PDF evidence).
    changes = (("risk", "PendingReview"), ("aml", "PendingReview"), ("hr", "PendingReview"))
    changes += (("kyc", "Approved"), ("ops", "Approved"), ("legal", "Approved"))
    for group, status in changes:
        tick()
        sm.create_model_package_group(ModelPackageGroupName=group)
        v1 = _register(sm, group, 1)
        _hand_made_card(sm, f"{group}-card", v1, group)
        yield {**_registered(group, v1, 1), "id": f"setup-registered-{group}"}
        sm.update_model_card(ModelCardName=f"{group}-card", ModelCardStatus=status)
        yield _unsigned(_card_event(sm, f"{group}-card", f"card-{group}"))
        tick()  # the export job takes a while
        for job in export_jobs():  # only when the review ran: the job's event then comes
            if f":model-card/{group}-card/" in job["ModelCardExportJobArn"]:
                yield {**export_job_event(job["ModelCardExportJobArn"]), "id": f"export-{group}"}
    # Two monitors of one endpoint: an hour with the seed's violations, and a failed execution.
    tick()
    described = run_execution(sm, "churn-data-quality", at=monitor, violations=len(SEED))
    _report(described, SEED)
    yield {**execution_event(described, detail_fields=("ProcessingJobName", "ProcessingJobStatus")), "id": "exec-1"}
    tick()
    failed = run_execution(
        sm, "churn-model-quality", at=monitor, status="Failed", failure_reason="ClientError: no data"
    )
    yield {**execution_event(failed, detail_fields=("ProcessingJobName", "ProcessingJobStatus")), "id": "exec-2"}


def _unsigned(event: Event) -> Event:
    """moto records no LastModifiedBy on cards (AWS does, and Search returns it: the replay passes it on, see
    tests/unit/test_reconcile.py): the event names nobody either, so both accounts say "unknown"."""
    event["detail"].pop("LastModifiedBy", None)
    return event


def _monitored_endpoint(sm: Any) -> datetime:
    from tests.integration.test_violation_flow import Monitor

    Monitor(world=None)  # the endpoint, its model's version and card, and the data-quality schedule
    add_schedule("churn-model-quality", endpoint="churn-endpoint", output_s3_uri=f"s3://{BUCKET}/monitoring")
    return datetime.now(UTC).replace(microsecond=0)


def _report(described: dict[str, Any], violations: list[dict[str, Any]]) -> None:
    write_report(described, json.dumps({"violations": violations}).encode())


# The driver --------------------------------------------------------------------------------------------
def play(template: dict[str, Any], *, rules: bool, sweeps: int = 2) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The story with the rules delivering (or losing) its events, then ``sweeps`` daily sweeps whose replays
    run, each followed by the events of the export jobs they started. Returns the account and each sweep's
    outcome."""
    with (
        mock_aws(),
        sagemaker_gaps_filled(),
        monitoring_emulated(),
        model_cards_emulated(),
        frozen_clock(START) as clock,
    ):
        boto3.DEFAULT_SESSION = _session()
        world = LocalWorld(template)
        slot = itertools.count(1)
        for event in story(world, lambda: clock.move_to(START + next(slot) * SLOT)):
            for function, delivered in world.route(event):
                if rules or event["id"].startswith("setup-"):
                    _run(function, delivered)
        outcomes = []
        reported = {job["ModelCardExportJobArn"] for job in export_jobs()}
        for number in range(sweeps):
            # A day after the story: past the settle time, inside the lookback window.
            clock.move_to(START + timedelta(days=1, hours=number))
            sweep = {**read_event("scheduled_event"), "region": REGION, "id": f"sweep-{number}"}
            sweep["time"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            outcomes.append(_run(world.function("account_sweep"), sweep))
            for function, replay in world.invocations():
                _run(function, replay)
            for job in export_jobs():  # the replayed reviews' export jobs report back, as events do
                if job["ModelCardExportJobArn"] not in reported:
                    reported.add(job["ModelCardExportJobArn"])
                    for function, delivered in world.route(export_job_event(job["ModelCardExportJobArn"])):
                        _run(function, delivered)
        state = account_state(world)
    reset_clients()
    return state, outcomes


def _run(function: Any, event: Event) -> Any:
    return function.run(copy.deepcopy(event))


@functools.cache
def _session() -> boto3.Session:
    return boto3.Session(region_name=REGION)


# What may differ: what says "reconciled", and the ids and times of the events behind each record ---------
_EVENT_IDS = re.compile(r"(reconciled-[\w-]+|registered-\w+|approved-\w+|card-\w+|export-\w+|exec-\d)")
_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)?")
_LATE = re.compile(r"^Found late: .*\n\n", re.MULTILINE)


def comparable(state: dict[str, Any]) -> dict[str, Any]:
    """The account without what may differ. The first sweep's own digest and findings describe the account as
    it found it, before its replays ran: they are left out (the second sweep's, compared, describe it after)."""
    first_sweep = "20261124T090000Z-sweep-0"
    table = []
    for item in state["table"]:
        if item.get("action", {}).get("S") == "reconciled" or item.get("source_event_id") == {"S": first_sweep}:
            continue
        values = {k: v for k, v in item.items() if k not in {"event_id", "source_event_id", "at", "sk", "gsi1sk"}}
        table.append(_timeless(values))
    messages = sorted(
        (topic, subject, _LATE.sub("", body))
        for topic, subject, body in state["messages"]
        if f"(run {first_sweep})" not in body
    )
    return {**state, "table": sorted(table, key=json.dumps), "messages": _timeless(messages)}


def _timeless(value: Any) -> Any:
    return json.loads(_STAMP.sub("<time>", _EVENT_IDS.sub("<event>", json.dumps(value, sort_keys=True))))


@pytest.fixture(scope="module")
def on(template):
    return play(template, rules=True)


@pytest.fixture(scope="module")
def off(template):
    return play(template, rules=False, sweeps=2)


def test_the_story_has_twenty_one_events(template):
    with mock_aws(), sagemaker_gaps_filled(), monitoring_emulated(), model_cards_emulated(), frozen_clock(START):
        boto3.DEFAULT_SESSION = _session()
        events = [e for e in story(LocalWorld(template), lambda: None) if not e["id"].startswith("setup-")]
        assert len(events) == 18  # without deliveries no export job starts: 3 more events when the rules work
    reset_clients()


def test_with_every_event_lost_one_sweep_leaves_the_account_as_the_events_would(on, off):
    (expected, on_sweeps), (actual, off_sweeps) = on, off
    assert on_sweeps[0]["reconciled"] == []  # nothing was lost: nothing to replay
    replayed = off_sweeps[0]["reconciled"]
    assert len(replayed) == 8 + 2 + 6 + 2, replayed  # registrations, approvals, card changes, executions
    want, got = comparable(expected), comparable(actual)
    for part in ("cards", "packages", "objects", "table", "messages"):
        assert got[part] == want[part], part


def test_a_second_sweep_replays_nothing(off):
    _state, sweeps = off
    assert sweeps[1]["reconciled"] == []


def test_late_alerts_say_they_are_late_and_the_digest_lists_the_replays(off):
    state, _sweeps = off
    late = [(subject, body) for _topic, subject, body in state["messages"] if body.startswith("Found late: ")]
    assert len(late) == 2  # the violations and the failed execution
    assert all("the account sweep (run " in body for _subject, body in late)
    digests = [body for _topic, subject, body in state["messages"] if subject.startswith("Governance sweep")]
    assert any("== Reconciled: 18 changes whose event was lost ==" in body for body in digests)
    assert any("churn v2 was registered; carry-forward never saw it" in body for body in digests)
    records = [item for item in state["table"] if item.get("action", {}).get("S") == "reconciled"]
    assert len(records) == 18
