"""The approval gate on model registry stages (ModelLifeCycle): a version promoted to Production while its card is
still Draft is put back to the stage it came from (approvalGate=enforce), with the same notices."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import boto3

from local.moto_cards import model_cards_emulated
from local.world import REGION, ROOT, LocalWorld
from model_governance import constants
from model_governance.adapters.ledger import Ledger
from model_governance.cards.trust import CARD_METADATA_KEY
from ops.ledger import format_history

GROUP = "pricing-model"
CARD = f"{GROUP}-v1"


def run(world: LocalWorld, say: Any) -> None:
    with model_cards_emulated():
        _story(world, say)


def _story(world: LocalWorld, say: Any) -> None:
    sm = boto3.client("sagemaker", region_name=REGION)
    say.heading("Stage gate: a version promoted to Production with a Draft card (approvalGate=enforce)")
    gate = world.function("approval_gate")
    mode = gate.environment[constants.ENV_APPROVAL_GATE]
    gate.environment[constants.ENV_APPROVAL_GATE] = "enforce"
    gate._module = None  # a fresh container reads the setting
    world.inbox("Alerts")  # other stories may have left messages: start clean
    try:
        sm.create_model_package_group(ModelPackageGroupName=GROUP)
        spec = {
            "Containers": [{"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/xgb:1.7"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        }
        arn = str(
            sm.create_model_package(
                ModelPackageGroupName=GROUP,
                InferenceSpecification=spec,
                ModelLifeCycle={"Stage": "QA", "StageStatus": "Approved"},
            )["ModelPackageArn"]
        )
        content = {
            "model_overview": {"model_owner": "pricing-ml team"},
            "model_package_details": {"model_package_arn": arn, "model_package_group_name": GROUP},
            "intended_uses": {"risk_rating": "High"},
        }
        sm.create_model_card(ModelCardName=CARD, Content=json.dumps(content), ModelCardStatus="Draft")
        sm.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties={CARD_METADATA_KEY: CARD})
        say(f"{GROUP} v1 is in stage QA/Approved; its card {CARD} is Draft.")
        _deliver(world, say, arn, "QA seen", brief=False)
        sm.update_model_package(ModelPackageArn=arn, ModelLifeCycle={"Stage": "Production", "StageStatus": "Approved"})
        say("Someone promotes it: UpdateModelPackage ModelLifeCycle=Production/Approved.")
        _deliver(world, say, arn, "promotion")
        stage = sm.describe_model_package(ModelPackageName=arn)["ModelLifeCycle"]
        say(f"The version is now {stage['Stage']}/{stage['StageStatus']}.")
        say.detail(f"  {stage.get('StageDescription', '')}")
        for message in world.inbox("AlertsOps"):
            say(f"Ops alert: {message.subject}")
            say.block(message.body, kind="")
        _deliver(world, say, arn, "the revert's own event", brief=False)
        table = gate.environment[constants.ENV_STATE_TABLE]
        say.detail("`make ledger GROUP=pricing-model`:")
        say.block(
            kind="",
            text=format_history(Ledger(boto3.client("dynamodb", region_name=REGION), table).history(group=GROUP)),
        )
    finally:
        gate.environment[constants.ENV_APPROVAL_GATE] = mode
        gate._module = None


def _deliver(world: LocalWorld, say: Any, arn: str, what: str, *, brief: bool = True) -> None:
    """The package event of a stage update (UpdatedModelPackageFields, without detail.ModelLifeCycle)."""
    event = copy.deepcopy(json.loads((ROOT / "events" / "model_package_stage_changed_minimal.json").read_text()))
    now = datetime.now(UTC).isoformat()
    event.update(region=REGION, resources=[arn], time=now)
    event["detail"].update(
        ModelPackageGroupName=GROUP, ModelPackageVersion=1, ModelPackageArn=arn, LastModifiedTime=now
    )
    for invocation in world.put_event(event):
        if invocation.function != "approval_gate":
            continue
        if invocation.error:
            raise invocation.error
        stage = invocation.result["stage"]
        done = f", put back to {stage['reverted_to']}" if stage["reverted_to"] else ""
        (say if brief else say.detail)(
            f"  stage gate ({what}): {stage['move']}, {stage['verdict']}{done} - {stage['reason']}"
        )
