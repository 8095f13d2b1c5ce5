"""Print the audit ledger of a model package group (optionally one card), oldest first.

    python -m ops.ledger --group fraud-detector [--card fraud-detector-v2] [--table <state table>]

Without --table the state table's name is read from the deployed stack's outputs (StateTableName).
Read-only: it queries the table, it never writes.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from model_governance import text
from model_governance.adapters.ledger import Ledger, in_order
from model_governance.constants import STATE_TABLE_OUTPUT
from ops.cli import CommandError, OneLineParser, UsageError, run, session

DEFAULT_STACK = "ModelGovernance"
_DETAIL_KEYS = ("reason", "verdict", "s3_output_path", "export_job_arn", "subject", "changed_sections", "owner")
# The object version an export_completed record pins as the evidence (docs/evidence-and-ledger.md: verifying).
_EVIDENCE_KEYS = ("version_id", "etag", "content_length", "sha256", "sha256_from")


def format_history(records: Iterable[Mapping[str, Any]]) -> str:
    """One block per record: when, what, on which card or resource, by whom; then what changed and why.

    Every value is outside input (an owner, a reason, a card name): it is printed escaped on its own line's
    tail (model_governance.text), so a value holding a line break cannot print a record of its own."""
    lines: list[str] = []
    for record in in_order(records):
        what = text.name(record.get("card") or record.get("subject") or "-")
        when = text.one_line(str(record.get("at", ""))[:19])
        action, actor = text.name(record.get("action", "")), text.name(record.get("actor"))
        lines.append(f"{when}Z  {action:<29} {what}  by {actor}")
        change = _change(record.get("before") or {}, record.get("after") or {})
        if change:
            lines.append(f"      {change}")
        details = record.get("details") or {}
        for key in (*_DETAIL_KEYS, *_EVIDENCE_KEYS):
            if details.get(key) not in (None, "", []):
                lines.append(f"      {key}: {text.one_line(_text(details[key]))}")
    return "\n".join(lines) if lines else "(no ledger records)"


def _change(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    parts = []
    for key in dict.fromkeys([*before, *after]):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        shown = text.name(key)
        if isinstance(old, dict | list) or isinstance(new, dict | list):
            parts.append(f"{shown} rewritten")
        else:
            parts.append(
                f"{shown}: {text.name(old)} -> {text.name(new)}" if key in before else f"{shown}: {text.name(new)}"
            )
    return text.one_line("; ".join(parts))


def _text(value: Any) -> str:
    return (
        ", ".join(map(str, value))
        if isinstance(value, list)
        else json.dumps(value)
        if isinstance(value, dict)
        else str(value)
    )


def table_from_stack(stack: str, cloudformation: Any) -> str:
    outputs = cloudformation.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    for output in outputs:
        if output.get("OutputKey") == STATE_TABLE_OUTPUT:
            return str(output["OutputValue"])
    raise CommandError(f"stack {stack} has no {STATE_TABLE_OUTPUT} output: deploy the current version or pass --table")


def main(argv: Sequence[str] | None = None, *, aws: Any = None) -> int:
    parser = OneLineParser(prog="make ledger", description=__doc__.splitlines()[0])
    parser.add_argument("--group", default="", help="model package group name")
    parser.add_argument("--card", help="only this model card's records")
    parser.add_argument("--table", help="state table name (default: the stack's StateTableName output)")
    parser.add_argument("--stack", default=DEFAULT_STACK, help=f"stack name (default {DEFAULT_STACK})")
    args = parser.parse_args(argv)
    if not args.group:
        raise UsageError("GROUP is required: make ledger GROUP=<model package group> [CARD=<model card>]")
    aws = aws or session()
    table = args.table or table_from_stack(args.stack, aws.client("cloudformation"))
    ledger = Ledger(aws.client("dynamodb"), table)
    print(f"Ledger of model package group {args.group}" + (f", card {args.card}" if args.card else "") + f" ({table})")
    print(format_history(ledger.history(group=args.group, card=args.card)))
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
