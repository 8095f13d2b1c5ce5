"""On moto, through the synthesized stack: baseline, hourly checks writing Model Monitor's files under the
monitor's output prefix, and the existing violation workflow's emails (drift, resolved, no data, failed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from local.scenarios import data_quality as scenario
from tests.dq.churn import rows

HOUR = datetime(2026, 11, 23, 8, tzinfo=UTC)


def test_drift_then_resolved_through_the_existing_alert_workflow(dq_world):
    world, s3 = dq_world
    scenario.capture_hour(s3, HOUR, rows(1000, seed=2))
    clean = scenario.check(world, HOUR)
    assert (clean["status"], clean["violations"], world.inbox("AlertsOps")) == ("Completed", 0, [])

    drifting = HOUR + timedelta(hours=1)
    scenario.capture_hour(s3, drifting, rows(1000, seed=3, shifted=True, fractional_state_al=0.2), garbage=4)
    outcome = scenario.check(world, drifting)

    report = f"dq-reports/churn-endpoint/{scenario.MONITOR}/2026/11/23/10"
    assert outcome["output_uri"] == f"s3://{scenario.BUCKET}/{report}"
    violations = json.loads(
        s3.get_object(Bucket=scenario.BUCKET, Key=f"{report}/constraint_violations.json")["Body"].read()
    )
    assert {v["feature_name"] for v in violations["violations"]} == {"State_AL", "Eve Mins", "CustServ Calls"}
    summary = json.loads(s3.get_object(Bucket=scenario.BUCKET, Key=f"{report}/run_summary.json")["Body"].read())
    assert summary["records_skipped"] == 4
    [email] = world.inbox("AlertsOps")
    assert email.subject.startswith("[Unknown] 3 Model Monitor violations on endpoint churn-endpoint")
    for feature in ("State_AL", "Eve Mins", "CustServ Calls"):
        assert feature in email.body
    assert "4 unreadable capture records skipped" in email.body

    again = HOUR + timedelta(hours=2)
    scenario.capture_hour(s3, again, rows(1000, seed=4))
    scenario.check(world, again)
    [resolved] = world.inbox("AlertsOps")
    assert resolved.subject.startswith("[RESOLVED]")


def test_an_hour_without_capture_is_a_no_data_finding(dq_world):
    world, _ = dq_world
    outcome = scenario.check(world, HOUR)
    assert outcome["status"] == "Failed"
    [email] = world.inbox("AlertsOps")
    assert email.subject.startswith("[FAILED]")
    assert "No data: no readable captured records" in email.body


def test_a_run_that_cannot_read_its_baseline_fails_and_says_what_to_fix(dq_world):
    world, s3 = dq_world
    s3.delete_object(Bucket=scenario.BUCKET, Key="baselines/churn/statistics.json")
    scenario.capture_hour(s3, HOUR, rows(100, seed=2))
    outcome = scenario.check(world, HOUR)
    assert outcome["status"] == "Failed"
    [email] = world.inbox("AlertsOps")
    assert "statistics.json not found" in email.body and "make baseline" in email.body
