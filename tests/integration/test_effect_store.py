"""The effects' leases in DynamoDB (adapters/effects.py), on moto: what AWS's conditions do with retried calls."""

from datetime import UTC, datetime
from unittest import mock

import boto3
import pytest

from model_governance.adapters.effects import EffectStore
from model_governance.workflows.effects import EffectBusy

TABLE = "effects"


class Origin:
    id = "event-1"
    time = datetime(2026, 11, 23, 9, tzinfo=UTC)


@pytest.fixture
def store(aws):
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    clock = [1_000_000.0]
    return EffectStore(client, TABLE, lease_seconds=90, clock=lambda: clock[0]), clock


def test_a_begin_whose_answer_was_lost_and_retried_by_botocore_is_still_ours(store):
    effects, _ = store
    token = mock.Mock(hex="same-token")
    with mock.patch("model_governance.adapters.effects.uuid.uuid4", return_value=token):
        first = effects.begin("k", Origin())
        again = effects.begin("k", Origin())  # the same request sent again: its condition now fails
    assert first is not None and again is not None and again.token == first.token


def test_another_delivery_is_busy_until_the_lease_expires_then_takes_over_with_the_plans(store):
    effects, clock = store
    lease = effects.begin("k", Origin())
    effects.plan_step(lease, "card", {"name": "churn-v2 第二版"})  # non-ASCII stored as UTF-8, not \\u escapes
    with pytest.raises(EffectBusy):
        effects.begin("k", Origin())
    clock[0] += 91
    taken = effects.begin("k", Origin())
    assert taken is not None and taken.plans == {"card": {"name": "churn-v2 第二版"}} and taken.id == "event-1"


def test_finish_and_release_are_safe_to_repeat_and_a_done_effect_is_never_begun_again(store):
    effects, clock = store
    lease = effects.begin("k", Origin())
    effects.finish(lease)
    effects.finish(lease)  # botocore retried a lost answer: already done, not an error
    effects.release(lease)  # nothing to give back
    clock[0] += 10_000
    assert effects.begin("k", Origin()) is None
