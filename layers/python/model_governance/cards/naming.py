"""Deterministic model card names: one per (group, version), valid for AWS, at most 63 characters."""

from __future__ import annotations

import hashlib
import re

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
MAX_NAME_LENGTH = 63


def card_name_for(group: str, version: int) -> str:
    """``<group>-v<version>``; when that is too long, the group is cut and an 8-hex digest of the full group
    name keeps two long groups that share a prefix apart. The same inputs always give the same name."""
    if not NAME_PATTERN.match(group):
        raise ValueError(f"{group!r} is not a valid model package group name")
    if version < 1:
        raise ValueError(f"model package version must be at least 1, got {version}")
    return entity_name(group, f"-v{version}")


def entity_name(base: str, suffix: str) -> str:
    """``<base><suffix>`` within AWS's 63-character entity names; a base too long for it is cut and followed by an
    8-hex digest of the whole base, so two long bases that share a prefix stay apart. Deterministic."""
    name = f"{base}{suffix}"
    if len(name) <= MAX_NAME_LENGTH:
        return name
    digest = hashlib.sha256(base.encode()).hexdigest()[:8]
    keep = MAX_NAME_LENGTH - len(suffix) - len(digest) - 1
    return f"{base[:keep].rstrip('-')}-{digest}{suffix}"
