"""The checks Model Monitor runs on a capture period. data_type_check is worded as the current Model Monitor
container words it; Model Monitor publishes no current wording for the other checks, so they keep the wording of
its published examples (completeness and categorical values: Deequ's "Value: ... does not meet the constraint
requirement!"). docs/data-quality.md says which is which."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from data_quality.constraints import Baseline, FeatureConstraint, MonitoringConfig
from data_quality.profile import DatasetProfile, FeatureProfile
from data_quality.sketches import categorical_distance, numerical_distance

NUMERIC_TYPES = ("Integral", "Fractional")


@dataclass(frozen=True)
class Violation:
    feature_name: str
    constraint_check_type: str
    description: str

    def document(self) -> dict[str, str]:
        return {
            "feature_name": self.feature_name,
            "constraint_check_type": self.constraint_check_type,
            "description": self.description,
        }


def violations_document(violations: list[Violation]) -> dict[str, Any]:
    """constraint_violations.json."""
    return {"violations": [v.document() for v in violations]}


def run_checks(baseline: Baseline, current: DatasetProfile) -> list[Violation]:
    if not baseline.config.evaluate_constraints:
        return []
    found: list[Violation] = []
    expected, observed = len(baseline.features), current.width
    for column, constraint in enumerate(baseline.features):
        if column >= observed:
            found.append(Violation(constraint.name, "missing_column_check", _columns("missing", observed, expected)))
            continue
        config = baseline.config.overridden(constraint.overrides)
        found += _feature_checks(constraint, current.features[column], current.item_count, config, baseline)
    for column in range(expected, observed):
        found.append(Violation(f"_c{column}", "extra_column_check", _columns("extra", observed, expected)))
    return found


def _feature_checks(
    constraint: FeatureConstraint, feature: FeatureProfile, rows: int, config: MonitoringConfig, baseline: Baseline
) -> list[Violation]:
    found: list[Violation] = []
    name = constraint.name
    present = feature.present
    matching = {"Integral": feature.integral, "Fractional": feature.fractional, "String": feature.strings}
    if present and constraint.inferred_type in matching:
        ratio = matching[constraint.inferred_type] / present
        if ratio < 1.0 - config.datatype_check_threshold:
            expected = 1.0 - config.datatype_check_threshold
            found.append(Violation(name, "data_type_check", _data_type(constraint.inferred_type, expected, ratio)))
    completeness = present / rows if rows else 0.0
    if rows and completeness < constraint.completeness:
        found.append(Violation(name, "completeness_check", _requirement(completeness)))
    if constraint.domains is not None and feature.strings:
        domain = set(constraint.domains)
        categories = feature.categories()
        inside = sum(count for value, count in categories.items() if value in domain)
        share = inside / sum(categories.values()) if categories else 1.0
        if share < 1.0 - config.domain_content_threshold:
            found.append(Violation(name, "categorical_values_check", _requirement(share)))
    if config.perform_comparison:
        drift = _drift(constraint, feature, config, baseline)
        if drift is not None:
            found.append(drift)
    return found


def _drift(
    constraint: FeatureConstraint, feature: FeatureProfile, config: MonitoringConfig, baseline: Baseline
) -> Violation | None:
    name = constraint.name
    if constraint.inferred_type in NUMERIC_TYPES and name in baseline.numeric and feature.numeric_count:
        distance = numerical_distance(baseline.numeric[name], feature.weighted_items(), config.comparison_method)
        if distance > config.comparison_threshold:  # AWS: "more than" the threshold
            return Violation(
                name,
                "baseline_drift_check",
                f"Numerical distance: {distance} exceeds numerical threshold: {_number(config.comparison_threshold)}",
            )
    if constraint.inferred_type == "String" and name in baseline.categorical and feature.strings:
        distance = categorical_distance(baseline.categorical[name], feature.categories())
        if distance > config.categorical_comparison_threshold:
            threshold = _number(config.categorical_comparison_threshold)
            return Violation(
                name,
                "baseline_drift_check",
                f"Categorical distance: {distance} exceeds categorical threshold: {threshold}",
            )
    return None


def _data_type(inferred_type: str, expected: float, observed: float) -> str:
    """The current container's wording; "Expected match" is the share our check requires (1 - the threshold)."""
    return (
        f"Data type match requirement is not met. Expected data type: {inferred_type}, "
        f"Expected match: {_percent(expected)}%. Observed: Only {_percent(observed)}% of data is {inferred_type}."
    )


def _percent(share: float) -> str:
    return repr(float(share * 100))  # as the JVM prints a Double: 50.0, 99.71751412429379


def _requirement(value: float) -> str:
    # Deequ's wording, trailing space included (the seed's "Value: 0.8 does not meet the constraint requirement! ")
    return f"Value: {value} does not meet the constraint requirement! "


def _columns(which: str, observed: int, expected: int) -> str:
    return (
        f"There are {which} columns in current dataset. Number of columns in current dataset: {observed}, "
        f"Number of columns in baseline constraints: {expected}"
    )


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
