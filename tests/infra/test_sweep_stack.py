"""The account sweep and backfill in the template: schedule rule, least privilege, alarms with actions, output."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Duration

from infra.account_sweep import alarm_windows
from infra.governed_function import HANDLER_METADATA_KEY
from model_governance.sweep.rules import KINDS
from tests.infra.conftest import EMBEDDED_CARD_ONLY, resources


def function_id(template: dict[str, Any], handler_dir: str) -> str:
    return next(
        k
        for k, v in resources(template, "AWS::Lambda::Function").items()
        if (v.get("Metadata") or {}).get(HANDLER_METADATA_KEY) == handler_dir
    )


def statements(template: dict[str, Any], handler_dir: str) -> list[dict[str, Any]]:
    role = resources(template, "AWS::Lambda::Function")[function_id(template, handler_dir)]["Properties"]["Role"]
    role_id = role["Fn::GetAtt"][0]
    return [
        s
        for policy in resources(template, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def actions_on(template: dict[str, Any], handler_dir: str) -> dict[str, list[str]]:
    """action -> the resources (as JSON text) it is allowed on."""
    allowed: dict[str, list[str]] = {}
    for statement in statements(template, handler_dir):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for action in actions:
            allowed.setdefault(action, []).append(json.dumps(statement["Resource"]))
    return allowed


def test_the_sweep_runs_on_the_configured_schedule_with_retries_and_a_dlq(template):
    sweep = function_id(template, "account_sweep")
    [rule] = [
        r
        for r in resources(template, "AWS::Events::Rule").values()
        if r["Properties"]["Targets"][0]["Arn"] == {"Fn::GetAtt": [sweep, "Arn"]}
    ]
    assert rule["Properties"]["ScheduleExpression"] == "rate(1 day)"
    assert "EventPattern" not in rule["Properties"]
    props = resources(template, "AWS::Lambda::Function")[sweep]["Properties"]
    assert props["Timeout"] == 900
    assert props["Environment"]["Variables"]["PENDING_REVIEW_MAX_DAYS"] == "7"
    assert props["Environment"]["Variables"]["SEND_ALL_CLEAR"] == "false"


def test_the_backfill_runs_only_on_demand(template):
    backfill = function_id(template, "backfill")
    targets = [t["Arn"] for r in resources(template, "AWS::Events::Rule").values() for t in r["Properties"]["Targets"]]
    assert {"Fn::GetAtt": [backfill, "Arn"]} not in targets
    assert template["Outputs"]["BackfillFunctionName"]["Value"] == {"Ref": backfill}


def test_the_sweep_only_reads_sagemaker_and_writes_only_its_reports(template):
    allowed = actions_on(template, "account_sweep")
    sagemaker = {a for a in allowed if a.startswith("sagemaker:")}
    assert sagemaker == {
        "sagemaker:ListModelPackages",
        "sagemaker:ListEndpoints",
        "sagemaker:ListMonitoringSchedules",
        "sagemaker:Search",
        "sagemaker:DescribeMonitoringSchedule",
        "sagemaker:DescribeModelCard",
        "sagemaker:DescribeModelPackage",  # the card a judged version's metadata confirms (cards/trust.py)
    }
    assert allowed["sagemaker:DescribeMonitoringSchedule"] == [
        json.dumps(
            {
                "Fn::Join": [
                    "",
                    [
                        "arn:",
                        {"Ref": "AWS::Partition"},
                        ":sagemaker:",
                        {"Ref": "AWS::Region"},
                        ":",
                        {"Ref": "AWS::AccountId"},
                        ":monitoring-schedule/*",
                    ],
                ]
            }
        )
    ]
    [reports] = allowed["s3:PutObject"]
    assert reports.endswith('"/sweeps/*"]]}')
    assert not [a for a in allowed if a.startswith("s3:") and a != "s3:PutObject"]


def test_the_backfill_may_write_cards_and_embedded_cards_but_never_approvals(template):
    [update] = [s for s in statements(template, "backfill") if s["Action"] == "sagemaker:UpdateModelPackage"]
    assert update["Condition"] == EMBEDDED_CARD_ONLY
    assert "sagemaker:CreateModelCard" in actions_on(template, "backfill")
    assert "sagemaker:UpdateModelCard" not in actions_on(template, "backfill")


def test_each_finding_kind_has_an_alarm_that_notifies_ops_and_keeps_its_state_between_sweeps(template):
    ops_topic = next(k for k in resources(template, "AWS::SNS::Topic") if k.startswith("AlertsOpsTopic"))
    alarms = {
        a["Properties"].get("MetricName"): a["Properties"]
        for a in resources(template, "AWS::CloudWatch::Alarm").values()
    }
    for kind in KINDS:
        alarm = alarms[kind.metric]
        assert alarm["Namespace"] == "ModelGovernance"
        assert alarm["Dimensions"] == [{"Name": "service", "Value": "model-governance"}]
        assert (alarm["Statistic"], alarm["Period"], alarm["Threshold"]) == ("Maximum", 86400, 1)
        assert alarm["TreatMissingData"] == "ignore"
        assert alarm["AlarmActions"] == [{"Ref": ops_topic}] and alarm["OKActions"] == [{"Ref": ops_topic}]
    stale = alarms["SweepsCompleted"]
    assert (stale["ComparisonOperator"], stale["TreatMissingData"]) == ("LessThanThreshold", "breaching")
    assert stale["EvaluationPeriods"] * stale["Period"] == 2 * 86400
    assert stale["AlarmActions"] == [{"Ref": ops_topic}]


@pytest.mark.parametrize(
    ("schedule", "period", "evaluations"),
    [
        ("rate(1 day)", Duration.days(1), 2),
        ("cron(0 * ? * * *)", Duration.hours(1), 2),
        ("cron(0 6 ? * MON *)", Duration.days(1), 7),  # weekly: as long as CloudWatch allows (7 days)
        ("rate(1 minute)", Duration.minutes(5), 2),
    ],
)
def test_alarm_windows_follow_the_sweep_schedule_within_cloudwatch_limits(schedule, period, evaluations):
    got_period, got_evaluations = alarm_windows(schedule)
    assert got_period.to_seconds() == period.to_seconds() and got_evaluations == evaluations


def test_the_sweep_may_invoke_exactly_the_handlers_whose_lost_events_it_replays(template):
    """lambda:InvokeFunction on the unqualified ARNs of these functions only (no `*`, no other function)."""
    invoke = [s for s in statements(template, "account_sweep") if "lambda:InvokeFunction" in json.dumps(s["Action"])]
    assert len(invoke) == 1 and invoke[0]["Effect"] == "Allow"
    assert invoke[0]["Action"] == "lambda:InvokeFunction"
    targets = {function_id(template, name) for name in ("carry_forward", "card_review", "violation_alert")}
    targets.add(function_id(template, "approval_gate"))  # the default gate mode is warn
    assert sorted(invoke[0]["Resource"], key=json.dumps) == sorted(
        ({"Fn::GetAtt": [t, "Arn"]} for t in targets), key=json.dumps
    )
    sweep = resources(template, "AWS::Lambda::Function")[function_id(template, "account_sweep")]
    variables = sweep["Properties"]["Environment"]["Variables"]
    assert variables["RECONCILE"] == "true" and variables["RECONCILE_LOOKBACK_HOURS"] == "72"
    named = json.dumps(variables["RECONCILE_FUNCTIONS"])
    assert all(f'{{"Ref": "{t}"}}' in named for t in targets)


def test_reconciliation_off_grants_no_invoke_and_the_sweep_only_reports():
    from local.world import synthesize

    template = synthesize({"reconcile": False})
    assert "lambda:InvokeFunction" not in json.dumps(statements(template, "account_sweep"))
    sweep = resources(template, "AWS::Lambda::Function")[function_id(template, "account_sweep")]
    assert sweep["Properties"]["Environment"]["Variables"]["RECONCILE"] == "false"


@pytest.mark.parametrize(
    ("schedule", "hours", "ok"),
    [("rate(1 day)", 72, True), ("rate(1 day)", 47, False), ("rate(6 hours)", 12, True), ("rate(7 days)", 72, False)],
)
def test_the_lookback_must_cover_two_sweep_periods(schedule, hours, ok):
    from infra.config import ConfigError, GovernanceConfig
    from local.world import ROOT

    defaults = json.loads((ROOT / "cdk.json").read_text())["context"]
    values = {**defaults, "sweepSchedule": schedule, "reconcileLookbackHours": hours}
    if ok:
        assert GovernanceConfig.from_mapping(values).reconcile_lookback_hours == hours
    else:
        with pytest.raises(ConfigError, match="reconcileLookbackHours"):
            GovernanceConfig.from_mapping(values)
