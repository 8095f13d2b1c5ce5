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


def test_records_live_in_ledger_partitions_of_their_own(ledger: Ledger) -> None:
    # Given records about a group, about an endpoint, and about the account
    ledger.append(LedgerRecord("card_created", T0, "e1", "model-governance", group="fraud", card="fraud-v2"))
    ledger.append(LedgerRecord("alert_sent", T0, "e2", "model-governance", subject="endpoint/churn"))
    ledger.append(LedgerRecord("account_swept", T0, "run-1", "model-governance"))

    # Then each sits in an AUDIT# partition, apart from the links and claims that functions may rewrite
    items = ledger._client.scan(TableName="state")["Items"]
    assert sorted(item["pk"]["S"] for item in items) == [
        "AUDIT#GROUP#fraud",
        "AUDIT#SUBJECT#account",
        "AUDIT#SUBJECT#endpoint/churn",
    ]


def test_records_written_before_the_ledger_partitions_are_still_read(ledger: Ledger) -> None:
    # Given a record written by an earlier version (in the group's link partition), next to a card link
    old = {"pk": {"S": "GROUP#fraud"}, "action": {"S": "card_created"}, "card": {"S": "fraud-v1"}}
    old["sk"] = {"S": "LEDGER#2024-04-01T00:00:00.000000Z#card_created#e0"}
    ledger._client.put_item(TableName="state", Item=old)
    link = {"pk": {"S": "GROUP#fraud"}, "sk": {"S": "LINK#0000000001"}, "card_name": {"S": "fraud-v1"}}
    ledger._client.put_item(TableName="state", Item=link)
    ledger.append(LedgerRecord("card_created", T0, "e1", "model-governance", group="fraud", card="fraud-v2"))

    # Then the group's history has both records, oldest first, and no link
    assert [(r["card"], r["sk"][:17]) for r in ledger.history(group="fraud")] == [
        ("fraud-v1", "LEDGER#2024-04-01"),
        ("fraud-v2", "LEDGER#2024-05-01"),
    ]
