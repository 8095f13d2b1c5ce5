from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

ROOT = Path(__file__).resolve().parents[2]
# No UpdateModelPackage of ours may set the card confirmation (the trust key) or remove metadata; one that writes
# an embedded card sets no approval, stage or stage status either. Written out here: widening them fails a test.
NO_CARD_CONFIRMATION = {
    "sagemaker:CustomerMetadataProperties/model-governance:model-card": "true",
    "sagemaker:CustomerMetadataPropertiesToRemove": "true",
}
EMBEDDED_CARD_ONLY = {
    "Null": {
        "sagemaker:ModelApprovalStatus": "true",
        "sagemaker:ModelLifeCycle:Stage": "true",
        "sagemaker:ModelLifeCycle:StageStatus": "true",
        **NO_CARD_CONFIRMATION,
    }
}


@pytest.fixture(scope="session")
def assertions(template: dict[str, Any]) -> Template:
    return Template.from_json(template)


@pytest.fixture(scope="session")
def nag_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """cdk-nag's validation report from a full synth of app.py with cdk.json's context."""
    from app import build_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    defaults = json.loads((ROOT / "cdk.json").read_text())["context"]
    app, _ = build_app({**defaults, "aws:cdk:bundling-stacks": []}, outdir=str(outdir))
    app.synth()
    return json.loads((outdir / "validation-report.json").read_text())


def resources(template: dict[str, Any], cfn_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == cfn_type}
