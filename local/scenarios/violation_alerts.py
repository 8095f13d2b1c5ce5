"""Demo: Model Monitor finds violations on an endpoint; ops get one email per change, not one per hour."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from local.moto_monitoring import add_schedule, execution_event, run_execution, write_report
from local.world import ACCOUNT, REGION, ROOT, LocalWorld
from model_governance.cards.trust import CARD_METADATA_KEY

GROUP = "telco-churn"
ENDPOINT = "churn-endpoint"
SCHEDULE = "churn-data-quality"
BUCKET = f"sagemaker-{REGION}-{ACCOUNT}"  # the default monitoring output bucket the stack may read
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
# The violations of the Model Monitor launch example: an integer feature got floats, two drifted.
SEED_VIOLATIONS = json.loads((ROOT / "events" / "constraint_violations_seed.json").read_text())["violations"]


def deploy_monitored_endpoint(sm: Any) -> None:
    """Group -> version 1 with a High-risk card -> model -> endpoint config -> endpoint -> schedule."""
    sm.create_model_package_group(ModelPackageGroupName=GROUP)
    package = sm.create_model_package(
        ModelPackageGroupName=GROUP,
        InferenceSpecification={
            "Containers": [{"Image": IMAGE}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]
    content = {
        "model_overview": {"model_owner": "Retention ML team (ml-retention@example.com)"},
        "intended_uses": {"risk_rating": "High", "explanations_for_risk_rating": "Drives customer contact."},
        "model_package_details": {"model_package_arn": package, "model_package_group_name": GROUP},
    }
    sm.create_model_card(ModelCardName=f"{GROUP}-v1", Content=json.dumps(content), ModelCardStatus="Approved")
    sm.update_model_package(ModelPackageArn=package, CustomerMetadataProperties={CARD_METADATA_KEY: f"{GROUP}-v1"})
    sm.create_model(
        ModelName="churn-model-v1",
        ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/sagemaker",
        Containers=[{"ModelPackageName": package}],
    )
    sm.create_endpoint_config(
        EndpointConfigName="churn-config-v1",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "churn-model-v1",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )
    sm.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="churn-config-v1")
    add_schedule(SCHEDULE, endpoint=ENDPOINT, output_s3_uri=f"s3://{BUCKET}/monitoring")


def execute(
    world: LocalWorld,
    sm: Any,
    at: datetime,
    violations: list[dict[str, str]] | None,
    status: str = "Completed",
    **kw: Any,
) -> tuple[dict[str, Any], list[Any]]:
    """One schedule run: the job in SageMaker, its report in S3, then the event SageMaker sends."""
    description = run_execution(sm, SCHEDULE, at=at, status=status, violations=len(violations or []), **kw)
    if violations is not None:
        write_report(description, json.dumps({"violations": violations}).encode())
    # The event's detail shape is not confirmed: send only name and status, the handler describes the rest.
    event = execution_event(description, detail_fields=("ProcessingJobName", "ProcessingJobStatus"))
    return event, world.put_event(event)


def show(world: LocalWorld, say: Any, invocations: list[Any], run: str) -> None:
    """One line per run: what the handler decided and what reached ops; metrics and emails whole when verbose."""
    say(f"{run}")
    for invocation in invocations:
        if invocation.function != "violation_alert":
            continue
        if invocation.error:
            say(f"  !! handler error: {invocation.error}")
            continue
        result = invocation.result
        emails = world.inbox("AlertsOps")
        reached = ", ".join(repr(email.subject) for email in emails) or "no email"
        say(f"  -> {result['outcome']} ({result['reason']}): {reached}")
        emitted = []
        for record in invocation.metrics:
            dimensions = [d for d in record["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0] if d != "service"]
            where = ",".join(f"{d}={record[d]}" for d in dimensions)
            for metric in record["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
                emitted.append(f"{metric['Name']}={record[metric['Name']]}" + (f" [{where}]" if where else ""))
        say.detail(f"  Metrics (EMF): {'; '.join(emitted) or 'none'}")
        for email in emails:
            say.detail(f"  attributes: {email.attributes}")
            say.block(email.body, kind="ops alert")


def run(world: LocalWorld, say: Any) -> None:
    sm = boto3.client("sagemaker", region_name=REGION)
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
    say.heading("Violation alerts: Model Monitor on an endpoint, one email per change")
    deploy_monitored_endpoint(sm)
    say.detail(
        f"SageMaker: endpoint {ENDPOINT} serves {GROUP} v1 (card risk rating High); schedule {SCHEDULE} runs hourly."
    )
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=6)

    def hour(offset: int) -> str:
        return f"{(start + timedelta(hours=offset)):%H:%M} UTC"

    label = f"{hour(0)} run: three violations (an integer feature got floats, two features drifted)"
    show(world, say, execute(world, sm, start, SEED_VIOLATIONS)[1], label)

    label = f"{hour(1)} run: the same three violations again (within the 24 h cooldown)"
    show(world, say, execute(world, sm, start + timedelta(hours=1), SEED_VIOLATIONS)[1], label)

    label = f"{hour(2)} run: State_AL is fixed, a completeness problem appears"
    changed = [
        *SEED_VIOLATIONS[1:],
        {
            "feature_name": "Night Calls",
            "constraint_check_type": "completeness_check",
            "description": "Data completeness: 0.62 is below the baseline completeness: 1.0",
        },
    ]
    show(world, say, execute(world, sm, start + timedelta(hours=2), changed)[1], label)

    label = f"{hour(3)} run: clean"
    clean_event, invocations = execute(world, sm, start + timedelta(hours=3), [])
    show(world, say, invocations, label)

    label = f"{hour(4)} run: the monitor fails"
    show(
        world,
        say,
        execute(
            world,
            sm,
            start + timedelta(hours=4),
            None,
            status="Failed",
            failure_reason=f"AlgorithmError: No captured data found for the hour before {hour(4)} under s3://.../datacapture/churn-endpoint",
        )[1],
        label,
    )

    say.detail("Same job ARN: the recorded decision is reused; no email, no double-counted metrics.")
    show(
        world, say, world.put_event(clean_event), f"The {hour(3)} event delivered again (SageMaker may send one twice)"
    )
