"""Content encrypted with a customer-managed key stays under that key.

A card whose ``SecurityConfig.KmsKeyId`` names a customer-managed key is readable only by those the key admits.
Its content is never written where that key does not protect it: not in a package's embedded card (the model
package API takes no SecurityConfig for it; only a package created with the same key protects it), not in the
ledger, the effect plans of the state table, notices or chat. What is kept instead says that something changed
and lets an auditor check a copy: a SHA-256 of the value and "content encrypted, not shown".

What AWS itself returns without the key (DescribeModelCard with ``IncludedData=MetadataOnly``: the model id and
name, the risk rating, the package group and ARN) is not protected by it, so it may still be shown.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from model_governance.cards.records import FieldChange, kms_key_arn

NOT_SHOWN = "content encrypted, not shown"


def digest(value: Any) -> str:
    """SHA-256 of a value as canonical JSON (keys sorted): the same content always has the same digest."""
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def sealed(value: Any, key: str) -> dict[str, Any]:
    """What is written in place of encrypted content: its digest, the key and the note."""
    return {"encrypted_with": key, "sha256": digest(value), "note": NOT_SHOWN}


def sealed_changes(changes: Iterable[FieldChange], key: str | None) -> list[dict[str, Any]]:
    """Field changes as records: values as they are for plain content, digests for encrypted content."""
    if not key:
        return [change.as_record() for change in changes]
    return [
        {
            "field": change.field,
            "old_sha256": digest(change.old),
            "new_sha256": digest(change.new),
            "note": NOT_SHOWN,
        }
        for change in changes
    ]


def shown(value: Any, key: str | None) -> Any:
    """``value`` as it may be written outside the key's protection: itself when not encrypted, else sealed."""
    return sealed(value, key) if key else value


def same_key(card_key: str, card_arn: str | None, package_key: str | None, package_arn: str | None) -> bool:
    """Whether the package is encrypted with the card's key (ids, ARNs and aliases compared as full ARNs where
    the resource's account and region tell them; an alias matches only the same alias)."""
    if not package_key:
        return False
    return kms_key_arn(card_key, card_arn) == kms_key_arn(package_key, package_arn)
