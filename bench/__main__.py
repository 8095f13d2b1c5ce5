"""Runs every benchmark module in bench.ORDER and prints their figures (Markdown, ready for the README)."""

from __future__ import annotations

import importlib
import os
import sys
import warnings

os.environ.update(
    AWS_ACCESS_KEY_ID="bench",
    AWS_SECRET_ACCESS_KEY="bench",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_REGION="us-east-1",
    AWS_EC2_METADATA_DISABLED="true",
    POWERTOOLS_LOG_LEVEL="ERROR",
    POWERTOOLS_METRICS_NAMESPACE="ModelGovernance",
)
warnings.filterwarnings("ignore")


def main() -> int:
    from bench import ORDER

    for name in ORDER:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError:
            continue
        for line in module.run():
            print(line, flush=True)
        print(flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
