"""AWS Security Hub: which of our findings are ACTIVE, and importing the sweep's findings (sweep/asff.py).

Which findings were active before is read from Security Hub itself (GetFindings, our product and generator,
RecordState ACTIVE), not from a record of our own: whatever a crashed or retried run imported is seen by the
next one, there is nothing to keep in step, and the function needs no new state-table access.
"""

from __future__ import annotations

from typing import Any

from model_governance.sweep.asff import GENERATOR_PREFIX, HubContext, batches, is_ours

RETRIES_OF_FAILED = 1  # a finding Security Hub refused is sent once more in the same run before the run fails


class SecurityHubImportError(RuntimeError):
    """Security Hub refused findings (after a retry): the run fails, so Lambda retries it; none is dropped."""


class SecurityHub:
    def __init__(self, client: Any, context: HubContext) -> None:
        self._client = client
        self.context = context

    def active_findings(self) -> list[dict[str, Any]]:
        """Our ACTIVE findings (filtered by Security Hub, and again here: a filter must never let another
        product's or generator's finding be archived by us)."""
        filters = {
            "ProductArn": [{"Value": self.context.product_arn, "Comparison": "EQUALS"}],
            "GeneratorId": [{"Value": GENERATOR_PREFIX, "Comparison": "PREFIX"}],
            "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
        }
        found: list[dict[str, Any]] = []
        for page in self._client.get_paginator("get_findings").paginate(
            Filters=filters, PaginationConfig={"PageSize": 100}
        ):
            found += [
                f
                for f in page.get("Findings", [])
                if is_ours(f, self.context) and f.get("RecordState", "ACTIVE") == "ACTIVE"
            ]
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
