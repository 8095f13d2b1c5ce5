"""Typed values the domain works on, built by the adapters from SageMaker responses."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

_PACKAGE_VERSION = re.compile(r"model-package/[^/]+/(\d+)$")
# The adapter keeps content that is not a JSON object under this key instead of failing the read: the card exists,
# but nothing in it may be taken as what it says (adapters/sagemaker.card_record).
UNPARSEABLE_CONTENT_KEY = "_unparseable"


@dataclass(frozen=True)
class FieldChange:
    """One field of a card whose value is (or would be) replaced: a line of the ledger or of a notice."""

    field: str  # dotted path, e.g. "intended_uses.risk_rating"
    old: Any
    new: Any  # None: the field is removed

    def as_record(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class Container:
    image: str
    model_data_url: str | None = None


@dataclass(frozen=True)
class EmbeddedCard:
    """``ModelCard`` of a model package: simplified content plus its status."""

    content: dict[str, Any]
    status: str | None


# Stage statuses that mean a version is not (or no longer) in its stage: a gated stage with one of these is not
# gated (AWS's template statuses; stages and statuses are free-form, aws-facts.md 7).
INACTIVE_STAGE_STATUSES = ("Rejected", "Retired")


# ModelLifeCycle.Stage and StageStatus: AWS's EntityName pattern (aws-facts.md 4.1).
STAGE_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")


def stage_names(values: Iterable[object]) -> tuple[str, ...]:
    """Stage names as given (duplicates dropped); ValueError naming every one AWS would refuse."""
    names = list(values)
    bad = [v for v in names if not isinstance(v, str) or not STAGE_NAME.fullmatch(v)]
    if bad:
        raise ValueError(
            f"not a model registry stage name (1-63 letters, digits and single hyphens, AWS's Stage pattern "
            f"[a-zA-Z0-9](-*[a-zA-Z0-9]){{0,62}}): {', '.join(map(repr, bad))}"
        )
    return tuple(dict.fromkeys(str(v) for v in names))


@dataclass(frozen=True)
class LifeCycle:
    """``ModelLifeCycle`` of a model package version: where it is in the team's promotion stages."""

    stage: str
    status: str
    description: str | None = None

    def active_in(self, gated_stages: Collection[str]) -> bool:
        """In one of ``gated_stages`` with a status that keeps it there (not Rejected or Retired)."""
        return self.stage in gated_stages and self.status not in INACTIVE_STAGE_STATUSES

    def label(self) -> str:
        return f"{self.stage}/{self.status}"

    def as_record(self) -> dict[str, str]:
        return {"stage": self.stage, "stage_status": self.status}


def life_cycle(value: Any) -> LifeCycle | None:
    """A ``ModelLifeCycle`` structure (a response or an event's detail), or None when absent or incomplete."""
    if not isinstance(value, dict):
        return None
    stage, status, description = value.get("Stage"), value.get("StageStatus"), value.get("StageDescription")
    if not (isinstance(stage, str) and stage and isinstance(status, str) and status):
        return None
    return LifeCycle(stage, status, description if isinstance(description, str) else None)


@dataclass(frozen=True)
class PackageFacts:
    """What a model package version says about itself (DescribeModelPackage)."""

    arn: str
    group: str
    version: int
    status: str
    approval_status: str | None
    description: str | None = None
    approval_description: str | None = None
    created_by: str | None = None
    domain: str | None = None
    task: str | None = None
    containers: tuple[Container, ...] = ()
    metrics: tuple[
        tuple[str, str, str], ...
    ] = ()  # (kind, report, S3 URI), e.g. ("ModelQuality", "Statistics", "s3://...")
    embedded_card: EmbeddedCard | None = None
    creation_time: datetime | None = None
    # CustomerMetadataProperties: set only by those allowed to update the package (cards/trust.py reads it)
    customer_metadata: dict[str, str] = field(default_factory=dict)
    life_cycle: LifeCycle | None = None  # ModelLifeCycle: the version's stage, if the team uses stages
    last_modified: datetime | None = None
    # SecurityConfig.KmsKeyId: the key encrypting the package's information, set only when it was created
    kms_key_id: str | None = None


@dataclass(frozen=True)
class CardRecord:
    """One version of a standalone model card."""

    name: str
    version: int
    status: str
    content: dict[str, Any] = field(repr=False)
    arn: str | None = None
    last_modified: datetime | None = None
    last_modified_by: str | None = None
    kms_key_id: str | None = None  # SecurityConfig.KmsKeyId: the customer-managed key encrypting the content
    created: datetime | None = None  # CreationTime: tells a card re-created under the same name apart (trust.py)
    created_by: str | None = None

    @property
    def unreadable(self) -> bool:
        """The content could not be parsed: it says nothing we may rely on."""
        return UNPARSEABLE_CONTENT_KEY in self.content

    @property
    def linked_package_arn(self) -> str | None:
        details = self.content.get("model_package_details") or {}
        arn = details.get("model_package_arn") if isinstance(details, dict) else None
        return arn if isinstance(arn, str) else None

    @property
    def linked_group(self) -> str | None:
        details = self.content.get("model_package_details") or {}
        group = details.get("model_package_group_name") if isinstance(details, dict) else None
        if isinstance(group, str):
            return group
        arn = self.linked_package_arn
        return arn.split("model-package/", 1)[1].rsplit("/", 1)[0] if arn and arn.count("/") >= 2 else None

    @property
    def linked_version(self) -> int | None:
        details = self.content.get("model_package_details") or {}
        version = details.get("model_package_version") if isinstance(details, dict) else None
        if isinstance(version, int | float) and not isinstance(version, bool):
            return int(version)
        match = _PACKAGE_VERSION.search(self.linked_package_arn or "")
        return int(match[1]) if match else None

    @property
    def risk_rating(self) -> str:
        uses = self.content.get("intended_uses") or {}
        rating = uses.get("risk_rating") if isinstance(uses, dict) else None
        return rating if isinstance(rating, str) else "Unknown"


@dataclass(frozen=True)
class CardLink:
    """A card linked to one version of a group, as the system recorded it or Search found it."""

    group: str
    package_version: int
    card_name: str
    package_arn: str | None = None  # the exact package, in links the system records (cards/trust.py)
    # The card the system created: its ARN, and a time its CreationTime is not after (links recorded by earlier
    # releases have neither: cards/trust.py decides what they are worth).
    card_arn: str | None = None
    card_created_before: datetime | None = None


def kms_key_arn(key_id: str, resource_arn: str | None) -> str:
    """The ARN of the key a ``SecurityConfig.KmsKeyId`` names. SageMaker accepts a key ID, a key ARN or an
    alias; a bare key ID is in the account and region of the resource it encrypts. An alias stays as given (its
    key's ARN needs kms:DescribeKey, which this system does not have)."""
    if key_id.startswith("arn:") or key_id.startswith("alias/") or not resource_arn or resource_arn.count(":") < 5:
        return key_id
    partition, region, account = resource_arn.split(":")[1], resource_arn.split(":")[3], resource_arn.split(":")[4]
    return f"arn:{partition}:kms:{region}:{account}:key/{key_id}"


@dataclass(frozen=True)
class EvidenceObject:
    """The one S3 object version an export record names as evidence: a later write under the same key is a new
    version, with another VersionId (and, for other bytes, another SHA-256), so it cannot pass for this one."""

    uri: str  # s3://bucket/key
    version_id: str
    etag: str
    content_length: int
    sha256: str  # hex, as `sha256sum` prints it
    sha256_from: str  # "s3-checksum" (S3's full-object ChecksumSHA256) | "computed" (read back and hashed)

    def fields(self) -> dict[str, Any]:
        """The export record's and the ledger record's attributes."""
        return {
            "version_id": self.version_id,
            "etag": self.etag,
            "content_length": self.content_length,
            "sha256": self.sha256,
            "sha256_from": self.sha256_from,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> EvidenceObject | None:
        """The evidence an export record already pins, if it pins one."""
        if not record.get("version_id") or not record.get("artifact"):
            return None
        return cls(
            uri=str(record["artifact"]),
            version_id=str(record["version_id"]),
            etag=str(record.get("etag", "")),
            content_length=int(record.get("content_length") or 0),
            sha256=str(record.get("sha256", "")),
            sha256_from=str(record.get("sha256_from", "")),
        )


@dataclass(frozen=True)
class ExportJob:
    """A model card export job as DescribeModelCardExportJob reports it."""

    name: str
    arn: str
    status: str  # InProgress | Completed | Failed
    card: str
    card_version: int
    s3_output_path: str | None = None
    artifact: str | None = None  # ExportArtifacts.S3ExportArtifacts: the PDF's S3 URI, once Completed
    failure_reason: str | None = None
    modified: datetime | None = None  # LastModifiedAt: when the job reached its status

    # A job is the origin of the records of what it did (workflows/effects.Origin): whichever delivery sees it
    # finish first, the record is the same.
    @property
    def id(self) -> str:
        return f"export-job/{self.name}/{self.status}"

    @property
    def time(self) -> datetime:
        return self.modified or datetime(1970, 1, 1, tzinfo=UTC)
