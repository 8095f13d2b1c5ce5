"""The model card review workflow and the approval gate, told with the events SageMaker would send."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import boto3

from local.moto_cards import export_job_event, export_jobs, model_cards_emulated
from local.world import REGION, LocalWorld, Published
from model_governance import constants
from model_governance.adapters.ledger import Ledger
from model_governance.cards.trust import CARD_METADATA_KEY
from ops.ledger import format_history

GROUP = "fraud-detector"
CARD = f"{GROUP}-v1"


def run(world: LocalWorld, say: Any) -> None:
    with model_cards_emulated():
        _story(world, say)


def _story(world: LocalWorld, say: Any) -> None:
    sm = boto3.client("sagemaker", region_name=REGION)
    say.heading("Model card review workflow")
    sm.create_model_package_group(ModelPackageGroupName=GROUP)
    v1 = _register(sm, "PendingManualApproval")
    sm.create_model_card(ModelCardName=CARD, Content=json.dumps(_content(v1, "Low")), ModelCardStatus="Draft")
    say(f"Registered {GROUP} v1 and its model card {CARD} (Draft, risk Low), written by hand.")
    sm.update_model_package(ModelPackageArn=v1, CustomerMetadataProperties={CARD_METADATA_KEY: CARD})
    say.detail(f"The registry admin confirms the card on v1: {CARD_METADATA_KEY}={CARD} (only package editors can).")
    _card_event(world, sm, say, "Draft")
    world.inbox("Alerts")  # carry-forward and other stories may have left messages: start clean

    sm.update_model_card(ModelCardName=CARD, Content=json.dumps(_content(v1, "High", stakeholders=True)))
    say("alice edits the card: risk rating Low -> High, business stakeholders added (a content update: version 2).")
    late_draft = _card_event(world, sm, say, "Draft")

    sm.update_model_card(ModelCardName=CARD, ModelCardStatus="PendingReview")
    say("alice submits version 2 for review (a status-only update: still version 2).")
    _card_event(world, sm, say, "PendingReview")
    for message in _of_type(world.inbox("AlertsNotices"), "model_card_pending_review"):
        say(f"Reviewers receive on the notices topic: {message.subject}")
        say.detail(f"  attributes: {message.attributes}")
        say.block(message.body, kind="owner notice")

    replay = world.put_event(late_draft)
    say(
        f"The Draft event of version 2 arrives again, late: card_review {_outcome(replay)}; "
        f"the embedded card still says {_embedded_status(sm, v1)}."
    )

    sm.update_model_card(ModelCardName=CARD, ModelCardStatus="Approved")
    say("bob approves version 2.")
    _card_event(world, sm, say, "Approved")
    table = world.function("card_review").environment[constants.ENV_STATE_TABLE]
    export = _export_record(table, CARD, 2)
    say.detail(
        f"  -> export job {export.get('job_name')} started; state table: {export.get('status')} (not evidence yet)"
    )
    for job in export_jobs():
        say.detail(f"SageMaker: export job {job['Status']}; it sends 'SageMaker Model Card Export Job State Change'.")
        world.put_event(export_job_event(job["ModelCardExportJobArn"]))
    export = _export_record(table, CARD, 2)
    say(f"  -> confirmed with DescribeModelCardExportJob: {export.get('status')}, PDF {export.get('artifact')}")
    say(f"  -> embedded card of v1 is now {_embedded_status(sm, v1)} with risk {_embedded_risk(sm, v1)}.")

    say.heading("Approval gate (enforce)")
    gate = world.function("approval_gate")
    gate.environment[constants.ENV_APPROVAL_GATE] = "enforce"
    gate._module = None  # a fresh container reads the new setting at cold start
    say.detail(
        "The demo stack was synthesized with the cdk.json default approvalGate=warn. For this part the gate "
        "function's environment is switched to enforce (a deployed stack gets this with -c approvalGate=enforce, "
        "which also grants it UpdateModelPackage limited to PendingManualApproval)."
    )
    v2 = _register(sm, "PendingManualApproval")
    world.put_event(_package_event(v2, 2, "PendingManualApproval"))
    card_v2 = sm.describe_model_card(ModelCardName=f"{GROUP}-v2")
    say(f"Registered {GROUP} v2; carry-forward gave it card {card_v2['ModelCardName']} ({card_v2['ModelCardStatus']}).")
    world.inbox("Alerts")
    sm.update_model_package(ModelPackageArn=v2, ModelApprovalStatus="Approved")
    say("Someone approves v2 in the registry while its card is still Draft.")
    invocations = world.put_event(_package_event(v2, 2, "Approved"))
    for invocation in invocations:
        if invocation.function == "approval_gate":
            say.detail(f"  -> approval_gate: {invocation.error or invocation.result}")
    package = sm.describe_model_package(ModelPackageName=v2)
    say(f"  -> {GROUP} v2 is {package['ModelApprovalStatus']}: {package.get('ApprovalDescription')}")
    for message in world.inbox("AlertsOps"):
        say(f"Ops receive: {message.subject}")
    for message in _of_type(world.inbox("AlertsNotices"), "approval_gate_reverted"):
        say(f"The card's owner receives: {message.subject}")
        say.detail(f"  attributes: {message.attributes}")
        say.block(message.body, kind="owner notice")

    _decoy_scene(world, sm, say, v2)

    history = Ledger(boto3.client("dynamodb", region_name=REGION), table).history(group=GROUP)
    say(f"Audit ledger: `make ledger GROUP={GROUP}` prints its {len(history)} records (VERBOSE=1 shows them here).")
    say.detail(f"\n=== Audit ledger of {GROUP} (make ledger GROUP={GROUP}) ===")
    say.block(format_history(history), "    ", kind="")


def _decoy_scene(world: LocalWorld, sm: Any, say: Any, target: str) -> None:
    """A card whose content claims another group's version: refused, and the gate is not fooled."""
    say.heading("A decoy card claims fraud-detector v2 (the trust rule)")
    decoy = "promo-ranker-notes"
    content = _content(target, "Low") | {"model_overview": {"model_owner": "mallory"}}
    sm.create_model_card(ModelCardName=decoy, Content=json.dumps(content), ModelCardStatus="Draft")
    sm.update_model_card(ModelCardName=decoy, ModelCardStatus="Approved")
    say.detail(
        f"mallory, who may edit model cards but not model packages, writes card {decoy}: Approved, risk Low, "
        f"model_package_details naming {GROUP} v2."
    )
    before = _embedded(sm, target)
    world.inbox("Alerts")
    card = sm.describe_model_card(ModelCardName=decoy)
    event = _read("model_card_state_change")
    event["resources"] = [card["ModelCardArn"]]
    event["detail"].update(
        ModelCardName=decoy,
        ModelCardVersion=card["ModelCardVersion"],
        ModelCardStatus="Approved",
        LastModifiedTime=card["LastModifiedTime"].astimezone(UTC).isoformat(),
        LastModifiedBy={"DomainId": "d-demo", "UserProfileName": "mallory"},
    )
    say.detail(f"EventBridge: SageMaker Model Card State Change {decoy} v{card['ModelCardVersion']} Approved")
    for invocation in world.put_event(event):
        if invocation.function == "card_review":
            result = invocation.result or {}
            say(f"mallory's Approved card {decoy} claims {GROUP} v2: link refused = {result.get('link_refused')}.")
            say.detail(f"  -> {result.get('reason')}")
    unchanged = _embedded(sm, target) == before
    say.detail(f"  -> embedded card of {GROUP} v2 unchanged: {unchanged} (risk still {_embedded_risk(sm, target)}).")
    for message in _of_type(world.inbox("AlertsNotices"), "model_card_link_refused"):
        say(f"The card's owner and reviewers receive: {message.subject}")
        say.block(message.body, kind="owner notice")
    for attempt in ("again", "a third time"):
        sm.update_model_package(ModelPackageArn=target, ModelApprovalStatus="Approved")
        say.detail(f"Someone approves {GROUP} v2 {attempt}, counting on the decoy's Approved card.")
        for invocation in world.put_event(_package_event(target, 2, "Approved")):
            if invocation.function == "approval_gate":
                result = invocation.result or {}
                say.detail(f"  -> approval_gate: {result.get('verdict')}, reverted = {result.get('reverted')}")
                say.detail(f"     {result.get('reason')}")
        status = sm.describe_model_package(ModelPackageName=target)["ModelApprovalStatus"]
        notices = _of_type(world.inbox("AlertsNotices"), "approval_gate_reverted")
        say(f"Someone approves {GROUP} v2 {attempt}: it is {status} again; owner notices: {len(notices)}.")
        world.inbox("Alerts")
    say.detail(
        "Each approval is judged on the version's own state (DescribeModelPackage, its LastModifiedTime), "
        "whatever the event carries: approving again never gets past the gate."
    )


def _register(sm: Any, approval: str) -> str:
    return str(
        sm.create_model_package(
            ModelPackageGroupName=GROUP,
            ModelApprovalStatus=approval,
            InferenceSpecification={
                "Containers": [{"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud:1"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
        )["ModelPackageArn"]
    )


def _content(package_arn: str, risk: str, *, stakeholders: bool = False) -> dict[str, Any]:
    business = {"business_problem": "Stop card fraud at authorization time", "line_of_business": "Payments"}
    if stakeholders:
        business["business_stakeholders"] = "Fraud operations, Risk"
    return {
        "model_overview": {"model_owner": "alice", "model_id": package_arn, "model_name": GROUP},
        "model_package_details": {
            "model_package_arn": package_arn,
            "model_package_group_name": GROUP,
            "model_package_version": int(package_arn.rsplit("/", 1)[1]),
        },
        "intended_uses": {"purpose_of_model": "Score card transactions", "risk_rating": risk},
        "business_details": business,
    }


def _card_event(world: LocalWorld, sm: Any, say: Any, status: str) -> dict[str, Any]:
    card = sm.describe_model_card(ModelCardName=CARD)
    event = _read("model_card_state_change")
    event["resources"] = [card["ModelCardArn"]]
    who = {"DomainId": "d-demo", "UserProfileName": "bob" if status == "Approved" else "alice"}
    event["detail"].update(
        ModelCardName=CARD,
        ModelCardVersion=card["ModelCardVersion"],
        ModelCardStatus=status,
        LastModifiedTime=card["LastModifiedTime"].astimezone(UTC).isoformat(),
        LastModifiedBy=who,
        ModelId=GROUP,
    )
    say.detail(f"EventBridge: SageMaker Model Card State Change {CARD} v{card['ModelCardVersion']} {status}")
    say(f"  {CARD} v{card['ModelCardVersion']} {status} -> card_review: {_outcome(world.put_event(event))}")
    return event


def _package_event(arn: str, version: int, approval: str) -> dict[str, Any]:
    event = _read("model_package_state_change")
    event["region"] = REGION
    event["resources"] = [arn]
    event["detail"].update(
        ModelPackageGroupName=GROUP,
        ModelPackageVersion=version,
        ModelPackageArn=arn,
        ModelApprovalStatus=approval,
        LastModifiedTime=datetime.now(UTC).isoformat(),
    )
    return event


def _outcome(invocations: list[Any]) -> str:
    for invocation in invocations:
        if invocation.function == "card_review":
            if invocation.error:
                return f"FAILED {type(invocation.error).__name__}: {invocation.error}"
            result = invocation.result
            done = [
                name
                for name, flag in (
                    ("reviewer notice sent", result["review_notice_published"]),
                    ("export requested", result["export_job_arn"]),
                    ("embedded card content synced", result["embedded_content_updated"]),
                    ("embedded card status synced", result["embedded_status_updated"]),
                )
                if flag
            ]
            return f"{result['outcome']}" + (f" ({', '.join(done)})" if done else "")
    return "no card_review invocation"


def _embedded(sm: Any, arn: str) -> dict[str, Any]:
    return dict(sm.describe_model_package(ModelPackageName=arn).get("ModelCard") or {})


def _embedded_status(sm: Any, arn: str) -> str:
    return str(_embedded(sm, arn).get("ModelCardStatus", "(no embedded card)"))


def _embedded_risk(sm: Any, arn: str) -> str:
    content = json.loads(_embedded(sm, arn).get("ModelCardContent") or "{}")
    return str((content.get("intended_uses") or {}).get("risk_rating"))


def _export_record(table: str, card: str, version: int) -> dict[str, Any]:
    from model_governance.adapters.review_state import ReviewStateStore

    return ReviewStateStore(boto3.client("dynamodb", region_name=REGION), table).export_for(card, version) or {}


def _of_type(messages: list[Published], event_type: str) -> list[Published]:
    return [m for m in messages if m.attributes.get("event_type") == event_type]


def _read(name: str) -> dict[str, Any]:
    from local.world import ROOT

    return copy.deepcopy(json.loads((ROOT / "events" / f"{name}.json").read_text()))
