"""Seeding helpers for the account sweep's demo and flow tests: groups, hand-made cards, endpoints, aged cards.

Monitoring schedules and executions come from local/moto_monitoring.py (moto has no monitoring APIs). moto
stamps every card with the current time, so ``age_model_card`` moves a card's last modification into the past
to plant an overdue review. Nothing here is used by the deployed functions.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from moto.sagemaker.models import sagemaker_backends

from local.moto_monitoring import add_schedule, run_execution
from local.moto_monitoring import schedules as monitoring_schedules
from model_governance.cards.trust import CARD_METADATA_KEY

ACCOUNT = "123456789012"
REGION = "us-east-1"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def register_versions(sm: Any, group: str, approvals: list[str]) -> list[str]:
    """A group with one version per approval status given, in order; the versions' ARNs."""
    sm.create_model_package_group(ModelPackageGroupName=group)
    return [
        sm.create_model_package(
            ModelPackageGroupName=group,
            ModelApprovalStatus=approval,
            InferenceSpecification={
                "Containers": [{"Image": IMAGE, "ModelDataUrl": f"s3://models-{ACCOUNT}/{group}/v{n}/model.tar.gz"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
        )["ModelPackageArn"]
        for n, approval in enumerate(approvals, start=1)
    ]


def write_card(
    sm: Any,
    name: str,
    *,
    package_arn: str,
    status: str,
    risk: str = "Medium",
    owner: str = "ml-team",
    confirm: bool = True,
) -> None:
    """A card written by hand in the console, linked to one package version; ``confirm``: the package names it in
    its metadata, so the link counts (cards/trust.py)."""
    group, version = package_arn.split("model-package/", 1)[1].rsplit("/", 1)
    content = {
        "model_overview": {"model_owner": owner, "model_description": f"{group} model"},
        "intended_uses": {"risk_rating": risk, "intended_uses": f"Decisions about {group.replace('-', ' ')}"},
        "business_details": {"business_problem": f"Predict {group.replace('-', ' ')}"},
        "model_package_details": {
            "model_package_arn": package_arn,
            "model_package_group_name": group,
            "model_package_version": int(version),
        },
    }
    sm.create_model_card(ModelCardName=name, Content=json.dumps(content), ModelCardStatus=status)
    if confirm:
        sm.update_model_package(ModelPackageArn=package_arn, CustomerMetadataProperties={CARD_METADATA_KEY: name})


def deploy_endpoint(sm: Any, name: str) -> str:
    """An in-service endpoint (model, endpoint config, endpoint); its ARN."""
    sm.create_model(
        ModelName=f"{name}-model",
        ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/sagemaker",
        PrimaryContainer={"Image": IMAGE},
    )
    sm.create_endpoint_config(
        EndpointConfigName=f"{name}-config",
        ProductionVariants=[
            {
                "VariantName": "main",
                "ModelName": f"{name}-model",
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
            }
        ],
    )
    return str(sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")["EndpointArn"])


def age_model_card(name: str, days: float) -> None:
    """Move the card's last modification ``days`` into the past (as if it had waited that long)."""
    latest = sagemaker_backends[ACCOUNT][REGION].model_cards[name][-1]
    latest.last_modified_time = latest.last_modified_time - timedelta(days=days)


def plant_problems(sm: Any, now: datetime) -> dict[str, set[str]]:
    """Seed one of every problem the sweep looks for (plus healthy neighbours) under names no other scenario
    uses; returns the subjects the sweep must name, by finding kind."""
    # Cards: loan-default v2 is Approved while its High-risk card is still Draft; ad-ranking v1 is Approved with
    # no card at all; demand-forecast has never had a card; pricing-elasticity v2 lacks the card v1 has;
    # credit-limit's card has waited 12 days for review. Healthy: pricing-elasticity v1 (both Approved).
    loan = register_versions(sm, "loan-default", ["Approved", "Approved"])
    write_card(sm, "loan-default-v1", package_arn=loan[0], status="Approved", risk="High")
    write_card(sm, "loan-default-v2", package_arn=loan[1], status="Draft", risk="High")
    register_versions(sm, "ad-ranking", ["Approved"])
    register_versions(sm, "demand-forecast", ["Rejected", "PendingManualApproval"])
    pricing = register_versions(sm, "pricing-elasticity", ["Approved", "PendingManualApproval"])
    write_card(sm, "pricing-elasticity-v1", package_arn=pricing[0], status="Approved", risk="Low")
    credit = register_versions(sm, "credit-limit", ["PendingManualApproval"])
    write_card(sm, "credit-limit-v1", package_arn=credit[0], status="PendingReview", risk="High")
    age_model_card("credit-limit-v1", days=12)

    # Endpoints: one unmonitored, one whose schedule is Stopped, one whose last run failed, one idle for 5 hours
    # on an hourly schedule, one healthy (ran 20 minutes ago).
    bucket = f"s3://sagemaker-{REGION}-{ACCOUNT}/monitoring"
    for name in ("demand-forecast-prod", "loan-default-prod", "credit-limit-prod", "pricing-prod", "ad-ranking-prod"):
        deploy_endpoint(sm, name)
    add_schedule("loan-default-quality", endpoint="loan-default-prod", output_s3_uri=bucket, status="Stopped")
    add_schedule("credit-limit-quality", endpoint="credit-limit-prod", output_s3_uri=bucket)
    add_schedule("pricing-quality", endpoint="pricing-prod", output_s3_uri=bucket)
    add_schedule("ad-ranking-quality", endpoint="ad-ranking-prod", output_s3_uri=bucket)
    for schedule in monitoring_schedules():
        if schedule.name in {"credit-limit-quality", "pricing-quality", "ad-ranking-quality"}:
            schedule.created = now - timedelta(days=30)
    run_execution(
        sm,
        "credit-limit-quality",
        at=now - timedelta(minutes=40),
        status="Failed",
        failure_reason="AlgorithmError: no captured data under s3://.../datacapture/credit-limit-prod",
    )
    run_execution(sm, "pricing-quality", at=now - timedelta(hours=5))
    run_execution(sm, "ad-ranking-quality", at=now - timedelta(minutes=20))
    return {
        "approved_without_approved_card": {"loan-default v2", "ad-ranking v1"},
        "model_without_card": {"demand-forecast v2", "pricing-elasticity v2"},
        "review_overdue": {"card credit-limit-v1"},
        "endpoint_without_monitor": {"endpoint demand-forecast-prod"},
        "monitor_not_scheduled": {"schedule loan-default-quality (endpoint loan-default-prod)"},
        "monitor_execution_failed": {"schedule credit-limit-quality (endpoint credit-limit-prod)"},
        "monitor_idle": {"schedule pricing-quality (endpoint pricing-prod)"},
    }
