"""The cards carry-forward writes load with the SageMaker Python SDK v2's own loader, ``ModelCard.load``.

The SDK is 306 MB and takes 2 s to import, so it is not in the test venv: it lives in ``.venv-bench`` (built by
``make bench`` or ``make sdk-venv`` from bench/requirements-sdk.txt). This test runs its loader there, in a child
process (tests/sdk/load_with_sdk.py), and is skipped where no SDK is installed. The rule the loader enforces is
also pinned without the SDK in tests/unit/test_carry_forward_rules.py (``sdk_load_problems``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from model_governance.cards.carry_forward import plan_new_card
from model_governance.cards.content import serialize
from tests.unit.test_carry_forward_rules import (
    MEDIUM_SOURCE,
    NOW,
    PACKAGE,
    REGISTERED,
    SOURCE,
    UNREADABLE,
    V2_ARN,
    _near_limit_source,
)

ROOT = Path(__file__).resolve().parents[2]
LOADER = ROOT / "tests" / "sdk" / "load_with_sdk.py"


def sdk_python() -> str | None:
    """An interpreter with the SageMaker SDK: $SAGEMAKER_SDK_PYTHON, this one, or the bench venv's."""
    if configured := os.environ.get("SAGEMAKER_SDK_PYTHON"):
        return configured
    if importlib.util.find_spec("sagemaker") is not None:
        return sys.executable
    bench = ROOT / ".venv-bench" / "bin" / "python"
    return str(bench) if bench.exists() else None


def load_with_sdk(cards: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    python = sdk_python()
    if python is None:
        pytest.skip("SageMaker Python SDK not installed: `make sdk-venv` builds .venv-bench")
    request = json.dumps([{"name": name, "content": content} for name, content in cards.items()])
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the SDK's own packages only
    done = subprocess.run(
        [python, str(LOADER)], input=request, capture_output=True, text=True, check=True, env=env, timeout=300
    )
    return {result["name"]: result for result in json.loads(done.stdout)}


def test_every_kind_of_card_we_write_loads_with_the_sdk_and_still_names_its_package():
    plans = {
        "carried": plan_new_card("churn-v2", PACKAGE, SOURCE, NOW),
        "first-of-its-kind": plan_new_card("churn-v2", PACKAGE, None, NOW),
        "registrant-kept": plan_new_card("churn-v2", REGISTERED, MEDIUM_SOURCE, NOW),
        "unreadable-predecessor": plan_new_card("churn-v2", PACKAGE, UNREADABLE, NOW),
        "trimmed": plan_new_card("churn-v2", REGISTERED, _near_limit_source(99_990), NOW),
    }
    # the card we used to write (model_id beside model_package_details): proves the loader's rule is exercised
    old_style = plans["carried"].content | {
        "model_overview": {**plans["carried"].content["model_overview"], "model_id": V2_ARN}
    }

    results = load_with_sdk({**{name: plan.content for name, plan in plans.items()}, "old-style": old_style})

    assert results["old-style"]["loaded"] is False
    assert "already been associated with a model" in results["old-style"]["error"]
    for name, plan in plans.items():
        result = results[name]
        assert result["loaded"], f"{name}: {result['error']}"
        written = result["content"]  # what the SDK would write back
        assert written["model_package_details"]["model_package_arn"] == V2_ARN
        assert written["model_overview"]["model_name"] == "churn"
        if "intended_uses" in plan.content:
            assert written["intended_uses"] == plan.content["intended_uses"]
    assert results["registrant-kept"]["content"]["intended_uses"]["risk_rating"] == "High"
    assert len(serialize(plans["trimmed"].content)) <= 100_000


def test_a_hand_made_source_card_without_a_package_link_is_also_carried_into_a_loadable_card():
    source = replace(SOURCE, content={k: v for k, v in SOURCE.content.items() if k != "model_package_details"})
    plan = plan_new_card("churn-v2", PACKAGE, source, NOW)

    result = load_with_sdk({"from-unlinked": plan.content})["from-unlinked"]

    assert result["loaded"], result["error"]
