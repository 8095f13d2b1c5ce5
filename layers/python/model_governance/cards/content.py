"""Model card content rules from AWS's schemas (aws-facts.md sections 3.4, 4.3), checked before any write.

Two flavours: a standalone card (CreateModelCard/UpdateModelCard) and the simplified card embedded in a model
package (UpdateModelPackage ModelCard): no ``model_package_details``, a limited ``model_overview``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import Enum
from typing import Any

MAX_CONTENT_CHARS = 100_000
CARD_STATUSES = ("Draft", "PendingReview", "Approved", "Archived")
RISK_RATINGS = ("High", "Medium", "Low", "Unknown")
MAX_LIST_ITEMS = 15


class Flavour(Enum):
    STANDALONE = "standalone card"
    PACKAGE = "model package card"


# field -> max string length (None: a string with no documented limit)
_OVERVIEW_PACKAGE = {
    "model_description": 1024,
    "model_creator": 1024,
    "algorithm_type": 1024,
    "problem_type": None,
    "model_owner": 1024,
}
_OVERVIEW_STANDALONE = {**_OVERVIEW_PACKAGE, "model_id": 1024, "model_name": 1024}
_INTENDED_USES = {
    "purpose_of_model": 2048,
    "intended_uses": 2048,
    "factors_affecting_model_efficiency": 2048,
    "explanations_for_risk_rating": 2048,
}
_BUSINESS_DETAILS = {"business_problem": 2048, "business_stakeholders": 2048, "line_of_business": 2048}
_ADDITIONAL_INFORMATION = {"ethical_considerations": 2048, "caveats_and_recommendations": 2048}
_PACKAGE_DETAILS = {
    "model_package_arn": 2048,
    "model_package_description": 1024,
    "approval_description": 1024,
    "model_package_group_name": 63,
    "model_package_name": 63,
    "domain": 1024,
    "task": 1024,
}
_PACKAGE_STATUSES = ("Pending", "InProgress", "Completed", "Failed", "Deleting")
_APPROVAL_STATUSES = ("Approved", "Rejected", "PendingManualApproval")

SECTIONS_STANDALONE = (
    "model_overview",
    "model_package_details",
    "intended_uses",
    "business_details",
    "training_details",
    "evaluation_details",
    "additional_information",
)
SECTIONS_PACKAGE = tuple(s for s in SECTIONS_STANDALONE if s != "model_package_details")
# Sections a person writes once for a model family and that carry from version to version.
CARRIED_SECTIONS = ("business_details", "intended_uses", "additional_information")
CARRIED_OVERVIEW_FIELDS = ("model_owner", "model_creator", "model_description", "problem_type", "algorithm_type")


def validate_content(content: Mapping[str, Any], flavour: Flavour) -> list[str]:
    """Every way ``content`` breaks AWS's rules for ``flavour``, as readable sentences (empty: valid)."""
    problems: list[str] = []
    if not isinstance(content, Mapping):
        return [f"content must be a JSON object, got {type(content).__name__}"]
    allowed = SECTIONS_STANDALONE if flavour is Flavour.STANDALONE else SECTIONS_PACKAGE
    for section in content:
        if section not in allowed:
            problems.append(f"section {section!r} is not allowed in a {flavour.value}")
    overview_fields = _OVERVIEW_STANDALONE if flavour is Flavour.STANDALONE else _OVERVIEW_PACKAGE
    _check_overview(content.get("model_overview"), overview_fields, flavour, problems)
    uses = _section(content, "intended_uses", problems)
    if uses is not None:
        _check_strings("intended_uses", uses, _INTENDED_USES, problems, extra=("risk_rating",))
        if "risk_rating" in uses and uses["risk_rating"] not in RISK_RATINGS:
            problems.append(
                f"intended_uses.risk_rating must be one of {', '.join(RISK_RATINGS)}, got {uses['risk_rating']!r}"
            )
    details = _section(content, "business_details", problems)
    if details is not None:
        _check_strings("business_details", details, _BUSINESS_DETAILS, problems)
    info = _section(content, "additional_information", problems)
    if info is not None:
        _check_strings("additional_information", info, _ADDITIONAL_INFORMATION, problems, extra=("custom_details",))
        _check_custom_details(info.get("custom_details"), problems)
    if flavour is Flavour.STANDALONE:
        _check_package_details(content.get("model_package_details"), problems)
        problems.extend(sdk_load_problems(content))
    _check_evaluation_details(content.get("evaluation_details"), problems)
    if "training_details" in content and not isinstance(content["training_details"], Mapping):
        problems.append("training_details must be an object")
    size = len(serialize(content))
    if size > MAX_CONTENT_CHARS:
        problems.append(f"content is {size} characters; AWS accepts at most {MAX_CONTENT_CHARS}")
    return problems


def sdk_load_problems(content: Mapping[str, Any]) -> list[str]:
    """Why the SageMaker Python SDK v2 could not load a standalone card with this content (empty: it can).

    ``ModelCard.load`` passes the content's sections to ``ModelCard(...)``, whose ``model_package_details`` setter
    raises "The model card has already been associated with a model with model Id ..." when the card has both a
    non-empty ``model_overview.model_id`` and any ``model_package_details`` (sagemaker 2.257.1,
    ``sagemaker/model_card/model_card.py``, ``ModelCard.model_package_details`` setter, lines 1458-1473; the check
    is ``if value is not None`` then ``if self.model_overview is not None and self.model_overview.model_id``).
    ``model_overview.model_name`` is not checked. A card linked to a model package says which model it documents
    with ``model_package_details.model_package_arn``, as the SDK's own registry cards do.
    """
    details = content.get("model_package_details")
    overview = content.get("model_overview")
    if details is None or not isinstance(overview, Mapping) or not overview.get("model_id"):
        return []
    return [
        "model_overview.model_id must be left out when model_package_details is set: the SageMaker Python SDK "
        "refuses to load a card with both (the package ARN is in model_package_details.model_package_arn)"
    ]


def serialize(content: Mapping[str, Any]) -> str:
    """The exact string sent as Content: compact, key order kept, non-ASCII as-is (AWS counts characters)."""
    return json.dumps(content, ensure_ascii=False, separators=(",", ":"))


def parse(text: str | None, *, what: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{what} is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be a JSON object")
    return value


def _section(content: Mapping[str, Any], name: str, problems: list[str]) -> Mapping[str, Any] | None:
    value = content.get(name)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        problems.append(f"{name} must be an object")
        return None
    return value


def _check_strings(
    where: str,
    section: Mapping[str, Any],
    fields: Mapping[str, int | None],
    problems: list[str],
    extra: tuple[str, ...] = (),
) -> None:
    for key, value in section.items():
        if key in extra:
            continue
        if key not in fields:
            problems.append(f"{where}.{key} is not a field AWS accepts")
        elif not isinstance(value, str):
            problems.append(f"{where}.{key} must be a string")
        elif (limit := fields[key]) is not None and len(value) > limit:
            problems.append(f"{where}.{key} is {len(value)} characters; AWS accepts at most {limit}")


def _check_overview(overview: Any, fields: Mapping[str, int | None], flavour: Flavour, problems: list[str]) -> None:
    if overview is None:
        return
    if not isinstance(overview, Mapping):
        problems.append("model_overview must be an object")
        return
    lists = (
        ("model_artifact",)
        if flavour is Flavour.PACKAGE
        else ("model_artifact", "inference_environment", "model_version")
    )
    _check_strings("model_overview", overview, fields, problems, extra=lists)
    _check_string_list("model_overview.model_artifact", overview.get("model_artifact"), problems)
    if flavour is Flavour.STANDALONE:
        environment = overview.get("inference_environment")
        if environment is not None:
            if not isinstance(environment, Mapping) or set(environment) - {"container_image"}:
                problems.append("model_overview.inference_environment accepts only container_image")
            else:
                _check_string_list(
                    "model_overview.inference_environment.container_image", environment.get("container_image"), problems
                )
        version = overview.get("model_version")
        if version is not None and (isinstance(version, bool) or not isinstance(version, int | float) or version < 1):
            problems.append("model_overview.model_version must be a number of at least 1")


def _check_string_list(where: str, value: Any, problems: list[str]) -> None:
    if value is None:
        return
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        problems.append(f"{where} must be a list of strings")
    elif len(value) > MAX_LIST_ITEMS:
        problems.append(f"{where} has {len(value)} items; AWS accepts at most {MAX_LIST_ITEMS}")
    elif any(len(item) > 1024 for item in value):
        problems.append(f"{where} has an item longer than 1024 characters")


def _check_custom_details(custom: Any, problems: list[str]) -> None:
    if custom is None:
        return
    if not isinstance(custom, Mapping):
        problems.append("additional_information.custom_details must be an object of strings")
        return
    for key, value in custom.items():
        if not isinstance(value, str):
            problems.append(f"additional_information.custom_details.{key} must be a string")
        elif len(value) > 1024:
            problems.append(
                f"additional_information.custom_details.{key} is {len(value)} characters; AWS accepts at most 1024"
            )


def _check_package_details(details: Any, problems: list[str]) -> None:
    if details is None:
        return
    if not isinstance(details, Mapping):
        problems.append("model_package_details must be an object")
        return
    extra = (
        "model_package_status",
        "model_approval_status",
        "model_package_version",
        "created_by",
        "source_algorithms",
        "inference_specification",
    )
    _check_strings("model_package_details", details, _PACKAGE_DETAILS, problems, extra=extra)
    if "model_package_status" in details and details["model_package_status"] not in _PACKAGE_STATUSES:
        problems.append(
            f"model_package_details.model_package_status {details['model_package_status']!r} is not a package status"
        )
    if "model_approval_status" in details and details["model_approval_status"] not in _APPROVAL_STATUSES:
        problems.append(
            f"model_package_details.model_approval_status {details['model_approval_status']!r} is not an approval status"
        )
    version = details.get("model_package_version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int | float) or version < 1):
        problems.append("model_package_details.model_package_version must be a number of at least 1")
    containers = (details.get("inference_specification") or {}).get("containers", [])
    if not isinstance(containers, list) or len(containers) > MAX_LIST_ITEMS:
        problems.append("model_package_details.inference_specification.containers must be a list of at most 15")
    else:
        for container in containers:
            if not isinstance(container, Mapping) or not isinstance(container.get("image"), str):
                problems.append("each inference_specification container needs an image")
            elif len(container["image"]) > 255:
                problems.append("an inference_specification container image is longer than 255 characters")
            elif len(container.get("model_data_url", "")) > 1024:
                problems.append("an inference_specification container model_data_url is longer than 1024 characters")


def _check_evaluation_details(evaluations: Any, problems: list[str]) -> None:
    if evaluations is None:
        return
    if not isinstance(evaluations, list):
        problems.append("evaluation_details must be a list")
        return
    for index, item in enumerate(evaluations):
        name = item.get("name") if isinstance(item, Mapping) else None
        if not isinstance(name, str) or not 1 <= len(name) <= 63:
            problems.append(f"evaluation_details[{index}].name must be 1 to 63 characters")
        metadata = item.get("metadata", {}) if isinstance(item, Mapping) else {}
        if not isinstance(metadata, Mapping) or any(not isinstance(v, str) or len(v) > 1024 for v in metadata.values()):
            problems.append(f"evaluation_details[{index}].metadata values must be strings of at most 1024 characters")
