"""Fills the SageMaker gaps of moto 5.2.5 that the system relies on, for the local demo and flow tests.

moto lacks ``Search(Resource="ModelCard")``, silently drops the ``ModelCard``, the ``ModelLifeCycle`` (the
model registry stage) and the ``SecurityConfig`` (its KMS key, set only at creation) of a model package, and its
``UpdateModelPackage`` replaces ``CustomerMetadataProperties`` (a status-only update wipes them) where AWS merges
the given keys and removes only ``CustomerMetadataPropertiesToRemove`` (toolchain-notes.md), and clears the approval
status of an update that does not set one, where AWS leaves it as it is. The trust rule
(cards/trust.py) reads a hand-made card's confirmation from that metadata, so the merge is emulated faithfully. These small emulations follow the botocore service model's shapes; the request and
response shapes of the same calls are checked against the real service model by the Stubber tests
(tests/integration/test_sagemaker_adapter.py). Nothing here is used by the deployed functions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock

from moto.core.responses import ActionResult
from moto.sagemaker.responses import SageMakerResponse

from local.moto_security_hub import security_hub_emulated

# package ARN -> ModelCard ({"ModelCardContent": ..., "ModelCardStatus": ...}), per moto backend instance
_EMBEDDED_CARDS: dict[str, dict[str, str]] = {}
# package ARN -> ModelLifeCycle ({"Stage": ..., "StageStatus": ..., "StageDescription": ...}). AWS returns it from
# DescribeModelPackage and in each ListModelPackages summary (botocore's ModelPackageSummary has the member).
_LIFE_CYCLES: dict[str, dict[str, str]] = {}
# package ARN -> SecurityConfig ({"KmsKeyId": ...}): only CreateModelPackage takes it
_SECURITY_CONFIGS: dict[str, dict[str, str]] = {}


def _card_search_record(card: Any) -> dict[str, Any]:
    try:
        content = json.loads(card.content or "{}")
    except json.JSONDecodeError:
        content = {}
    details = content.get("model_package_details") or {}
    record = {
        "ModelCardArn": card.arn,
        "ModelCardName": card.model_card_name,
        "ModelCardVersion": card.model_card_version,
        "Content": card.content,
        "ModelCardStatus": card.model_card_status,
        "CreationTime": card.creation_time,
        "LastModifiedTime": card.last_modified_time,
        # A registry card names its package only in model_package_details (the SDK never writes model_id beside
        # it, yet finds such cards by ModelId = package ARN): ModelId comes from there when model_id is absent.
        "ModelId": (content.get("model_overview") or {}).get("model_id") or details.get("model_package_arn"),
        "RiskRating": (content.get("intended_uses") or {}).get("risk_rating"),
        "ModelPackageGroupName": details.get("model_package_group_name"),
        "SecurityConfig": {"KmsKeyId": card.security_config["KmsKeyId"]}
        if isinstance(getattr(card, "security_config", None), dict) and card.security_config.get("KmsKeyId")
        else None,
    }
    return {key: value for key, value in record.items() if value is not None}


def _matches(record: dict[str, Any], filters: list[dict[str, str]]) -> bool:
    for condition in filters:
        value = record.get(condition["Name"])
        if condition.get("Operator", "Equals") == "Equals" and value != condition["Value"]:
            return False
        if condition.get("Operator") == "Contains" and condition["Value"] not in str(value or ""):
            return False
    return True


def _search(original: Any) -> Any:
    def search(self: SageMakerResponse) -> ActionResult:
        if self._get_param("Resource") != "ModelCard":
            return original(self)
        filters = (self._get_param("SearchExpression") or {}).get("Filters", [])
        latest = [versions[-1] for versions in self.sagemaker_backend.model_cards.values() if versions]
        records = [r for r in map(_card_search_record, latest) if _matches(r, filters)]
        records.sort(key=lambda r: r["LastModifiedTime"], reverse=self._get_param("SortOrder") != "Ascending")
        limit = int(self._get_param("MaxResults") or 10)
        return ActionResult({"Results": [{"ModelCard": r} for r in records[:limit]]})

    return search


def _describe_model_package(original: Any) -> Any:
    def describe(self: SageMakerResponse) -> ActionResult:
        result = original(self)
        arn = result.result.get("ModelPackageArn")  # type: ignore[attr-defined]
        if arn in _EMBEDDED_CARDS:
            result.result["ModelCard"] = dict(_EMBEDDED_CARDS[arn])  # type: ignore[index]
        if arn in _LIFE_CYCLES:
            result.result["ModelLifeCycle"] = dict(_LIFE_CYCLES[arn])  # type: ignore[index]
        if arn in _SECURITY_CONFIGS:
            result.result["SecurityConfig"] = dict(_SECURITY_CONFIGS[arn])  # type: ignore[index]
        return result

    return describe


def _list_model_packages(original: Any) -> Any:
    def list_packages(self: SageMakerResponse) -> ActionResult:
        result = original(self)
        for summary in result.result.get("ModelPackageSummaryList", []):  # type: ignore[attr-defined]
            if summary.get("ModelPackageArn") in _LIFE_CYCLES:
                summary["ModelLifeCycle"] = dict(_LIFE_CYCLES[summary["ModelPackageArn"]])
        return result

    return list_packages


def _store_life_cycle(self: SageMakerResponse, arn: str | None) -> None:
    # The whole structure is replaced (Stage and StageStatus are required in every request that sets it).
    value = self._get_param("ModelLifeCycle")
    if arn and value:
        _LIFE_CYCLES[arn] = {k: v for k, v in value.items() if k in ("Stage", "StageStatus", "StageDescription")}


def _store_model_card(self: SageMakerResponse, arn: str | None) -> None:
    card = self._get_param("ModelCard")
    if not arn or not card:
        return
    stored = _EMBEDDED_CARDS.setdefault(arn, {})
    if "ModelCardContent" in card and "ModelCardStatus" in card and stored:
        raise ValueError("AWS rejects a ModelCard update that changes content and status together")
    if stored.get("ModelCardStatus") == "Archived":
        raise ValueError("Model Card is in Archived state")
    stored.update(card)


def _update_model_package(original: Any) -> Any:
    def update(self: SageMakerResponse) -> ActionResult:
        arn = self._get_param("ModelPackageArn")
        backend = self.sagemaker_backend
        package = backend.model_packages.get(backend.model_package_name_mapping.get(arn, arn))
        before = dict((package.customer_metadata_properties or {}) if package is not None else {})
        approval = (package.model_approval_status, package.approval_description) if package is not None else None
        removed = self._get_param("CustomerMetadataPropertiesToRemove") or []
        result = original(self)
        if package is not None:
            merged = {**before, **(self._get_param("CustomerMetadataProperties") or {})}
            package.customer_metadata_properties = {k: v for k, v in merged.items() if k not in removed} or None
        if package is not None and approval is not None and self._get_param("ModelApprovalStatus") is None:
            # moto also clears the approval status (and its description) on an update that does not set it
            package.model_approval_status, package.approval_description = approval
        _store_model_card(self, arn)
        _store_life_cycle(self, arn)
        return result

    return update


def _create_model_package(original: Any) -> Any:
    def create(self: SageMakerResponse) -> ActionResult:
        result = original(self)
        _store_model_card(self, result.result.get("ModelPackageArn"))  # type: ignore[attr-defined]
        _store_life_cycle(self, result.result.get("ModelPackageArn"))  # type: ignore[attr-defined]
        if security := self._get_param("SecurityConfig"):
            _SECURITY_CONFIGS[result.result.get("ModelPackageArn")] = {"KmsKeyId": security["KmsKeyId"]}  # type: ignore[attr-defined]
        return result

    return create


@contextmanager
def sagemaker_gaps_filled() -> Iterator[None]:
    """Patch moto's SageMaker responses for the duration of the block (use inside ``mock_aws``)."""
    _EMBEDDED_CARDS.clear()
    _LIFE_CYCLES.clear()
    _SECURITY_CONFIGS.clear()
    patches = {
        "search": _search,
        "describe_model_package": _describe_model_package,
        "update_model_package": _update_model_package,
        "create_model_package": _create_model_package,
        "list_model_packages": _list_model_packages,
    }
    with ExitStack() as stack:
        for name, wrap in patches.items():
            stack.enter_context(mock.patch.object(SageMakerResponse, name, wrap(getattr(SageMakerResponse, name))))
        stack.enter_context(security_hub_emulated())  # the sweep's other service moto lacks parts of
        yield
    _EMBEDDED_CARDS.clear()
    _LIFE_CYCLES.clear()
    _SECURITY_CONFIGS.clear()
