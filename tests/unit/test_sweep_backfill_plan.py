"""The backfill plan: each group's latest version without a card, and the card carry-forward would start from."""

from datetime import UTC, datetime

from model_governance.cards.records import CardLink
from model_governance.sweep.inventory import CardSummary, Inventory, PackageVersion
from model_governance.workflows.account_sweep import run_for
from model_governance.workflows.backfill import plan_backfill, registration_change
from tests.conftest import read_event
from tests.fakes import MemoryLinks

ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/{}/{}"


def version(group, n):
    return PackageVersion(group, n, ARN.format(group, n), "Completed", "PendingManualApproval")


def test_the_plan_names_the_source_card_from_search_or_from_the_systems_own_links():
    links = MemoryLinks()
    links.record_link(CardLink("fraud", 1, "fraud-v1"))  # recorded by carry-forward, not yet in Search
    inventory = Inventory(
        packages=(
            version("churn", 1),
            version("churn", 2),
            version("churn", 3),
            version("fraud", 1),
            version("fraud", 2),
            version("new", 1),
            version("done", 1),
        ),
        cards=(
            CardSummary("churn-card", "Approved", None, "churn", 2),
            CardSummary("done-v1", "Draft", None, "done", 1),
        ),
        links={("churn", 2): "churn-card", ("done", 1): "done-v1"},
    )
    plan = plan_backfill(inventory, links)
    assert [item.describe() for item in plan] == [
        "churn v3: carry churn-card (documents v2) forward as churn-v3",
        "fraud v2: carry fraud-v1 (documents v1) forward as fraud-v2",
        "new v1: create a card from the package alone (no earlier version has a card) as new-v1",
    ]


def test_a_card_that_only_claims_an_earlier_version_is_never_planned_as_the_source():
    inventory = Inventory(
        packages=(version("churn", 1), version("churn", 2)),
        cards=(CardSummary("decoy", "Approved", None, "churn", 1),),
        unconfirmed={("churn", 1): ("decoy",)},
    )
    [item] = plan_backfill(inventory, MemoryLinks())
    assert item.source_card is None


def test_a_backfilled_version_is_handed_to_carry_forward_as_its_registration_event():
    at = datetime(2024, 5, 6, 6, 0, tzinfo=UTC)
    change = registration_change(version("churn", 3), "run-1", at)
    assert (change.group_name, change.version, change.package_arn) == ("churn", 3, ARN.format("churn", 3))
    assert change.is_registration_complete and change.envelope.id == "backfill-run-1"
    assert (change.envelope.account, change.envelope.region, change.envelope.time) == ("123456789012", "us-east-1", at)


def test_a_scheduled_event_names_the_run_so_a_retry_is_the_same_run():
    event = read_event("scheduled_event")
    arn = "arn:aws:lambda:us-east-1:123456789012:function:sweep"
    first = run_for(event, request_id="req-1", function_arn=arn, region="us-east-1", now=datetime.now(UTC))
    retry = run_for(event, request_id="req-2", function_arn=arn, region="us-east-1", now=datetime.now(UTC))
    assert first == retry
    assert first.run_id == "20240506T060000Z-89d1a02d" and first.account == "123456789012"
    manual = run_for(
        {}, request_id="abcdef123456", function_arn=arn, region="eu-west-1", now=datetime(2024, 1, 2, tzinfo=UTC)
    )
    assert (manual.run_id, manual.region) == ("manual-abcdef123456", "eu-west-1")
