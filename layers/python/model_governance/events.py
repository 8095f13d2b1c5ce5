"""Typed views of the EventBridge events the system handles, parsed with clear errors.

Shapes follow the SageMaker Developer Guide samples (aws-facts.md section 1). Only the fields the domain
needs are lifted into typed attributes; everything else stays available in ``detail``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from model_governance.cards.records import LifeCycle, life_cycle
from model_governance.constants import (
    MODEL_CARD_EXPORT_JOB_STATE_CHANGE,
    MODEL_CARD_STATE_CHANGE,
    MODEL_PACKAGE_STATE_CHANGE,
    PROCESSING_JOB_STATE_CHANGE,
    SAGEMAKER_SOURCE,
)
from model_governance.errors import InvalidEventError

_FRACTION = re.compile(r"(\.\d{6})\d+")
_VERSIONED_PACKAGE_ARN = re.compile(
    r"^arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]{9,16}:\d{12}:model-package/"
    r"(?P<group>[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})/(?P<version>[1-9]\d*)$"
)
_EXPORT_JOB_ARN = re.compile(
    r"^arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]{9,16}:\d{12}:model-card/"
    r"(?P<card>[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})/export-job/(?P<job>[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})$"
)


def parse_timestamp(value: Any, *, field_name: str = "time") -> datetime:
    """ISO 8601 (any fractional precision, 'Z' or offset) or epoch milliseconds, as an aware UTC datetime."""
    if isinstance(value, bool):
        raise InvalidEventError(f"{field_name} must be a timestamp, got {value!r}")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    if not isinstance(value, str) or not value:
        raise InvalidEventError(f"{field_name} must be a timestamp, got {value!r}")
    text = _FRACTION.sub(r"\1", value.strip()).replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidEventError(f"{field_name} is not an ISO 8601 timestamp: {value!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


# The key the account sweep adds to an event it replays because the original never reached its handler
# (sweep/reconcile.py). EventBridge never delivers it: only a caller allowed to invoke the function can set it.
RECONCILED_KEY = "model-governance:reconciled"
# The sweep's replay of a group's lost registrations: the registration events, oldest version first, run in order.
ORDERED_REPLAYS_KEY = "model-governance:ordered-replays"
MAX_ORDERED_REPLAYS = 100


@dataclass(frozen=True)
class Reconciled:
    """The sweep run that replayed this event, and what it found missing."""

    run_id: str
    reason: str


def whole_seconds(moment: datetime) -> str:
    """``moment`` in UTC to the second: one spelling for the same instant from an event (nanoseconds) and from an
    API response (milliseconds), where an effect key must be the same for both."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Envelope:
    """The EventBridge envelope fields every handler uses."""

    id: str
    detail_type: str
    source: str
    account: str
    region: str
    time: datetime
    resources: tuple[str, ...]
    detail: dict[str, Any] = field(repr=False)
    reconciled: Reconciled | None = None


def parse_envelope(event: Any, *, expected_detail_type: str) -> Envelope:
    if not isinstance(event, dict):
        raise InvalidEventError(f"event must be a JSON object, got {type(event).__name__}")
    missing = [
        key for key in ("id", "detail-type", "source", "account", "region", "time", "detail") if key not in event
    ]
    if missing:
        raise InvalidEventError(f"event is missing {', '.join(missing)}")
    if event["source"] != SAGEMAKER_SOURCE:
        raise InvalidEventError(f"event source must be {SAGEMAKER_SOURCE!r}, got {event['source']!r}")
    if event["detail-type"] != expected_detail_type:
        raise InvalidEventError(f"expected detail-type {expected_detail_type!r}, got {event['detail-type']!r}")
    if not isinstance(event["detail"], dict):
        raise InvalidEventError("event detail must be a JSON object")
    resources = event.get("resources") or []
    if not isinstance(resources, list) or not all(isinstance(r, str) for r in resources):
        raise InvalidEventError("event resources must be a list of ARNs")
    return Envelope(
        id=_text(event, "id"),
        detail_type=event["detail-type"],
        source=event["source"],
        account=_text(event, "account"),
        region=_text(event, "region"),
        time=parse_timestamp(event["time"], field_name="time"),
        resources=tuple(resources),
        detail=event["detail"],
        reconciled=_reconciled(event.get(RECONCILED_KEY)),
    )


def _reconciled(value: Any) -> Reconciled | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidEventError(f"{RECONCILED_KEY} must be a JSON object")
    return Reconciled(
        run_id=_text(value, "run_id", where=RECONCILED_KEY), reason=_text(value, "reason", where=RECONCILED_KEY)
    )


# Ids, names and ARNs AWS sends are far shorter; a longer value is not AWS's, and would ride into every item
# keyed or stamped by it (an effect records its first event's id).
MAX_TEXT_FIELD = 2048


def _text(mapping: dict[str, Any], key: str, *, where: str = "event") -> str:
    value = mapping.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidEventError(f"{where}.{key} must be a non-empty string, got {str(value)[:100]!r}")
    if len(value) > MAX_TEXT_FIELD:
        raise InvalidEventError(f"{where}.{key} is {len(value)} characters, more than AWS sends ({MAX_TEXT_FIELD})")
    return value


def _int(mapping: dict[str, Any], key: str, *, where: str = "detail") -> int:
    value = mapping.get(key)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidEventError(f"{where}.{key} must be an integer, got {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise InvalidEventError(f"{where}.{key} must be an integer, got {value!r}") from None
    if number < 1:
        raise InvalidEventError(f"{where}.{key} must be at least 1, got {number}")
    return number


@dataclass(frozen=True)
class ModelPackageStateChange:
    """`SageMaker Model Package State Change` for a versioned package."""

    envelope: Envelope
    package_arn: str
    group_name: str
    version: int
    status: str
    approval_status: str | None
    # detail.UpdatedModelPackageFields: what an update changed; None on the first registration's event (and on
    # the older, minimal sample shape), which names no fields (aws-facts.md 7). A hint only: the gates read the
    # package (DescribeModelPackage) whatever it says.
    updated_fields: tuple[str, ...] | None = None
    # detail.ModelLifeCycle, when the event carries it (not confirmed that it does, aws-facts.md 7): a hint only,
    # the stage gate reads the package's stage now (DescribeModelPackage).
    life_cycle: LifeCycle | None = None

    @property
    def is_registration_complete(self) -> bool:
        return self.status == "Completed"


def model_package_state_changes(event: Any) -> list[ModelPackageStateChange]:
    """One registration event, or the sweep's ordered replay of several (each parsed like an event of its own)."""
    if isinstance(event, dict) and ORDERED_REPLAYS_KEY in event:
        replays = event[ORDERED_REPLAYS_KEY]
        if not isinstance(replays, list) or not 0 < len(replays) <= MAX_ORDERED_REPLAYS:
            raise InvalidEventError(f"{ORDERED_REPLAYS_KEY} must be a list of 1 to {MAX_ORDERED_REPLAYS} events")
        return [parse_model_package_state_change(replay) for replay in replays]
    return [parse_model_package_state_change(event)]


def parse_model_package_state_change(event: Any) -> ModelPackageStateChange:
    envelope = parse_envelope(event, expected_detail_type=MODEL_PACKAGE_STATE_CHANGE)
    detail = envelope.detail
    arn = detail.get("ModelPackageArn") or (envelope.resources[0] if envelope.resources else None)
    if not isinstance(arn, str):
        raise InvalidEventError("detail.ModelPackageArn is missing and resources is empty")
    match = _VERSIONED_PACKAGE_ARN.match(arn)
    if not match:
        raise InvalidEventError(f"{arn!r} is not the ARN of a versioned model package (.../model-package/<group>/<n>)")
    group = _text(detail, "ModelPackageGroupName", where="detail")
    version = _int(detail, "ModelPackageVersion")
    if (match["group"], int(match["version"])) != (group, version):
        raise InvalidEventError(
            f"detail names {group}/{version} but the package ARN names {match['group']}/{match['version']}"
        )
    approval = detail.get("ModelApprovalStatus")
    updated = detail.get("UpdatedModelPackageFields")
    if updated is not None and not (isinstance(updated, list) and all(isinstance(f, str) for f in updated)):
        raise InvalidEventError(f"detail.UpdatedModelPackageFields must be a list of field names, got {updated!r}")
    return ModelPackageStateChange(
        envelope=envelope,
        package_arn=arn,
        group_name=group,
        version=version,
        status=_text(detail, "ModelPackageStatus", where="detail"),
        approval_status=approval if isinstance(approval, str) else None,
        updated_fields=tuple(updated) if updated is not None else None,
        life_cycle=life_cycle(detail.get("ModelLifeCycle")),
    )


@dataclass(frozen=True)
class ModelCardStateChange:
    """`SageMaker Model Card State Change`. It carries no content: read the card by version."""

    envelope: Envelope
    card_name: str
    card_version: int
    status: str
    last_modified: datetime
    modified_by: str | None
    created: datetime | None = None  # the card's CreationTime: tells a card re-created under the same name apart


def parse_model_card_state_change(event: Any) -> ModelCardStateChange:
    envelope = parse_envelope(event, expected_detail_type=MODEL_CARD_STATE_CHANGE)
    detail = envelope.detail
    status = _text(detail, "ModelCardStatus", where="detail")
    if status not in {"Draft", "PendingReview", "Approved", "Archived"}:
        raise InvalidEventError(f"detail.ModelCardStatus {status!r} is not a model card status")
    who = detail.get("LastModifiedBy") or {}
    modified_by = who.get("UserProfileName") or who.get("IamIdentity", {}).get("Arn") if isinstance(who, dict) else None
    return ModelCardStateChange(
        envelope=envelope,
        card_name=_text(detail, "ModelCardName", where="detail"),
        card_version=_int(detail, "ModelCardVersion"),
        status=status,
        last_modified=parse_timestamp(detail.get("LastModifiedTime"), field_name="detail.LastModifiedTime"),
        modified_by=modified_by if isinstance(modified_by, str) else None,
        created=parse_timestamp(detail["CreationTime"], field_name="detail.CreationTime")
        if detail.get("CreationTime")
        else None,
    )


@dataclass(frozen=True)
class ProcessingJobStateChange:
    """`SageMaker Processing Job State Change`. Whether it carries MonitoringScheduleArn is not confirmed."""

    envelope: Envelope
    job_name: str
    status: str
    monitoring_schedule_arn: str | None
    job_arn: str | None


def parse_processing_job_state_change(event: Any) -> ProcessingJobStateChange:
    envelope = parse_envelope(event, expected_detail_type=PROCESSING_JOB_STATE_CHANGE)
    detail = envelope.detail
    schedule = detail.get("MonitoringScheduleArn")
    job_arn = detail.get("ProcessingJobArn") or (envelope.resources[0] if envelope.resources else None)
    return ProcessingJobStateChange(
        envelope=envelope,
        job_name=_text(detail, "ProcessingJobName", where="detail"),
        status=_text(detail, "ProcessingJobStatus", where="detail"),
        monitoring_schedule_arn=schedule if isinstance(schedule, str) and schedule else None,
        job_arn=job_arn if isinstance(job_arn, str) else None,
    )


@dataclass(frozen=True)
class ModelCardExportJobStateChange:
    """`SageMaker Model Card Export Job State Change`. AWS publishes no sample (aws-facts.md 1.2): the job is named
    by ``detail.ModelCardExportJobArn``, else ``resources[0]``, else ``detail`` card and job names. The status it
    may carry is a hint only: the handler reads the job with DescribeModelCardExportJob."""

    envelope: Envelope
    job_arn: str
    card_name: str
    job_name: str
    status: str | None


def parse_model_card_export_job_state_change(event: Any) -> ModelCardExportJobStateChange:
    envelope = parse_envelope(event, expected_detail_type=MODEL_CARD_EXPORT_JOB_STATE_CHANGE)
    detail = envelope.detail
    arn = detail.get("ModelCardExportJobArn") or next((r for r in envelope.resources if "/export-job/" in r), None)
    if (
        arn is None
        and isinstance(detail.get("ModelCardName"), str)
        and isinstance(detail.get("ModelCardExportJobName"), str)
    ):
        partition = "aws-cn" if envelope.region.startswith("cn-") else "aws"
        arn = (
            f"arn:{partition}:sagemaker:{envelope.region}:{envelope.account}:model-card/"
            f"{detail['ModelCardName']}/export-job/{detail['ModelCardExportJobName']}"
        )
    match = _EXPORT_JOB_ARN.match(arn) if isinstance(arn, str) else None
    if match is None or not isinstance(arn, str):
        raise InvalidEventError(
            f"the event names no model card export job (.../model-card/<card>/export-job/<job>): {arn!r}"
        )
    status = detail.get("Status") or detail.get("ModelCardExportJobStatus")
    return ModelCardExportJobStateChange(
        envelope=envelope,
        job_arn=arn,
        card_name=match["card"],
        job_name=match["job"],
        status=status if isinstance(status, str) else None,
    )
