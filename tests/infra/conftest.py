from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

ROOT = Path(__file__).resolve().parents[2]
# The condition of every UpdateModelPackage that writes an embedded card: no approval, stage or stage status, no
# card confirmation (the trust key), no metadata removed. Written out here, so that widening it fails a test.
EMBEDDED_CARD_ONLY = {
    "Null": {
        "sagemaker:ModelApprovalStatus": "true",
        "sagemaker:ModelLifeCycle:Stage": "true",
        "sagemaker:ModelLifeCycle:StageStatus": "true",
        "sagemaker:CustomerMetadataProperties/model-governance:model-card": "true",
        "sagemaker:CustomerMetadataPropertiesToRemove": "true",
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
