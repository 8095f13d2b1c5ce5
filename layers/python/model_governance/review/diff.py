"""What changed between two versions of a model card's content, section by section, field by field."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from model_governance.cards.content import SECTIONS_STANDALONE

MAX_RENDERED_VALUE = 160


@dataclass(frozen=True)
class FieldChange:
    path: str  # dotted, inside the section: "risk_rating", "custom_details.owner_team"
    kind: str  # added | removed | changed
    before: Any = None
    after: Any = None


@dataclass(frozen=True)
class SectionDiff:
    section: str
    kind: str  # added | removed | changed
    changes: tuple[FieldChange, ...]


def diff_content(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[SectionDiff]:
    """Sections in the schema's order (unknown ones after, sorted); unchanged sections are left out.

    Objects are compared field by field; lists (evaluation_details, model_artifact) as one value each, since
    their items carry no stable identity.
    """
    known = [s for s in SECTIONS_STANDALONE if s in before or s in after]
    extra = sorted((set(before) | set(after)) - set(SECTIONS_STANDALONE))
    diffs = []
    for section in (*known, *extra):
        old, new = before.get(section), after.get(section)
        if old == new:
            continue
        kind = "added" if old is None else "removed" if new is None else "changed"
        diffs.append(SectionDiff(section, kind, tuple(_changes(old, new))))
    return diffs


def _changes(old: Any, new: Any, prefix: str = "") -> list[FieldChange]:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        changes: list[FieldChange] = []
        for key in [*old, *(k for k in new if k not in old)]:
            path = f"{prefix}{key}"
            if key not in new:
                changes.append(FieldChange(path, "removed", before=old[key]))
            elif key not in old:
                changes.append(FieldChange(path, "added", after=new[key]))
            elif old[key] != new[key]:
                changes.extend(_changes(old[key], new[key], prefix=f"{path}."))
        return changes
    path = prefix.rstrip(".") or "(whole section)"
    if old is None:
        return [FieldChange(path, "added", after=new)]
    if new is None:
        return [FieldChange(path, "removed", before=old)]
    return [FieldChange(path, "changed", before=old, after=new)]


def render_diff(diffs: list[SectionDiff]) -> list[str]:
    """Plain-text lines for an email: one heading per section, one line per field."""
    if not diffs:
        return ["  (no content changes: only the status changed)"]
    lines: list[str] = []
    for diff in diffs:
        lines.append(f"  {diff.section} ({diff.kind}):")
        for change in diff.changes:
            if change.kind == "added":
                lines.append(f"    + {change.path}: {_short(change.after)}")
            elif change.kind == "removed":
                lines.append(f"    - {change.path} (was {_short(change.before)})")
            else:
                lines.append(f"    ~ {change.path}: {_short(change.before)} -> {_short(change.after)}")
    return lines


def changed_sections(diffs: list[SectionDiff]) -> list[str]:
    return [diff.section for diff in diffs]


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return repr(text) if len(text) <= MAX_RENDERED_VALUE else repr(text[: MAX_RENDERED_VALUE - 3] + "...")
