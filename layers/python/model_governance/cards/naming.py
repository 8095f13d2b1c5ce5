"""Deterministic model card names: one per (group, version), valid for AWS, at most 63 characters."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
MAX_NAME_LENGTH = 63
# A cut card name carries this many base32 characters (100 bits) of SHA-256 over the whole group name: finding a
# second group name with the same digest is out of reach, so nobody can steer a group into another's card name.
CARD_DIGEST_CHARS = 20


def card_name_for(group: str, version: int) -> str:
    """``<group>-v<version>`` when it fits in 63 characters, else ``<group cut>-<digest>--v<version>``.

    Two different (group, version) pairs never get the same name:
    - an uncut name is the group, ``-v`` and the version's digits; the group ends with a letter or digit, so the
      group is the name without its trailing ``-v<digits>``: one name, one group;
    - a cut name has a hyphen right before ``-v<digits>``, which no group name ends with, so it never equals an
      uncut name (a group that looks like a cut name, ``x-<digest>``, keeps its own uncut name ``x-<digest>-v1``);
    - two cut names are equal only when the groups share the kept prefix and the 100-bit digest of the full name
      (the prefix is kept as is, hyphens too, so ``a-b`` and ``a--b`` stay apart).
    The same inputs always give the same name. (Pigeonhole: every group name of 1-63 characters is also a valid
    card name, so no scheme can give readable names to all versions without a digest for long ones.)
    """
    if not NAME_PATTERN.match(group):
        raise ValueError(f"{group!r} is not a valid model package group name")
    if version < 1:
        raise ValueError(f"model package version must be at least 1, got {version}")
    name = f"{group}-v{version}"
    if len(name) <= MAX_NAME_LENGTH:
        return name
    digest = base64.b32encode(hashlib.sha256(group.encode()).digest()).decode().lower()[:CARD_DIGEST_CHARS]
    suffix = f"--v{version}"
    keep = MAX_NAME_LENGTH - len(suffix) - len(digest) - 1
    if keep < 1:
        raise ValueError(f"model package version {version} is too long for a card name")
    return f"{group[:keep]}-{digest}{suffix}"


def entity_name(base: str, suffix: str) -> str:
    """``<base><suffix>`` within AWS's 63-character entity names; a base too long for it is cut and followed by an
    8-hex digest of the whole base, so two long bases that share a prefix stay apart. Deterministic."""
    name = f"{base}{suffix}"
    if len(name) <= MAX_NAME_LENGTH:
        return name
    digest = hashlib.sha256(base.encode()).hexdigest()[:8]
    keep = MAX_NAME_LENGTH - len(suffix) - len(digest) - 1
    return f"{base[:keep].rstrip('-')}-{digest}{suffix}"


# Characters of the random part of a fallback card name: 16 base32 characters are 80 bits.
FALLBACK_TOKEN_CHARS = 16


def new_fallback_token() -> str:
    """A random part for ``fallback_card_name``, drawn when carry-forward plans a version's card (and recorded in
    that plan, so a retry uses the same one)."""
    return base64.b32encode(secrets.token_bytes(10)).decode().lower()[:FALLBACK_TOKEN_CHARS]


def fallback_card_name(group: str, version: int, token: str) -> str:
    """The version's card name when ``card_name_for`` is taken by a card this system did not make: the usual name
    followed by ``-r<token>``, a random part nobody could know before the version was registered, so nobody can
    take this one ahead. It never equals a ``card_name_for`` name: those end with ``-v<digits>``."""
    if not re.fullmatch(r"[a-z2-7]{1,32}", token):
        raise ValueError(f"{token!r} is not a fallback token")
    return entity_name(card_name_for(group, version), f"-r{token}")
