"""Export evidence counts only when the export job Completed: the export job's state-change event (or, when
that is lost, the next event of the card) is confirmed with DescribeModelCardExportJob, on moto with
local/moto_cards.py's export jobs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3

from local.moto_cards import export_job_event, export_jobs, fail_next_export
from local.world import REGION, LocalWorld
from model_governance import constants
from model_governance.adapters.review_state import ReviewStateStore
from tests.integration import test_review_workflow as review_flow
from tests.integration.test_review_workflow import CARD, card_event, ledger, review

# The review workflow's given: the sample's card at version 2, linked to a package version, on moto.
review_world, sm, package = review_flow.review_world, review_flow.sm, review_flow.package

JOB = "example-card-v2-pdf"


def export_record(world: LocalWorld) -> dict[str, Any]:
    table = world.function("card_review").environment[constants.ENV_STATE_TABLE]
    return ReviewStateStore(boto3.client("dynamodb", region_name=REGION), table).export_for(CARD, 2) or {}


def confirm(world: LocalWorld, job_arn: str) -> dict[str, Any]:
    return review(world, export_job_event(job_arn))


def approve(world: LocalWorld, sm: Any, sample_event: Callable[..., dict[str, Any]], second: int) -> dict[str, Any]:
    sm.update_model_card(ModelCardName=CARD, ModelCardStatus="Approved")
    return review(world, card_event(sample_event, "Approved", second))


def test_the_pdf_is_evidence_only_once_the_job_completed(
    review_world: LocalWorld, sm: Any, package: str, sample_event: Callable[..., dict[str, Any]]
) -> None:
    approved = approve(review_world, sm, sample_event, 20)
    requested = export_record(review_world)

    result = confirm(review_world, approved["export_job_arn"])

    assert requested["status"] == "requested" and "artifact" not in requested
    bucket = review_world.function("card_review").environment[constants.ENV_EVIDENCE_BUCKET]
    pdf = f"s3://{bucket}/model-cards/example-card/v2/example-card.pdf"
    assert result["outcome"] == "acted" and result["export_status"] == "Completed"
    assert export_record(review_world)["status"] == "completed"
    assert export_record(review_world)["artifact"] == pdf
    [completed] = [r for r in ledger(review_world).history(card=CARD) if r["action"] == "export_completed"]
    assert completed["after"]["artifact"] == pdf
    assert review_world.inbox("AlertsOps") == []


def test_a_failed_job_is_one_ops_alert_and_a_new_job_with_a_new_name(
    review_world: LocalWorld, sm: Any, package: str, sample_event: Callable[..., dict[str, Any]]
) -> None:
    fail_next_export("Unable to render the model card: internal error")
    approved = approve(review_world, sm, sample_event, 21)

    first = confirm(review_world, approved["export_job_arn"])
    again = confirm(review_world, approved["export_job_arn"])  # SageMaker may send the event twice

    (alert,) = review_world.inbox("AlertsOps")
    assert "Unable to render the model card: internal error" in alert.body
    assert f"{JOB}-2" in alert.body and alert.attributes["event_type"] == "model_card_export_failed"
    assert [j["ModelCardExportJobName"] for j in export_jobs()] == [JOB, f"{JOB}-2"]
    assert first["export_job_arn"].endswith(f"/export-job/{JOB}-2")
    assert again["outcome"] == "not-ours"  # an earlier attempt: the record now names attempt 2
    assert export_record(review_world)["job_name"] == f"{JOB}-2"
    assert export_record(review_world)["attempt"] == 2
    confirm(review_world, first["export_job_arn"])
    assert export_record(review_world)["status"] == "completed"


def test_a_name_conflict_with_a_failed_job_is_a_new_attempt_not_success(
    review_world: LocalWorld, sm: Any, package: str, sample_event: Callable[..., dict[str, Any]]
) -> None:
    # given an earlier export job of this name that failed (its event was lost)
    fail_next_export("AccessDenied writing to the output path")
    path = f"s3://{review_world.function('card_review').environment[constants.ENV_EVIDENCE_BUCKET]}/model-cards/"
    sm.create_model_card_export_job(
        ModelCardName=CARD, ModelCardVersion=2, ModelCardExportJobName=JOB, OutputConfig={"S3OutputPath": path}
    )

    # when the card is approved and the system asks for the same job name
    result = approve(review_world, sm, sample_event, 22)

    # then the conflict is read as what it is: a failed job, alerted and tried again under a new name
    assert result["export_job_arn"].endswith(f"/export-job/{JOB}-2")
    assert export_record(review_world)["status"] == "requested"
    assert [a.attributes["event_type"] for a in review_world.inbox("AlertsOps")] == ["model_card_export_failed"]
    assert [j["ModelCardExportJobName"] for j in export_jobs()] == [JOB, f"{JOB}-2"]


def test_a_lost_export_event_is_made_good_by_the_next_event_of_the_card(
    review_world: LocalWorld, sm: Any, package: str, sample_event: Callable[..., dict[str, Any]]
) -> None:
    approve(review_world, sm, sample_event, 23)  # the export event never arrives

    sm.update_model_card(ModelCardName=CARD, ModelCardStatus="Archived")
    review(review_world, card_event(sample_event, "Archived", 24))

    assert export_record(review_world)["status"] == "completed"
