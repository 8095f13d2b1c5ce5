"""Runs every benchmark module in bench.ORDER and prints their figures (Markdown, ready for the README)."""

from __future__ import annotations

import importlib
import sys

from local.offline import use_offline_environment

use_offline_environment(log_level="ERROR")


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
