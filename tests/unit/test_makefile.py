"""`make help` lists every target with one line; `make synth` takes the same CDK_ARGS as `make deploy`."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAKEFILE = (ROOT / "Makefile").read_text()


def make(*args: str) -> str:
    return subprocess.run(
        ["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def test_make_help_lists_every_phony_target_with_a_description():
    phony = re.search(r"^\.PHONY:(.*)$", MAKEFILE, re.MULTILINE)
    assert phony
    listed = dict(re.findall(r"^  make (\S+)\s+(.+)$", make("help"), re.MULTILINE))
    missing = [target for target in phony.group(1).split() if not listed.get(target, "").strip()]
    assert not missing, f"targets without a '## description': {missing}"


def test_make_synth_passes_cdk_args_like_deploy():
    dry_run = make("-n", "synth", "CDK_ARGS=-c alertEmails=ops@example.com -c approvalGate=enforce")
    assert "cdk synth" in dry_run
    assert "-c alertEmails=ops@example.com -c approvalGate=enforce" in dry_run


def test_every_make_target_and_the_cdk_app_silence_the_node_banner():
    assert re.search(r"^export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20$", MAKEFILE, re.MULTILINE)
    app = (ROOT / "app.py").read_text()
    setting = app.index('os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")')
    assert setting < app.index("import aws_cdk"), "jsii reads it when aws_cdk is imported"
