#!/usr/bin/env python3
"""Composition root: read and validate the configuration once, build the stack, apply cdk-nag."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.config import ConfigError, GovernanceConfig
from infra.stack import ModelGovernanceStack

STACK_NAME = "ModelGovernance"
CDK_JSON = Path(__file__).resolve().parent / "cdk.json"


def build_app(
    context: dict[str, object] | None = None, outdir: str | None = None
) -> tuple[cdk.App, ModelGovernanceStack]:
    app = cdk.App(context=context, outdir=outdir)
    # The CDK CLI passes cdk.json's context in; `python app.py` (make synth, tests, demo) reads the same defaults.
    defaults: dict[str, Any] = json.loads(CDK_JSON.read_text())["context"]

    def setting(key: str) -> Any:
        value = app.node.try_get_context(key)
        return defaults.get(key) if value is None else value

    config = GovernanceConfig.from_context(setting)
    # No env: one template deployable to any account and region (no AWS calls at synth time).
    stack = ModelGovernanceStack(app, STACK_NAME, config=config)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack


if __name__ == "__main__":
    try:
        application, _ = build_app()
    except ConfigError as error:
        sys.exit(f"error: {error}")
    application.synth()
