"""Model quality through the synthesized stack on moto: the schedule's input run by the synthesized state machine
(local/asl.py), predictions merged with late ground truth, Model Monitor's files, and the existing violation
workflow's emails: a degrading hour names its metrics, a recovered hour resolves, an hour without labels is a
finding. The files' shapes are the ones the SageMaker SDK reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from local.scenarios import model_quality as scenario

HOUR = datetime(2026, 11, 23, 8, tzinfo=UTC)


def scheduled_input(template: dict[str, Any], hour: datetime) -> dict[str, Any]:
    """What the monitor's synthesized schedule rule sends the state machine when it fires for ``hour``'s window."""
    [rule] = [
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Events::Rule" and "Model-quality" in r["Properties"].get("Description", "")
    ]
    assert rule["Properties"]["ScheduleExpression"] == "cron(0 * ? * * *)"
    transformer = rule["Properties"]["Targets"][0]["InputTransformer"]
    fired = (hour + timedelta(hours=2, minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return dict(json.loads(transformer["InputTemplate"].replace("<time>", json.dumps(fired))))


def read(s3: Any, uri: str, name: str) -> dict[str, Any]:
    key = f"{uri.removeprefix(f's3://{scenario.BUCKET}/')}/{name}"
    return dict(json.loads(s3.get_object(Bucket=scenario.BUCKET, Key=key)["Body"].read()))


def run(world: Any, template: dict[str, Any], hour: datetime) -> dict[str, Any]:
    execution = world.state_machine("DataQualityRuns").execute(scheduled_input(template, hour))
    assert (execution.status, execution.error, execution.cause) == ("SUCCEEDED", None, None)
    assert execution.entered() == ["Check", "FitsOneInvocation", "Checked"]
    return dict(execution.output)


def test_degrading_hour_alerts_naming_the_metrics_then_a_recovered_hour_resolves(mq_world, mq_template):
    world, s3 = mq_world
    scenario.serve_hour(s3, HOUR, seed=2)
    clean = run(world, mq_template, HOUR)
    assert (clean["status"], clean["violations"], world.inbox("AlertsOps")) == ("Completed", 0, [])
    report = f"s3://{scenario.BUCKET}/mq-reports/{scenario.ENDPOINT}/{scenario.MONITOR}/2026/11/23/10"
    assert clean["output_uri"] == report
    summary = read(s3, report, "run_summary.json")
    assert {k: summary[k] for k in ("inferences_read", "ground_truth_records_read", "merged")} == {
        "inferences_read": 600,
        "ground_truth_records_read": 600,
        "merged": 600,
    }

    degrading = HOUR + timedelta(hours=1)
    scenario.serve_hour(s3, degrading, seed=3, degraded=True)
    outcome = run(world, mq_template, degrading)
    assert (outcome["status"], outcome["violations"]) == ("Completed", 5)
    violations = read(s3, outcome["output_uri"], "constraint_violations.json")["violations"]
    assert {v["metric_name"] for v in violations} == {"accuracy", "precision", "recall", "f1", "auc"}
    assert {v["constraint_check_type"] for v in violations} == {"LessThanThreshold"}
    [email] = world.inbox("AlertsOps")
    assert email.subject.startswith("[Unknown] 5 Model Monitor violations on endpoint churn-endpoint")
    for metric in ("accuracy", "precision", "recall", "f1", "auc"):
        assert metric in email.body
    page = s3.get_object(
        Bucket=scenario.BUCKET, Key=outcome["output_uri"].split(f"{scenario.BUCKET}/")[1] + "/report.html"
    )
    assert b"5 of 5 metrics in violation" in page["Body"].read()

    recovered = HOUR + timedelta(hours=2)
    scenario.serve_hour(s3, recovered, seed=4)
    run(world, mq_template, recovered)
    [resolved] = world.inbox("AlertsOps")
    assert resolved.subject.startswith("[RESOLVED]")


def test_an_hour_without_labels_is_a_finding_not_a_pass(mq_world, mq_template):
    world, s3 = mq_world
    scenario.serve_hour(s3, HOUR, seed=2, labelled=0.0)
    outcome = run(world, mq_template, HOUR)
    assert outcome["status"] == "Failed"
    [email] = world.inbox("AlertsOps")
    assert email.subject.startswith("[FAILED]")
    assert "Not enough ground truth: 0 inferences merged" in email.body
    assert "600 inferences read" in email.body


def test_labels_for_part_of_the_window_are_measured_on_the_merged_part(mq_world, mq_template):
    world, s3 = mq_world
    scenario.serve_hour(s3, HOUR, seed=2, labelled=0.5)
    outcome = run(world, mq_template, HOUR)
    summary = read(s3, outcome["output_uri"], "run_summary.json")
    assert (summary["merged"], summary["inferences_without_label"]) == (300, 300)
    statistics = read(s3, outcome["output_uri"], "statistics.json")
    assert statistics["dataset"]["item_count"] == 300
    matrix = statistics["binary_classification_metrics"]["confusion_matrix"]
    assert sum(sum(row.values()) for row in matrix.values()) == 300
