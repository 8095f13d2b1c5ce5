"""Demo: an account without Model Monitor. Our monitor baselines the training data, checks each hour of captured
traffic, writes Model Monitor's files, and alerts through the same workflow: drift, then 'resolved'."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from local.world import REGION, LocalWorld
from tests.dq.churn import NAMES, capture_lines, rows

MONITOR = "churn-data-quality-serverless"
ENDPOINT = "churn-endpoint"
BUCKET = "ml-governance-demo"
CONTEXT = {
    "dataQualityMonitors": [
        {
            "name": MONITOR,
            "endpoint": ENDPOINT,
            "capturePrefix": f"s3://{BUCKET}/datacapture",
            "baselinePrefix": f"s3://{BUCKET}/baselines/churn",
            "outputPrefix": f"s3://{BUCKET}/dq-reports",
            "schedule": "cron(0 * ? * * *)",
        }
    ]
}


def put_training_data(s3: Any) -> str:
    s3.create_bucket(Bucket=BUCKET)
    body = "\n".join([",".join(NAMES), *rows(3000, seed=1)]).encode()
    # Under the monitor's baseline prefix: the function baselines only data of its own monitor's prefixes.
    s3.put_object(Bucket=BUCKET, Key="baselines/churn/training/churn.csv", Body=body)
    return f"s3://{BUCKET}/baselines/churn/training/churn.csv"


def capture_hour(s3: Any, hour: datetime, payload_rows: list[str], *, garbage: int = 0) -> None:
    lines = capture_lines(payload_rows, base64_every=5) + [b"{truncated record"] * garbage
    key = f"datacapture/{ENDPOINT}/AllTraffic/{hour:%Y/%m/%d/%H}/{hour:%M-%S}-capture.jsonl"
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"\n".join(lines))


def check(world: LocalWorld, hour: datetime) -> dict[str, Any]:
    """The scheduled run that fires at the end of ``hour``: the synthesized state machine, run by local/asl.py."""
    fired = (hour + timedelta(hours=1, minutes=5)).isoformat()
    execution = world.state_machine("DataQualityRuns").execute({"action": "check", "monitor": MONITOR, "time": fired})
    if execution.status != "SUCCEEDED":
        raise RuntimeError(f"the data-quality run failed: {execution.error}: {execution.cause}")
    return dict(execution.output)


def run(world: LocalWorld, say: Any) -> None:
    say.heading("Data-quality monitor without Model Monitor: baseline, hourly checks, the same alerts")
    s3 = boto3.client("s3", region_name=REGION)
    dataset = put_training_data(s3)
    result = world.function("dq_monitor").invoke(
        {"action": "baseline", "monitor": MONITOR, "dataset": dataset, "output": f"s3://{BUCKET}/baselines/churn"}
    )
    if result.error:
        raise result.error
    constraints = json.loads(s3.get_object(Bucket=BUCKET, Key="baselines/churn/constraints.json")["Body"].read())
    typed = ", ".join(f"{f['name']} ({f['inferred_type']})" for f in constraints["features"])
    say(f"Baseline of {dataset}: {typed}")

    start = datetime(2026, 11, 23, 8, tzinfo=UTC)
    stories = [
        ("a clean hour", rows(1500, seed=2), 0),
        ("a drifting hour: CustServ Calls and Eve Mins shifted, a fifth of State_AL written as 0.0/1.0", rows(1500, seed=3, shifted=True, fractional_state_al=0.2), 3),
        ("a clean hour again", rows(1500, seed=4), 0),
    ]  # fmt: skip
    for offset, (label, payload, garbage) in enumerate(stories):
        hour = start + timedelta(hours=offset)
        capture_hour(s3, hour, payload, garbage=garbage)
        outcome = check(world, hour)
        say(f"{hour:%H}:00-{hour:%H}:59, {label}: {outcome['status']}, {outcome['violations']} violations")
        if offset == 0:
            say.detail("  (the schedule's input, run through the DataQualityRuns state machine as synthesized)")
        say.detail(
            f"  files: {outcome['output_uri']}/{{statistics.json, constraint_violations.json, run_summary.json,"
            " report.html}"
        )
        for message in world.inbox("AlertsOps"):
            say(f"  email: {message.subject}")
            say.block(message.body, kind="ops alert")
