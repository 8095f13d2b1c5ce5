"""constraints.json: suggested from a baseline profile, and read back for a check run (aws-facts 2.4)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from data_quality.profile import DatasetProfile
from data_quality.sketches import WeightedItems

MAX_DOMAIN_SIZE = 100  # a String feature with at most this many distinct values gets a domain constraint
COMPARISON_METHODS = ("Simple", "Robust")


@dataclass(frozen=True)
class MonitoringConfig:
    """``monitoring_config`` with Model Monitor's defaults (the current constraints page's keys included)."""

    datatype_check_threshold: float = 0.1
    domain_content_threshold: float = 0.1
    comparison_threshold: float = 0.1
    comparison_method: str = "Simple"
    categorical_comparison_threshold: float = 0.1
    perform_comparison: bool = True
    evaluate_constraints: bool = True

    def document(self) -> dict[str, Any]:
        return {
            "evaluate_constraints": _enabled(self.evaluate_constraints),
            "emit_metrics": "Enabled",
            "datatype_check_threshold": self.datatype_check_threshold,
            "domain_content_threshold": self.domain_content_threshold,
            "distribution_constraints": {
                "perform_comparison": _enabled(self.perform_comparison),
                "comparison_threshold": self.comparison_threshold,
                "comparison_method": self.comparison_method,
                "categorical_comparison_threshold": self.categorical_comparison_threshold,
                "categorical_drift_method": "LInfinity",
            },
        }

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> MonitoringConfig:
        distribution = document.get("distribution_constraints") or {}
        threshold = float(distribution.get("comparison_threshold", cls.comparison_threshold))
        method = str(distribution.get("comparison_method", "Simple"))
        perform = distribution.get("perform_comparison", distribution.get("enable_comparisons", "Enabled"))
        return cls(
            datatype_check_threshold=float(document.get("datatype_check_threshold", cls.datatype_check_threshold)),
            domain_content_threshold=float(document.get("domain_content_threshold", cls.domain_content_threshold)),
            comparison_threshold=threshold,
            comparison_method=method if method in COMPARISON_METHODS else "Simple",
            # categorical_comparison_threshold defaults to comparison_threshold (aws-facts 2.7)
            categorical_comparison_threshold=float(distribution.get("categorical_comparison_threshold", threshold)),
            perform_comparison=perform in (True, "Enabled"),
            evaluate_constraints=document.get("evaluate_constraints", "Enabled") == "Enabled",
        )

    def overridden(self, overrides: dict[str, Any]) -> MonitoringConfig:
        """A feature's ``monitoringConfigOverrides`` on top of the dataset's config."""
        if not overrides:
            return self
        merged = {**self.document(), **{k: v for k, v in overrides.items() if k != "distribution_constraints"}}
        merged["distribution_constraints"] = {
            **self.document()["distribution_constraints"],
            **(overrides.get("distribution_constraints") or {}),
        }
        return MonitoringConfig.from_document(merged)


@dataclass(frozen=True)
class FeatureConstraint:
    name: str
    inferred_type: str
    completeness: float
    is_non_negative: bool | None = None
    domains: tuple[str, ...] | None = None
    overrides: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Baseline:
    """What a check run compares against: the constraints and the baseline's distributions."""

    features: tuple[FeatureConstraint, ...]
    config: MonitoringConfig
    numeric: dict[str, WeightedItems]  # feature -> the baseline KLL sketch's weighted items
    categorical: dict[str, dict[str, float]]  # feature -> category counts


class UnreadableBaselineError(ValueError):
    """statistics.json or constraints.json is missing or not in Model Monitor's schema."""


def suggest_constraints(profile: DatasetProfile, config: MonitoringConfig | None = None) -> dict[str, Any]:
    """constraints.json for a baseline profile: types, completeness, non-negativity, small string domains."""
    features = []
    for feature in profile.features:
        entry: dict[str, Any] = {
            "name": feature.name,
            "inferred_type": feature.inferred_type,
            "completeness": feature.present / profile.item_count if profile.item_count else 0.0,
        }
        if feature.inferred_type in {"Integral", "Fractional"}:
            entry["num_constraints"] = {"is_non_negative": feature.minimum >= 0}
        elif feature.inferred_type == "String":
            categories = feature.categories()
            if 0 < len(categories) <= MAX_DOMAIN_SIZE and feature.frequent.num_active_items <= MAX_DOMAIN_SIZE:
                entry["string_constraints"] = {"domains": sorted(categories)}
        entry["monitoringConfigOverrides"] = {}
        features.append(entry)
    return {"version": 0.0, "features": features, "monitoring_config": (config or MonitoringConfig()).document()}


def read_baseline(constraints_raw: bytes, statistics_raw: bytes) -> Baseline:
    try:
        constraints = json.loads(constraints_raw)
        statistics = json.loads(statistics_raw)
        features = tuple(_feature(entry) for entry in constraints["features"])
        config = MonitoringConfig.from_document(constraints.get("monitoring_config") or {})
        numeric: dict[str, WeightedItems] = {}
        categorical: dict[str, dict[str, float]] = {}
        for entry in statistics["features"]:
            numbers = entry.get("numerical_statistics")
            strings = entry.get("string_statistics")
            if numbers:
                sketch = ((numbers.get("distribution") or {}).get("kll") or {}).get("sketch") or {}
                numeric[entry["name"]] = WeightedItems.of_levels(sketch.get("data") or [[]])
            elif strings:
                found = ((strings.get("distribution") or {}).get("categorical") or {}).get("buckets") or []
                categorical[entry["name"]] = {str(b["value"]): float(b["count"]) for b in found}
    except (ValueError, KeyError, TypeError) as error:
        raise UnreadableBaselineError(f"not Model Monitor baseline files ({type(error).__name__}: {error})") from None
    return Baseline(features, config, numeric, categorical)


def _feature(entry: dict[str, Any]) -> FeatureConstraint:
    numbers = entry.get("num_constraints") or {}
    strings = entry.get("string_constraints") or {}
    domains = strings.get("domains")
    return FeatureConstraint(
        name=str(entry["name"]),
        inferred_type=str(entry.get("inferred_type", "Unknown")),
        completeness=float(entry.get("completeness", 1.0)),
        is_non_negative=numbers.get("is_non_negative"),
        domains=tuple(str(d) for d in domains) if isinstance(domains, list) else None,
        overrides=dict(entry.get("monitoringConfigOverrides") or {}),
    )


def _enabled(flag: bool) -> str:
    return "Enabled" if flag else "Disabled"
