"""The sweep's findings in AWS Security Hub: every finding now imported ACTIVE, every one gone archived and
resolved, and what Security Hub holds read back.

Two steps of the sweep's effect (workflows/account_sweep.py), both safe to repeat: an import is an upsert by the
finding's Id with the run's time as UpdatedAt, what is active (and what is archived but not yet resolved) is read
from Security Hub each time, so a retry after a crash converges on the same findings. Then the read-back:
BatchImportFindings ignores an update older than the stored UpdatedAt, so whoever may import into the account's
default product can pin one of our findings (import its Id with a future UpdatedAt) and silence it; a finding
that does not hold what this run imported is reported to ops.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from model_governance import text
from model_governance.adapters.notifications import Message
from model_governance.sweep.asff import HubContext, finding_id, known_arns, plan_sync
from model_governance.sweep.inventory import Inventory
from model_governance.sweep.rules import Finding

PINNED_LISTED = 20  # findings named in one notice; a count says how many more


class FindingsHub(Protocol):
    @property
    def context(self) -> HubContext: ...
    def active_findings(self) -> list[dict[str, Any]]: ...
    def import_findings(self, findings: list[dict[str, Any]]) -> int: ...
    def findings_by_id(self, ids: list[str]) -> dict[str, dict[str, Any]]: ...
    def archived_unresolved(self) -> list[dict[str, Any]]: ...
    def resolve(self, findings: list[dict[str, Any]]) -> int: ...


def sync_findings(hub: FindingsHub, findings: list[Finding], inventory: Inventory) -> dict[str, int]:
    """Import this sweep's findings, archive ours that are gone and mark them RESOLVED; returns what it did."""
    imports = plan_sync(findings, hub.active_findings(), hub.context, arns=known_arns(inventory))
    archived = sum(1 for f in imports if f.get("RecordState") == "ARCHIVED")
    hub.import_findings(imports)
    # Archiving leaves Workflow NEW: the finding would still look open. Read from Security Hub, so a finding an
    # earlier, interrupted run archived is resolved too.
    resolved = hub.resolve(hub.archived_unresolved())
    return {"active": len(imports) - archived, "archived": archived, "resolved": resolved}


def pinned_notice(hub: FindingsHub, findings: list[Finding]) -> Message | None:
    """Read this run's findings back: each must be ACTIVE as of this run, and no finding of ours this run did not
    find may stay ACTIVE. Those that are not (a later UpdatedAt holds them) are named for ops; None if all hold."""
    context = hub.context
    ids = sorted({finding_id(f, context) for f in findings})
    held = hub.findings_by_id(ids)
    pinned = [fid for fid in ids if fid not in held or _not_ours_now(held[fid], context.now, "ACTIVE")]
    pinned += sorted(
        str(f["Id"]) for f in hub.active_findings() if str(f["Id"]) not in set(ids) and _later(f, context.now)
    )
    if not pinned:
        return None
    listed = [f"  - {text.name(fid, 200)}: Security Hub holds UpdatedAt {_updated(held.get(fid))}" for fid in pinned]
    more = len(pinned) - PINNED_LISTED
    body = [
        f"{len(pinned)} Security Hub finding{'s' if len(pinned) != 1 else ''} of the model governance sweep do not"
        f" hold what run {text.name(context.run_id)} imported: Security Hub ignores an import older than the"
        " finding's UpdatedAt, and someone imported these Ids with a later one.",
        "",
        *listed[:PINNED_LISTED],
        *([f"  ... and {more} more"] if more > 0 else []),
        "",
        "What to do: find who called BatchImportFindings on the account's default product (CloudTrail), remove"
        " that grant, then archive the forged findings (BatchUpdateFindings or the console); the next sweep"
        " imports ours again.",
    ]
    return Message(
        subject=f"[ACTION] {len(pinned)} Security Hub findings of model governance pinned by another import",
        body="\n".join(body),
        attributes={"event_type": "security_hub_pinned", "severity": "High"},
    )


def _later(finding: dict[str, Any], now: datetime) -> bool:
    updated = _parsed(finding.get("UpdatedAt"))
    return updated is None or updated > now


def _not_ours_now(finding: dict[str, Any], now: datetime, state: str) -> bool:
    return _later(finding, now) or finding.get("RecordState", "ACTIVE") != state


def _updated(finding: dict[str, Any] | None) -> str:
    return text.name(finding.get("UpdatedAt"), 40) if finding else "(no such finding)"


def _parsed(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
