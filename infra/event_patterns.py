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


def processing_job_finished() -> events.EventPattern:
    """Any processing job in a terminal status; the handler keeps only Model Monitor executions.

    Not narrowed by job name: only the data-quality naming (``model-monitoring-<time>-<hash>``) has been seen,
    the other monitor types' names are not confirmed, and whether the detail carries MonitoringScheduleArn
    is not confirmed either (aws-facts.md 1.3). A prefix here could silently lose executions; the handler's
    check costs one DescribeProcessingJob per non-monitoring job at most.
    """
    return events.EventPattern(
        source=SAGEMAKER,
        detail_type=["SageMaker Processing Job State Change"],
        detail={"ProcessingJobStatus": ["Completed", "Failed", "Stopped"]},
    )


def model_card_state_changed() -> events.EventPattern:
    """Any status change of a model card (the review workflow acts on every status; the event has no content)."""
    return events.EventPattern(
        source=SAGEMAKER,
        detail_type=["SageMaker Model Card State Change"],
        detail={
            "ModelCardName": [{"exists": True}],
            "ModelCardVersion": [{"exists": True}],
            "ModelCardStatus": ["Draft", "PendingReview", "Approved", "Archived"],
        },
    )


def model_card_export_job_state_changed() -> events.EventPattern:
    """Any export job state change: AWS documents no payload (aws-facts.md 1.2), so nothing in ``detail`` is
    filtered on; the handler reads the job itself (DescribeModelCardExportJob) and ignores jobs it did not start."""
    return events.EventPattern(source=SAGEMAKER, detail_type=["SageMaker Model Card Export Job State Change"])


def model_package_approved() -> events.EventPattern:
    """A versioned model package whose approval status is Approved (the approval gate's trigger)."""
    return events.EventPattern(
        source=SAGEMAKER,
        detail_type=["SageMaker Model Package State Change"],
        detail={
            "ModelApprovalStatus": ["Approved"],
            "ModelPackageGroupName": [{"exists": True}],
            "ModelPackageVersion": [{"exists": True}],
        },
    )


def model_package_gated() -> events.EventPattern:
    """The approval gate's trigger: a versioned package that is Approved, or whose stage (ModelLifeCycle) an update
    changed, or any registration (an event naming no updated fields), which may put the version straight into a
    gated stage.

    Whether the event carries ``detail.ModelLifeCycle`` is not confirmed (aws-facts.md 7): nothing here depends on
    it, and the handler reads the approval and the stage with DescribeModelPackage."""
    return events.EventPattern(
        source=SAGEMAKER,
        detail_type=["SageMaker Model Package State Change"],
        detail={
            "ModelPackageGroupName": [{"exists": True}],
            "ModelPackageVersion": [{"exists": True}],
            "$or": [
                {"ModelApprovalStatus": ["Approved"]},
                {"UpdatedModelPackageFields": ["ModelLifeCycle"]},
                {"UpdatedModelPackageFields": [{"exists": False}]},
            ],
        },
    )
