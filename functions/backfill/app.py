"""On demand: carries cards forward onto every group's latest version that has none ({"dry_run": true} plans)."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from model_governance.adapters.clients import client
from model_governance.adapters.inventory import AccountInventory
from model_governance.errors import InvalidEventError
from model_governance.observability import logger, metrics
from model_governance.sweep.digest import checked_run_id
from model_governance.wiring import CarryForwardDependencies, carry_forward_dependencies
from model_governance.workflows.backfill import run_backfill

MAX_LIMIT = 1000


@cache
def _dependencies() -> CarryForwardDependencies:
    return carry_forward_dependencies()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """``{"mode": "backfill", "dry_run": true|false, "limit": 200}``; dry_run defaults to true (safe)."""
    if not isinstance(event, dict) or event.get("mode", "backfill") != "backfill":
        raise InvalidEventError('expected {"mode": "backfill", "dry_run": true|false}')
    dry_run = event.get("dry_run", True)
    limit = event.get("limit", 200)
    if not isinstance(dry_run, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidEventError(f"dry_run must be true or false and limit a number from 1 to {MAX_LIMIT}")
    given = event.get("run_id")  # a hand-supplied id names ledger records and claims: checked before use
    run_id = checked_run_id(given) if given is not None else context.aws_request_id
    deps = _dependencies()
    logger.append_keys(run_id=run_id, dry_run=dry_run)
    result = run_backfill(
        run_id,
        dry_run=dry_run,
        reader=AccountInventory(client("sagemaker")),
        registry=deps.registry,
        links=deps.links,
        effects=deps.effects,
        notices=deps.notices,
        ops=deps.ops,
        audit=deps.audit,
        settings=deps.settings,
        limit=limit,
    )
    return result.as_dict()
