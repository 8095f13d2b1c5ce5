"""Sweep findings as AWS Security Hub findings (ASFF), so compliance teams see model governance beside the rest.

Pure mapping; adapters/security_hub.py reads and imports. One Security Hub finding per sweep finding, with an
``Id`` derived from what it is about and its kind (never the run), so every sweep updates the same finding:

- a problem found now is imported ACTIVE with ``Compliance.Status`` FAILED and ``UpdatedAt`` = the run's time;
- a finding of ours still ACTIVE in Security Hub that this sweep no longer finds is re-imported with
  ``RecordState`` ARCHIVED and ``Compliance.Status`` PASSED. A finding provider may not change ``Workflow`` after
  creating a finding (BatchImportFindings ignores it; it belongs to the people triaging), so we do not set it
  to RESOLVED ourselves: Security Hub resolves a NEW or NOTIFIED finding when its record is archived, and moves
  it back to NEW if the problem returns (ARCHIVED -> ACTIVE, PASSED -> FAILED). Sources: BatchImportFindings
  API reference ("cannot be used to update ... Workflow"; providers use ``FindingProviderFields`` for
  ``Severity`` and ``Types``) and the ``Workflow`` type reference (the resets to NEW).

Title (256) and Description (1024) are within ASFF's limits; the outside values in them were rendered as data by
the rules (model_governance.text) and are kept on one capped line here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from model_governance import text
from model_governance.sweep.inventory import Inventory
from model_governance.sweep.rules import (
    APPROVED_WITHOUT_APPROVED_CARD,
    ENDPOINT_WITHOUT_MONITOR,
    GATED_STAGE_WITHOUT_APPROVED_CARD,
    MODEL_WITHOUT_CARD,
    MONITOR_EXECUTION_FAILED,
    MONITOR_IDLE,
    MONITOR_NOT_SCHEDULED,
    REVIEW_OVERDUE,
    Finding,
)

SCHEMA_VERSION = "2018-10-08"
GENERATOR_PREFIX = "model-governance/account-sweep/"  # + the kind's code: ours, and one per rule
FINDING_TYPE = "Software and Configuration Checks/Industry and Regulatory Standards/SageMaker model governance"
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 1024
RECOMMENDATION_LIMIT = 512
ID_LIMIT = 512
BATCH_SIZE = 100  # BatchImportFindings takes at most 100 findings per call

SEVERITY = {
    APPROVED_WITHOUT_APPROVED_CARD.code: "HIGH",  # an approved model nobody has signed off
    GATED_STAGE_WITHOUT_APPROVED_CARD.code: "HIGH",  # a production-stage model nobody has signed off
    MONITOR_EXECUTION_FAILED.code: "MEDIUM",
    MONITOR_NOT_SCHEDULED.code: "MEDIUM",
    ENDPOINT_WITHOUT_MONITOR.code: "MEDIUM",
    MONITOR_IDLE.code: "MEDIUM",
    MODEL_WITHOUT_CARD.code: "LOW",
    REVIEW_OVERDUE.code: "LOW",
}


@dataclass(frozen=True)
class HubContext:
    """Where and when: the account and region swept, and the run's time (every finding's UpdatedAt)."""

    account: str
    region: str
    now: datetime
    run_id: str = ""

    @property
    def partition(self) -> str:
        if self.region.startswith("cn-"):
            return "aws-cn"
        return "aws-us-gov" if self.region.startswith("us-gov-") else "aws"

    @property
    def product_arn(self) -> str:
        """The account's own "default" product: the one a customer imports its own findings under."""
        return f"arn:{self.partition}:securityhub:{self.region}:{self.account}:product/{self.account}/default"

    def arn(self, resource: str) -> str:
        return f"arn:{self.partition}:sagemaker:{self.region}:{self.account}:{resource}"


def asff_time(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and Z, as ASFF shows it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def subject_path(finding: Finding) -> str:
    """What the finding is about, as a resource path: the same problem on the same thing gives the same path."""
    if finding.kind is REVIEW_OVERDUE and finding.card:
        return f"model-card/{finding.card}"
    if finding.group and finding.version is not None:
        return f"model-package/{finding.group}/{finding.version}"
    if finding.schedule:
        return f"monitoring-schedule/{finding.schedule}"
    if finding.endpoint:
        return f"endpoint/{finding.endpoint}"
    return f"model-card/{finding.card}"


def finding_id(finding: Finding, context: HubContext) -> str:
    """Stable per (region, kind, subject): ``model-governance/<region>/<kind>/<resource path>``."""
    whole = f"model-governance/{context.region}/{finding.kind.code}/{subject_path(finding)}"
    if len(whole) <= ID_LIMIT:
        return whole
    digest = hashlib.sha256(whole.encode()).hexdigest()
    return f"{whole[: ID_LIMIT - 66]}#{digest}"  # no real name is this long; the digest keeps it unique


def resources(finding: Finding, context: HubContext, arns: Mapping[str, str]) -> list[dict[str, Any]]:
    """The SageMaker resources the finding is about (the known ARN, else one built from the name), type Other:
    ASFF has no SageMaker model package, model card or monitoring schedule resource type."""
    paths = [subject_path(finding)]
    if finding.card and f"model-card/{finding.card}" not in paths:
        paths.append(f"model-card/{finding.card}")
    if finding.schedule and finding.endpoint:
        paths.append(f"endpoint/{finding.endpoint}")
    return [
        {
            "Type": "Other",
            "Id": arns.get(path) or context.arn(path.lower()),  # SageMaker ARNs hold names in lower case
            "Partition": context.partition,
            "Region": context.region,
        }
        for path in paths
    ]


def to_asff(
    finding: Finding, context: HubContext, *, arns: Mapping[str, str], created_at: str | None = None
) -> dict[str, Any]:
    """The ACTIVE Security Hub finding for a sweep finding. ``created_at``: the CreatedAt Security Hub already
    holds for this Id (None: a new finding, created now with Workflow NEW)."""
    kind = finding.kind
    severity = {"Label": SEVERITY.get(kind.code, "MEDIUM"), "Original": kind.code}
    asff: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_id(finding, context),
        "ProductArn": context.product_arn,
        "GeneratorId": f"{GENERATOR_PREFIX}{kind.code}",
        "AwsAccountId": context.account,
        "Types": [FINDING_TYPE],
        "CreatedAt": created_at or asff_time(context.now),
        "UpdatedAt": asff_time(context.now),
        "LastObservedAt": asff_time(context.now),
        "Severity": severity,
        "FindingProviderFields": {"Severity": severity, "Types": [FINDING_TYPE]},
        "Title": text.one_line(f"{kind.title}: {finding.subject}", TITLE_LIMIT),
        "Description": text.one_line(f"{finding.detail}. What to do: {kind.advice}", DESCRIPTION_LIMIT),
        "Remediation": {"Recommendation": {"Text": text.one_line(kind.advice, RECOMMENDATION_LIMIT)}},
        "ProductFields": {"model-governance/kind": kind.code, "model-governance/run": context.run_id or "unknown"},
        "Resources": resources(finding, context, arns),
        "Compliance": {"Status": "FAILED"},
        "RecordState": "ACTIVE",
    }
    if finding.since is not None:
        asff["FirstObservedAt"] = asff_time(finding.since)
    if created_at is None:
        asff["Workflow"] = {"Status": "NEW"}  # only on creation: afterwards Workflow belongs to the triagers
    return asff


# What an archiving import repeats of the finding Security Hub holds (ASFF's required fields and ours).
_KEPT = (
    "SchemaVersion",
    "Id",
    "ProductArn",
    "GeneratorId",
    "AwsAccountId",
    "Types",
    "CreatedAt",
    "Severity",
    "FindingProviderFields",
    "Title",
    "Description",
    "Remediation",
    "Resources",
    "FirstObservedAt",
)


def resolved(existing: Mapping[str, Any], context: HubContext) -> dict[str, Any]:
    """The import that closes a finding of ours whose problem is gone: archived and passed, as it last was."""
    closed = {key: existing[key] for key in _KEPT if key in existing}
    closed.update(
        UpdatedAt=asff_time(context.now),
        Compliance={"Status": "PASSED"},
        RecordState="ARCHIVED",
        ProductFields={
            **dict(existing.get("ProductFields") or {}),
            "model-governance/run": context.run_id or "unknown",
        },
    )
    return closed


def is_ours(existing: Mapping[str, Any], context: HubContext) -> bool:
    return existing.get("ProductArn") == context.product_arn and str(existing.get("GeneratorId", "")).startswith(
        GENERATOR_PREFIX
    )


def plan_sync(
    findings: Iterable[Finding],
    active: Iterable[Mapping[str, Any]],
    context: HubContext,
    *,
    arns: Mapping[str, str],
) -> list[dict[str, Any]]:
    """Every import this sweep makes: each finding now (keeping CreatedAt of one Security Hub already holds),
    then each ACTIVE finding of ours this sweep no longer finds, archived. One finding per Id (the first: the
    rules list the worst first)."""
    held = {str(f["Id"]): f for f in active if is_ours(f, context) and f.get("RecordState", "ACTIVE") == "ACTIVE"}
    imports: dict[str, dict[str, Any]] = {}
    for finding in findings:
        fid = finding_id(finding, context)
        if fid not in imports:
            previous = held.get(fid)
            imports[fid] = to_asff(
                finding, context, arns=arns, created_at=str(previous["CreatedAt"]) if previous else None
            )
    for fid, existing in sorted(held.items()):
        if fid not in imports:
            imports[fid] = resolved(existing, context)
    return list(imports.values())


def known_arns(inventory: Inventory) -> dict[str, str]:
    """The ARNs the sweep read, by resource path (subject_path's form)."""
    arns = {f"model-package/{p.group}/{p.version}": p.arn for p in inventory.packages}
    arns |= {f"model-card/{c.name}": c.arn for c in inventory.cards if c.arn}
    arns |= {f"endpoint/{e.name}": e.arn for e in inventory.endpoints}
    return arns


def batches(imports: list[dict[str, Any]], size: int = BATCH_SIZE) -> list[list[dict[str, Any]]]:
    return [imports[start : start + size] for start in range(0, len(imports), size)]
