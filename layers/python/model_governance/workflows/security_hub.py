"""The sweep's findings in AWS Security Hub: every finding now imported ACTIVE, every one gone archived.

One step of the sweep's effect (workflows/account_sweep.py). It is safe to repeat: an import is an upsert by the
finding's Id with the run's time as UpdatedAt, and what is active is read from Security Hub each time, so a retry
after a crash (some batches imported, some not) converges on the same findings.
"""

from __future__ import annotations

from typing import Any, Protocol

from model_governance.sweep.asff import HubContext, known_arns, plan_sync
from model_governance.sweep.inventory import Inventory
from model_governance.sweep.rules import Finding


class FindingsHub(Protocol):
    @property
    def context(self) -> HubContext: ...
    def active_findings(self) -> list[dict[str, Any]]: ...
    def import_findings(self, findings: list[dict[str, Any]]) -> int: ...


def sync_findings(hub: FindingsHub, findings: list[Finding], inventory: Inventory) -> dict[str, int]:
    """Import this sweep's findings and archive ours that are gone; returns what it did, for the log."""
    imports = plan_sync(findings, hub.active_findings(), hub.context, arns=known_arns(inventory))
    archived = sum(1 for f in imports if f.get("RecordState") == "ARCHIVED")
    hub.import_findings(imports)
    return {"active": len(imports) - archived, "archived": archived}
