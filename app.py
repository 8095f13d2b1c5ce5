#!/usr/bin/env python3
"""Composition root: read and validate the configuration once, build the stack, apply cdk-nag."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

# jsii, which runs the CDK on Node, prints a ten-line end-of-life banner as Python byte strings on Node 20, from
# whatever starts this app (make, the CDK CLI, tests). Node 20 still synthesizes this stack; deployments name Node 22.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # after the setting above: importing aws_cdk starts Node
from cdk_nag import AwsSolutionsChecks

from infra.config import ConfigError, GovernanceConfig
from infra.stack import ModelGovernanceStack
from infra.summary import deployment_summary

STACK_NAME = "ModelGovernance"
CDK_JSON = Path(__file__).resolve().parent / "cdk.json"


def build_app(
    context: dict[str, object] | None = None, outdir: str | None = None
) -> tuple[cdk.App, ModelGovernanceStack]:
    app = cdk.App(context=context, outdir=outdir)
    config = read_config(app)
    # No env: one template deployable to any account and region (no AWS calls at synth time).
    stack = ModelGovernanceStack(app, STACK_NAME, config=config)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack


def read_config(app: cdk.App) -> GovernanceConfig:
    # The CDK CLI passes cdk.json's context in; `python app.py` (tests, demo) reads the same defaults.
    defaults: dict[str, Any] = json.loads(CDK_JSON.read_text())["context"]

    def setting(key: str) -> Any:
        value = app.node.try_get_context(key)
        return defaults.get(key) if value is None else value

    return GovernanceConfig.from_context(setting)


if __name__ == "__main__":
    try:
        application, _ = build_app()
    except ConfigError as error:
        sys.exit(f"error: {error}")
    print("\n".join(deployment_summary(read_config(application))), file=sys.stderr)
    application.synth()
