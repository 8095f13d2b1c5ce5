"""Demo: a team registers model versions; the system carries the model card forward, exactly once."""

from __future__ import annotations

import copy
import json
from typing import Any

import boto3

from local.moto_cards import card_keys_enforced
from local.offline import ACCOUNT, DEMO_CARD_KEY
from local.world import REGION, Invocation, LocalWorld
from model_governance.cards.trust import CARD_METADATA_KEY

GROUP = "customer-churn"
EVENT_FILE = "events/model_package_state_change.json"
HAND_MADE_CARD = "customer-churn-model-card"
HAND_MADE_CONTENT = {
    "model_overview": {
        "model_owner": "Retention ML team",
        "model_creator": "Ana Ng",
        "model_description": "Scores each subscriber's probability of cancelling within 30 days.",
        "problem_type": "Binary classification",
        "algorithm_type": "XGBoost",
    },
    "intended_uses": {
        "purpose_of_model": "Target retention offers at subscribers likely to cancel.",
        "intended_uses": "Monthly batch scoring of active subscribers.",
        "factors_affecting_model_efficiency": "Seasonality; pricing changes.",
        "risk_rating": "Medium",
        "explanations_for_risk_rating": "Offers affect revenue, not access to service.",
    },
    "business_details": {
        "business_problem": "Subscribers cancel without warning.",
        "business_stakeholders": "CRM, Finance",
        "line_of_business": "Consumer subscriptions",
    },
    "additional_information": {"caveats_and_recommendations": "Not for pricing or credit decisions."},
    "training_details": {"training_observations": "Trained on Jan-Sep data."},
}


def inference(version: int) -> dict[str, Any]:
    return {
        "Containers": [
            {
                "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                "ModelDataUrl": f"s3://ml-models-123456789012/customer-churn/v{version}/model.tar.gz",
            }
        ],
        "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["text/csv"],
    }


def state_change(arn: str, version: int, group: str = GROUP, **detail: Any) -> dict[str, Any]:
    """The event SageMaker sends, shaped like the documented sample in events/."""
    with open(EVENT_FILE) as file:
        event = json.load(file)
    event = copy.deepcopy(event)
    event["region"], event["resources"] = REGION, [arn]
    event["detail"].update(
        ModelPackageGroupName=group,
        ModelPackageVersion=version,
        ModelPackageArn=arn,
        ModelApprovalStatus="PendingManualApproval",
    )
    event["detail"].update(detail)
    return event


def carry_forward_runs(invocations: list[Invocation]) -> list[Invocation]:
    """This story follows carry-forward; other rules (the approval gate) may match the same event."""
    return [i for i in invocations if i.function == "carry_forward"]


def run(world: LocalWorld, say: Any) -> None:
    sm = boto3.client("sagemaker", region_name=REGION)

    say.heading("Carry-forward: a new model version inherits its model card")
    world.inbox("")  # earlier scenarios' messages are not part of this story
    sm.create_model_package_group(ModelPackageGroupName=GROUP, ModelPackageGroupDescription="Churn propensity")
    v1 = sm.create_model_package(ModelPackageGroupName=GROUP, InferenceSpecification=inference(1))["ModelPackageArn"]
    card = dict(HAND_MADE_CONTENT, model_package_details={"model_package_arn": v1, "model_package_group_name": GROUP})
    sm.create_model_card(ModelCardName=HAND_MADE_CARD, Content=json.dumps(card), ModelCardStatus="Approved")
    say.detail(
        f"SageMaker: group {GROUP}; version 1 registered; card {HAND_MADE_CARD!r} written by hand and linked to it."
    )
    sm.update_model_package(ModelPackageArn=v1, CustomerMetadataProperties={CARD_METADATA_KEY: HAND_MADE_CARD})
    say.detail(f"The registry admin confirms it on version 1: {CARD_METADATA_KEY}={HAND_MADE_CARD} (package metadata).")
    v2 = sm.create_model_package(
        ModelPackageGroupName=GROUP,
        InferenceSpecification=inference(2),
        ModelPackageDescription="Retrained on October data",
    )["ModelPackageArn"]
    say.detail(
        "SageMaker: version 2 registered by the training pipeline. SageMaker sends 'Model Package State Change'."
    )

    [invocation] = carry_forward_runs(world.put_event(state_change(v2, 2)))
    if invocation.error:
        raise invocation.error
    result = invocation.result
    say(
        f"{GROUP} v1 has a hand-made, confirmed card; v2 is registered -> {invocation.function}: {result['outcome']!r}."
    )
    say(f"  Created card    {result['card_name']} (Draft), linked to version 2")
    say.detail(
        f"  From card       {result['source_card']} (card version {result['source_card_version']}, package version {result['source_package_version']})"
    )
    say(f"  Carried         {', '.join(result['carried'])}")
    say.detail(f"  Refreshed       {', '.join(result['refreshed'])}")
    say.detail("  Not carried     training_details (belonged to version 1)")
    embedded = json.loads(sm.describe_model_package(ModelPackageName=v2)["ModelCard"]["ModelCardContent"])
    say.detail(f"  Package's own card filled with: {', '.join(sorted(embedded))}")
    for metric in invocation.metrics:
        names = [m["Name"] for d in metric["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]]
        say.detail(f"  Metrics (EMF)   {', '.join(names)}")

    say("The notice model owners and reviewers receive (lifecycle topic):")
    for message in world.inbox("AlertsNotices"):
        say.block(
            f"Subject: {message.subject}\nAttributes: {json.dumps(message.attributes)}\n\n{message.body}",
            kind="owner notice",
        )

    say.detail("\nSageMaker sends the same event twice more, and once more when version 2's approval changes:")
    repeats = [state_change(v2, 2), state_change(v2, 2), state_change(v2, 2, ModelApprovalStatus="Approved")]
    outcomes = []
    for event in repeats:
        for repeat in carry_forward_runs(world.put_event(event)):
            outcomes.append(repeat.result["outcome"])
            say.detail(
                f"  {repeat.function}: outcome {repeat.result['outcome']!r}, embedded card updated: {repeat.result['embedded_card_updated']}, notice: {repeat.result['notice_published']}"
            )
    cards = [c["ModelCardName"] for c in sm.list_model_cards()["ModelCardSummaries"]]
    say(f"The same event 3 more times: outcomes {outcomes}; new notices: {len(world.inbox('AlertsNotices'))}.")
    say.detail(f"  Cards in the account: {sorted(cards)}")

    say.detail("\nA brand-new group registers its first version (no earlier card to carry):")
    sm.create_model_package_group(ModelPackageGroupName="fraud-scoring")
    f1 = sm.create_model_package(ModelPackageGroupName="fraud-scoring", InferenceSpecification=inference(1))[
        "ModelPackageArn"
    ]
    [first] = carry_forward_runs(world.put_event(state_change(f1, 1, group="fraud-scoring")))
    say(f"A new group's first version: card {first.result['card_name']} created from the package alone.")
    for message in world.inbox("AlertsNotices"):
        say.block(f"Subject: {message.subject}\n\n{message.body}")
    _encrypted_cards(world, say, sm)


def _encrypted_cards(world: LocalWorld, say: Any, sm: Any) -> None:
    say.heading("Carry-forward of a card encrypted with a customer-managed KMS key")
    say.detail(f"This stack was synthesized with modelCardKmsKeyArns = [{DEMO_CARD_KEY}].")
    for group, key, note in (
        ("credit-limit", DEMO_CARD_KEY, "the key in modelCardKmsKeyArns"),
        (
            "legacy-pricing",
            f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0badc0de-0000-4000-8000-000000000001",
            "a key NOT listed",
        ),
    ):
        sm.create_model_package_group(ModelPackageGroupName=group)
        v1 = sm.create_model_package(ModelPackageGroupName=group, InferenceSpecification=inference(1))[
            "ModelPackageArn"
        ]
        content = dict(
            HAND_MADE_CONTENT, model_package_details={"model_package_arn": v1, "model_package_group_name": group}
        )
        sm.create_model_card(
            ModelCardName=f"{group}-card",
            Content=json.dumps(content),
            ModelCardStatus="Approved",
            SecurityConfig={"KmsKeyId": key},
        )
        # The registry admin confirms the hand-made card (the trust rule: README "Security").
        sm.update_model_package(ModelPackageArn=v1, CustomerMetadataProperties={CARD_METADATA_KEY: f"{group}-card"})
        v2 = sm.create_model_package(ModelPackageGroupName=group, InferenceSpecification=inference(2))[
            "ModelPackageArn"
        ]
        say.detail(f"\n{group}: v1's card {group}-card is encrypted with {note}; version 2 is registered.")
        outcomes = []
        for delivery in (1, 2):
            with card_keys_enforced(world.card_keys()):  # KMS for the functions: only the keys the stack was given
                [run] = carry_forward_runs(world.put_event(state_change(v2, 2, group=group)))
            if run.error:
                raise run.error
            outcomes.append(run.result["outcome"])
            say.detail(f"  delivery {delivery}: outcome {run.result['outcome']!r}")
        say(f"{group}: v1's card is encrypted with {note}; v2 registered twice: outcomes {outcomes}.")
        cards = sorted(c["ModelCardName"] for c in sm.list_model_cards(NameContains=group)["ModelCardSummaries"])
        for name in cards:
            security = sm.describe_model_card(ModelCardName=name, IncludedData="MetadataOnly").get("SecurityConfig")
            say.detail(
                f"  card {name:<22} SecurityConfig.KmsKeyId = {(security or {}).get('KmsKeyId', '(AWS-owned key)')}"
            )
        for message in world.inbox("AlertsOps"):
            say.detail("  Ops receive (once; the second delivery sent nothing):")
            say.block(f"Subject: {message.subject}\n\n{message.body}", kind="")
