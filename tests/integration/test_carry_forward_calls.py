"""SageMaker calls per registration stay flat as the account grows, with the trust rule's checks in place:
at most 4 in steady state (carrying the system's own previous card) and 5 for the first carry from a confirmed
hand-made card (one DescribeModelPackage of the earlier version reads its confirmation)."""

from __future__ import annotations

from typing import Any

import boto3

from bench.carry_forward import measure
from local.world import REGION


def test_calls_per_registration_are_at_most_4_and_5_and_do_not_grow_with_the_account(template: dict[str, Any]):
    boto3.setup_default_session(region_name=REGION)
    small, large = measure(10, template), measure(60, template)

    assert small["sagemaker"] == large["sagemaker"] <= 4, (small["detail"], large["detail"])
    assert small["from_hand_made"] == large["from_hand_made"] <= 5
    assert small["repeat_sagemaker"] <= 1  # a redelivery reads the package, finds the effect done, stops
