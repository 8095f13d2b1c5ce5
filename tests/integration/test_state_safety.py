"""Issue 8 on the synthesized stack (moto): the roles' DynamoDB grants as the local world enforces them, and
hand-supplied run ids that would become S3 keys are refused before anything happens."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local import dynamodb_grants
from local.world import REGION
from model_governance.adapters.clients import client
from model_governance.adapters.keys import to_item
from model_governance.errors import InvalidEventError

LEDGER_ITEM = {"pk": "AUDIT#GROUP#fraud", "sk": "LEDGER#2024-05-01T12:00:00.000000Z#card_created#e1"}


def table_of(world: Any) -> str:
    return next(name for lid, name in world.physical.items() if lid.startswith("StateTable"))


@pytest.mark.parametrize("handler", ["carry_forward", "card_review", "violation_alert", "account_sweep", "backfill"])
def test_no_function_may_change_or_delete_a_ledger_record(world, handler):
    # Given a ledger record
    table = table_of(world)
    boto3.client("dynamodb", region_name=REGION).put_item(TableName=table, Item=to_item(LEDGER_ITEM))
    dynamodb = client("dynamodb")

    with dynamodb_grants.acting_as(handler, world.function(handler).grants):
        # When the function's role tries to update or delete it, AWS refuses
        for call in (
            lambda: dynamodb.delete_item(TableName=table, Key=to_item(LEDGER_ITEM)),
            lambda: dynamodb.update_item(
                TableName=table,
                Key=to_item(LEDGER_ITEM),
                UpdateExpression="SET actor = :a",
                ExpressionAttributeValues=to_item({":a": "someone"}),
            ),
            lambda: dynamodb.batch_write_item(RequestItems={table: [{"DeleteRequest": {"Key": to_item(LEDGER_ITEM)}}]}),
        ):
            with pytest.raises(ClientError) as denied:
                call()
            assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
        # And appending a new record is what it may do
        dynamodb.put_item(
            TableName=table,
            Item=to_item({**LEDGER_ITEM, "sk": "LEDGER#2024-05-02T00:00:00.000000Z#x#e2"}),
            ConditionExpression="attribute_not_exists(pk)",
        )


def test_a_function_may_not_touch_the_partitions_of_another_feature(world):
    table = table_of(world)
    dynamodb = client("dynamodb")
    violation_alert = world.function("violation_alert")
    with (
        dynamodb_grants.acting_as("violation_alert", violation_alert.grants),
        pytest.raises(ClientError, match="AccessDenied"),  # the review workflow's marks
    ):
        dynamodb.get_item(TableName=table, Key=to_item({"pk": "CARD#fraud-v2", "sk": "MARK"}))
    with dynamodb_grants.acting_as("account_sweep", world.function("account_sweep").grants):
        with pytest.raises(ClientError, match="AccessDenied"):  # the sweep reads monitors' runs, never writes them
            dynamodb.put_item(TableName=table, Item=to_item({"pk": "SCHEDULE#s", "sk": "VIOLATIONS"}))
        with pytest.raises(ClientError, match="AccessDenied"):
            dynamodb.get_item(TableName=table, Key=to_item({"pk": "CARD#fraud-v2", "sk": "MARK"}))
        with pytest.raises(ClientError, match="AccessDenied"):  # nor the ledger's by-card index
            dynamodb.query(
                TableName=table,
                IndexName="gsi1",
                KeyConditionExpression="gsi1pk = :c",
                ExpressionAttributeValues=to_item({":c": "CARD#fraud-v2"}),
            )


def _nothing_written(world: Any) -> None:
    table = table_of(world)
    assert boto3.client("dynamodb", region_name=REGION).scan(TableName=table)["Items"] == []
    s3 = boto3.client("s3", region_name=REGION)
    for bucket in s3.list_buckets()["Buckets"]:
        assert s3.list_objects_v2(Bucket=bucket["Name"]).get("KeyCount", 0) == 0, bucket["Name"]
    assert world.inbox("Alerts") == []


@pytest.mark.parametrize("run_id", ["../../model-cards/fraud-v2/v1/evidence", "a/b", "", " x", "x" * 101, 7])
def test_a_malformed_sweep_run_id_is_refused_and_changes_nothing(world, run_id):
    invocation = world.function("account_sweep").invoke({"run_id": run_id})

    assert isinstance(invocation.error, InvalidEventError), invocation.error
    assert "run_id must be" in str(invocation.error)
    _nothing_written(world)


def test_a_malformed_backfill_run_id_is_refused_and_changes_nothing(world):
    invocation = world.function("backfill").invoke({"mode": "backfill", "dry_run": False, "run_id": "x#CLAIM#y"})

    assert isinstance(invocation.error, InvalidEventError), invocation.error
    _nothing_written(world)


def test_a_well_formed_hand_supplied_run_id_names_the_report(world):
    invocation = world.function("account_sweep").invoke({"run_id": "rerun-2024_05_01"})

    assert invocation.error is None, invocation.error
    assert invocation.result["report_uri"].endswith("/rerun-2024_05_01.json")
