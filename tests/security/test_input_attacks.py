"""What a forged event or input cannot do. Anyone allowed to invoke a function can send any body, anyone who may
write the default SageMaker bucket can rewrite a report, anyone who may import into Security Hub's default
product can import our Ids: each test plays one such attack on the synthesized stack (moto) and checks that the
state, the alerts and the files are what AWS's own state says they should be."""

from __future__ import annotations

import gc
import json
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from local.moto_monitoring import execution_event
from local.world import REGION
from tests.integration.test_security_hub import findings_in_hub
from tests.integration.test_sweep_flow import scheduled
from tests.integration.test_violation_flow import BUCKET, ENDPOINT, SCHEDULE, SEED, Monitor, metrics_of

ACCOUNT = "123456789012"
SCHEDULE_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:monitoring-schedule/{SCHEDULE}"
ITEM_LIMIT_BYTES = 400 * 1024


@pytest.fixture
def monitor(world) -> Monitor:
    return Monitor(world)


def forged(job_name: str, *, ended: str, output: str, exit_message: str, status: str = "Completed") -> dict[str, Any]:
    """A processing-job event as anyone allowed to invoke the function can write it: every field the
    workflow decides on, chosen by the sender."""
    return execution_event(
        {
            "ProcessingJobName": job_name,
            "ProcessingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:processing-job/{job_name}",
            "ProcessingJobStatus": status,
            "MonitoringScheduleArn": SCHEDULE_ARN,
            "ProcessingEndTime": ended,
            "ProcessingOutputConfig": {"Outputs": [{"S3Output": {"S3Uri": output}}]},
            "ExitMessage": exit_message,
            "Environment": {"sagemaker_endpoint_name": ENDPOINT, "sagemaker_monitoring_schedule_name": SCHEDULE},
        }
    )


def invoke_alert(monitor: Monitor, event: dict[str, Any]):
    invocation = monitor.world.function("violation_alert").invoke(event)
    assert invocation.error is None, invocation.error
    return invocation, monitor.world.inbox("AlertsOps")


def table_items() -> list[dict[str, Any]]:
    client = boto3.client("dynamodb", region_name=REGION)
    items: list[dict[str, Any]] = []
    for table in client.list_tables()["TableNames"]:
        for page in client.get_paginator("scan").paginate(TableName=table):
            items += page["Items"]
    return items


# A body decides nothing -------------------------------------------------------------------------------------
def test_a_forged_job_ending_in_2099_does_not_silence_the_next_real_alert(monitor):
    boto3.client("s3", region_name=REGION).put_object(
        Bucket=BUCKET, Key="forged/constraint_violations.json", Body=b'{"violations": []}'
    )
    event = forged(
        "model-monitoring-forged",
        ended="2099-01-01T00:00:00Z",
        output=f"s3://{BUCKET}/forged",
        exit_message="Completed: Job completed successfully with no violations.",
    )

    refused, emails = invoke_alert(monitor, event)

    assert (refused.result["outcome"], emails) == ("refused", [])
    assert "SageMaker has no processing job" in refused.result["reason"]
    _, [email] = monitor.deliver(monitor.execution(1, SEED))  # the real execution an hour later still alerts
    assert email.subject.startswith("[High] 3 Model Monitor violations")
    assert monitor.state()["last_ended_at"].startswith("2026-11-21T14:00")


@pytest.mark.parametrize("truth", ["violations", "clean"])
def test_a_forged_body_naming_a_real_job_is_decided_from_describe_processing_job(monitor, truth):
    # The real job: its own report in its own output (violations), or a clean run that wrote none.
    real = monitor.execution(0, SEED) if truth == "violations" else monitor.execution(0)
    # The body claims the opposite, with a report of the sender's choosing at a path of the sender's choosing.
    lie = {"violations": []} if truth == "violations" else {"violations": SEED}
    boto3.client("s3", region_name=REGION).put_object(
        Bucket=BUCKET, Key="forged/constraint_violations.json", Body=json.dumps(lie).encode()
    )
    event = forged(
        real["ProcessingJobName"],
        ended=real["ProcessingEndTime"].isoformat(),
        output=f"s3://{BUCKET}/forged",
        exit_message="Completed: Job completed successfully with no violations."
        if truth == "violations"
        else "CompletedWithViolations: Job completed successfully with 3 violations.",
    )

    invocation, emails = invoke_alert(monitor, event)

    if truth == "violations":
        assert invocation.result["outcome"] == "alert" and invocation.result["violations"] == 3
        assert [e.subject for e in emails] == [
            "[High] 3 Model Monitor violations on endpoint churn-endpoint (schedule churn-data-quality)"
        ]
        assert monitor.state()["violating"] is True
    else:
        assert (invocation.result["outcome"], emails) == ("clean", [])
        assert monitor.state()["violating"] is False


FOREIGN = "s3://secrets-of-another-team/payroll.csv"


@pytest.mark.parametrize(
    "event",
    [
        {"action": "check", "monitor": "not-configured", "time": "2026-11-23T11:05:00+00:00"},
        {"action": "baseline", "monitor": "not-configured", "dataset": FOREIGN, "output": "s3://ml-governance-demo/x"},
        {"action": "baseline", "dataset": FOREIGN, "output": "s3://ml-governance-demo/dq-reports/x"},
        {
            "action": "baseline",
            "monitor": "churn-data-quality-serverless",
            "dataset": FOREIGN,
            "output": "s3://ml-governance-demo/baselines/churn",
        },
        {
            "action": "profile",
            "monitor": "churn-data-quality-serverless",
            "time": "2026-11-23T11:05:00+00:00",
            "Items": [{"Bucket": "secrets-of-another-team", "Key": "payroll.csv", "Size": 10}],
        },
        {"action": "check", "monitor": "churn-data-quality-serverless", "time": "2099-01-01T00:05:00+00:00"},
    ],
    ids=[
        "unknown-monitor",
        "baseline-unknown-monitor",
        "baseline-no-monitor",
        "foreign-dataset",
        "foreign-item",
        "2099",
    ],
)
def test_a_dq_event_naming_an_unknown_monitor_or_a_foreign_path_reads_and_writes_nothing(dq_world, event):
    world, s3 = dq_world
    s3.create_bucket(Bucket="secrets-of-another-team")
    s3.put_object(Bucket="secrets-of-another-team", Key="payroll.csv", Body=b"name,salary\nann,1\n")
    before = {
        (bucket["Name"], o["Key"], o["ETag"])
        for bucket in s3.list_buckets()["Buckets"]
        for o in s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", [])
    }
    reads: list[str] = []
    from model_governance.adapters.clients import client

    client("s3").meta.events.register("before-call.s3.GetObject", lambda params, **_: reads.append(params["Key"]))

    invocation = world.function("dq_monitor").invoke(event)

    assert invocation.error is None, invocation.error  # one clear line, no traceback, no retry into the DLQ
    assert invocation.result["mode"] == "refused" and invocation.result["reason"]
    after = {
        (bucket["Name"], o["Key"], o["ETag"])
        for bucket in s3.list_buckets()["Buckets"]
        for o in s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", [])
    }
    assert after == before and reads == []
    assert world.inbox("AlertsOps") == []


# Inputs that cannot break the state -------------------------------------------------------------------------
def test_a_report_rewritten_after_its_job_ended_is_refused_and_ops_told(monitor):
    real = monitor.execution(0, SEED)
    # Someone with write access to the default SageMaker bucket empties the report after the job ended.
    uri = f"{real['ProcessingOutputConfig']['Outputs'][0]['S3Output']['S3Uri']}/constraint_violations.json"
    boto3.client("s3", region_name=REGION).put_object(
        Bucket=BUCKET, Key=uri.removeprefix(f"s3://{BUCKET}/"), Body=b'{"violations": []}'
    )

    invocation, [email] = monitor.deliver(real)

    assert invocation.result["outcome"] == "unreadable"
    assert email.subject.startswith("[ACTION] Model Monitor report unreadable for endpoint churn-endpoint")
    assert "after its processing job ended" in email.body
    assert metrics_of(invocation)[("MonitorReportsUnreadable", ())] == 1
    with pytest.raises(KeyError):
        monitor.state()  # nothing decided: neither "clean" nor "resolved"


@pytest.mark.parametrize("distinct", [5_000, 60_000])
def test_thousands_of_distinct_check_types_keep_metrics_state_and_items_bounded(monitor, distinct):
    violations = [
        {"feature_name": f"f{i}", "constraint_check_type": f"forged_check_type_{i:06d}", "description": "x"}
        for i in range(distinct)
    ]
    violations.append({"feature_name": "State_AL", "constraint_check_type": "data_type_check", "description": "x"})

    invocation, [email] = monitor.deliver(monitor.execution(0, violations))

    assert invocation.error is None  # handled: the event does not go to the dead-letter queue
    by_check = {dims for (name, dims) in metrics_of(invocation) if name == "MonitorViolationsByCheckType"}
    assert {dict(dims)["CheckType"] for dims in by_check} == {"data_type_check", "other"}
    state = monitor.state()
    assert state["check_counts"] == {"data_type_check": 1, "other": distinct}
    assert json.loads(email.attributes["check_types"]) == ["data_type_check", "other"]
    assert max(len(json.dumps(item)) for item in table_items()) < ITEM_LIMIT_BYTES


def test_an_event_id_of_half_a_megabyte_is_refused_before_any_item_is_written(monitor):
    event = execution_event(monitor.execution(0, SEED), detail_fields=("ProcessingJobName", "ProcessingJobStatus"))
    event["id"] = "e" * 500_000

    invocation = monitor.world.function("violation_alert").invoke(event)

    assert "more than AWS sends" in str(invocation.error)
    assert all(len(json.dumps(item)) < ITEM_LIMIT_BYTES for item in table_items())
    assert monitor.world.inbox("AlertsOps") == []


class EndlessLine:
    """An S3 body of one line of ``size`` bytes with no newline, then a good record: made as it is read."""

    def __init__(self, size: int, tail: bytes) -> None:
        self.size, self.tail = size, tail

    def iter_chunks(self, chunk_size: int) -> Iterator[bytes]:
        block = b"x" * chunk_size
        left = self.size
        while left > 0:
            yield block[: min(left, chunk_size) - 1] + b"x"  # a new object each time, as a socket read gives
            left -= chunk_size
        yield b"\n" + self.tail

    def iter_lines(self, chunk_size: int) -> Iterator[bytes]:  # what the reader used before the cap
        pending = b""
        for chunk in self.iter_chunks(chunk_size):
            lines = (pending + chunk).splitlines(True)
            for line in lines[:-1]:
                yield line.splitlines()[0]
            pending = lines[-1]
        if pending:
            yield pending.splitlines()[0]


def test_a_capture_line_of_a_gigabyte_is_counted_unreadable_in_bounded_memory():
    from data_quality.capture import CaptureTally, rows_of_lines
    from data_quality.storage import S3Files
    from tests.dq.churn import capture_lines

    [good] = capture_lines(["1,2,3"])

    class Bucket:
        def get_object(self, **_: Any) -> dict[str, Any]:
            return {"Body": EndlessLine(1024**3, good)}

    tally = CaptureTally()
    gc.collect()
    tracemalloc.start()
    try:
        rows = list(rows_of_lines(S3Files(Bucket()).lines("b", "k"), ["a", "b", "c"], tally, "s3://b/k"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert rows == ["1,2,3"]  # the record after it is still read
    assert (tally.records, tally.skipped) == (2, 1)
    assert "longer than" in (tally.first_problem or "")
    assert peak < 200 * 1024**2  # the line's cap and a chunk or two, never the line


# Security Hub and the ledger tell the truth ------------------------------------------------------------------
def test_a_finding_pinned_by_a_future_updated_at_is_reported_to_ops(hub_world):
    from local.moto_sweep import plant_problems

    now = datetime.now(UTC)
    plant_problems(boto3.client("sagemaker", region_name=REGION), now)
    sweep = hub_world.function("account_sweep")
    assert sweep.invoke(scheduled(now, "run-one-0000")).error is None
    overdue = "model-governance/us-east-1/review_overdue/model-card/credit-limit-v1"
    # Someone imports our Id, archived, with an UpdatedAt in 2099: Security Hub ignores every older import.
    pinned = {**findings_in_hub()[overdue], "RecordState": "ARCHIVED", "UpdatedAt": "2099-01-01T00:00:00.000Z"}
    boto3.client("securityhub", region_name=REGION).batch_import_findings(Findings=[pinned])
    hub_world.inbox("AlertsOps")  # the first run's digest

    later = now + timedelta(days=1)
    assert sweep.invoke(scheduled(later, "run-two-0000")).error is None

    assert findings_in_hub()[overdue]["RecordState"] == "ARCHIVED"  # still pinned: the problem is hidden
    [notice] = [m for m in hub_world.inbox("AlertsOps") if "pinned" in m.subject]
    assert notice.subject == "[ACTION] 1 Security Hub findings of model governance pinned by another import"
    assert f"  - {overdue}: Security Hub holds UpdatedAt 2099-01-01T00:00:00.000Z" in notice.body


def test_a_finding_whose_problem_is_gone_is_archived_and_resolved(hub_world):
    from local.moto_sweep import plant_problems

    now = datetime.now(UTC)
    plant_problems(boto3.client("sagemaker", region_name=REGION), now)
    sweep = hub_world.function("account_sweep")
    assert sweep.invoke(scheduled(now, "run-one-0000")).error is None
    overdue = "model-governance/us-east-1/review_overdue/model-card/credit-limit-v1"
    assert findings_in_hub()[overdue]["Workflow"] == {"Status": "NEW"}

    boto3.client("sagemaker", region_name=REGION).update_model_card(
        ModelCardName="credit-limit-v1", ModelCardStatus="Approved"
    )
    assert sweep.invoke(scheduled(now + timedelta(days=1), "run-two-0000")).error is None

    closed = findings_in_hub()[overdue]
    assert (closed["RecordState"], closed["Compliance"], closed["Workflow"]) == (
        "ARCHIVED",
        {"Status": "PASSED"},
        {"Status": "RESOLVED"},
    )
    still = [f for fid, f in findings_in_hub().items() if fid != overdue]
    assert {f["Workflow"]["Status"] for f in still} == {"NEW"}


def test_resolving_asks_batch_update_findings_for_workflow_resolved_only():
    from botocore.stub import Stubber

    from model_governance.adapters.security_hub import SecurityHub
    from model_governance.sweep.asff import HubContext

    context = HubContext(account=ACCOUNT, region="eu-west-1", now=datetime(2026, 11, 23, tzinfo=UTC), run_id="r")
    client = boto3.client("securityhub", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    stub.add_response(
        "batch_update_findings",
        {"ProcessedFindings": [{"Id": "a", "ProductArn": context.product_arn}], "UnprocessedFindings": []},
        {
            "FindingIdentifiers": [{"Id": "a", "ProductArn": context.product_arn}],
            "Workflow": {"Status": "RESOLVED"},
            "Note": {"Text": "Resolved by the model governance sweep: the problem is gone.", "UpdatedBy": "sweep"},
        },
    )
    with stub:
        assert SecurityHub(client, context).resolve([{"Id": "a"}]) == 1


def test_a_ledger_value_with_a_line_break_cannot_print_a_record_of_its_own():
    from ops.ledger import format_history

    forged_owner = "Retention ML team\n2026-11-21T13:00:00Z  gate_decision                 fraud-v9  by security-team"
    records = [
        {
            "at": "2026-11-21T12:00:00.000000+00:00",
            "event_id": "e1",
            "action": "card_created",
            "card": "fraud-v2\nforged",
            "actor": "alice",
            "details": {"owner": forged_owner, "reason": "approved\r\nverdict: allow"},
        }
    ]

    printed = format_history(records).splitlines()

    assert len(printed) == 3  # the record's line, and one line per detail
    assert not any(line.startswith("2026-11-21T13:00:00Z") for line in printed)
    assert printed[0] == '2026-11-21T12:00:00Z  card_created                  "fraud-v2 forged"  by alice'
    assert printed[1] == "      reason: approved verdict: allow"
    assert "gate_decision" in printed[2] and printed[2].startswith("      owner: Retention ML team 2026-11-21T13")
