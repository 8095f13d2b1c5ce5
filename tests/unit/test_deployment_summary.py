"""What synth tells the person deploying: who is alerted, the gate, the evidence lock; a warning when nobody is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from infra.config import GovernanceConfig
from infra.summary import alarm_receivers, deployment_summary

ROOT = Path(__file__).resolve().parents[2]
DEFAULTS = json.loads((ROOT / "cdk.json").read_text())["context"]
SLACK = {"name": "ml-ops", "platform": "slack", "workspaceId": "T0123ABCD", "channelId": "C0123ABCD", "topics": ["ops"]}


def summary(**settings: object) -> list[str]:
    return deployment_summary(GovernanceConfig.from_mapping({**DEFAULTS, **settings}))


def warnings(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("warning:")]


def test_the_defaults_warn_that_nobody_receives_the_alarms_and_that_evidence_outlives_the_stack():
    lines = summary()
    assert warnings(lines) == [
        "warning: nobody receives the stack's alarms (alertEmails is empty). "
        "Set -c alertEmails=you@example.com before deploying."
    ]
    assert "  ops alerts (alarms, monitor alerts, sweep digests) go to: nobody" in lines
    assert "  evidence: locked 2557 days (about 7 years) in governance mode; `cdk destroy` leaves the bucket" in lines
    assert any(line.startswith("note: evidence stays locked for 2557 days") for line in lines)


def test_a_trial_with_an_alert_email_has_nothing_to_warn_about():
    lines = summary(alertEmails="ops@example.com", evidenceRetentionDays=1, evidenceLockMode="governance")
    assert not [line for line in lines if line.startswith(("warning:", "note:"))]
    assert "  ops alerts (alarms, monitor alerts, sweep digests) go to: ops@example.com" in lines
    assert "  evidence: locked 1 day in governance mode; `cdk destroy` leaves the bucket" in lines


def test_the_summary_names_the_gate_monitors_chat_and_security_hub():
    monitor = {
        "name": "churn-dq",
        "endpoint": "churn-endpoint",
        "variant": "AllTraffic",
        "capturePrefix": "s3://my-bucket/datacapture",
        "baselinePrefix": "s3://my-bucket/baselines/churn",
        "outputPrefix": "s3://my-bucket/dq-reports",
        "schedule": "cron(0 * ? * * *)",
    }
    lines = summary(
        approvalGate="enforce",
        gatedStages=["Production", "Staging"],
        noticeEmails="ml@example.com",
        dataQualityMonitors=[monitor],
        chatChannels=[SLACK],
        securityHubFindings=True,
        reconcile=False,
    )
    text = "\n".join(lines)
    assert "approval gate: enforce: an approval or promotion without an approved card is reverted" in text
    assert "gated stages: Production, Staging" in text
    assert "notices (model owners, reviewers) go to: ml@example.com" in text
    assert "data-quality monitors: churn-dq (churn-endpoint, cron(0 * ? * * *))" in text
    assert "chat: ml-ops (slack: ops)" in text
    assert "Security Hub findings: imported by each sweep" in text
    assert "account sweep: rate(1 day), lists lost events" in text
    assert not warnings(lines), "an unfiltered ops chat channel receives the alarms"


def test_an_ops_chat_channel_that_filters_severities_does_not_count_as_receiving_alarms():
    config = GovernanceConfig.from_mapping({**DEFAULTS, "chatChannels": [SLACK], "chatSeverities": {"ops": ["High"]}})
    assert alarm_receivers(config) == []
    assert warnings(deployment_summary(config)) == [
        "warning: nobody receives the stack's alarms (the ops chat channels filter severities, which alarm "
        "notifications do not carry). Set -c alertEmails=you@example.com before deploying."
    ]


def test_compliance_mode_is_a_warning():
    lines = summary(alertEmails="ops@example.com", evidenceLockMode="compliance", evidenceRetentionDays=30)
    assert warnings(lines) == [
        "warning: compliance mode: nobody, not even the account root, can delete evidence for 30 days, "
        "and the bucket outlives the stack."
    ]


def test_synth_prints_the_summary_on_stderr_without_the_node_banner(tmp_path: Path):
    """As `cdk synth` runs the app: its stderr is what the person deploying reads."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("JSII_SILENCE")}
    env.update(PYTHONPATH=os.pathsep.join(["layers/python", "layers/dq/python", "."]), CDK_OUTDIR=str(tmp_path))
    env["CDK_CONTEXT_JSON"] = json.dumps({"alertEmails": "ops@example.com", "aws:cdk:bundling-stacks": []})
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=True
    )
    assert "ops alerts (alarms, monitor alerts, sweep digests) go to: ops@example.com" in result.stderr
    assert "end-of-life" not in result.stderr and "b'!!" not in result.stderr
    assert (tmp_path / "ModelGovernance.template.json").exists()


def test_the_summary_names_who_may_invoke_the_functions_by_hand():
    assert "  functions invoked by hand (backfill, replays) by: nobody (set operatorPrincipalArns to allow it)" in (
        summary()
    )
    operator = "arn:aws:iam::123456789012:role/ModelOps"
    assert f"  functions invoked by hand (backfill, replays) by: {operator}" in summary(
        operatorPrincipalArns=[operator]
    )


def test_turning_off_function_resource_policies_or_reserving_concurrency_is_said_before_deploying():
    assert warnings(summary(functionResourcePolicies=False, alertEmails="ops@example.com")) == [
        "warning: functionResourcePolicies is false: any principal of the account whose identity policy allows "
        "lambda:InvokeFunction can invoke the functions with any event."
    ]
    assert any("quota must be at least 102" in line for line in summary(sweepReservedConcurrency=1))
    assert not any("quota" in line for line in summary())
