"""Fixtures shared by the data-quality and model-quality integration tests: the synthesized stack with the demo's
monitor, on moto, with its baseline written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.scenarios import data_quality as scenario
from local.scenarios import model_quality as mq_scenario
from model_governance.adapters.clients import reset_clients


@pytest.fixture(scope="module")
def dq_template() -> dict[str, Any]:
    from local.world import synthesize

    return synthesize(scenario.CONTEXT)


@pytest.fixture
def dq_world(dq_template: dict[str, Any]) -> Iterator[Any]:
    from local.moto_gaps import sagemaker_gaps_filled
    from local.moto_monitoring import monitoring_emulated
    from local.world import LocalWorld

    with mock_aws(), sagemaker_gaps_filled(), monitoring_emulated():
        world = LocalWorld(dq_template)
        s3 = boto3.client("s3", region_name="us-east-1")
        dataset = scenario.put_training_data(s3)
        baseline = world.function("dq_monitor").invoke(
            {
                "action": "baseline",
                "monitor": scenario.MONITOR,
                "dataset": dataset,
                "output": f"s3://{scenario.BUCKET}/baselines/churn",
            }
        )
        assert baseline.error is None
        yield world, s3
    reset_clients()


@pytest.fixture(scope="module")
def mq_template() -> dict[str, Any]:
    from local.world import synthesize

    return synthesize(mq_scenario.CONTEXT)


@pytest.fixture
def mq_world(mq_template: dict[str, Any]) -> Iterator[Any]:
    """The stack with the model-quality demo's monitor, on moto, with its baseline written."""
    from local.moto_gaps import sagemaker_gaps_filled
    from local.moto_monitoring import monitoring_emulated
    from local.world import LocalWorld

    with mock_aws(), sagemaker_gaps_filled(), monitoring_emulated():
        world = LocalWorld(mq_template)
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=mq_scenario.BUCKET)
        mq_scenario.put_baseline(s3)
        yield world, s3
    reset_clients()
