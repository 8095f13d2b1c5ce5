"""Model card review: reviewer notices, PDF evidence of approved versions, embedded cards kept in step.

Two rules deliver here: card state changes (the review) and export job state changes (the evidence check).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from model_governance import constants
from model_governance.adapters.clients import client
from model_governance.adapters.effects import EffectStore
from model_governance.adapters.evidence import EvidenceObjects
from model_governance.adapters.ledger import Ledger
from model_governance.adapters.notifications import Publisher
from model_governance.adapters.review_state import ReviewStateStore
from model_governance.adapters.sagemaker import ModelRegistry
from model_governance.events import parse_model_card_export_job_state_change, parse_model_card_state_change
from model_governance.observability import logger, metrics
from model_governance.settings import env_str
from model_governance.wiring import effect_store
from model_governance.workflows.card_export import ReviewResult, ReviewSettings, confirm_export
from model_governance.workflows.card_review import review_card_change


@cache
def _dependencies() -> tuple[
    ModelRegistry, ReviewStateStore, EffectStore, Publisher, Publisher, Ledger, ReviewSettings, EvidenceObjects
]:
    """Read the environment and build the adapters once per container."""
    table = env_str(constants.ENV_STATE_TABLE)
    return (
        ModelRegistry(client("sagemaker")),
        ReviewStateStore(client("dynamodb"), table),
        effect_store(),
        Publisher(client("sns"), env_str(constants.ENV_NOTICES_TOPIC)),
        Publisher(client("sns"), env_str(constants.ENV_OPS_TOPIC)),
        Ledger(client("dynamodb"), table),
        ReviewSettings(evidence_bucket=env_str(constants.ENV_EVIDENCE_BUCKET)),
        EvidenceObjects(client("s3")),
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    registry, state, effects, notices, ops, audit, settings, evidence = _dependencies()
    result: ReviewResult
    if isinstance(event, dict) and event.get("detail-type") == constants.MODEL_CARD_EXPORT_JOB_STATE_CHANGE:
        export = parse_model_card_export_job_state_change(event)
        logger.append_keys(model_card=export.card_name, export_job=export.job_name, event_id=export.envelope.id)
        result = confirm_export(
            export,
            registry=registry,
            state=state,
            effects=effects,
            ops=ops,
            audit=audit,
            settings=settings,
            evidence=evidence,
        )
    else:
        change = parse_model_card_state_change(event)
        logger.append_keys(model_card=change.card_name, card_version=change.card_version, event_id=change.envelope.id)
        result = review_card_change(
            change,
            registry=registry,
            state=state,
            effects=effects,
            notices=notices,
            ops=ops,
            audit=audit,
            settings=settings,
            evidence=evidence,
        )
    return result.__dict__
