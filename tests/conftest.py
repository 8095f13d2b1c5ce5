"""Shared fixtures: fake credentials, in-memory AWS, sample events, the synthesized template, the local world."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from model_governance.adapters.clients import reset_clients
from model_governance.observability import metrics

EVENTS_DIR = Path(__file__).resolve().parent.parent / "events"
REGION = "us-east-1"
# jsii (the CDK on Node) prints a ten-line end-of-life banner on Node 20 in every run that builds the stack.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a region, so no test can reach a real account."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "ModelGovernance",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture(autouse=True)
def clean_metrics() -> Iterator[None]:
    metrics.clear_metrics()
    yield
    metrics.clear_metrics()


@pytest.fixture
def aws() -> Iterator[None]:
    """An empty in-memory AWS account (moto) for the duration of the test."""
    with mock_aws():
        reset_clients()
        yield
    reset_clients()


def read_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS_DIR / f"{name}.json").read_text())


@pytest.fixture
def sample_event() -> Callable[..., dict[str, Any]]:
    """``sample_event("model_package_state_change", **detail_overrides)``: a fresh copy of an events/ file."""

    def make(name: str, **detail: Any) -> dict[str, Any]:
        event = copy.deepcopy(read_event(name))
        event["detail"].update(detail)
        return event

    return make


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    """The stack's template, synthesized once per test session."""
    from local.world import synthesize

    return synthesize()


@pytest.fixture
def world(template: dict[str, Any]) -> Iterator[Any]:
    """The synthesized stack on moto (with moto's SageMaker gaps filled), ready to receive events."""
    from local.moto_gaps import sagemaker_gaps_filled
    from local.moto_monitoring import monitoring_emulated
    from local.world import LocalWorld

    with mock_aws(), sagemaker_gaps_filled(), monitoring_emulated():
        yield LocalWorld(template)
    reset_clients()
