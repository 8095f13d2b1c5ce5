"""Model card behaviour moto 5.2.5 lacks or gets wrong, emulated for the local demo and flow tests.

- CreateModelCardExportJob / DescribeModelCardExportJob are not implemented: the emulation completes the job at
  once and writes a small placeholder PDF under the job's S3 output path (moto's S3), so the evidence exists.
- UpdateModelCard: AWS rejects content and status in one call, and a status-only update creates no new version
  (aws-facts.md 3.1, 3.2); moto accepts both together and makes every update a new version (wiping the status
  or the content it was not given). Content updates of an Archived card are refused here too.
- DescribeModelCard returns the creation time as LastModifiedTime; here it is the version's own time. moto's
  CreatedBy and LastModifiedBy are empty; here they name the caller that made the change (an IAM identity; the
  default one unless the test acts ``acting_as`` someone).
- KMS (``card_keys_enforced``): moto stores a card's SecurityConfig but never needs its key. AWS needs
  kms:Decrypt on it to describe the content (AllData) and kms:GenerateDataKey to create a card under it, while
  IncludedData=MetadataOnly needs no key and returns only five content paths (aws-facts.md 3.1, 7). The
  error code AWS returns is not documented; AccessDeniedException naming kms:Decrypt stands in for it.
- Export jobs complete at once; ``fail_next_export`` makes the next one fail, and ``export_job_event`` is the
  `SageMaker Model Card Export Job State Change` event SageMaker would send for a job (no sample is published).

The request and response shapes of these calls are checked against the real service model by the Stubber
tests (tests/integration/test_review_stubbed.py). Nothing here is used by the deployed functions.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.s3.models import s3_backends
from moto.sagemaker.exceptions import ConflictException, ResourceNotFound, ValidationError
from moto.sagemaker.models import FakeModelCard
from moto.sagemaker.responses import SageMakerResponse
from moto.utilities.utils import get_partition

from model_governance.cards.records import kms_key_arn

# export job ARN -> DescribeModelCardExportJob response
_EXPORT_JOBS: dict[str, dict[str, Any]] = {}
_FAILURES: list[str] = []  # failure reasons for the next export jobs
DEFAULT_ACTOR = "arn:aws:iam::123456789012:user/moto"
_ACTOR = [DEFAULT_ACTOR]  # who calls SageMaker now (``acting_as``)
_CHANGED_BY: dict[tuple[str, int], str] = {}  # (card, version) -> who last changed it
EXPORT_EVENT_FILE = Path(__file__).resolve().parent.parent / "events" / "model_card_export_job_state_change.json"
# DescribeModelCard IncludedData=MetadataOnly keeps only these content paths (aws-facts.md 3.1).
METADATA_ONLY_PATHS = (
    ("model_overview", "model_id"),
    ("model_overview", "model_name"),
    ("intended_uses", "risk_rating"),
    ("model_package_details", "model_package_group_name"),
    ("model_package_details", "model_package_arn"),
)


class AccessDeniedException(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("AccessDeniedException", message)


PLACEHOLDER_PDF = b"%PDF-1.4\n% model card export placeholder written by local/moto_cards.py\n%%EOF\n"


def _versions(self: SageMakerResponse, name: str) -> list[FakeModelCard]:
    name = name.rsplit("/", 1)[-1]  # a name or an ARN
    versions = self.sagemaker_backend.model_cards.get(name)
    if not versions:
        raise ResourceNotFound(f"Modelcard {name} does not exist.")
    return list(versions)


def _update_model_card(original: Any) -> Any:
    def update(self: SageMakerResponse) -> ActionResult:
        content, status = self._get_param("Content"), self._get_param("ModelCardStatus")
        if content is not None and status is not None:
            raise ValidationError("Content and ModelCardStatus cannot be updated in the same request.")
        latest = _versions(self, self._get_param("ModelCardName"))[-1]
        if status is not None:  # a status change keeps the version
            latest.model_card_status = status
            latest.last_modified_time = utcnow()
            _CHANGED_BY[(latest.model_card_name, latest.model_card_version)] = _ACTOR[-1]
            return ActionResult({"ModelCardArn": latest.arn})
        if latest.model_card_status == "Archived":
            raise ValidationError(f"Model Card {latest.model_card_name} is in Archived state.")
        result = original(self)
        new = _versions(self, latest.model_card_name)[-1]
        new.model_card_status = latest.model_card_status  # a new version keeps the card's status
        _CHANGED_BY[(new.model_card_name, new.model_card_version)] = _ACTOR[-1]
        return result

    return update


def _create_model_card(original: Any) -> Any:
    def create(self: SageMakerResponse) -> ActionResult:
        result = original(self)
        _CHANGED_BY[(self._get_param("ModelCardName"), 1)] = _ACTOR[-1]
        return result

    return create


def _user_context(name: str, version: int) -> dict[str, Any]:
    who = _CHANGED_BY.get((name, version), DEFAULT_ACTOR)
    return {"IamIdentity": {"Arn": who, "PrincipalId": "AIDAEXAMPLE"}}


def _describe_model_card(original: Any) -> Any:
    def describe(self: SageMakerResponse) -> ActionResult:
        result = original(self)
        described = result.result  # type: ignore[attr-defined]
        for version in _versions(self, described["ModelCardName"]):
            if version.model_card_version == described["ModelCardVersion"]:
                described["LastModifiedTime"] = version.last_modified_time
        described["CreatedBy"] = _user_context(described["ModelCardName"], 1)
        described["LastModifiedBy"] = _user_context(described["ModelCardName"], described["ModelCardVersion"])
        return result

    return describe


@contextmanager
def acting_as(identity_arn: str) -> Iterator[None]:
    """SageMaker calls in the block are made by ``identity_arn`` (the card's CreatedBy / LastModifiedBy)."""
    _ACTOR.append(identity_arn)
    try:
        yield
    finally:
        _ACTOR.pop()


def _create_export_job(self: SageMakerResponse) -> ActionResult:
    name, job_name = self._get_param("ModelCardName"), self._get_param("ModelCardExportJobName")
    versions = _versions(self, name)
    card = versions[-1]
    number = self._get_param("ModelCardVersion") or card.model_card_version
    if not any(v.model_card_version == number for v in versions):
        raise ResourceNotFound(f"Modelcard {card.model_card_name} has no version {number}.")
    arn = f"{card.arn}/export-job/{job_name}"
    if arn in _EXPORT_JOBS:
        raise ConflictException(f"Model card export job {job_name} already exists.")
    output = self._get_param("OutputConfig")["S3OutputPath"]
    now = utcnow()
    job: dict[str, Any] = {
        "ModelCardExportJobName": job_name,
        "ModelCardExportJobArn": arn,
        "Status": "Completed",
        "ModelCardName": card.model_card_name,
        "ModelCardVersion": number,
        "OutputConfig": {"S3OutputPath": output},
        "CreatedAt": now,
        "LastModifiedAt": now,
    }
    if _FAILURES:
        job.update(Status="Failed", FailureReason=_FAILURES.pop(0))
    else:
        bucket, _, prefix = output.removeprefix("s3://").partition("/")
        key = f"{prefix.rstrip('/')}/{card.model_card_name}.pdf".lstrip("/")
        s3_backends[self.current_account][get_partition(self.region)].put_object(bucket, key, PLACEHOLDER_PDF)
        job["ExportArtifacts"] = {"S3ExportArtifacts": f"s3://{bucket}/{key}"}
    _EXPORT_JOBS[arn] = job
    return ActionResult({"ModelCardExportJobArn": arn})


def _describe_export_job(self: SageMakerResponse) -> ActionResult:
    arn = self._get_param("ModelCardExportJobArn")
    if arn not in _EXPORT_JOBS:
        raise ResourceNotFound(f"Model card export job {arn} does not exist.")
    return ActionResult(dict(_EXPORT_JOBS[arn]))


def fail_next_export(reason: str) -> None:
    """The next export job started fails with ``reason`` (and writes no PDF)."""
    _FAILURES.append(reason)


def export_job_event(job_arn: str) -> dict[str, Any]:
    """The `SageMaker Model Card Export Job State Change` event of a job, as events/ shapes it."""
    job = _EXPORT_JOBS[job_arn]
    event = copy.deepcopy(json.loads(EXPORT_EVENT_FILE.read_text()))
    _, _, _, region, account, _ = job_arn.split(":", 5)
    event.update(region=region, account=account, resources=[job_arn])
    event["detail"] = {
        "ModelCardExportJobName": job["ModelCardExportJobName"],
        "ModelCardExportJobArn": job_arn,
        "ModelCardName": job["ModelCardName"],
        "ModelCardVersion": job["ModelCardVersion"],
        "Status": job["Status"],
    }
    return event


def export_jobs() -> list[dict[str, Any]]:
    """The export jobs started inside the block (for the demo's story and the tests)."""
    return [dict(job) for job in _EXPORT_JOBS.values()]


@contextmanager
def model_cards_emulated() -> Iterator[None]:
    """Patch moto's SageMaker responses for the block (use inside ``mock_aws``; combines with moto_gaps)."""
    _EXPORT_JOBS.clear()
    _FAILURES.clear()
    _CHANGED_BY.clear()
    with ExitStack() as stack:
        for name, wrap in {
            "create_model_card": _create_model_card,
            "update_model_card": _update_model_card,
            "describe_model_card": _describe_model_card,
        }.items():
            stack.enter_context(mock.patch.object(SageMakerResponse, name, wrap(getattr(SageMakerResponse, name))))
        for name, method in {
            "create_model_card_export_job": _create_export_job,
            "describe_model_card_export_job": _describe_export_job,
        }.items():
            stack.enter_context(mock.patch.object(SageMakerResponse, name, method, create=True))
        yield
    _EXPORT_JOBS.clear()


def _metadata_only(content: str | None) -> str:
    try:
        full = json.loads(content or "{}")
    except json.JSONDecodeError:
        full = {}
    kept: dict[str, dict[str, Any]] = {}
    for section, key in METADATA_ONLY_PATHS:
        value = (full.get(section) or {}).get(key)
        if value is not None:
            kept.setdefault(section, {})[key] = value
    return json.dumps(kept)


def _denied(action: str, key_id: str, card_arn: str) -> AccessDeniedException:
    return AccessDeniedException(
        f"User is not authorized to perform: {action} on resource: {kms_key_arn(key_id, card_arn)} "
        "because no identity-based policy allows the action"
    )


@contextmanager
def card_keys_enforced(granted: Iterable[str]) -> Iterator[None]:
    """Inside the block only the ``granted`` key ARNs may be used through SageMaker (see the module doc)."""
    keys = set(granted)

    def key_of(security: Any, arn: str) -> str | None:
        key = (security or {}).get("KmsKeyId")
        return key if key and kms_key_arn(key, arn) not in keys else None

    def describe(original: Any) -> Any:
        def run(self: SageMakerResponse) -> ActionResult:
            result = original(self)
            described = result.result  # type: ignore[attr-defined]
            if self._get_param("IncludedData") == "MetadataOnly":
                described["Content"] = _metadata_only(described.get("Content"))
            elif key := key_of(described.get("SecurityConfig"), described["ModelCardArn"]):
                raise _denied("kms:Decrypt", key, described["ModelCardArn"])
            return result

        return run

    def create(original: Any) -> Any:
        def run(self: SageMakerResponse) -> ActionResult:
            arn = f"arn:aws:sagemaker:{self.region}:{self.current_account}:model-card/x"
            if key := key_of(self._get_param("SecurityConfig"), arn):
                raise _denied("kms:GenerateDataKey", key, arn)
            return original(self)

        return run

    with ExitStack() as stack:
        for name, wrap in {"describe_model_card": describe, "create_model_card": create}.items():
            stack.enter_context(mock.patch.object(SageMakerResponse, name, wrap(getattr(SageMakerResponse, name))))
        yield
