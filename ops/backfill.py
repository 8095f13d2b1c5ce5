"""Bring existing model package groups up to standard: carry a card forward onto every latest version without one.

    python -m ops.backfill --dry-run            # list what it would do (default; changes nothing)
    python -m ops.backfill --apply [--limit N]  # do it, N versions per call, until nothing is left

It invokes the deployed stack's backfill function (named by the stack output BackfillFunctionName), which runs
the same carry-forward workflow as a new registration, with the function's own least-privilege role.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from botocore.config import Config

from model_governance.constants import BACKFILL_FUNCTION_OUTPUT
from ops.cli import CommandError, OneLineParser, UsageError, run
from ops.cli import session as default_session

DEFAULT_STACK = "ModelGovernance"
# The function may run up to 15 minutes; wait for it (a synchronous invoke) and do not retry a timed-out call.
INVOKE_CONFIG = Config(read_timeout=910, connect_timeout=10, retries={"mode": "standard", "max_attempts": 1})
MAX_ROUNDS = 100


def function_from_stack(stack: str, cloudformation: Any) -> str:
    outputs = cloudformation.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    for output in outputs:
        if output.get("OutputKey") == BACKFILL_FUNCTION_OUTPUT:
            return str(output["OutputValue"])
    raise CommandError(f"stack {stack} has no {BACKFILL_FUNCTION_OUTPUT} output: deploy the current version")


def invoke(lambda_client: Any, function: str, request: dict[str, Any]) -> dict[str, Any]:
    response = lambda_client.invoke(FunctionName=function, Payload=json.dumps(request).encode())
    payload = json.loads(response["Payload"].read() or b"{}")
    if response.get("FunctionError"):
        raise CommandError(f"the backfill function failed: {payload.get('errorType')}: {payload.get('errorMessage')}")
    return dict(payload)


def format_result(result: dict[str, Any]) -> str:
    items = result.get("items", [])
    if not items:
        return "Nothing to backfill: every group's latest version has a card."
    verb = "Would" if result.get("dry_run") else "Did"
    lines = [f"{verb} backfill {len(items)} version(s):"]
    for item in items:
        if result.get("dry_run"):
            lines.append(f"  - {item['action']}")
        else:
            error = f" ({item['error']})" if item.get("error") else ""
            lines.append(f"  - {item['group']} v{item['version']}: {item['outcome']} {item['card_name']}{error}")
    if result.get("remaining"):
        lines.append(f"  ... and {result['remaining']} more beyond the limit")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, *, session: Any = None) -> int:
    parser = OneLineParser(prog="make backfill", description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", default=True, help="list what would be done (default)")
    mode.add_argument("--apply", action="store_true", help="carry the cards forward")
    parser.add_argument("--limit", type=int, default=200, help="versions per invocation (1-1000, default 200)")
    parser.add_argument("--stack", default=DEFAULT_STACK, help=f"stack name (default {DEFAULT_STACK})")
    parser.add_argument("--function", help="backfill function name (default: the stack's output)")
    parser.add_argument(
        "--run-id",
        help="finish an earlier run that reported failed versions (the id it printed): the same versions again",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.limit <= 1000:
        raise UsageError(f"--limit must be 1-1000, not {args.limit}")
    session = session or default_session()
    function = args.function or function_from_stack(args.stack, session.client("cloudformation"))
    lambda_client = session.client("lambda", config=INVOKE_CONFIG)
    if not args.apply:
        print(
            format_result(invoke(lambda_client, function, {"mode": "backfill", "dry_run": True, "limit": args.limit}))
        )
        return 0
    failed = 0
    for _ in range(MAX_ROUNDS):  # each call does up to --limit versions; converged calls plan nothing
        request: dict[str, Any] = {"mode": "backfill", "dry_run": False, "limit": args.limit}
        if args.run_id:
            request["run_id"] = args.run_id
        result = invoke(lambda_client, function, request)
        print(format_result(result))
        if any(item.get("outcome") == "failed" for item in result.get("items", [])):
            print(
                f"Run {result.get('run_id')} has failed versions: fix the cause, then --run-id {result.get('run_id')}"
            )
        items = result.get("items", [])
        failures = sum(1 for item in items if item.get("outcome") == "failed")
        failed += failures
        if not result.get("remaining") or failures == len(items):  # done, or no progress: stop and report
            break
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run(main))
