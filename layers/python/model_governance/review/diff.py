"""What changed between two versions of a model card's content, section by section, field by field."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from model_governance.cards.content import SECTIONS_STANDALONE
from model_governance.cards.encryption import NOT_SHOWN
from model_governance.text import name, one_line, value

MAX_RENDERED_VALUE = 160  # characters of one rendered value, quotes and cut note included
MAX_RENDERED_PATH = 120
WHOLE_SECTION = "(whole section)"  # the path of a change to a section that is not an object
MAX_RENDERED_CHANGES = 150  # field lines in one email (a card holds up to 100 KB of content); a count says the rest


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
    path = prefix.rstrip(".") or WHOLE_SECTION
    if old is None:
        return [FieldChange(path, "added", after=new)]
    if new is None:
        return [FieldChange(path, "removed", before=old)]
    return [FieldChange(path, "changed", before=old, after=new)]


def render_diff(diffs: list[SectionDiff]) -> list[str]:
    """Plain-text lines for an email: one heading per section, one line per field.

    Section names, field paths and values are card content: each is rendered as data (model_governance.text),
    values always quoted, so a value can neither add a line to the email nor pass for the end of the list.
    """
    if not diffs:
        return ["  (no content changes: only the status changed)"]
    lines: list[str] = []
    shown, total = 0, sum(len(diff.changes) for diff in diffs)
    for diff in diffs:
        if shown >= MAX_RENDERED_CHANGES:
            break
        lines.append(f"  {name(diff.section)} ({diff.kind}):")
        for change in diff.changes[: MAX_RENDERED_CHANGES - shown]:
            path = change.path if change.path == WHOLE_SECTION else name(change.path, MAX_RENDERED_PATH)
            if change.kind == "added":
                lines.append(f"    + {path}: {_short(change.after)}")
            elif change.kind == "removed":
                lines.append(f"    - {path} (was {_short(change.before)})")
            else:
                lines.append(f"    ~ {path}: {_short(change.before)} -> {_short(change.after)}")
            shown += 1
    if shown < total:
        lines.append(f"  ... and {total - shown} more changed fields, not listed: open the card to see them")
    return lines


def render_encrypted_diff(diffs: list[SectionDiff], key: str) -> list[str]:
    """What changed in a card encrypted with a customer-managed key, without its content: the schema's sections
    that changed and how many fields each (a section or field name outside the schema is content: only counted)."""
    if not diffs:
        return ["  (no content changes: only the status changed)"]
    lines = [
        f"  The card's content is encrypted with a customer-managed key ({name(key)}): {NOT_SHOWN} here.",
        "  Open the card to read the changes.",
    ]
    known = [diff for diff in diffs if diff.section in SECTIONS_STANDALONE]
    lines += [f"  {diff.section} ({diff.kind}): {len(diff.changes)} changed fields" for diff in known]
    if len(known) < len(diffs):
        lines.append(f"  ... and {len(diffs) - len(known)} other changed sections")
    return lines


def changed_sections(diffs: list[SectionDiff], *, encrypted: bool = False) -> list[str]:
    """The changed sections' names; for encrypted content only the schema's (any other name is content)."""
    return [diff.section for diff in diffs if not encrypted or diff.section in SECTIONS_STANDALONE]


def _short(content: Any) -> str:
    """A string in double quotes; anything else as one line of JSON, whose own quoting marks its strings."""
    if isinstance(content, str):
        return value(content, MAX_RENDERED_VALUE)
    return one_line(json.dumps(content, ensure_ascii=False, default=str), MAX_RENDERED_VALUE)
