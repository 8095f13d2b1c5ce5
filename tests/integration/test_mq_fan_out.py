"""A model-quality window too large for one invocation, run the way the synthesized state machine runs it
(local/asl.py): Check writes a manifest of capture then ground truth batches, each ProfileBatch writes its part,
Finish adds the parts and judges. The merge is exact: the files equal those of one invocation on the same data,
number for number. A retried batch changes nothing, a missing part fails the run naming the batch, and a batch
naming objects outside the monitor's prefixes reads and writes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from data_quality import mq_run
from local.scenarios import model_quality as scenario
from model_governance.events import RECONCILED_KEY
from model_governance.monitoring.mq_monitors import parse_model_quality_monitors

HOUR = datetime(2026, 11, 23, 8, tzinfo=UTC)
FIRED = (HOUR + timedelta(hours=2, minutes=5)).isoformat()  # T = HOUR + 2h: inferences of HOUR, labels to T
CAPTURE = f"datacapture/{scenario.ENDPOINT}/AllTraffic"
TRUTH = "ground-truth/churn"
FILES = ("statistics.json", "constraint_violations.json", "run_summary.json")


def split_window(s3: Any) -> None:
    """The scenario's hour of predictions, degraded, split over four capture objects and its labels over three
    ground truth objects in two hours; with what makes a merge's order matter: a record captured twice (in two
    objects), a label sent twice with different values (the first one stands), labels of no inference of the
    window, inferences outside the window, and unreadable lines in both."""
    scenario.serve_hour(s3, HOUR, seed=3, degraded=True)
    later = HOUR + timedelta(hours=1)
    capture_key = f"{CAPTURE}/{HOUR:%Y/%m/%d/%H}/capture.jsonl"
    truth_key = f"{TRUTH}/{later:%Y/%m/%d/%H}/labels.jsonl"
    captured = s3.get_object(Bucket=scenario.BUCKET, Key=capture_key)["Body"].read().split(b"\n")
    labels = s3.get_object(Bucket=scenario.BUCKET, Key=truth_key)["Body"].read().split(b"\n")
    for key in (capture_key, truth_key):
        s3.delete_object(Bucket=scenario.BUCKET, Key=key)
    outside = json.loads(captured[0])
    outside["eventMetadata"] = {"eventId": "outside-the-window", "inferenceTime": f"{later:%Y-%m-%dT%H:%M:%SZ}"}
    parts = [captured[:150], [*captured[150:300], captured[10]], [*captured[300:450], b"{not json"], captured[450:]]
    parts[3].append(json.dumps(outside).encode())
    for number, lines in enumerate(parts):
        put(s3, f"{CAPTURE}/{HOUR:%Y/%m/%d/%H}/{number:02d}-capture.jsonl", lines)
    flipped = json.loads(labels[5])
    flipped["groundTruthData"]["data"] = str(1 - int(flipped["groundTruthData"]["data"]))
    stranger = {"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "no-such-inference"}}
    put(s3, f"{TRUTH}/{HOUR:%Y/%m/%d/%H}/early.jsonl", [*labels[:100], json.dumps(stranger).encode()])
    put(s3, f"{TRUTH}/{later:%Y/%m/%d/%H}/a-labels.jsonl", [*labels[100:350], b'{"groundTruthData": 7}'])
    put(s3, f"{TRUTH}/{later:%Y/%m/%d/%H}/b-labels.jsonl", [*labels[350:], json.dumps(flipped).encode()])


def put(s3: Any, key: str, lines: list[bytes]) -> None:
    s3.put_object(Bucket=scenario.BUCKET, Key=key, Body=b"\n".join(lines))


def files_of(s3: Any, output_uri: str) -> dict[str, Any]:
    prefix = output_uri.removeprefix(f"s3://{scenario.BUCKET}/")
    return {
        name: json.loads(s3.get_object(Bucket=scenario.BUCKET, Key=f"{prefix}/{name}")["Body"].read()) for name in FILES
    }


def lowered(monkeypatch: pytest.MonkeyPatch, s3: Any) -> None:
    """One invocation may read a byte; a batch the largest ground truth object (several batches of each kind)."""
    largest = max(o["Size"] for o in s3.list_objects_v2(Bucket=scenario.BUCKET, Prefix=TRUTH)["Contents"])
    monkeypatch.setattr(mq_run, "SINGLE_RUN_MAX_BYTES", 1)
    monkeypatch.setattr(mq_run, "BATCH_MAX_BYTES", largest)


def key_of(uri: str) -> str:
    return uri.removeprefix(f"s3://{scenario.BUCKET}/")


@pytest.fixture
def fanned(mq_world: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, dict[str, Any], list[dict[str, Any]]]:
    """(world, s3, the run's output, the ProfileBatch events) of the split window run with lowered bounds."""
    world, s3 = mq_world
    split_window(s3)
    lowered(monkeypatch, s3)
    execution = world.state_machine("DataQualityRuns").execute(
        {"action": "check", "monitor": scenario.MONITOR, "time": FIRED}
    )
    assert (execution.status, execution.error, execution.cause) == ("SUCCEEDED", None, None)
    assert execution.entered()[:2] == ["Check", "FitsOneInvocation"] and "Finish" in execution.entered()
    return world, s3, dict(execution.output), execution.invocations("ProfileBatch")


def test_a_fanned_out_window_writes_the_files_one_invocation_writes(fanned, monkeypatch):
    world, s3, merged, batches = fanned
    fanned_files = files_of(s3, merged["output_uri"])
    [email] = world.inbox("AlertsOps")  # the degraded window alerts through the same workflow
    monkeypatch.undo()
    execution = world.state_machine("DataQualityRuns").execute(
        {"action": "check", "monitor": scenario.MONITOR, "time": FIRED}
    )
    assert execution.entered() == ["Check", "FitsOneInvocation", "Checked"]
    single = dict(execution.output)

    kinds = [b["Kind"] for b in batches]
    assert kinds == sorted(kinds)  # capture batches first
    assert kinds.count("capture") > 1 and kinds.count("ground_truth") > 1
    read = [i["Key"] for b in batches for i in b["Items"]]
    assert len(read) == len(set(read)) == 4 + 3  # every object of the window, once
    assert merged["status"] == single["status"] == "Completed"
    assert merged["violations"] == single["violations"] > 0
    assert merged["output_uri"] == single["output_uri"]
    assert fanned_files == files_of(s3, single["output_uri"])  # every metric, count and violation: equal, not close
    summary = fanned_files["run_summary.json"]
    assert {k: summary[k] for k in ("inferences_read", "merged", "labels_without_inference")} == {
        "inferences_read": 601,  # the record captured twice is read twice, merged once
        "merged": 600,
        "labels_without_inference": 1,
    }
    assert (summary["ground_truth_records_read"], summary["inferences_outside_window"]) == (602, 1)
    assert summary["unreadable_records"] == 2
    for violation in fanned_files["constraint_violations.json"]["violations"]:
        assert violation["metric_name"] in email.body


def test_a_retried_batch_overwrites_its_own_part_and_the_run_ends_the_same(fanned):
    world, s3, first, batches = fanned
    before = files_of(s3, first["output_uri"])
    parts = s3.list_objects_v2(Bucket=scenario.BUCKET, Prefix=f"{key_of(first['output_uri'])}/parts/")["Contents"]

    function = world.function("dq_monitor")
    for batch in (batches[0], batches[-1]):  # a capture batch and a ground truth batch run again
        assert function.invoke(batch).error is None
    again = function.invoke({"action": "finish", "monitor": scenario.MONITOR, "time": FIRED})

    assert again.error is None and again.result["status"] == "Completed"
    assert files_of(s3, first["output_uri"]) == before
    reparts = s3.list_objects_v2(Bucket=scenario.BUCKET, Prefix=f"{key_of(first['output_uri'])}/parts/")["Contents"]
    assert [o["Key"] for o in reparts] == [o["Key"] for o in parts]
    assert len(parts) == len(batches)


def test_a_missing_part_fails_the_run_naming_its_batch(fanned):
    world, s3, _, batches = fanned
    last = batches[-1]
    [monitor] = parse_model_quality_monitors(scenario.CONTEXT["modelQualityMonitors"])
    window = mq_run.Window.of(monitor, datetime.fromisoformat(FIRED))
    part = mq_run.part_uri(window, last["Kind"], [i["Key"] for i in last["Items"]])
    s3.delete_object(Bucket=scenario.BUCKET, Key=key_of(part))

    finish = world.function("dq_monitor").invoke({"action": "finish", "monitor": scenario.MONITOR, "time": FIRED})

    assert finish.error is None
    assert finish.result["status"] == "Failed"
    reason = finish.result["failure_reason"]
    assert f"Batch {len(batches)} of {len(batches)} (ground_truth" in reason and last["Items"][0]["Key"] in reason
    assert part in reason


FOREIGN = {"Bucket": "secrets-of-another-team", "Key": "payroll.csv", "Size": 10}


def _profile(kind: Any, *items: dict[str, Any]) -> dict[str, Any]:
    return {"action": "profile", "monitor": scenario.MONITOR, "time": FIRED, "Kind": kind, "Items": list(items)}


def _object(key: str) -> dict[str, Any]:
    return {"Bucket": scenario.BUCKET, "Key": key, "Size": 10}


@pytest.mark.parametrize(
    "event",
    [
        _profile("capture", FOREIGN),
        _profile("ground_truth", FOREIGN),
        _profile("capture", _object(f"{TRUTH}/{HOUR:%Y/%m/%d/%H}/early.jsonl")),  # ground truth named capture
        _profile("ground_truth", _object(f"{CAPTURE}/{HOUR:%Y/%m/%d/%H}/00-capture.jsonl")),
        _profile("capture", _object(f"{CAPTURE}-other/{HOUR:%Y/%m/%d/%H}/00-capture.jsonl")),  # a sibling prefix
        _profile("capture", _object(f"{CAPTURE}/{HOUR:%Y/%m/%d/%H}/00-capture.jsonl"), FOREIGN),
        _profile("baseline", _object(f"{scenario.BASELINE}/constraints.json")),
        _profile(None, _object(f"{CAPTURE}/{HOUR:%Y/%m/%d/%H}/00-capture.jsonl")),
        {**_profile("capture"), "Items": "s3://secrets-of-another-team/payroll.csv"},
        {
            **_profile("capture", _object(f"{CAPTURE}/{HOUR:%Y/%m/%d/%H}/00-capture.jsonl")),
            "time": "2099-01-01T00:05:00Z",
        },
        {"action": "finish", "monitor": scenario.MONITOR, "time": "2099-01-01T00:05:00Z"},
        {  # no Check fanned this hour out: a Finish naming a manifest of its choosing concludes nothing
            "action": "finish",
            "monitor": scenario.MONITOR,
            "time": FIRED,
            "manifest_bucket": "secrets-of-another-team",
            "manifest_key": "payroll.csv",
            "Items": [FOREIGN],
        },
        *(
            {"action": "check", "monitor": scenario.MONITOR, "time": t}
            for t in ("0001-01-01T00:00:00+01:00", 10**20, 1e300, -(10**16), float("nan"))
        ),
        {"action": "alert", "monitor": scenario.MONITOR, RECONCILED_KEY: 5},
    ],
    ids=[
        "foreign-capture",
        "foreign-ground-truth",
        "truth-as-capture",
        "capture-as-truth",
        "sibling-prefix",
        "one-foreign-item",
        "unknown-kind",
        "no-kind",
        "items-not-a-list",
        "future-profile",
        "future-finish",
        "finish-without-fan-out",
        "time-before-year-one",
        "time-past-year-9999",
        "time-overflowing",
        "time-far-negative",
        "time-nan",
        "marker-not-an-object",
    ],
)
def test_a_batch_naming_objects_outside_the_monitors_prefixes_reads_and_writes_nothing(mq_world, event):
    world, s3 = mq_world
    split_window(s3)
    s3.create_bucket(Bucket="secrets-of-another-team")
    s3.put_object(Bucket="secrets-of-another-team", Key="payroll.csv", Body=b"name,salary\nann,1\n")

    def everything() -> set[tuple[str, str, str]]:
        return {
            (bucket["Name"], o["Key"], o["ETag"])
            for bucket in s3.list_buckets()["Buckets"]
            for o in s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", [])
        }

    before = everything()
    reads: list[str] = []
    from model_governance.adapters.clients import client

    client("s3").meta.events.register(
        "before-parameter-build.s3.GetObject", lambda params, **_: reads.append(params["Key"])
    )

    invocation = world.function("dq_monitor").invoke(event)

    assert invocation.error is None, invocation.error  # one clear line, no traceback, no retry into the DLQ
    assert invocation.result["mode"] == "refused"
    assert "unknown action" not in invocation.result["reason"]  # refused for what it names, not for its action
    assert everything() == before
    assert [key for key in reads if not key.endswith("/manifest.json")] == []  # only its own run's manifest
    assert world.inbox("AlertsOps") == []


def test_a_batch_of_the_monitors_own_objects_writes_only_its_part_in_the_runs_folder(mq_world):
    world, s3 = mq_world
    split_window(s3)
    before = {o["Key"] for o in s3.list_objects_v2(Bucket=scenario.BUCKET)["Contents"]}
    own = _object(f"{CAPTURE}/{HOUR:%Y/%m/%d/%H}/00-capture.jsonl")

    invocation = world.function("dq_monitor").invoke(_profile("capture", own))

    assert invocation.error is None and invocation.result["objects"] == 1
    [written] = {o["Key"] for o in s3.list_objects_v2(Bucket=scenario.BUCKET)["Contents"]} - before
    assert written.startswith(f"mq-reports/{scenario.ENDPOINT}/{scenario.MONITOR}/2026/11/23/10/parts/capture-")
    assert invocation.result["part"] == f"s3://{scenario.BUCKET}/{written}"
