"""cfn-lint validates what we deploy against CloudFormation's resource schemas (the Chatbot, Step Functions and
Lambda resources moto never checks): the template of a default synth, and of a synth with every option on.
Rules ignored on purpose are listed, with their reason, in .cfnlintrc."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from local.scenarios import data_quality as dq
from local.world import synthesize
from tests.infra.conftest import ROOT
from tests.infra.test_chat_and_security_hub import CONTEXT as CHAT_AND_SECURITY_HUB

KMS = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
EVERY_OPTION = {
    **CHAT_AND_SECURITY_HUB,
    "dataQualityMonitors": [{**dq.CONTEXT["dataQualityMonitors"][0], "kmsKeyArns": [KMS]}],
    "approvalGate": "enforce",
    "alertEmails": ["ops@example.com"],
    "noticeEmails": ["owners@example.com"],
    "monitoringOutputBuckets": ["monitoring-output"],
    "monitoringOutputKmsKeyArns": [KMS],
    "modelCardKmsKeyArns": [KMS],
    "sendAllClear": True,
}


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("templates")
    paths = []
    for name, context in (("default", {}), ("every-option", EVERY_OPTION)):
        template: dict[str, Any] = synthesize(context)
        path = folder / f"{name}.template.json"
        path.write_text(json.dumps(template))
        paths.append(path)
    return paths


def test_the_synthesized_templates_pass_cfn_lint(templates):
    lint = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--format", "parseable", *map(str, templates)],
        cwd=ROOT,  # reads .cfnlintrc
        capture_output=True,
        text=True,
        check=False,
    )
    assert (lint.returncode, lint.stdout, lint.stderr) == (0, "", "")


def test_every_option_is_on_in_the_linted_template(templates):
    every = json.loads(templates[1].read_text())
    types = {r["Type"] for r in every["Resources"].values()}
    assert {"AWS::StepFunctions::StateMachine", "AWS::Chatbot::SlackChannelConfiguration"} <= types
    assert {"AWS::Chatbot::MicrosoftTeamsChannelConfiguration"} <= types
    assert "enforce" in json.dumps(every)
