import json
from pathlib import Path

import pytest

from infra.config import ConfigError, GovernanceConfig

DEFAULTS = json.loads((Path(__file__).resolve().parents[2] / "cdk.json").read_text())["context"]


def test_cdk_json_defaults_are_valid():
    config = GovernanceConfig.from_mapping(DEFAULTS)
    assert config.approval_gate == "warn"
    assert config.log_retention_days == 90
    assert config.create_card_without_predecessor is True


def test_comma_separated_emails_from_the_command_line_are_accepted():
    config = GovernanceConfig.from_mapping({**DEFAULTS, "alertEmails": "ops@example.com, oncall@example.org"})
    assert config.alert_emails == ("ops@example.com", "oncall@example.org")


def test_every_problem_is_reported_at_once_with_the_key_name():
    with pytest.raises(ConfigError) as error:
        GovernanceConfig.from_mapping(
            {
                **DEFAULTS,
                "alertEmails": ["ops@example"],
                "logRetentionDays": 42,
                "approvalGate": "strict",
                "sweepSchedule": "daily",
            }
        )
    text = str(error.value)
    for expected in ("alertEmails", "ops@example", "logRetentionDays", "approvalGate", "sweepSchedule"):
        assert expected in text


def test_the_app_refuses_a_malformed_email_before_building_anything():
    from app import build_app

    with pytest.raises(ConfigError, match="not a valid email address"):
        build_app({**DEFAULTS, "alertEmails": "not-an-email", "aws:cdk:bundling-stacks": []})


def test_evidence_lock_mode_is_governance_by_default_and_compliance_on_request():
    assert GovernanceConfig.from_mapping(DEFAULTS).evidence_lock_mode == "governance"
    assert GovernanceConfig.from_mapping({**DEFAULTS, "evidenceLockMode": "compliance"}).evidence_lock_mode == (
        "compliance"
    )
    with pytest.raises(ConfigError, match="evidenceLockMode: expected one of governance, compliance"):
        GovernanceConfig.from_mapping({**DEFAULTS, "evidenceLockMode": "legal-hold"})


def test_operators_are_none_by_default_and_named_by_iam_arn_or_pattern():
    assert GovernanceConfig.from_mapping(DEFAULTS).operator_principal_arns == ()
    arns = [
        "arn:aws:iam::123456789012:role/ModelGovernanceOperators",
        "arn:aws:iam::123456789012:user/alice",
        "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_*",
        "arn:aws-cn:iam::123456789012:root",
    ]
    config = GovernanceConfig.from_mapping({**DEFAULTS, "operatorPrincipalArns": ",".join(arns)})
    assert config.operator_principal_arns == tuple(arns)


@pytest.mark.parametrize(
    "bad",
    [
        "alice",
        "arn:aws:iam::123456789012:group/Ops",  # a group is never a request's principal
        "arn:aws:sts::123456789012:assumed-role/Ops/alice",  # a session: name its role
        "arn:aws:iam::12345:role/Ops",
        "*",
        "arn:aws:iam::123456789012:role/*",  # every role of the account: no exception left
        "arn:aws:iam::123456789012:user/a*",
    ],
)
def test_an_operator_that_is_not_an_iam_user_role_or_root_is_refused_with_the_key_name(bad):
    with pytest.raises(ConfigError) as error:
        GovernanceConfig.from_mapping({**DEFAULTS, "operatorPrincipalArns": [bad]})
    assert "operatorPrincipalArns" in str(error.value) and repr(bad) in str(error.value)


def test_nothing_is_reserved_by_default_and_one_run_at_a_time_on_request():
    assert GovernanceConfig.from_mapping(DEFAULTS).sweep_reserved_concurrency == 0
    assert GovernanceConfig.from_mapping({**DEFAULTS, "sweepReservedConcurrency": "1"}).sweep_reserved_concurrency == 1
    with pytest.raises(ConfigError, match=r"sweepReservedConcurrency: expected 0 .* or 1 .*quota of at least 102"):
        GovernanceConfig.from_mapping({**DEFAULTS, "sweepReservedConcurrency": 5})


def test_function_resource_policies_are_on_unless_turned_off():
    assert GovernanceConfig.from_mapping({**DEFAULTS, "functionResourcePolicies": None}).function_resource_policies
    assert not GovernanceConfig.from_mapping(
        {**DEFAULTS, "functionResourcePolicies": "false"}
    ).function_resource_policies
    with pytest.raises(ConfigError, match="functionResourcePolicies: expected true or false"):
        GovernanceConfig.from_mapping({**DEFAULTS, "functionResourcePolicies": "sometimes"})
