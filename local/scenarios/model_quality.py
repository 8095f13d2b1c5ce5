"""Demo: model quality without Model Monitor. Each hour's captured predictions are merged with the labels that
arrive an hour later; a degrading hour alerts naming the metrics, a recovered hour resolves, an hour whose labels
never came is a finding of its own."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import numpy as np

from local.world import REGION, LocalWorld

MONITOR = "churn-model-quality"
ENDPOINT = "churn-endpoint"
BUCKET = "ml-governance-demo"
BASELINE = "baselines/churn-quality"
MINIMUM_RECORDS = 100
CONTEXT = {
    "modelQualityMonitors": [
        {
            "name": MONITOR,
            "endpoint": ENDPOINT,
            "variant": "AllTraffic",
            "problemType": "BinaryClassification",
            "capturePrefix": f"s3://{BUCKET}/datacapture",
            "groundTruthPrefix": f"s3://{BUCKET}/ground-truth/churn",
            "baselinePrefix": f"s3://{BUCKET}/{BASELINE}",
            "outputPrefix": f"s3://{BUCKET}/mq-reports",
            "schedule": "cron(0 * ? * * *)",
            "startTimeOffset": "-PT2H",
            "endTimeOffset": "-PT1H",
            "probabilityAttribute": "0",
            "probabilityThreshold": 0.5,
            "minimumRecords": MINIMUM_RECORDS,
        }
    ]
}


def scored(count: int, seed: int, *, degraded: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(true labels, the model's churn probabilities): a good model separates them, a degraded one does not."""
    rng = np.random.default_rng(seed)
    truth = (rng.random(count) < 0.3).astype(int)
    signal = 0.0 if degraded else 0.4
    return truth, np.clip(rng.normal(0.3 + signal * truth, 0.15), 0, 1).round(4)


def put_baseline(s3: Any) -> dict[str, Any]:
    """What `make baseline MONITOR=model-quality ...` writes, from a validation set scored by the model."""
    from ops.model_quality_baseline import Columns, model_quality_documents

    truth, scores = scored(2000, seed=1)
    lines = [b"churn,predicted,probability"] + [
        f"{t},{int(p >= 0.5)},{p}".encode() for t, p in zip(truth, scores, strict=True)
    ]
    columns = Columns("churn", "predicted", "probability")
    documents = model_quality_documents(
        iter(lines), dataset="validation.csv", problem_type="BinaryClassification", columns=columns
    )
    for name, document in documents.items():
        s3.put_object(Bucket=BUCKET, Key=f"{BASELINE}/{name}", Body=json.dumps(document).encode())
    return documents


def serve_hour(s3: Any, hour: datetime, *, seed: int, degraded: bool = False, labelled: float = 1.0) -> int:
    """Capture an hour of predictions; its labels land in the next hour's ground truth folder (a share only)."""
    truth, scores = scored(600, seed=seed, degraded=degraded)
    captured, labels = [], []
    for i, (label, probability) in enumerate(zip(truth, scores, strict=True)):
        event_id = f"{hour:%Y%m%d%H}-{i:05d}"
        at = hour + timedelta(seconds=i * 5)
        captured.append(
            {
                "captureData": {
                    "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": "1,2,3", "encoding": "CSV"},
                    "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": f"{probability}", "encoding": "CSV"},
                },
                "eventMetadata": {"eventId": event_id, "inferenceTime": at.strftime("%Y-%m-%dT%H:%M:%SZ")},
                "eventVersion": "0",
            }
        )  # fmt: skip
        if i < labelled * len(truth):
            labels.append(
                {
                    "groundTruthData": {"data": str(label), "encoding": "CSV"},
                    "eventMetadata": {"eventId": event_id},
                    "eventVersion": "0",
                }
            )
    key = f"datacapture/{ENDPOINT}/AllTraffic/{hour:%Y/%m/%d/%H}/capture.jsonl"
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"\n".join(json.dumps(r).encode() for r in captured))
    if labels:
        later = hour + timedelta(hours=1)
        key = f"ground-truth/churn/{later:%Y/%m/%d/%H}/labels.jsonl"
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"\n".join(json.dumps(r).encode() for r in labels))
    return len(labels)


def check(world: LocalWorld, hour: datetime) -> dict[str, Any]:
    """The scheduled run that checks ``hour``'s inferences: it fires two hours later (startTimeOffset -PT2H), run
    through the synthesized state machine by local/asl.py."""
    fired = (hour + timedelta(hours=2, minutes=5)).isoformat()
    execution = world.state_machine("DataQualityRuns").execute({"action": "check", "monitor": MONITOR, "time": fired})
    if execution.status != "SUCCEEDED":
        raise RuntimeError(f"the model-quality run failed: {execution.error}: {execution.cause}")
    return dict(execution.output)


def run(world: LocalWorld, say: Any) -> None:
    say.heading("Model-quality monitor without Model Monitor: predictions merged with late labels, the same alerts")
    s3 = boto3.client("s3", region_name=REGION)
    if MONITOR not in json.dumps(world.template):
        say("(skipped: the synthesized stack has no model-quality monitor)")
        return
    if BUCKET not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=BUCKET)
    documents = put_baseline(s3)
    limits = documents["constraints.json"]["binary_classification_constraints"]
    floors = ", ".join(f"{name} >= {limit['threshold']:.3f}" for name, limit in limits.items())
    say.detail(f"Baseline of a scored validation set (make baseline MONITOR=model-quality): {floors}")
    start = datetime(2026, 11, 23, 8, tzinfo=UTC)
    stories: list[tuple[str, dict[str, Any]]] = [
        ("as validated", {"seed": 2}),
        ("degraded", {"seed": 3, "degraded": True}),
        ("recovered", {"seed": 4}),
        ("no labels came", {"seed": 5, "labelled": 0.0}),
    ]
    for offset, (label, options) in enumerate(stories):
        hour = start + timedelta(hours=offset)
        serve_hour(s3, hour, **options)
        outcome = check(world, hour)
        found = ""
        if outcome["violations"]:
            key = outcome["output_uri"].removeprefix(f"s3://{BUCKET}/") + "/constraint_violations.json"
            violations = json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())["violations"]
            found = f" ({', '.join(v['metric_name'] for v in violations)})"
        emails = [message.subject.split(" (schedule")[0] for message in world.inbox("AlertsOps")]
        say(
            f"{hour:%H}:00 inferences, {label}: {outcome['status']}, {outcome['violations']} violations{found}"
            + "".join(f"; email: {subject}" for subject in emails)
        )
        say.detail(
            f"  files: {outcome['output_uri']}/{{statistics.json, constraint_violations.json, run_summary.json, report.html}}"
        )
