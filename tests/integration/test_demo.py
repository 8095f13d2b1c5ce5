"""`make demo` tells every story without a failure, briefly by default (at most 150 lines) and whole when asked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BRIEF_MAX_LINES = 150


def test_the_brief_demo_tells_every_story_in_at_most_150_lines() -> None:
    # as `make demo` runs it (the Makefile exports these)
    env = {
        **os.environ,
        "PYTHONPATH": "layers/python:layers/dq/python:.",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    env.pop("VERBOSE", None)
    result = subprocess.run(
        [sys.executable, "-m", "local.demo"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=600
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "!! scenario" not in output and "Traceback" not in output
    lines = output.splitlines()
    assert len(lines) <= BRIEF_MAX_LINES, f"{len(lines)} lines"
    headings = [line for line in lines if line.startswith("=== ")]
    assert headings[1].startswith("=== Carry-forward")  # the everyday story first
    assert any("Events were lost" in h for h in headings)  # reconciliation is told, later
    # one sample of each message kind, cut short
    for sample in (
        "Subject: Model card customer-churn-v2 created",
        "Model Monitor found 3 violations",
        '  "SchemaVersion"',
    ):
        assert sum(line.startswith(f"    | {sample}") for line in lines) == 1, sample
    assert "VERBOSE=1 make demo shows all" in output
