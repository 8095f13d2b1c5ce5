"""``constraint_violations.json``: parsed strictly enough to trust, tolerantly enough not to crash-loop.

Schema (aws-facts.md 2.2): ``{"violations": [{"feature_name", "constraint_check_type", "description"}]}``; a
model-quality report names a ``metric_name`` instead of a feature.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# The order the checks are listed in an email: structural problems first, then quality, then drift.
KNOWN_CHECK_TYPES = (
    "missing_column_check",
    "extra_column_check",
    "data_type_check",
    "completeness_check",
    "categorical_values_check",
    "baseline_drift_check",
)
# Any other check type a report names counts under this one in state, metrics and message attributes: the
# report is input (the default output bucket is writable by many roles), and 60,000 distinct names must not
# become 60,000 billed metrics or a state item over DynamoDB's 400 KB.
OTHER_CHECK_TYPE = "other"


class UnreadableReportError(ValueError):
    """The report exists but is not a violations report; the message says what is wrong with it."""


@dataclass(frozen=True, order=True)
class Violation:
    check_type: str
    feature: str
    description: str = ""

    @property
    def key(self) -> tuple[str, str]:
        """What dedup compares: the same feature failing the same check, whatever the numbers say."""
        return (self.feature, self.check_type)


def parse_violations(raw: bytes | str) -> list[Violation]:
    """Every violation of the report, in report order. An empty list is a clean execution."""
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UnreadableReportError(f"not valid JSON ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("violations") or [], list):
        raise UnreadableReportError('expected an object with a "violations" list')
    violations = []
    for index, item in enumerate(document.get("violations") or []):
        violations.append(_violation(item, index))
    return violations


def _violation(item: Any, index: int) -> Violation:
    if not isinstance(item, dict):
        raise UnreadableReportError(f"violations[{index}] is not an object")
    feature, check = item.get("feature_name", item.get("metric_name")), item.get("constraint_check_type")
    # Dataset-level checks (missing/extra column) may name no feature; keep them rather than fail.
    if feature is not None and not isinstance(feature, str):
        raise UnreadableReportError(f"violations[{index}].feature_name is not a string")
    if not isinstance(check, str) or not check:
        raise UnreadableReportError(f"violations[{index}].constraint_check_type is missing")
    description = item.get("description")
    return Violation(
        check_type=_encodable(check.strip()),
        feature=_encodable((feature or "(dataset)").strip()),
        description=_encodable(" ".join(str(description).split())) if description is not None else "",
    )


def _encodable(text: str) -> str:
    """JSON may carry lone surrogates ("\\ud800"), which UTF-8 cannot encode (dedup hashes, state, email): kept
    as the visible escape instead."""
    return text if text.isascii() else text.encode("utf-8", "backslashreplace").decode("utf-8")


def check_bucket(check_type: str) -> str:
    """The check type as state, metrics and attributes keep it: one of the six known ones, else "other"."""
    return check_type if check_type in KNOWN_CHECK_TYPES else OTHER_CHECK_TYPE


def counts_by_check(violations: Iterable[Violation]) -> dict[str, int]:
    """Violations per bounded check type (at most seven keys, whatever the report says)."""
    counts: dict[str, int] = {}
    for violation in violations:
        bucket = check_bucket(violation.check_type)
        counts[bucket] = counts.get(bucket, 0) + 1
    return counts


def violation_keys(violations: Iterable[Violation]) -> frozenset[tuple[str, str]]:
    return frozenset(v.key for v in violations)


def by_check_type(violations: Iterable[Violation]) -> dict[str, list[Violation]]:
    """Violations grouped by check type (known checks in a fixed order, then others by name), features sorted."""
    groups: dict[str, list[Violation]] = {}
    for violation in violations:
        groups.setdefault(violation.check_type, []).append(violation)
    order = {name: position for position, name in enumerate(KNOWN_CHECK_TYPES)}
    return {
        check: sorted(groups[check], key=lambda v: v.feature.lower())
        for check in sorted(groups, key=lambda c: (order.get(c, len(order)), c))
    }
