"""Demo: events were lost (the rules delivered nothing); the next sweep finds the changes and replays them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import time_machine

from local.moto_cards import export_job_event, export_jobs, model_cards_emulated
from local.scenarios.account_sweep import scheduled_event
from local.world import REGION, LocalWorld
from model_governance.cards.trust import CARD_METADATA_KEY

GROUP = "lost-events"
SPEC = {
    "Containers": [{"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/xgb:1.7", "ModelDataUrl": "s3://m/v"}],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}


def run(world: LocalWorld, say: Any) -> None:
    with model_cards_emulated():  # export jobs (the approved card's PDF evidence)
        _story(world, say)


def _story(world: LocalWorld, say: Any) -> None:
    sm = boto3.client("sagemaker", region_name=REGION)
    say.heading("Events were lost: the sweep reconciles")
    sm.create_model_package_group(ModelPackageGroupName=GROUP)
    v1 = sm.create_model_package(ModelPackageGroupName=GROUP, InferenceSpecification=SPEC)["ModelPackageArn"]
    content = {
        "model_overview": {"model_owner": "payments-ml team", "model_description": "Scores card-not-present fraud"},
        "intended_uses": {"purpose_of_model": "Hold risky payments", "risk_rating": "High"},
        "model_package_details": {"model_package_arn": v1, "model_package_group_name": GROUP},
    }
    sm.create_model_card(ModelCardName=f"{GROUP}-card", Content=json.dumps(content), ModelCardStatus="Draft")
    sm.update_model_package(ModelPackageArn=v1, CustomerMetadataProperties={CARD_METADATA_KEY: f"{GROUP}-card"})
    world.put_event(_registered(v1, 1))  # version 1's registration reached carry-forward
    world.inbox("")  # earlier scenarios' messages are not part of this story
    v2 = sm.create_model_package(ModelPackageGroupName=GROUP, InferenceSpecification=SPEC)["ModelPackageArn"]
    sm.update_model_card(ModelCardName=f"{GROUP}-card", ModelCardStatus="Approved")
    world.delivered()  # the rules are off: whatever SageMaker sent for these changes is lost
    say(f"Registered {GROUP} v2 and approved card {GROUP}-card; their events never reached a handler.")
    say(f"  {GROUP} v2 has a card now? {_has_card(sm, v2)}")

    with time_machine.travel(datetime.now(UTC) + timedelta(hours=1), tick=True):
        say("An hour later (past the 15-minute settle time) the scheduled sweep runs:")
        result = _sweep(world, say)
        replayed = result.get("reconciled", [])
        say(f"  it hands {len(replayed)} lost change(s) to their handlers, as the events would have been")
        for line in replayed:
            say.detail(f"  replayed: {line}")
        for replay in world.deliver():  # the replays run in their own functions, as the events would have
            if replay.error:
                raise replay.error
        say(f"  {GROUP} v2 has a card now? {_has_card(sm, v2)}")
        for job in export_jobs():  # the PDF export the replayed review started reports back
            world.put_event(export_job_event(job["ModelCardExportJobArn"]))
        card = sm.describe_model_package(ModelPackageName=v1).get("ModelCard") or {}
        say(f"  {GROUP} v1's embedded card follows its Approved card? {card.get('ModelCardStatus') == 'Approved'}")
        again = _sweep(world, say, quiet=True)
        say(f"A second sweep replays {len(again.get('reconciled', []))} changes: the account is reconciled.")


def _registered(arn: str, version: int) -> dict[str, Any]:
    with open("events/model_package_state_change.json") as file:
        event: dict[str, Any] = json.load(file)
    event["detail"].update(ModelPackageGroupName=GROUP, ModelPackageVersion=version, ModelPackageArn=arn)
    event.update(region=REGION, resources=[arn], id=f"{GROUP}-registered-{version}")
    return event


def _sweep(world: LocalWorld, say: Any, *, quiet: bool = False) -> dict[str, Any]:
    invocation = world.function("account_sweep").invoke(scheduled_event(datetime.now(UTC)))
    if invocation.error:
        raise invocation.error
    for digest in world.inbox("AlertsOps"):
        if digest.attributes.get("event_type") == "account_sweep_digest" and not quiet:
            body = digest.body
            start = body.find("== Reconciled")
            say.block(kind="", text=body[start : body.find("\n\n", start)] if start >= 0 else "(no replays)")
    result: dict[str, Any] = invocation.result
    return result


def _has_card(sm: Any, package_arn: str) -> str:
    version = package_arn.rsplit("/", 1)[1]
    names = [c["ModelCardName"] for c in sm.list_model_cards()["ModelCardSummaries"]]
    found = [n for n in names if n.startswith(f"{GROUP}-v{version}")]
    return f"yes ({found[0]}, carried from {GROUP}-card)" if found else "no"
