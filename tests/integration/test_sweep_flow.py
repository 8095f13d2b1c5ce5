"""The sweep handler on the synthesized stack (moto, monitoring emulated): a seeded account's planted problems
are all named and nothing else; the digest goes out once per run; the report, ledger and metrics follow."""

import json
from datetime import UTC, datetime, timedelta

import boto3

from local.moto_sweep import plant_problems
from local.world import REGION
from model_governance import constants
from model_governance.adapters.ledger import Ledger
from tests.conftest import read_event


def scheduled(at: datetime, event_id: str = "89d1a02d-5ec7-412e-82f5-13505f849b41") -> dict:
    event = read_event("scheduled_event")
    event.update(id=event_id, time=at.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return event


def digests(world):
    return [m for m in world.inbox("AlertsOps") if m.attributes.get("event_type") == "account_sweep_digest"]


def read_report(uri: str) -> dict:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    return json.loads(boto3.client("s3", region_name=REGION).get_object(Bucket=bucket, Key=key)["Body"].read())


def test_a_sweep_of_a_seeded_account_names_every_planted_problem_and_nothing_else(world):
    # Given an account with one of every problem the sweep looks for, and healthy neighbours
    now = datetime.now(UTC)
    planted = plant_problems(boto3.client("sagemaker", region_name=REGION), now)

    # When the schedule fires
    invocation = world.function("account_sweep").invoke(scheduled(now))

    # Then the report names exactly the planted problems
    assert invocation.error is None, invocation.error
    result = invocation.result
    report = read_report(result["report_uri"])
    found: dict[str, set[str]] = {}
    for finding in report["findings"]:
        found.setdefault(finding["kind"], set()).add(finding["subject"])
    assert found == planted
    assert result["report_uri"].endswith(f"/sweeps/{now:%Y-%m-%d}/{result['run_id']}.json")
    assert report["scanned"] == result["scanned"]
    assert result["scanned"]["groups"] == 5 and result["scanned"]["endpoints_in_service"] == 5

    # And ops get one digest that reads well
    [digest] = digests(world)
    assert digest.subject.startswith(f"Governance sweep {now:%Y-%m-%d}: 9 findings (2 approved w/o approved card")
    assert "  - loan-default v2: Approved; card loan-default-v2 is Draft (risk High)" in digest.body
    assert (
        "  - card credit-limit-v1: in PendingReview for 12 days, risk High (documents credit-limit v1)" in digest.body
    )
    assert "last execution 5 hours ago; it runs every 1 hour (cron(0 * ? * * *))" in digest.body

    # And one EMF value per finding kind, zeros included
    emitted = {
        name: value for record in invocation.metrics for name, value in record.items() if name.startswith("Sweep")
    }
    assert emitted["SweepApprovedWithoutApprovedCard"] == [2.0]
    assert emitted["SweepModelWithoutCard"] == [2.0]
    assert emitted["SweepFindings"] == [9.0] and emitted["SweepsCompleted"] == [1.0]


def test_a_retried_run_sends_no_second_digest_and_appends_no_duplicate_ledger_records(world):
    now = datetime.now(UTC)
    plant_problems(boto3.client("sagemaker", region_name=REGION), now)
    sweep = world.function("account_sweep")
    first = sweep.invoke(scheduled(now)).result
    assert len(digests(world)) == 1
    ledger = Ledger(boto3.client("dynamodb", region_name=REGION), sweep.environment[constants.ENV_STATE_TABLE])
    before = ledger.history(group="loan-default")

    # When Lambda retries the same scheduled event
    retry = sweep.invoke(scheduled(now)).result

    # Then it is the same run: same report key, no second email, the ledger unchanged
    assert retry["run_id"] == first["run_id"] and retry["report_uri"] == first["report_uri"]
    assert digests(world) == []
    assert [r["sk"] for r in ledger.history(group="loan-default")] == [r["sk"] for r in before]
    [record] = [r for r in before if r["action"] == "sweep_findings"]
    assert [f["subject"] for f in record["details"]["findings"]] == ["loan-default v2"]

    # And the next scheduled run is a new run with its own digest
    sweep.invoke(scheduled(now + timedelta(days=1), event_id="0f1e2d3c-0000-0000-0000-000000000000"))
    assert len(digests(world)) == 1


def test_a_clean_account_sends_nothing_unless_an_all_clear_is_wanted(world):
    sweep = world.function("account_sweep")
    result = sweep.invoke(scheduled(datetime.now(UTC))).result
    assert result["digest_sent"] is False and digests(world) == []
    assert read_report(result["report_uri"])["findings"] == []

    sweep.environment[constants.ENV_SEND_ALL_CLEAR] = "true"
    sweep._module = None  # a new container reads the new setting
    sweep.invoke(scheduled(datetime.now(UTC), event_id="11111111-0000-0000-0000-000000000000"))
    [digest] = digests(world)
    assert digest.subject.endswith(": all clear")


def test_a_report_only_sweep_reports_every_problem_and_tells_no_one(world):
    # Given a seeded account (make smoke runs this against a deployed stack)
    now = datetime.now(UTC)
    planted = plant_problems(boto3.client("sagemaker", region_name=REGION), now)

    # When an operator invokes the sweep in report-only mode
    invocation = world.function("account_sweep").invoke({"mode": constants.SWEEP_REPORT_ONLY})

    # Then the report names the planted problems, but no digest is sent and nothing is replayed
    assert invocation.error is None, invocation.error
    report = read_report(invocation.result["report_uri"])
    assert {f["kind"] for f in report["findings"]} == set(planted)
    assert sum(invocation.result["counts"].values()) == 9
    assert digests(world) == []
    assert invocation.result["reconciled"] == [] and invocation.result["digest_sent"] is False
