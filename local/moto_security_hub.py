"""Security Hub for moto 5.2.5, closer to AWS: BatchUpdateFindings (moto has none) and BatchImportFindings'
rule that an update older than the stored ``UpdatedAt`` is ignored (aws-facts section 8), which is how a
finding can be pinned by whoever imports our Id with a future ``UpdatedAt``. GetFindings filters stay moto's
(none): the adapter filters again on its side. Nothing here is used by deployed functions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from typing import Any
from unittest import mock

import moto.securityhub.urls as securityhub_urls
from moto.securityhub.responses import SecurityHubResponse


def _time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _batch_import_findings(original: Any) -> Any:
    def batch_import(self: SecurityHubResponse) -> str:
        body = json.loads(self.body.decode() if isinstance(self.body, bytes) else self.body)
        stored = {f.id: f.data for f in self.securityhub_backend.findings}
        kept, ignored = [], 0
        for finding in body.get("Findings", []):
            held = stored.get(finding.get("Id"))
            new, old = _time(finding.get("UpdatedAt")), _time((held or {}).get("UpdatedAt"))
            if held is not None and new is not None and old is not None and new < old:
                ignored += 1  # AWS reports it imported, and keeps the newer finding
                continue
            kept.append(finding)
        self.body = json.dumps({**body, "Findings": kept})
        response = json.loads(original(self))
        response["SuccessCount"] = int(response.get("SuccessCount", 0)) + ignored
        return json.dumps(response)

    return batch_import


def _batch_update_findings(self: SecurityHubResponse) -> str:
    """Workflow (and Note) of findings by (Id, ProductArn), as a customer's BatchUpdateFindings sets them."""
    params = json.loads(self.body.decode() if isinstance(self.body, bytes) else self.body)
    held = {(f.id, f.data.get("ProductArn")): f for f in self.securityhub_backend.findings}
    processed, unprocessed = [], []
    for identifier in params.get("FindingIdentifiers", []):
        finding = held.get((identifier.get("Id"), identifier.get("ProductArn")))
        if finding is None:
            unprocessed.append({"FindingIdentifier": identifier, "ErrorCode": "FindingNotFound", "ErrorMessage": ""})
            continue
        for field in ("Workflow", "Note"):
            if field in params:
                finding.data[field] = params[field]
        processed.append(identifier)
    return json.dumps({"ProcessedFindings": processed, "UnprocessedFindings": unprocessed})


@contextmanager
def security_hub_emulated() -> Iterator[None]:
    """Patch moto's Security Hub for the block (use inside ``mock_aws``)."""
    with ExitStack() as stack:
        stack.enter_context(
            mock.patch.dict(securityhub_urls.url_paths, {"{0}/findings/batchupdate$": SecurityHubResponse.dispatch})
        )
        stack.enter_context(
            mock.patch.object(SecurityHubResponse, "batch_update_findings", _batch_update_findings, create=True)
        )
        stack.enter_context(
            mock.patch.object(
                SecurityHubResponse,
                "batch_import_findings",
                _batch_import_findings(SecurityHubResponse.batch_import_findings),
            )
        )
        yield
