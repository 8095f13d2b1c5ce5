"""Cards encrypted with a customer-managed KMS key, end to end on moto: the synthesized rules deliver SageMaker's
events to the real handlers; local/moto_cards.card_keys_enforced plays KMS (only granted keys may be used)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from local.moto_cards import card_keys_enforced
from local.world import LocalWorld
from model_governance.adapters.ledger import Ledger
from model_governance.cards.naming import card_name_for
from model_governance.cards.trust import CARD_METADATA_KEY
from tests.integration.test_carry_forward_flow import HAND_MADE, Account, registered_event

REGION = "us-east-1"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture
def encrypted_v2(world: LocalWorld) -> tuple[Account, str]:
    """Given version 1 with a hand-made card encrypted with KEY, and version 2 just registered."""
    account = Account("credit-limit")
    v1 = account.register(1)
    body = dict(HAND_MADE, model_package_details={"model_package_arn": v1, "model_package_group_name": account.group})
    account.sm.create_model_card(
        ModelCardName="credit-limit-card",
        Content=json.dumps(body),
        ModelCardStatus="Approved",
        SecurityConfig={"KmsKeyId": KEY},
    )
    # The package confirms its hand-made card (the trust rule: README "Security").
    account.sm.update_model_package(
        ModelPackageArn=v1, CustomerMetadataProperties={CARD_METADATA_KEY: "credit-limit-card"}
    )
    return account, account.register(2)


def carry(world: LocalWorld, event: dict[str, Any]) -> dict[str, Any]:
    (invocation,) = [i for i in world.put_event(event) if i.function == "carry_forward"]
    assert invocation.error is None, invocation.error  # never a DLQ loop
    return dict(invocation.result)


def test_a_card_carried_from_an_encrypted_predecessor_is_encrypted_with_the_same_key(
    world: LocalWorld, encrypted_v2: tuple[Account, str], sample_event: Callable[..., dict[str, Any]]
) -> None:
    account, v2 = encrypted_v2

    with card_keys_enforced({KEY}):  # modelCardKmsKeyArns lists the key
        result = carry(world, registered_event(sample_event, account, v2, 2))

    described = account.sm.describe_model_card(ModelCardName=card_name_for(account.group, 2))
    assert result["outcome"] == "created" and result["kms_key_id"] == KEY
    assert described["SecurityConfig"] == {"KmsKeyId": KEY}
    assert json.loads(described["Content"])["business_details"] == HAND_MADE["business_details"]
    assert world.inbox("AlertsOps") == []


def test_a_key_we_were_not_given_is_one_ops_alert_naming_key_and_setting_and_no_retry_loop(
    world: LocalWorld, encrypted_v2: tuple[Account, str], sample_event: Callable[..., dict[str, Any]]
) -> None:
    account, v2 = encrypted_v2
    event = registered_event(sample_event, account, v2, 2)

    with card_keys_enforced(set()):  # modelCardKmsKeyArns is empty
        first = carry(world, event)
        alerts = world.inbox("AlertsOps")
        second = carry(world, event)

    assert first["outcome"] == second["outcome"] == "key-not-granted"
    (alert,) = alerts
    assert KEY in alert.body and "modelCardKmsKeyArns" in alert.body
    assert "credit-limit-card" in alert.subject and alert.attributes["kms_key_arn"] == KEY
    assert world.inbox("AlertsOps") == []  # the second delivery sent nothing
    assert account.card_names() == ["credit-limit-card"]  # and no unencrypted copy was made
    table = world.function("carry_forward").environment["STATE_TABLE_NAME"]
    history = Ledger(boto3.client("dynamodb", region_name=REGION), table).history(group=account.group)
    records = [r["details"] for r in history if r["action"] == "card_key_not_granted"]
    assert [(r["key_arn"], r["setting"], r["alert_sent"]) for r in records] == [
        (KEY, "modelCardKmsKeyArns", True),
        (KEY, "modelCardKmsKeyArns", False),  # each delivery is recorded; only the first alerted
    ]


def test_the_approval_gate_still_decides_on_an_encrypted_cards_status_and_alerts_about_the_key_once(
    world: LocalWorld, encrypted_v2: tuple[Account, str], sample_event: Callable[..., dict[str, Any]]
) -> None:
    account, _ = encrypted_v2
    v1 = account.sm.list_model_packages(ModelPackageGroupName=account.group, SortOrder="Ascending")[
        "ModelPackageSummaryList"
    ][0]["ModelPackageArn"]
    account.sm.update_model_package(ModelPackageArn=v1, ModelApprovalStatus="Approved")
    event = registered_event(sample_event, account, v1, 1)
    event["detail"].update(ModelApprovalStatus="Approved", ModelPackageStatus="Completed")

    with card_keys_enforced(set()):
        runs = [i for _ in range(2) for i in world.put_event(event) if i.function == "approval_gate"]
        alerts = world.inbox("AlertsOps")

    assert [r.error for r in runs] == [None, None]
    assert runs[0].result["verdict"] == "pass"  # the card is Approved: MetadataOnly says so without the key
    assert [a.attributes["event_type"] for a in alerts] == ["model_card_key_not_granted"]
