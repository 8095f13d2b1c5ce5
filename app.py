#!/usr/bin/env python3
"""Composition root: read and validate the configuration once, build the stack, apply cdk-nag."""

from __future__ import annotations

import sys

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.config import ConfigError, GovernanceConfig
from infra.stack import ModelGovernanceStack

STACK_NAME = "ModelGovernance"


def build_app(
    context: dict[str, object] | None = None, outdir: str | None = None
) -> tuple[cdk.App, ModelGovernanceStack]:
    app = cdk.App(context=context, outdir=outdir)
    config = GovernanceConfig.from_context(app.node.try_get_context)
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
