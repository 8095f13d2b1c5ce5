"""Fields of card content addressed by path (``("intended_uses", "risk_rating")``): the unit in which carry-forward
and the review sync decide whose value wins."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

FieldPath = tuple[str, ...]


def is_filled(value: Any) -> bool:
    """Says something: not None, not blank, not a container of only unfilled values."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, dict | list):
        return any(is_filled(v) for v in (value.values() if isinstance(value, dict) else value))
    return True


def leaves(value: Any, prefix: FieldPath = ()) -> Iterator[tuple[FieldPath, Any]]:
    """Every (path, value) under nested objects; lists and scalars are leaves, an empty object yields nothing."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield from leaves(inner, (*prefix, key))
    elif prefix:
        yield prefix, value


def field_paths(section: str, *contents: Mapping[str, Any]) -> list[FieldPath]:
    """Every field path under ``section`` in any of ``contents``, in first-seen order."""
    paths: dict[FieldPath, None] = {}
    for content in contents:
        if section in content:
            for path, _ in leaves(content[section], (section,)):
                paths.setdefault(path, None)
    return list(paths)


def get_field(content: Any, path: FieldPath) -> Any:
    """The value at ``path``, or None when any step is missing."""
    for key in path:
        if not isinstance(content, Mapping) or key not in content:
            return None
        content = content[key]
    return content


def set_field(content: dict[str, Any], path: FieldPath, value: Any) -> None:
    """Set the value at ``path``, creating (or replacing non-object) steps on the way."""
    for key in path[:-1]:
        if not isinstance(content.get(key), dict):
            content[key] = {}
        content = content[key]
    content[path[-1]] = value


def delete_field(content: dict[str, Any], path: FieldPath) -> None:
    """Remove the value at ``path``, and the objects that leaves empty."""
    parents = [content]
    for key in path[:-1]:
        inner = parents[-1].get(key)
        if not isinstance(inner, dict):
            return
        parents.append(inner)
    parents[-1].pop(path[-1], None)
    for depth in range(len(path) - 1, 0, -1):
        if not parents[depth]:
            parents[depth - 1].pop(path[depth - 1], None)
