"""Demo: the scheduled account sweep finds what the Model Dashboard would show, then a backfill fixes part of it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3

from local.moto_sweep import plant_problems
from local.world import REGION, LocalWorld

EVENT_FILE = "events/scheduled_event.json"


def scheduled_event(at: datetime) -> dict[str, Any]:
    with open(EVENT_FILE) as file:
        event: dict[str, Any] = json.load(file)
    event.update(id=str(uuid.uuid4()), time=at.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return event


def sweep(world: LocalWorld, say: Any) -> dict[str, Any]:
    invocation = world.function("account_sweep").invoke(scheduled_event(datetime.now(UTC)))
    if invocation.error:
        raise invocation.error
    result: dict[str, Any] = invocation.result
    digests = [m for m in world.inbox("AlertsOps") if m.attributes.get("event_type") == "account_sweep_digest"]
    for digest in digests:
        say(f"Email to ops: {digest.subject}")
        say.block(digest.body, kind="digest")
    if not digests:
        say("No digest: nothing to report (sendAllClear is false).")
    sent = {
        metric["Name"]: record[metric["Name"]]
        for record in invocation.metrics
        for metric in record["_aws"]["CloudWatchMetrics"][0]["Metrics"]
        if metric["Name"].startswith("Sweep")
    }
    say.detail("EMF metrics: " + ", ".join(f"{name}={_number(value)}" for name, value in sent.items()))
    return result


def run(world: LocalWorld, say: Any) -> None:
    sm = boto3.client("sagemaker", region_name=REGION)
    say.heading("Account sweep: the account as the Model Dashboard sees it")
    planted = plant_problems(sm, datetime.now(UTC))
    say(
        "Planted: loan-default v2 Approved with a Draft card; ad-ranking v1 Approved with no card; demand-forecast "
        "and pricing-elasticity v2 without cards; credit-limit's card 12 days in review; endpoints with no monitor, "
        "a Stopped monitor, a failed last run, an hourly monitor silent for 5 hours, and one healthy."
    )
    world.inbox("AlertsOps")  # earlier scenarios' alerts are not part of this story
    result = sweep(world, say)
    say.detail(f"Report: {result['report_uri']} ({result['scanned']['sagemaker_calls']} SageMaker calls)")

    report = _report(result["report_uri"])
    found = {(f["kind"], f["subject"]) for f in report["findings"]}
    missing = sorted((kind, s) for kind, subjects in planted.items() for s in subjects if (kind, s) not in found)
    others = len(found) - sum(len(s) for s in planted.values()) + len(missing)
    say(
        f"Every planted problem named: {'yes' if not missing else f'NO, missing {missing}'}; "
        f"{others} more left behind by the earlier scenarios."
    )
    if missing:
        raise AssertionError(f"the sweep missed planted problems: {missing}")

    say.detail("\n=== Backfill, dry run (make backfill): what it would do ===")
    backfill = world.function("backfill")
    plan = backfill.invoke({"mode": "backfill", "dry_run": True})
    if plan.error:
        raise plan.error
    for item in plan.result["items"]:
        say.detail(f"  - would {item['action']}")

    say.detail("\n=== Backfill, applied (make backfill DRY_RUN=false) ===")
    applied = backfill.invoke({"mode": "backfill", "dry_run": False})
    if applied.error:
        raise applied.error
    for item in applied.result["items"]:
        say.detail(f"  - {item['group']} v{item['version']}: {item['outcome']} {item['card_name']}")
    done = ", ".join(f"{item['card_name']} ({item['outcome']})" for item in applied.result["items"])
    say(f"`make backfill` planned {len(plan.result['items'])} version(s); DRY_RUN=false carried them: {done}.")
    world.inbox("AlertsNotices")  # the carry-forward notices to card owners

    say("The next sweep: models without cards are gone.")
    sweep(world, say)


def _report(uri: str) -> dict[str, Any]:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    body = boto3.client("s3", region_name=REGION).get_object(Bucket=bucket, Key=key)["Body"].read()
    return dict(json.loads(body))


def _number(value: Any) -> str:
    value = value[0] if isinstance(value, list) and value else value
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
