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
from model_governance.cards.content import (
    CARRIED_OVERVIEW_FIELDS,
    CARRIED_SECTIONS,
    MAX_CONTENT_CHARS,
    Flavour,
    serialize,
    validate_content,
)
from model_governance.cards.fields import FieldPath, delete_field, get_field, is_filled, leaves, set_field
from model_governance.cards.records import CardLink, CardRecord, EmbeddedCard, FieldChange, PackageFacts

CARRIED_BY = "model-governance carry-forward"
# Sections of the package's embedded card the system may fill (never overwrite).
EMBEDDED_FILLED_SECTIONS = ("business_details", "intended_uses")
PROVENANCE_KEYS = (
    constants.PROVENANCE_SOURCE_CARD,
    constants.PROVENANCE_SOURCE_CARD_VERSION,
    constants.PROVENANCE_SOURCE_PACKAGE_VERSION,
    constants.PROVENANCE_CARRIED_AT,
    constants.PROVENANCE_CARRIED_BY,
    constants.PROVENANCE_UNREADABLE_SOURCE,
    constants.PROVENANCE_TRIMMED,
    constants.PROVENANCE_REGISTRANT_KEPT,
    constants.PACKAGE_STAGE,
    constants.PACKAGE_STAGE_STATUS,
)
# A carried text that would be cut below this many characters is left out instead: a stub says nothing.
TRIM_FLOOR = 64
CUSTOM_DETAIL_LIMIT = 1024


@dataclass(frozen=True)
class NewCardPlan:
    """The card to create for a new version, and a plain account of how it was made.

    ``unreadable_source``: the predecessor whose content could not be parsed; nothing was carried from it.
    ``registrant_kept``: carried values the registrant's own embedded card overrode (field, carried, registrant's).
    ``trimmed``: carried texts cut or left out so the card fits AWS's 100,000 characters.
    ``problems``: what still breaks AWS's rules (empty: the card may be written).
    """

    card_name: str
    content: dict[str, Any]
    source: CardRecord | None
    carried: tuple[str, ...]
    refreshed: tuple[str, ...]
    needs_review: tuple[str, ...]
    unreadable_source: CardRecord | None = None
    registrant_kept: tuple[FieldChange, ...] = ()
    trimmed: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def notes(self) -> tuple[str, ...]:
        """What the notice must say beyond what was carried: read from the card, like a retry would."""
        return carry_notes(self.content)


def choose_source(links: Iterable[CardLink], new_version: int) -> CardLink | None:
    """The card linked to the highest earlier version of the group (ties: the first seen)."""
    earlier = [link for link in links if link.package_version < new_version]
    return max(earlier, key=lambda link: link.package_version, default=None)


def plan_new_card(card_name: str, package: PackageFacts, source: CardRecord | None, now: datetime) -> NewCardPlan:
    """The new version's card: carried from ``source``, overridden by what the registrant wrote in the package's
    embedded card, refreshed from the package, trimmed to fit.

    Precedence, field by field: the package's own facts (never carried), then what the registrant wrote for this
    version, then what is carried from the previous card. An unreadable ``source`` carries nothing (and says so).
    """
    unreadable = source if source is not None and source.unreadable else None
    carried_from = None if unreadable is not None else source
    content, carried = _carried_content(carried_from)
    trimmable = [path for path, value in leaves(content) if isinstance(value, str)]
    registrant = registrant_content(package.embedded_card)
    kept = _overlay(content, registrant)
    written_by_registrant = {path for path, value in leaves(registrant) if is_filled(value)}
    trimmable = [path for path in trimmable if path not in written_by_registrant]

    overview = content.setdefault("model_overview", {})
    # No model_overview.model_id: the SDK cannot load a card that has it beside model_package_details, which
    # names the package (content.sdk_load_problems).
    overview.pop("model_id", None)
    overview["model_name"] = package.group
    overview["model_version"] = package.version
    if not overview.get("model_description") and package.description:
        overview["model_description"] = package.description[:1024]
    refreshed = ["model_overview.model_name", "model_overview.model_version"]
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
    custom = {k: v for k, v in (info.get("custom_details") or {}).items() if k not in PROVENANCE_KEYS}
    custom[constants.PROVENANCE_CARRIED_AT] = now.isoformat(timespec="seconds")
    custom[constants.PROVENANCE_CARRIED_BY] = CARRIED_BY
    if carried_from is not None:
        custom[constants.PROVENANCE_SOURCE_CARD] = carried_from.name
        custom[constants.PROVENANCE_SOURCE_CARD_VERSION] = str(carried_from.version)
        if carried_from.linked_version is not None:
            custom[constants.PROVENANCE_SOURCE_PACKAGE_VERSION] = str(carried_from.linked_version)
    if unreadable is not None:
        custom[constants.PROVENANCE_UNREADABLE_SOURCE] = f"{unreadable.name} version {unreadable.version}"
    if kept:
        custom[constants.PROVENANCE_REGISTRANT_KEPT] = _listing(change.field for change in kept)
    if package.life_cycle is not None:
        custom[constants.PACKAGE_STAGE] = package.life_cycle.stage
        custom[constants.PACKAGE_STAGE_STATUS] = package.life_cycle.status
        refreshed.append(f"additional_information.custom_details.{constants.PACKAGE_STAGE}")
    info["custom_details"] = custom

    provenance = {("additional_information", "custom_details", key) for key in PROVENANCE_KEYS}
    trimmable = [path for path in trimmable if path not in provenance and isinstance(get_field(content, path), str)]
    trimmed = _trim_to_fit(content, trimmable, carried_from)
    return NewCardPlan(
        card_name=card_name,
        content=content,
        source=carried_from,
        carried=tuple(carried),
        refreshed=tuple(refreshed),
        needs_review=review_items(carried_from, package, evaluations_found=bool(evaluations), unreadable=unreadable),
        unreadable_source=unreadable,
        registrant_kept=tuple(kept),
        trimmed=tuple(trimmed),
        problems=tuple(validate_content(content, Flavour.STANDALONE)),
    )


def _carried_content(source: CardRecord | None) -> tuple[dict[str, Any], list[str]]:
    """What the previous card gives the new one: the model family's overview fields and the carried sections."""
    content: dict[str, Any] = {}
    carried: list[str] = []
    if source is None:
        return content, carried
    overview = source.content.get("model_overview") or {}
    carried_overview = {k: copy.deepcopy(overview[k]) for k in CARRIED_OVERVIEW_FIELDS if is_filled(overview.get(k))}
    if carried_overview:
        content["model_overview"] = carried_overview
        carried.extend(f"model_overview.{k}" for k in carried_overview)
    for section in CARRIED_SECTIONS:
        value = source.content.get(section)
        if is_filled(value):
            content[section] = copy.deepcopy(value)
            carried.append(section)
    return content, carried


def registrant_content(embedded: EmbeddedCard | None) -> dict[str, Any]:
    """What the registrant wrote for this version in the package's embedded card, limited to what a card carries
    (the family's overview fields and the carried sections); provenance copied into it is not theirs."""
    if embedded is None or not isinstance(embedded.content, dict):
        return {}
    written: dict[str, Any] = {}
    overview = embedded.content.get("model_overview")
    if isinstance(overview, dict):
        fields = {k: copy.deepcopy(overview[k]) for k in CARRIED_OVERVIEW_FIELDS if is_filled(overview.get(k))}
        if fields:
            written["model_overview"] = fields
    for section in CARRIED_SECTIONS:
        value = embedded.content.get(section)
        if isinstance(value, dict) and is_filled(value):
            written[section] = copy.deepcopy(value)
    custom = (written.get("additional_information") or {}).get("custom_details")
    if isinstance(custom, dict):
        for key in PROVENANCE_KEYS:
            custom.pop(key, None)
    return written


def _overlay(content: dict[str, Any], registrant: dict[str, Any]) -> list[FieldChange]:
    """Write the registrant's filled fields over ``content``; the carried values they replace, listed."""
    kept: list[FieldChange] = []
    for path, value in leaves(registrant):
        if not is_filled(value):
            continue
        carried = get_field(content, path)
        if is_filled(carried) and carried != value:
            kept.append(FieldChange(".".join(path), carried, value))
        set_field(content, path, copy.deepcopy(value))
    return kept


def _trim_to_fit(content: dict[str, Any], trimmable: list[FieldPath], source: CardRecord | None) -> list[str]:
    """Cut carried texts, the largest first, until the content fits AWS's limit; what was cut, listed.

    Only carried texts are cut: never the package's facts, the registrant's values or the provenance. Each cut
    text ends with a marker naming the card that still holds it in full; a cut that would leave less than
    TRIM_FLOOR characters leaves the field out. The size is measured as sent (``serialize``), escapes included.
    """
    marker = " [...] (trimmed to fit 100,000 characters" + (
        f"; the full text is in model card {source.name} version {source.version})" if source else ")"
    )
    originals: dict[FieldPath, str] = {}
    outcome: dict[FieldPath, str] = {}
    candidates = list(trimmable)
    while (excess := len(serialize(content)) - MAX_CONTENT_CHARS) > 0 and candidates:
        # The largest text as carried; among equals the one already cut, so one field takes the cut, not many.
        path = max(
            candidates,
            key=lambda p: (len(originals.get(p) or get_field(content, p)), p in outcome, -candidates.index(p)),
        )
        text = get_field(content, path)
        original = originals.setdefault(path, text)
        # Room for the marker, or, for a text cut before (it ends with the marker), its kept part cut further.
        kept_chars = len(text) - len(marker) - excess
        where = ".".join(path)
        if kept_chars < TRIM_FLOOR:
            delete_field(content, path)
            candidates.remove(path)
            outcome[path] = f"{where} left out ({len(original)} characters)"
        else:
            set_field(content, path, original[:kept_chars] + marker)
            outcome[path] = f"{where} cut from {len(original)} to {kept_chars} characters"
        custom = content["additional_information"]["custom_details"]
        custom[constants.PROVENANCE_TRIMMED] = _listing(outcome.values())
    return list(outcome.values())


def carry_notes(content: dict[str, Any]) -> tuple[str, ...]:
    """What a person must know about how a carried card was made, from its provenance (so a retry that finds the
    card already created tells the same story)."""
    custom = (content.get("additional_information") or {}).get("custom_details") or {}
    if not isinstance(custom, dict):
        return ()
    notes = []
    if unreadable := custom.get(constants.PROVENANCE_UNREADABLE_SOURCE):
        notes.append(
            f"Nothing was carried: the previous version's card {unreadable} could not be read (its content is "
            "not valid JSON). Fix that card, then copy its business details, intended uses and risk rating here."
        )
    if trimmed := custom.get(constants.PROVENANCE_TRIMMED):
        notes.append(f"Carried texts were trimmed to fit AWS's 100,000-character limit: {trimmed}.")
    if kept := custom.get(constants.PROVENANCE_REGISTRANT_KEPT):
        notes.append(f"What the registrant wrote for this version was kept over the previous card's values: {kept}.")
    return tuple(notes)


def is_carried_card(content: dict[str, Any]) -> bool:
    """The content was written by carry-forward (its provenance says so)."""
    custom = (content.get("additional_information") or {}).get("custom_details") or {}
    return isinstance(custom, dict) and custom.get(constants.PROVENANCE_CARRIED_BY) == CARRIED_BY


def _listing(items: Iterable[str]) -> str:
    """Items joined for a custom detail (at most 1024 characters, AWS's limit)."""
    items = list(items)
    text = "; ".join(items)
    if len(text) <= CUSTOM_DETAIL_LIMIT:
        return text
    more = f"; and {len(items)} in all"
    return text[: CUSTOM_DETAIL_LIMIT - len(more)] + more


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


def review_items(
    source: CardRecord | None,
    package: PackageFacts,
    *,
    evaluations_found: bool,
    unreadable: CardRecord | None = None,
) -> tuple[str, ...]:
    if unreadable is not None:
        return (
            f"business details, intended uses and risk rating: the previous card {unreadable.name} (version "
            f"{unreadable.version}) could not be read, so nothing was carried; write them for this model",
            "evaluation details: add the evaluation of this version",
        )
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
            if is_filled(value) and not is_filled(target.get(key)):
                before = target.get(key, _ABSENT)
                target[key] = copy.deepcopy(value)
                updated[section] = target
                if len(serialize(updated)) > MAX_CONTENT_CHARS:  # a field that does not fit is left to a person
                    if before is _ABSENT:
                        del target[key]
                    else:
                        target[key] = before
        if target:
            updated[section] = target
        elif section not in existing:  # every field was left out: no empty section either
            updated.pop(section, None)
    return None if updated == existing else updated


_ABSENT = object()
