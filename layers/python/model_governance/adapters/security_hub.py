"""AWS Security Hub: which of our findings are ACTIVE, and importing the sweep's findings (sweep/asff.py).

Which findings were active before is read from Security Hub itself (GetFindings, our product and generator,
RecordState ACTIVE), not from a record of our own: whatever a crashed or retried run imported is seen by the
next one, there is nothing to keep in step, and the function needs no new state-table access.
"""

from __future__ import annotations

from typing import Any

from model_governance.sweep.asff import GENERATOR_PREFIX, HubContext, batches, is_ours

RETRIES_OF_FAILED = 1  # a finding Security Hub refused is sent once more in the same run before the run fails
IDS_PER_FILTER = 20  # GetFindings takes at most 20 values per filter field
UPDATE_BATCH = 100  # BatchUpdateFindings takes at most 100 finding identifiers per call


class SecurityHubImportError(RuntimeError):
    """Security Hub refused findings (after a retry): the run fails, so Lambda retries it; none is dropped."""


class SecurityHub:
    def __init__(self, client: Any, context: HubContext) -> None:
        self._client = client
        self.context = context

    def active_findings(self) -> list[dict[str, Any]]:
        """Our ACTIVE findings (filtered by Security Hub, and again here: a filter must never let another
        product's or generator's finding be archived by us)."""
        return [f for f in self._ours({"RecordState": ["ACTIVE"]}) if f.get("RecordState", "ACTIVE") == "ACTIVE"]

    def findings_by_id(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Our findings with these Ids as Security Hub holds them now (whatever their record state)."""
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), IDS_PER_FILTER):
            wanted = set(ids[start : start + IDS_PER_FILTER])
            for finding in self._ours({"Id": sorted(wanted)}):
                if finding.get("Id") in wanted:
                    found[str(finding["Id"])] = finding
        return found

    def archived_unresolved(self) -> list[dict[str, Any]]:
        """Our findings archived as passed whose Workflow still says NEW or NOTIFIED: archiving does not resolve
        a finding (only BatchUpdateFindings sets Workflow), so these still show as open to the triagers."""
        return [
            f
            for f in self._ours(
                {"RecordState": ["ARCHIVED"], "ComplianceStatus": ["PASSED"], "WorkflowStatus": ["NEW", "NOTIFIED"]}
            )
            if f.get("RecordState") == "ARCHIVED"
            and (f.get("Compliance") or {}).get("Status") == "PASSED"
            and (f.get("Workflow") or {}).get("Status", "NEW") in {"NEW", "NOTIFIED"}
        ]

    def resolve(self, findings: list[dict[str, Any]]) -> int:
        """Workflow RESOLVED on these findings of ours (BatchUpdateFindings); returns how many."""
        identifiers = [{"Id": str(f["Id"]), "ProductArn": self.context.product_arn} for f in findings]
        for start in range(0, len(identifiers), UPDATE_BATCH):
            response = self._client.batch_update_findings(
                FindingIdentifiers=identifiers[start : start + UPDATE_BATCH],
                Workflow={"Status": "RESOLVED"},
                Note={"Text": "Resolved by the model governance sweep: the problem is gone.", "UpdatedBy": "sweep"},
            )
            unprocessed = response.get("UnprocessedFindings") or []
            if unprocessed:
                reasons = "; ".join(
                    f"{(u.get('FindingIdentifier') or {}).get('Id')}: {u.get('ErrorCode')}" for u in unprocessed
                )
                raise SecurityHubImportError(f"Security Hub did not resolve {len(unprocessed)} findings: {reasons}")
        return len(identifiers)

    def _ours(self, equals: dict[str, list[str]]) -> list[dict[str, Any]]:
        filters: dict[str, Any] = {
            "ProductArn": [{"Value": self.context.product_arn, "Comparison": "EQUALS"}],
            "GeneratorId": [{"Value": GENERATOR_PREFIX, "Comparison": "PREFIX"}],
        }
        filters |= {key: [{"Value": v, "Comparison": "EQUALS"} for v in values] for key, values in equals.items()}
        found: list[dict[str, Any]] = []
        for page in self._client.get_paginator("get_findings").paginate(
            Filters=filters, PaginationConfig={"PageSize": 100}
        ):
            found += [f for f in page.get("Findings", []) if is_ours(f, self.context)]
        return found

    def import_findings(self, findings: list[dict[str, Any]]) -> int:
        """Import in batches of 100; findings Security Hub refuses are retried once, then the run fails
        naming them. Returns how many were imported."""
        imported = 0
        for batch in batches(findings):
            pending = batch
            for attempt in range(RETRIES_OF_FAILED + 1):
                response = self._client.batch_import_findings(Findings=pending)
                imported += int(response.get("SuccessCount", 0))
                failed = response.get("FailedFindings") or []
                if not failed:
                    break
                refused = {str(f.get("Id")) for f in failed}
                pending = [f for f in pending if f["Id"] in refused]
                if attempt == RETRIES_OF_FAILED or not pending:
                    reasons = "; ".join(f"{f.get('Id')}: {f.get('ErrorCode')} {f.get('ErrorMessage')}" for f in failed)
                    raise SecurityHubImportError(f"Security Hub refused {len(failed)} findings: {reasons}")
        return imported
