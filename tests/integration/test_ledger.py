"""The audit ledger on moto's DynamoDB: append-only, queryable by group and by card, printed in order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber

from model_governance.adapters.ledger import Ledger, LedgerRecord
from ops.ledger import format_history, main, table_from_stack

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def ledger(aws: None) -> Iterator[Ledger]:
    client = boto3.client("dynamodb", region_name="us-east-1")
    key = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    client.create_table(
        TableName="state",
        KeySchema=key,
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "gsi1pk", "gsi1sk")],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[
            {
                "IndexName": "gsi1",
                "KeySchema": [
                    {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                    {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    yield Ledger(client, "state")


def record(action: str, at: datetime, event: str, card: str = "g-v1", **fields: object) -> LedgerRecord:
    return LedgerRecord(action=action, at=at, source_event_id=event, actor="alice", group="g", card=card, **fields)  # type: ignore[arg-type]


def test_a_record_once_written_is_never_overwritten(ledger: Ledger) -> None:
    first = record("card_status_changed", T0, "e1", after={"status": "Draft"})
    rewrite = record("card_status_changed", T0, "e1", after={"status": "Approved"})

    assert ledger.append(first) is True
    assert ledger.append(rewrite) is False
    (stored,) = ledger.history(group="g")
    assert stored["after"] == {"status": "Draft"}


def test_history_by_group_and_by_card_in_the_order_things_happened(ledger: Ledger) -> None:
    ledger.append(record("card_status_changed", T0 + timedelta(minutes=5), "e2", after={"status": "Approved"}))
    ledger.append(record("card_status_changed", T0, "e1", after={"status": "Draft"}))
    ledger.append(record("export_requested", T0 + timedelta(minutes=5), "e2"))  # same event: write order kept
    ledger.append(record("card_created", T0 + timedelta(minutes=1), "e3", card="g-v2"))

    group = [(r["action"], r["card"]) for r in ledger.history(group="g")]
    card = [r["action"] for r in ledger.history(card="g-v1")]

    assert group == [
        ("card_status_changed", "g-v1"),
        ("card_created", "g-v2"),
        ("card_status_changed", "g-v1"),
        ("export_requested", "g-v1"),
    ]
    assert card == ["card_status_changed", "card_status_changed", "export_requested"]
    assert [r["action"] for r in ledger.history(group="g", card="g-v2")] == ["card_created"]


def test_format_history_is_a_readable_timeline(ledger: Ledger) -> None:
    ledger.append(
        record("card_status_changed", T0, "e1", before={"status": "Draft"}, after={"status": "PendingReview"})
    )
    ledger.append(
        record(
            "gate_decision", T0 + timedelta(hours=1), "e2", details={"verdict": "enforce", "reason": "card is Draft"}
        )
    )

    text = format_history(ledger.history(group="g"))

    assert text.splitlines() == [
        "2024-05-01T12:00:00Z  card_status_changed           g-v1  by alice",
        "      status: Draft -> PendingReview",
        "2024-05-01T13:00:00Z  gate_decision                 g-v1  by alice",
        "      reason: card is Draft",
        "      verdict: enforce",
    ]
    assert format_history([]) == "(no ledger records)"


def test_the_command_reads_the_table_name_from_the_stack_outputs(
    ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    cloudformation = boto3.client("cloudformation", region_name="us-east-1")
    outputs = [{"OutputKey": "StateTableName", "OutputValue": "state"}]
    stack = {"StackName": "ModelGovernance", "CreationTime": T0, "StackStatus": "CREATE_COMPLETE", "Outputs": outputs}
    ledger.append(record("card_status_changed", T0, "e1", after={"status": "Draft"}))

    with Stubber(cloudformation) as stubber:  # moto's CloudFormation needs extras this project does not install
        stubber.add_response("describe_stacks", {"Stacks": [stack]}, {"StackName": "ModelGovernance"})
        assert table_from_stack("ModelGovernance", cloudformation) == "state"
    assert main(["--group", "g", "--table", "state"]) == 0
    assert "card_status_changed" in capsys.readouterr().out
