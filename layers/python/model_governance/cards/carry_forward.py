"""Pure rules of carrying a model card forward onto a new model package version.

Nothing here calls AWS: the functions take what the adapters read and return what must be written.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from model_governance import constants, text
from model_governance.cards.content import CARRIED_OVERVIEW_FIELDS, CARRIED_SECTIONS
from model_governance.cards.records import CardLink, CardRecord, EmbeddedCard, PackageFacts

CARRIED_BY = "model-governance carry-forward"
# Sections of the package's embedded card the system may fill (never overwrite).
EMBEDDED_FILLED_SECTIONS = ("business_details", "intended_uses")
_PROVENANCE_KEYS = (
    constants.PROVENANCE_SOURCE_CARD,
    constants.PROVENANCE_SOURCE_CARD_VERSION,
    constants.PROVENANCE_SOURCE_PACKAGE_VERSION,
    constants.PROVENANCE_CARRIED_AT,
    constants.PROVENANCE_CARRIED_BY,
)


@dataclass(frozen=True)
class NewCardPlan:
    """The card to create for a new version, and a plain account of how it was made."""

    card_name: str
    content: dict[str, Any]
    source: CardRecord | None
    carried: tuple[str, ...]
    refreshed: tuple[str, ...]
    needs_review: tuple[str, ...]


def choose_source(links: Iterable[CardLink], new_version: int) -> CardLink | None:
    """The card linked to the highest earlier version of the group (ties: the first seen)."""
    earlier = [link for link in links if link.package_version < new_version]
    return max(earlier, key=lambda link: link.package_version, default=None)


def plan_new_card(card_name: str, package: PackageFacts, source: CardRecord | None, now: datetime) -> NewCardPlan:
    content: dict[str, Any] = {}
    carried: list[str] = []
    if source is not None:
        overview = source.content.get("model_overview") or {}
        carried_overview = {k: copy.deepcopy(overview[k]) for k in CARRIED_OVERVIEW_FIELDS if _filled(overview.get(k))}
        if carried_overview:
            content["model_overview"] = carried_overview
            carried.extend(f"model_overview.{k}" for k in carried_overview)
        for section in CARRIED_SECTIONS:
            value = source.content.get(section)
            if _filled(value):
                content[section] = copy.deepcopy(value)
                carried.append(section)

    overview = content.setdefault("model_overview", {})
    overview["model_id"] = package.arn
    overview["model_name"] = package.group
    overview["model_version"] = package.version
    if not overview.get("model_description") and package.description:
        overview["model_description"] = package.description[:1024]
    refreshed = ["model_overview.model_id", "model_overview.model_name", "model_overview.model_version"]
    artifacts = [c.model_data_url for c in package.containers if c.model_data_url][:15]
    if artifacts:
        overview["model_artifact"] = artifacts
        refreshed.append("model_overview.model_artifact")
    images = [c.image for c in package.containers][:15]
    if images:
        overview["inference_environment"] = {"container_image": images}
        refreshed.append("model_overview.inference_environment")
    content["model_package_details"] = package_details(package)
    refreshed.append("model_package_details")
    evaluations = evaluation_details(package)
    if evaluations:
        content["evaluation_details"] = evaluations
        refreshed.append("evaluation_details")

    info = content.setdefault("additional_information", {})
    custom = {k: v for k, v in (info.get("custom_details") or {}).items() if k not in _PROVENANCE_KEYS}
    custom[constants.PROVENANCE_CARRIED_AT] = now.isoformat(timespec="seconds")
    custom[constants.PROVENANCE_CARRIED_BY] = CARRIED_BY
    if source is not None:
        custom[constants.PROVENANCE_SOURCE_CARD] = source.name
        custom[constants.PROVENANCE_SOURCE_CARD_VERSION] = str(source.version)
        if source.linked_version is not None:
            custom[constants.PROVENANCE_SOURCE_PACKAGE_VERSION] = str(source.linked_version)
    info["custom_details"] = custom

    return NewCardPlan(
        card_name=card_name,
        content=content,
        source=source,
        carried=tuple(carried),
        refreshed=tuple(refreshed),
        needs_review=review_items(source, package, evaluations_found=bool(evaluations)),
    )


def package_details(package: PackageFacts) -> dict[str, Any]:
    """``model_package_details`` taken from the package itself, never from an older card."""
    details: dict[str, Any] = {
        "model_package_arn": package.arn,
        "model_package_group_name": package.group,
        "model_package_version": package.version,
        "model_package_status": package.status,
    }
    optional = {
        "model_approval_status": package.approval_status,
        "model_package_description": package.description,
        "approval_description": package.approval_description,
        "domain": package.domain,
        "task": package.task,
    }
    details.update({k: v for k, v in optional.items() if v})
    if package.created_by:
        details["created_by"] = {"user_profile_name": package.created_by}
    if package.containers:
        details["inference_specification"] = {
            "containers": [
                {"image": c.image, **({"model_data_url": c.model_data_url} if c.model_data_url else {})}
                for c in package.containers[:15]
            ]
        }
    return details


def evaluation_details(package: PackageFacts) -> list[dict[str, Any]]:
    """One evaluation entry per report the package registered (ModelMetrics), pointing at its S3 URI."""
    return [
        {
            "name": f"{kind} {report}"[:63],
            "evaluation_observation": f"{kind} {report} report registered with model package version {package.version}.",
            "metadata": {"report_s3_uri": uri[:1024], "source": "ModelMetrics of the model package"},
        }
        for kind, report, uri in package.metrics
    ]


def review_items(source: CardRecord | None, package: PackageFacts, *, evaluations_found: bool) -> tuple[str, ...]:
    if source is None:
        return (
            "business details, intended uses and risk rating: nothing to carry, write them for this model",
            "evaluation details: add the evaluation of this version",
        )
    items = [
        f"intended uses and risk rating ({text.name(source.risk_rating)}): confirm they still hold for version "
        f"{package.version}",
        "business details: confirm the stakeholders and problem are unchanged",
    ]
    items.append(
        "evaluation details: check the registered reports of this version"
        if evaluations_found
        else "evaluation details: none registered with this version; add its evaluation"
    )
    items.append("training details: not carried (they belonged to the previous version); add this version's")
    return tuple(items)


def fill_embedded_card(current: EmbeddedCard | None, card_content: dict[str, Any]) -> dict[str, Any] | None:
    """The embedded card content after filling empty business details and intended uses from the card.

    Returns None when nothing changes: the package already says all of it, or what it says was written by a
    person (non-empty fields are never overwritten), or the embedded card is Archived.
    """
    if current is not None and current.status == "Archived":
        return None
    existing = copy.deepcopy(current.content) if current else {}
    updated = copy.deepcopy(existing)
    for section in EMBEDDED_FILLED_SECTIONS:
        source = card_content.get(section)
        if not isinstance(source, dict):
            continue
        target = updated.get(section)
        if not isinstance(target, dict):
            target = {}
        for key, value in source.items():
            if _filled(value) and not _filled(target.get(key)):
                target[key] = copy.deepcopy(value)
        if target:
            updated[section] = target
    return None if updated == existing else updated


def _filled(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, dict | list):
        return any(_filled(v) for v in (value.values() if isinstance(value, dict) else value))
    return True
