"""EventBridge patterns: each matches only what its function needs (aws-facts.md section 1)."""

from __future__ import annotations

from aws_cdk import aws_events as events

SAGEMAKER = ["aws.sagemaker"]


def model_package_registered() -> events.EventPattern:
    """A versioned model package whose registration completed (also fires again on approval changes)."""
    return events.EventPattern(
        source=SAGEMAKER,
        detail_type=["SageMaker Model Package State Change"],
        detail={
            "ModelPackageStatus": ["Completed"],
            "ModelPackageGroupName": [{"exists": True}],
            "ModelPackageVersion": [{"exists": True}],
        },
    )
