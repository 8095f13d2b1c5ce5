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
