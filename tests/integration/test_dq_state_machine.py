"""The data-quality state machine as deployed: its definition read from the synthesized template (function ARNs
resolved to the local handler), started with the input the synthesized schedule sends, and run by the ASL
interpreter of ``local/asl.py`` against moto, on both paths: one invocation, and the Distributed Map fan-out
over the manifest Check writes. The reports, the partials and the alert are asserted, not the calls."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from local import asl
from local.scenarios import data_quality as scenario
from tests.dq.churn import capture_lines, rows

HOUR = datetime(2026, 11, 23, 8, tzinfo=UTC)
OBJECTS = 5
DRIFTING = {
    ("State_AL", "data_type_check"),
    ("Eve Mins", "baseline_drift_check"),
    ("CustServ Calls", "baseline_drift_check"),
}


def scheduled_input(template: dict[str, Any], hour: datetime) -> dict[str, Any]:
    """What the monitor's synthesized schedule rule sends the state machine when it fires after ``hour``."""
    [rule] = [
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Events::Rule" and "Data-quality" in r["Properties"].get("Description", "")
    ]
    transformer = rule["Properties"]["Targets"][0]["InputTransformer"]
    assert transformer["InputPathsMap"] == {"time": "$.time"}
    fired = (hour + timedelta(hours=1, minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return dict(json.loads(transformer["InputTemplate"].replace("<time>", json.dumps(fired))))


def capture(s3: Any, hour: datetime) -> None:
    for part in range(OBJECTS):
        payload = rows(1600, seed=10 + part, shifted=True, fractional_state_al=0.2)
        key = f"datacapture/{scenario.ENDPOINT}/AllTraffic/{hour:%Y/%m/%d/%H}/{part:02d}-capture.jsonl"
        s3.put_object(Bucket=scenario.BUCKET, Key=key, Body=b"\n".join(capture_lines(payload, base64_every=5)))


def violations(s3: Any, output_uri: str) -> set[tuple[str, str]]:
    key = f"{output_uri.removeprefix(f's3://{scenario.BUCKET}/')}/constraint_violations.json"
    document = json.loads(s3.get_object(Bucket=scenario.BUCKET, Key=key)["Body"].read())
    return {(v["feature_name"], v["constraint_check_type"]) for v in document["violations"]}


def test_a_period_that_fits_one_invocation_is_checked_by_the_check_state(dq_world, dq_template):
    world, s3 = dq_world
    capture(s3, HOUR)

    execution = world.state_machine("DataQualityRuns").execute(scheduled_input(dq_template, HOUR))

    assert (execution.status, execution.error, execution.cause) == ("SUCCEEDED", None, None)
    assert execution.entered() == ["Check", "FitsOneInvocation", "Checked"]
    assert execution.output["status"] == "Completed"
    assert violations(s3, execution.output["output_uri"]) == DRIFTING
    [email] = world.inbox("AlertsOps")
    assert email.subject.startswith("[Unknown] 3 Model Monitor violations on endpoint churn-endpoint")


def test_a_big_period_fans_out_over_byte_bounded_batches_and_reports_what_one_invocation_reports(
    dq_world, dq_template, monkeypatch
):
    world, s3 = dq_world
    capture(s3, HOUR)
    sizes = sorted(o["Size"] for o in s3.list_objects_v2(Bucket=scenario.BUCKET, Prefix="datacapture/")["Contents"])
    module = world.function("dq_monitor").module()
    one_run = module._run
    limits = {"single_run_max_bytes": 1, "batch_max_bytes": 2 * sizes[-1]}  # too big for one invocation
    monkeypatch.setattr(module, "_run", lambda account: dataclasses.replace(one_run(account), **limits))

    fanned = world.state_machine("DataQualityRuns").execute(scheduled_input(dq_template, HOUR))

    assert (fanned.status, fanned.error, fanned.cause) == ("SUCCEEDED", None, None)
    batches = fanned.invocations("ProfileBatch")
    assert len(batches) == 3  # 5 objects, at most two objects' bytes per batch
    assert all(sum(item["Size"] for item in batch["Items"]) <= 2 * sizes[-1] for batch in batches)
    assert {b["monitor"] for b in batches} == {scenario.MONITOR}  # the Map's own input, not a literal path
    assert fanned.entered()[-1] == "Finish"
    assert fanned.output["status"] == "Completed"
    output = fanned.output["output_uri"].removeprefix(f"s3://{scenario.BUCKET}/")
    partials = s3.list_objects_v2(Bucket=scenario.BUCKET, Prefix=f"{output}/partials/")["Contents"]
    assert len(partials) == 3
    fanned_violations = violations(s3, fanned.output["output_uri"])
    [email] = world.inbox("AlertsOps")
    for feature, _ in DRIFTING:
        assert feature in email.body

    monkeypatch.undo()
    capture(s3, HOUR + timedelta(hours=1))
    direct = world.state_machine("DataQualityRuns").execute(scheduled_input(dq_template, HOUR + timedelta(hours=1)))
    assert direct.entered() == ["Check", "FitsOneInvocation", "Checked"]
    assert fanned_violations == violations(s3, direct.output["output_uri"]) == DRIFTING


def test_a_second_fan_out_of_the_period_with_other_batches_counts_each_row_once(dq_world, dq_template, monkeypatch):
    world, s3 = dq_world
    capture(s3, HOUR)
    largest = max(o["Size"] for o in s3.list_objects_v2(Bucket=scenario.BUCKET, Prefix="datacapture/")["Contents"])
    module = world.function("dq_monitor").module()
    one_run = module._run
    runs = []
    for batch_max_bytes in (2 * largest, largest):  # 3 batches, then 5 (as when late capture regroups objects)
        limits = {"single_run_max_bytes": 1, "batch_max_bytes": batch_max_bytes}
        monkeypatch.setattr(
            module, "_run", lambda account, limits=limits: dataclasses.replace(one_run(account), **limits)
        )
        runs.append(world.state_machine("DataQualityRuns").execute(scheduled_input(dq_template, HOUR)))

    assert [len(r.invocations("ProfileBatch")) for r in runs] == [3, 5]
    output = runs[1].output["output_uri"].removeprefix(f"s3://{scenario.BUCKET}/")
    statistics = json.loads(s3.get_object(Bucket=scenario.BUCKET, Key=f"{output}/statistics.json")["Body"].read())
    assert statistics["dataset"] == {"item_count": OBJECTS * 1600}


def test_a_throttled_invocation_is_retried_not_a_failed_run(dq_world, dq_template):
    world, s3 = dq_world
    capture(s3, HOUR)
    machine = world.state_machine("DataQualityRuns")
    invoke, throttled = machine.invoke, []

    def throttling_once(function: str, payload: Any) -> Any:
        if not throttled:
            throttled.append(payload)
            raise asl.StatesError("Lambda.TooManyRequestsException", "Rate Exceeded.")
        return invoke(function, payload)

    machine.invoke = throttling_once
    execution = machine.execute(scheduled_input(dq_template, HOUR))

    assert execution.status == "SUCCEEDED"
    assert violations(s3, execution.output["output_uri"]) == DRIFTING
