"""The ops digest and the JSON report of one sweep: grouped by finding, counts first, worst items first."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from model_governance.adapters.notifications import SUBJECT_LIMIT, Message
from model_governance.errors import InvalidEventError
from model_governance.sweep.reconcile import Reconciliation
from model_governance.sweep.rules import KINDS, Finding, SweepSettings, counts
from model_governance.text import one_line

# An email stays readable (and far below SNS's 256 KB) with this many items per finding; the report has all.
ITEMS_PER_KIND = 25
# A finding's subject and detail quote the outside values they hold (sweep/rules.py); in the email each is also
# forced onto one capped line, so no finding can add or hide a line of the digest.
SUBJECT_WIDTH = 200
DETAIL_WIDTH = 600
BODY_BUDGET_BYTES = 128 * 1024  # half of SNS's 256 KB, as for the violation email; fewer items per finding past it
# A run id becomes part of an S3 key (sweeps/<date>/<run id>.json) and of ledger and claim keys: letters,
# digits, "-" and "_" only, so a hand-supplied one cannot leave its prefix or name another object.
RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")


def checked_run_id(value: object) -> str:
    """``value`` if it is a well-formed run id; InvalidEventError (nothing done yet) otherwise."""
    if isinstance(value, str) and RUN_ID.fullmatch(value):
        return value
    raise InvalidEventError(
        f"run_id must be 1 to 100 letters, digits, '-' or '_', starting with a letter or digit; got {value!r}"
    )


@dataclass(frozen=True)
class SweepRun:
    run_id: str
    started: datetime
    region: str
    account: str
    report_uri: str | None = None

    # A run is the origin of its effects and ledger records (workflows/effects.Origin).
    @property
    def id(self) -> str:
        return self.run_id

    @property
    def time(self) -> datetime:
        return self.started


def scanned_line(scanned: Mapping[str, int]) -> str:
    return (
        f"{scanned.get('groups', 0)} model package groups ({scanned.get('versions', 0)} versions), "
        f"{scanned.get('cards', 0)} model cards, {scanned.get('endpoints_in_service', 0)} in-service endpoints, "
        f"{scanned.get('schedules', 0)} monitoring schedules"
    )


def render_digest(
    findings: list[Finding],
    *,
    run: SweepRun,
    scanned: Mapping[str, int],
    settings: SweepSettings,
    reconciliation: Reconciliation | None = None,
) -> Message | None:
    """The email to ops, or None when there is nothing to say and no all-clear is wanted."""
    totals = counts(findings)
    replayed = _reconciled(reconciliation)
    when = run.started.strftime("%Y-%m-%d %H:%M UTC")
    header = [
        f"Model governance sweep of account {run.account} in {run.region}, {when} (run {run.run_id}).",
        f"Scanned: {scanned_line(scanned)}.",
        "",
    ]
    footer = ["", f"Full report: {run.report_uri}" if run.report_uri else "", f"Run id: {run.run_id}"]
    if not findings:
        if not settings.send_all_clear and not replayed:
            return None
        body = [*header, "All clear: no model, card or monitor needs attention.", *replayed, *footer]
        fixed = f", {len(reconciliation.actions)} lost events replayed" if reconciliation and replayed else ""
        return Message(
            subject=f"Governance sweep {run.started:%Y-%m-%d}: all clear{fixed}",
            body="\n".join(line for line in body if line is not None),
            attributes={"event_type": "account_sweep_digest", "findings": "0", "severity": "Low"},
        )
    lines = [*header, f"{len(findings)} finding{'s' if len(findings) != 1 else ''}:"]
    width = len(str(max(totals.values())))
    lines += [f"  {totals[kind.code]:>{width}}  {kind.title}" for kind in KINDS if totals[kind.code]]
    per_kind, rendered = ITEMS_PER_KIND, ""
    while True:  # only findings full of wide non-ASCII text need a second pass
        rendered = "\n".join([*lines, *replayed, *_sections(findings, per_kind), *footer]).rstrip() + "\n"
        if len(rendered.encode()) <= BODY_BUDGET_BYTES or per_kind == 0:
            break
        per_kind //= 2
    return Message(
        subject=_subject(f"Governance sweep {run.started:%Y-%m-%d}: {len(findings)} findings", totals),
        body=rendered,
        attributes={
            "event_type": "account_sweep_digest",
            "findings": str(len(findings)),
            # High when an approved model lacks an approved card or a monitor failed (the two worst kinds).
            "severity": "High" if any(totals[kind.code] for kind in KINDS[:2]) else "Medium",
        },
    )


def _reconciled(reconciliation: Reconciliation | None) -> list[str]:
    """What the sweep replayed because its event never reached its handler (sweep/reconcile.py), and what a
    handler began and has not finished (not replayed: its retries and dead-letter queue have it)."""
    if reconciliation is None:
        return []
    actions, lines = reconciliation.actions, []
    if actions or reconciliation.waiting:
        changes = f"{len(actions)} change{'s' if len(actions) != 1 else ''} whose event was lost"
        if reconciliation.applied:
            lines += [
                "",
                f"== Reconciled: {changes} ==",
                "Handed to their handlers now, as the events would have been (ledgered as 'reconciled'):",
            ]
        else:
            lines += [
                "",
                f"== Not reconciled (reconciliation is off): {changes} ==",
                "Turn reconciliation on (cdk.json reconcile) or act on each by hand:",
            ]
        lines += [f"  - {one_line(action.reason, DETAIL_WIDTH)}" for action in actions[:ITEMS_PER_KIND]]
        if len(actions) > ITEMS_PER_KIND:
            lines.append(f"  ... and {len(actions) - ITEMS_PER_KIND} more (see the full report)")
        if reconciliation.waiting:
            lines.append(f"  {reconciliation.waiting} more wait for the next sweep (most urgent and oldest first).")
    if reconciliation.stuck:
        lines += [
            "",
            f"== Begun but not finished: {len(reconciliation.stuck)} (not replayed) ==",
            "Their handler saw them and failed, or is still at it: see its dead-letter queue and logs.",
        ]
        lines += [f"  - {one_line(item, DETAIL_WIDTH)}" for item in reconciliation.stuck[:ITEMS_PER_KIND]]
    return lines


def _sections(findings: list[Finding], per_kind: int) -> list[str]:
    lines: list[str] = []
    for kind in KINDS:
        items = [f for f in findings if f.kind == kind]
        if not items:
            continue
        lines += ["", f"== {kind.title} ({len(items)}) ==", f"What to do: {kind.advice}"]
        lines += [
            f"  - {one_line(item.subject, SUBJECT_WIDTH)}: {one_line(item.detail, DETAIL_WIDTH)}"
            for item in items[:per_kind]
        ]
        if len(items) > per_kind:
            lines.append(f"  ... and {len(items) - per_kind} more (see the full report)")
    return lines


_SHORT = {
    "approved_without_approved_card": "approved w/o approved card",
    "gated_stage_without_approved_card": "gated stage w/o approved card",
    "monitor_execution_failed": "monitor failed",
    "monitor_not_scheduled": "monitor stopped",
    "endpoint_without_monitor": "unmonitored",
    "monitor_idle": "monitor idle",
    "endpoint_without_model_quality_monitor": "no model quality",
    "model_without_card": "no card",
    "review_overdue": "review overdue",
}


def _subject(head: str, totals: Mapping[str, int]) -> str:
    """``head (2 approved w/o approved card, 1 monitor failed, ...)``: as many counts as fit SNS's 100 characters."""
    parts = [f"{totals[k.code]} {_SHORT.get(k.code, k.code)}" for k in KINDS if totals[k.code]]
    for shown in range(len(parts), -1, -1):
        listed = ", ".join(parts[:shown] + (["..."] if shown < len(parts) else []))
        subject = f"{head} ({listed})"
        if len(subject) <= SUBJECT_LIMIT:
            return subject
    return head


def build_report(
    findings: list[Finding],
    *,
    run: SweepRun,
    scanned: Mapping[str, int],
    settings: SweepSettings,
    reconciliation: Reconciliation | None = None,
) -> dict[str, Any]:
    """The JSON evidence of one sweep: every finding, the counts, what was scanned and what was replayed."""
    return {
        "run_id": run.run_id,
        "started": run.started.isoformat(),
        "account": run.account,
        "region": run.region,
        "settings": {
            "pending_review_max_days": settings.pending_review_max_days,
            "gated_stages": list(settings.gated_stages),
        },
        "scanned": dict(scanned),
        "counts": counts(findings),
        "findings": [finding.as_dict() for finding in findings],
        "reconciliation": reconciliation.as_dict() if reconciliation is not None else None,
    }


def report_key(run: SweepRun) -> str:
    """``sweeps/<date>/<run id>.json``: the same run (a retry) writes the same key."""
    return f"sweeps/{run.started:%Y-%m-%d}/{checked_run_id(run.run_id)}.json"
