"""The process environment of everything that runs against the in-memory AWS (make demo, make bench)."""

from __future__ import annotations

import os
import warnings

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
# The customer-managed key of the demo's encrypted model cards: the demo stack lists it in modelCardKmsKeyArns.
DEMO_CARD_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/5e1c7a9d-2b4f-4e8a-9c3d-7f6a1b2c3d4e"


def use_offline_environment(*, log_level: str) -> None:
    """Fake credentials (nothing can reach a real account), one region, quiet logs. Call before importing
    the handlers: Powertools reads its settings when the Logger is created."""
    os.environ.update(
        AWS_ACCESS_KEY_ID="offline",
        AWS_SECRET_ACCESS_KEY="offline",
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        AWS_EC2_METADATA_DISABLED="true",
        POWERTOOLS_LOG_LEVEL=log_level,
        POWERTOOLS_METRICS_NAMESPACE="ModelGovernance",
    )
    # jsii (the CDK on Node) prints a ten-line end-of-life banner on Node 20 when the stack is synthesized.
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    warnings.filterwarnings("ignore")
