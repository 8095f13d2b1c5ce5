"""The backfill on the synthesized stack: a dry run lists, an apply carries cards forward through the
carry-forward workflow, and a second run finds nothing left to do."""

import json
from datetime import UTC, datetime

import boto3
import pytest

from local.moto_sweep import plant_problems
from local.world import REGION


def test_dry_run_lists_then_apply_carries_cards_forward_and_a_rerun_has_nothing_to_do(world):
    sm = boto3.client("sagemaker", region_name=REGION)
    plant_problems(sm, datetime.now(UTC))
    backfill = world.function("backfill")

    # When planned
    plan = backfill.invoke({"mode": "backfill", "dry_run": True}).result

    # Then it lists each latest version without a card, and writes nothing
    assert [item["action"] for item in plan["items"]] == [
        "ad-ranking v1: create a card from the package alone (no earlier version has a card) as ad-ranking-v1",
        "demand-forecast v2: create a card from the package alone (no earlier version has a card) as demand-forecast-v2",
        "pricing-elasticity v2: carry pricing-elasticity-v1 (documents v1) forward as pricing-elasticity-v2",
    ]
    assert {item["outcome"] for item in plan["items"]} == {"planned"}
    names = {c["ModelCardName"] for c in sm.list_model_cards(MaxResults=100)["ModelCardSummaries"]}
    assert "pricing-elasticity-v2" not in names

    # When applied
    applied = backfill.invoke({"mode": "backfill", "dry_run": False}).result

    # Then carry-forward made each card, carrying what the previous card said
    assert [(i["group"], i["outcome"]) for i in applied["items"]] == [
        ("ad-ranking", "created"),
        ("demand-forecast", "created"),
        ("pricing-elasticity", "created"),
    ]
    card = sm.describe_model_card(ModelCardName="pricing-elasticity-v2")
    assert card["ModelCardStatus"] == "Draft"
    assert json.loads(card["Content"])["business_details"] == {"business_problem": "Predict pricing elasticity"}
    notices = world.inbox("AlertsNotices")
    assert {m.attributes.get("model_package_group") for m in notices} >= {"pricing-elasticity", "demand-forecast"}

    # And a second run converges: nothing planned, nothing applied
    assert backfill.invoke({"mode": "backfill", "dry_run": True}).result["items"] == []
    assert backfill.invoke({"mode": "backfill", "dry_run": False}).result["items"] == []


@pytest.mark.parametrize(
    "event", [{"mode": "sweep"}, {"mode": "backfill", "dry_run": "no"}, {"mode": "backfill", "limit": 0}]
)
def test_a_malformed_request_is_refused(world, event):
    invocation = world.function("backfill").invoke(event)
    assert invocation.error is not None
    assert "dry_run" in str(invocation.error) or "mode" in str(invocation.error)
