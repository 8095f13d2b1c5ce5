"""The stage gate's pure rules: what a stage change is, the verdict, where enforce puts a version back; the stage
in events, settings, the sweep and the carried card."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from infra.config import ConfigError, GovernanceConfig
from model_governance import constants
from model_governance.cards.carry_forward import plan_new_card
from model_governance.cards.records import CardRecord, LifeCycle, PackageFacts
from model_governance.events import parse_model_package_state_change
from model_governance.review.decisions import (
    StageMark,
    StageMove,
    approval_state,
    last_stage,
    stage_gate_decision,
    stage_move,
    stage_revert_target,
    stage_state,
)
from model_governance.sweep.inventory import Inventory, PackageVersion
from model_governance.sweep.rules import GATED_STAGE_WITHOUT_APPROVED_CARD, SweepSettings, find_problems
from tests.conftest import read_event
from tests.unit.test_config import DEFAULTS

GATED = ("Production",)
QA, PROD = LifeCycle("QA", "Approved"), LifeCycle("Production", "Approved")
DRAFT = CardRecord("churn-v3", 1, "Draft", {"model_overview": {"model_owner": "alice"}})
NOW = datetime(2026, 11, 23, tzinfo=UTC)


def test_moving_into_a_gated_stage_is_entering_and_anything_else_is_only_recorded() -> None:
    assert stage_move(StageMark(QA), PROD, GATED) is StageMove.ENTERED
    assert stage_move(None, PROD, GATED) is StageMove.ENTERED  # the first stage seen
    assert stage_move(StageMark(LifeCycle("Production", "Rejected")), PROD, GATED) is StageMove.ENTERED
    assert stage_move(StageMark(PROD), LifeCycle("Production", "OnHold"), GATED) is StageMove.MOVED
    assert stage_move(StageMark(PROD), QA, GATED) is StageMove.MOVED
    assert stage_move(None, LifeCycle("Production", "Retired"), GATED) is StageMove.MOVED
    assert stage_move(StageMark(QA), QA, GATED) is StageMove.UNCHANGED
    assert stage_move(StageMark(QA, by_gate=True), QA, GATED) is StageMove.OWN_REVERT


def test_the_last_stage_is_the_newest_stage_record_and_says_whether_the_gate_set_it() -> None:
    records = [
        {"action": "stage_changed", "after": {"stage": "QA", "stage_status": "Approved"}},
        {"action": "stage_changed", "after": {"stage": "Production", "stage_status": "Approved"}},
        {"action": "stage_reverted", "after": {"stage": "QA", "stage_status": "Approved"}},
    ]
    assert last_stage(records) == StageMark(QA, by_gate=True)
    assert last_stage(records[:2]) == StageMark(PROD)
    assert last_stage([]) is None


def test_enforce_goes_back_to_the_previous_stage_or_rejects_the_gated_one() -> None:
    decision = stage_gate_decision("enforce", StageMark(QA), PROD, GATED, DRAFT)
    assert (decision.verdict, decision.alert) == ("enforce", True)
    assert decision.revert_to is not None
    assert (decision.revert_to.stage, decision.revert_to.status) == ("QA", "Approved")
    assert decision.revert_to.description is not None
    assert "model card churn-v3 (version 1) is Draft, not Approved" in decision.revert_to.description
    # No stage known before, or the previous one gated too: the stage stays, Rejected (never an active gated one).
    assert stage_revert_target(None, PROD, GATED) == LifeCycle("Production", "Rejected")
    two_gated = ("PreProduction", "Production")
    assert stage_revert_target(StageMark(LifeCycle("PreProduction", "Approved")), PROD, two_gated) == LifeCycle(
        "Production", "Rejected"
    )


def test_warn_alerts_without_reverting_and_an_approved_card_passes() -> None:
    warned = stage_gate_decision("warn", StageMark(QA), PROD, GATED, None)
    assert (warned.verdict, warned.alert, warned.revert_to) == ("warn", True, None)
    assert warned.reason == "no model card is linked to this model package version"
    approved = CardRecord("churn-v3", 2, "Approved", {})
    assert stage_gate_decision("enforce", StageMark(QA), PROD, GATED, approved).verdict == "pass"
    with pytest.raises(ValueError):
        stage_gate_decision("off", None, PROD, GATED, None)


def test_events_carry_the_stage_when_present_as_a_hint_only() -> None:
    current = parse_model_package_state_change(read_event("model_package_stage_changed"))
    minimal = parse_model_package_state_change(read_event("model_package_stage_changed_minimal"))
    assert current.life_cycle == LifeCycle("Production", "Approved", "Promoted after QA sign-off")
    assert minimal.life_cycle is None


def test_the_state_judged_is_the_packages_own_at_its_last_modified_time() -> None:
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/3"
    first = datetime(2026, 11, 23, 9, 0, 0, 123_000, tzinfo=UTC)
    approved = PackageFacts(arn, "churn", 3, "Completed", "Approved", last_modified=first, life_cycle=PROD)
    again = replace(approved, last_modified=first + timedelta(minutes=5))
    assert approval_state(approved) == "Approved#2026-11-23T09:00:00.123000+00:00"
    assert stage_state(approved) == "Production/Approved#2026-11-23T09:00:00.123000+00:00"
    assert approval_state(again) != approval_state(approved)  # approved again: another state, judged again
    assert approval_state(replace(approved, approval_status="PendingManualApproval")) is None
    assert stage_state(replace(approved, life_cycle=None)) is None


def test_gated_stages_setting_defaults_to_production_and_refuses_names_aws_would_refuse() -> None:
    assert GovernanceConfig.from_mapping(DEFAULTS).gated_stages == ("Production",)
    assert GovernanceConfig.from_mapping({**DEFAULTS, "gatedStages": None}).gated_stages == ("Production",)
    assert GovernanceConfig.from_mapping({**DEFAULTS, "gatedStages": "PreProd,Production"}).gated_stages == (
        "PreProd",
        "Production",
    )
    assert GovernanceConfig.from_mapping({**DEFAULTS, "gatedStages": []}).gated_stages == ()
    with pytest.raises(ConfigError, match=r"gatedStages: not a model registry stage name.*'Prod uction'.*'-x'"):
        GovernanceConfig.from_mapping({**DEFAULTS, "gatedStages": ["Prod uction", "-x", "QA"]})


def test_the_sweep_reports_a_version_in_a_gated_stage_without_an_approved_card() -> None:
    staged = PackageVersion("churn", 3, "arn:v3", "Completed", "PendingManualApproval", stage=PROD)
    rejected = PackageVersion("churn", 2, "arn:v2", "Completed", None, stage=LifeCycle("Production", "Rejected"))
    findings = find_problems(Inventory(packages=(staged, rejected)), now=NOW, settings=SweepSettings())

    (finding,) = [f for f in findings if f.kind is GATED_STAGE_WITHOUT_APPROVED_CARD]
    assert (finding.subject, finding.detail) == (
        "churn v3",
        "in stage Production (Approved); no model card documents this version",
    )
    ungated = find_problems(Inventory(packages=(staged,)), now=NOW, settings=SweepSettings(gated_stages=()))
    assert [f.kind.code for f in ungated] == ["model_without_card"]


def test_the_new_card_records_the_version_stage_as_a_package_fact_never_carried() -> None:
    previous = CardRecord(
        "churn-v2",
        1,
        "Approved",
        {"additional_information": {"custom_details": {constants.PACKAGE_STAGE: "Archived"}}},
    )
    package = PackageFacts(
        "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/3", "churn", 3, "Completed", None, life_cycle=QA
    )
    custom = plan_new_card("churn-v3", package, previous, NOW).content["additional_information"]["custom_details"]
    assert (custom[constants.PACKAGE_STAGE], custom[constants.PACKAGE_STAGE_STATUS]) == ("QA", "Approved")
    unstaged = PackageFacts(package.arn, "churn", 3, "Completed", None)
    custom = plan_new_card("churn-v3", unstaged, previous, NOW).content["additional_information"]["custom_details"]
    assert constants.PACKAGE_STAGE not in custom  # the previous version's stage is not carried
