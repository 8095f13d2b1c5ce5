"""SageMaker calls per registration as the account grows: the carry-forward must stay flat."""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from typing import Any

import boto3

from local.world import REGION, LocalWorld, synthesize
from model_governance.cards.trust import CARD_METADATA_KEY

SIZES = (10, 100, 1000)
TARGET = "bench-target"


def _inference(version: int) -> dict[str, Any]:
    return {
        "Containers": [
            {
                "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1",
                "ModelDataUrl": f"s3://m/v{version}/model.tar.gz",
            }
        ],
        "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["text/csv"],
    }


def _card(arn: str, group: str) -> str:
    return json.dumps(
        {
            "model_overview": {"model_owner": "team"},
            "business_details": {"business_problem": "bench"},
            "intended_uses": {"risk_rating": "Low"},
            "model_package_details": {"model_package_arn": arn, "model_package_group_name": group},
        }
    )


def _seed(size: int) -> list[str]:
    """``size`` versions and ``size`` cards: half in the target group, the rest spread over other groups."""
    sm = boto3.client("sagemaker", region_name=REGION)
    target_versions = size // 2
    sm.create_model_package_group(ModelPackageGroupName=TARGET)
    arns = []
    for version in range(1, target_versions + 1):
        arn = sm.create_model_package(ModelPackageGroupName=TARGET, InferenceSpecification=_inference(version))[
            "ModelPackageArn"
        ]
        sm.create_model_card(
            ModelCardName=f"{TARGET}-card-{version}", Content=_card(arn, TARGET), ModelCardStatus="Approved"
        )
        arns.append(arn)
    for index in range(size - target_versions):
        group = f"other-{index // 10}"
        if index % 10 == 0:
            sm.create_model_package_group(ModelPackageGroupName=group)
        arn = sm.create_model_package(ModelPackageGroupName=group, InferenceSpecification=_inference(1))[
            "ModelPackageArn"
        ]
        sm.create_model_card(ModelCardName=f"{group}-card-{index}", Content=_card(arn, group), ModelCardStatus="Draft")
    return arns


def _event(arn: str, version: int) -> dict[str, Any]:
    with open("events/model_package_state_change.json") as file:
        event = json.load(file)
    event["region"], event["resources"] = REGION, [arn]
    event["detail"].update(ModelPackageGroupName=TARGET, ModelPackageVersion=version, ModelPackageArn=arn)
    return event


def measure(size: int, template: dict[str, Any]) -> dict[str, Any]:
    from moto import mock_aws

    from local.moto_gaps import sagemaker_gaps_filled

    calls: Counter[str] = Counter()

    def count(event_name: str, **_: Any) -> None:
        service, operation = event_name.split(".")[1:3]
        calls[f"{service}.{operation}"] += 1

    with mock_aws(), sagemaker_gaps_filled():
        world = LocalWorld(template)
        existing = _seed(size)
        sm = boto3.client("sagemaker", region_name=REGION)
        function = world.function("carry_forward")
        boto3.DEFAULT_SESSION.events.register("before-call", count)  # type: ignore[union-attr]
        # The steady state: the latest hand-made card is confirmed by its package and carried once (not measured);
        # every registration after that carries the card the system made for the version before.
        sm.update_model_package(
            ModelPackageArn=existing[-1],
            CustomerMetadataProperties={CARD_METADATA_KEY: f"{TARGET}-card-{len(existing)}"},
        )
        warm_version = len(existing) + 1
        warm = sm.create_model_package(ModelPackageGroupName=TARGET, InferenceSpecification=_inference(warm_version))
        calls.clear()
        warmed = function.invoke(_event(warm["ModelPackageArn"], warm_version))
        assert warmed.error is None, warmed.error
        assert warmed.result["source_card"] == f"{TARGET}-card-{len(existing)}", warmed.result
        from_hand_made = sum(n for k, n in calls.items() if k.startswith("sagemaker."))
        new_version = warm_version + 1
        arn = sm.create_model_package(ModelPackageGroupName=TARGET, InferenceSpecification=_inference(new_version))[
            "ModelPackageArn"
        ]
        calls.clear()
        try:
            started = time.perf_counter()
            first = function.invoke(_event(arn, new_version))
            first_ms = (time.perf_counter() - started) * 1000
            first_calls = Counter(calls)
            calls.clear()
            started = time.perf_counter()
            again = [function.invoke(_event(arn, new_version)) for _ in range(5)]
            repeat_ms = statistics.median([(time.perf_counter() - started) * 1000 / 5])
        finally:
            boto3.DEFAULT_SESSION.events.unregister("before-call", count)  # type: ignore[union-attr]
        assert first.error is None and first.result["outcome"] == "created", first.error
        assert first.result["source_card"] == f"{TARGET}-v{warm_version}", first.result
        assert all(a.result["outcome"] == "done" for a in again)
        return {
            "size": size,
            "sagemaker": sum(n for k, n in first_calls.items() if k.startswith("sagemaker.")),
            "from_hand_made": from_hand_made,
            "detail": ", ".join(
                f"{k.split('.')[1]} {n}" for k, n in sorted(first_calls.items()) if k.startswith("sagemaker.")
            ),
            "dynamodb": sum(n for k, n in first_calls.items() if k.startswith("dynamodb.")),
            "repeat_sagemaker": sum(n for k, n in calls.items() if k.startswith("sagemaker.")) / 5,
            "first_ms": first_ms,
            "repeat_ms": repeat_ms,
        }


def run() -> list[str]:
    template = synthesize()
    boto3.setup_default_session(region_name=REGION)
    rows = [measure(size, template) for size in SIZES]
    lines = [
        "### Carry-forward: SageMaker calls per registration (in-memory AWS)",
        "",
        "| cards and versions in the account | SageMaker calls (first delivery) | of which | DynamoDB calls | SageMaker calls per redelivery | first carry from a hand-made card | handler time, first / redelivery |",
        "| ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        lines.append(
            f"| {row['size']:,} | {row['sagemaker']} | {row['detail']} | {row['dynamodb']} | {row['repeat_sagemaker']:.0f} | "
            f"{row['from_hand_made']} | {row['first_ms']:.0f} ms / {row['repeat_ms']:.0f} ms |"
        )
    flat = len({(row["sagemaker"], row["from_hand_made"]) for row in rows}) == 1
    lines += ["", f"Flat: {'yes' if flat else 'NO'} (the same number of SageMaker calls at every size)."]
    return lines
