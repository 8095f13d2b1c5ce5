"""The Distributed Map path run the way the state machine runs it: Check writes the manifest, the S3 item reader
and batcher hand its items to ProfileBatch invocations (each writes serialized sketches), Finish merges them. On
the same capture it reports what the one-function path reports, within the KLL sketch's error."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from data_quality.sketches import WeightedItems, normalized_rank_error, numerical_distance
from local.scenarios import data_quality as scenario
from tests.dq.churn import capture_lines, rows

HOUR = datetime(2026, 11, 23, 8, tzinfo=UTC)
OBJECTS = 5  # capture objects in the hour, 1,600 rows each: 8,000 rows, past the sketch's exact range (k = 2048)
BATCH = 2  # capture objects' bytes per ProfileBatch invocation (the manifest groups them, small here)


def capture(s3: Any, hour: datetime) -> None:
    """The same drifting traffic in every hour it is written to, split over OBJECTS objects."""
    for part in range(OBJECTS):
        payload = rows(1600, seed=10 + part, shifted=True, fractional_state_al=0.2)
        lines = capture_lines(payload, base64_every=5) + [b"{truncated record"] * part
        key = f"datacapture/{scenario.ENDPOINT}/AllTraffic/{hour:%Y/%m/%d/%H}/{part:02d}-capture.jsonl"
        s3.put_object(Bucket=scenario.BUCKET, Key=key, Body=b"\n".join(lines))


def invoke(world: Any, event: dict[str, Any]) -> dict[str, Any]:
    invocation = world.function("dq_monitor").invoke(event)
    if invocation.error:
        raise invocation.error
    return dict(invocation.result)


def fan_out_run(world: Any, s3: Any, hour: datetime, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Check (too big for one invocation) -> Distributed Map over the manifest -> Finish, run by the ASL
    interpreter from the synthesized definition (tests/integration/test_dq_state_machine.py runs its paths)."""
    module = world.function("dq_monitor").module()
    one_run = module._run
    largest = max(o["Size"] for o in s3.list_objects_v2(Bucket=scenario.BUCKET, Prefix="datacapture/")["Contents"])
    limits = {"single_run_max_bytes": 1, "batch_max_bytes": BATCH * largest}
    monkeypatch.setattr(module, "_run", lambda account: dataclasses.replace(one_run(account), **limits))
    fired = (hour + timedelta(hours=1, minutes=5)).isoformat()
    execution = world.state_machine("DataQualityRuns").execute(
        {"action": "check", "monitor": scenario.MONITOR, "time": fired}
    )
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    batches = execution.invocations("ProfileBatch")
    assert sum(len(b["Items"]) for b in batches) == OBJECTS  # every capture object of the hour, once
    assert len(batches) > 1
    return dict(execution.output)


def report(s3: Any, output_uri: str) -> dict[str, Any]:
    prefix = output_uri.removeprefix(f"s3://{scenario.BUCKET}/")
    return {
        name: json.loads(s3.get_object(Bucket=scenario.BUCKET, Key=f"{prefix}/{name}")["Body"].read())
        for name in ("statistics.json", "constraint_violations.json", "run_summary.json")
    }


def test_the_distributed_map_path_reports_what_one_function_reports(dq_world, monkeypatch):
    world, s3 = dq_world
    capture(s3, HOUR)
    capture(s3, HOUR + timedelta(hours=1))

    merged = fan_out_run(world, s3, HOUR, monkeypatch)
    [email] = world.inbox("AlertsOps")  # the merged run alerts through the same workflow
    monkeypatch.undo()
    single = scenario.check(world, HOUR + timedelta(hours=1))

    assert (merged["status"], single["status"]) == ("Completed", "Completed")
    fanned, direct = report(s3, merged["output_uri"]), report(s3, single["output_uri"])
    found = {
        (v["feature_name"], v["constraint_check_type"]) for v in fanned["constraint_violations.json"]["violations"]
    }
    assert found == {
        ("State_AL", "data_type_check"),
        ("Eve Mins", "baseline_drift_check"),
        ("CustServ Calls", "baseline_drift_check"),
    }
    assert found == {
        (v["feature_name"], v["constraint_check_type"]) for v in direct["constraint_violations.json"]["violations"]
    }
    for feature in ("State_AL", "Eve Mins", "CustServ Calls"):
        assert feature in email.body
    summary_keys = ("records_read", "rows", "records_skipped", "capture_objects", "skip_reasons")
    assert {k: fanned["run_summary.json"][k] for k in summary_keys} == {
        k: direct["run_summary.json"][k] for k in summary_keys
    }
    assert fanned["run_summary.json"]["records_skipped"] == sum(range(OBJECTS))

    statistics = fanned["statistics.json"], direct["statistics.json"]
    assert statistics[0]["dataset"] == statistics[1]["dataset"] == {"item_count": OBJECTS * 1600}
    for merged_feature, direct_feature in zip(statistics[0]["features"], statistics[1]["features"], strict=True):
        assert merged_feature["inferred_type"] == direct_feature["inferred_type"]
        numbers = merged_feature.get("numerical_statistics"), direct_feature.get("numerical_statistics")
        if numbers[0] is None:
            assert merged_feature["string_statistics"] == direct_feature["string_statistics"]
            continue
        assert numbers[0]["common"] == numbers[1]["common"]
        for moment in ("mean", "sum", "std_dev", "min", "max"):
            assert numbers[0][moment] == pytest.approx(numbers[1][moment], rel=1e-9, abs=1e-9)
        sketches = [WeightedItems.of_levels(n["distribution"]["kll"]["sketch"]["data"]) for n in numbers]
        assert sketches[0].total == sketches[1].total == numbers[1]["common"]["num_present"]
        assert numerical_distance(sketches[0], sketches[1], "Simple") <= 2 * normalized_rank_error()
    compacted = [
        f
        for f in statistics[0]["features"]
        if len(f["numerical_statistics"]["distribution"]["kll"]["sketch"]["data"]) > 1
    ]
    assert compacted  # the merged sketches summarise (estimation mode), not a copy of every value
