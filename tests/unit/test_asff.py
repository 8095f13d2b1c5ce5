"""Given sweep findings, when they become Security Hub findings, then each has a stable Id (what and which problem,
never the run), every field ASFF requires within its limits, outside values as data, and a finding whose problem
is gone is archived and passed, keeping what Security Hub holds; Workflow is set only when a finding is created."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from model_governance.sweep.asff import (
    DESCRIPTION_LIMIT,
    FINDING_TYPE,
    TITLE_LIMIT,
    HubContext,
    batches,
    finding_id,
    plan_sync,
    to_asff,
)
from model_governance.sweep.inventory import CardSummary, Inventory, PackageVersion
from model_governance.sweep.rules import SweepSettings, find_problems

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
REQUIRED = (
    "SchemaVersion",
    "Id",
    "ProductArn",
    "GeneratorId",
    "AwsAccountId",
    "Types",
    "CreatedAt",
    "UpdatedAt",
    "Severity",
    "Title",
    "Description",
    "Resources",
)


def _context(now: datetime = NOW, run: str = "run-1") -> HubContext:
    return HubContext(account="123456789012", region="eu-west-1", now=now, run_id=run)


def _inventory(group: str = "fraud", card_status: str = "Draft") -> Inventory:
    packages = (
        PackageVersion(
            group,
            7,
            f"arn:aws:sagemaker:eu-west-1:123456789012:model-package/{group}/7",
            "Completed",
            "Approved",
            NOW - timedelta(days=3),
        ),
    )
    cards = (
        CardSummary(
            "fraud-card",
            card_status,
            NOW,
            group,
            7,
            "High",
            arn="arn:aws:sagemaker:eu-west-1:123456789012:model-card/fraud-card",
        ),
    )
    return Inventory(packages=packages, cards=cards, links={(group, 7): "fraud-card"})


def _findings(inventory: Inventory):
    return find_problems(inventory, now=NOW, settings=SweepSettings())


def test_a_finding_has_every_required_field_and_this_accounts_default_product():
    [finding] = _findings(_inventory())
    asff = to_asff(finding, _context(), arns={})
    assert all(asff.get(key) for key in REQUIRED)
    assert asff["ProductArn"] == "arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default"
    assert asff["GeneratorId"] == "model-governance/account-sweep/approved_without_approved_card"
    assert asff["Types"] == [FINDING_TYPE] == asff["FindingProviderFields"]["Types"]
    assert asff["Severity"]["Label"] == "HIGH" == asff["FindingProviderFields"]["Severity"]["Label"]
    assert (asff["RecordState"], asff["Compliance"], asff["Workflow"]) == (
        "ACTIVE",
        {"Status": "FAILED"},
        {"Status": "NEW"},
    )
    assert asff["CreatedAt"] == asff["UpdatedAt"] == "2026-11-23T06:00:00.000Z"
    assert asff["FirstObservedAt"] == "2026-11-20T06:00:00.000Z"


def test_resources_are_the_arns_the_sweep_read():
    inventory = _inventory()
    [finding] = _findings(inventory)
    from model_governance.sweep.asff import known_arns

    asff = to_asff(finding, _context(), arns=known_arns(inventory))
    assert [r["Id"] for r in asff["Resources"]] == [
        "arn:aws:sagemaker:eu-west-1:123456789012:model-package/fraud/7",
        "arn:aws:sagemaker:eu-west-1:123456789012:model-card/fraud-card",
    ]
    assert {r["Type"] for r in asff["Resources"]} == {"Other"}


def test_the_id_names_the_subject_and_kind_not_the_run():
    [finding] = _findings(_inventory())
    first = to_asff(finding, _context(NOW, "run-1"), arns={})
    later = to_asff(finding, _context(NOW + timedelta(days=1), "run-2"), arns={})
    assert (
        first["Id"] == later["Id"] == "model-governance/eu-west-1/approved_without_approved_card/model-package/fraud/7"
    )
    assert first["UpdatedAt"] != later["UpdatedAt"]


def test_hostile_values_stay_one_capped_line_in_title_and_description():
    hostile = "x\n\nSeverity: LOW" + "y" * 5000
    [finding] = _findings(_inventory(card_status=hostile))
    asff = to_asff(finding, _context(), arns={})
    for field, limit in (("Title", TITLE_LIMIT), ("Description", DESCRIPTION_LIMIT)):
        assert "\n" not in asff[field] and len(asff[field]) <= limit
    assert '"x Severity: LOW' in asff["Description"]  # quoted: data, not a line of ours
    assert len(finding_id(finding, _context())) <= 512


def test_the_next_sweep_keeps_created_at_and_leaves_workflow_to_the_triagers():
    [finding] = _findings(_inventory())
    created = to_asff(finding, _context(), arns={})
    [again] = plan_sync([finding], [created], _context(NOW + timedelta(days=1), "run-2"), arns={})
    assert again["CreatedAt"] == created["CreatedAt"] and again["UpdatedAt"] == "2026-11-24T06:00:00.000Z"
    assert "Workflow" not in again and again["RecordState"] == "ACTIVE"


def test_a_problem_gone_is_archived_and_passed_as_security_hub_last_held_it():
    [finding] = _findings(_inventory())
    held = to_asff(finding, _context(), arns={})
    assert _findings(_inventory(card_status="Approved")) == []
    [closed] = plan_sync([], [held], _context(NOW + timedelta(days=1), "run-2"), arns={})
    assert closed["Id"] == held["Id"] and closed["Title"] == held["Title"] and closed["Resources"] == held["Resources"]
    assert (closed["RecordState"], closed["Compliance"]) == ("ARCHIVED", {"Status": "PASSED"})
    assert closed["UpdatedAt"] == "2026-11-24T06:00:00.000Z" and "Workflow" not in closed


def test_findings_of_other_products_or_generators_are_never_touched():
    other = {
        "Id": "x",
        "ProductArn": "arn:aws:securityhub:eu-west-1::product/aws/guardduty",
        "GeneratorId": "model-governance/account-sweep/x",
        "RecordState": "ACTIVE",
        "CreatedAt": "t",
    }
    mine_elsewhere = {**other, "ProductArn": _context().product_arn, "GeneratorId": "my-own-scanner"}
    assert plan_sync([], [other, mine_elsewhere], _context(), arns={}) == []


def test_imports_go_in_batches_of_100():
    assert [len(b) for b in batches([{"Id": str(i)} for i in range(250)])] == [100, 100, 50]
