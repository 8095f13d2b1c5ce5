"""Per-feature profiles that merge: counts, moments, a KLL sketch of the numbers and sketches of the strings.

Memory is bounded by features x sketch size, never by rows: a profile folds in blocks of rows and two
profiles of disjoint data merge into the profile of their union (what the Distributed Map's partials do).
"""

from __future__ import annotations

import base64
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from datasketches import (
    frequent_items_error_type,
    frequent_strings_sketch,
    hll_sketch,
    hll_union,
    kll_doubles_sketch,
)

from data_quality.fields import FieldTable
from data_quality.sketches import WeightedItems, buckets, new_sketch, sketch_document

FREQUENT_LG_MAX = 10  # up to 768 distinct strings tracked exactly per feature; beyond, the heaviest ones
HLL_LG_K = 12
MAX_CATEGORICAL_BUCKETS = 1000


@dataclass
class FeatureProfile:
    name: str
    nulls: int = 0
    integral: int = 0
    fractional: int = 0
    strings: int = 0
    numeric_count: int = 0
    mean: float = 0.0
    m2: float = 0.0  # sum of squared deviations (Chan's parallel update)
    total: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf
    kll: kll_doubles_sketch = field(default_factory=new_sketch)
    frequent: frequent_strings_sketch = field(default_factory=lambda: frequent_strings_sketch(FREQUENT_LG_MAX))
    distinct: hll_sketch = field(default_factory=lambda: hll_sketch(HLL_LG_K))

    @property
    def present(self) -> int:
        return self.integral + self.fractional + self.strings

    @property
    def inferred_type(self) -> str:
        """Deequ's DataType: all null -> Unknown; any String -> String; any Fractional -> Fractional."""
        if not self.present:
            return "Unknown"
        if self.strings:
            return "String"
        return "Fractional" if self.fractional else "Integral"

    def update(self, table: FieldTable, column: int) -> None:
        nulls, integral, fractional, strings = table.counts(column)
        self.nulls += nulls
        self.integral += integral
        self.fractional += fractional
        self.strings += strings
        values = table.numbers(column, integral + fractional)
        if len(values):
            mean = values.mean()
            self._add_numbers(len(values), float(mean), float(((values - mean) ** 2).sum()), float(values.sum()))
            self.minimum = min(self.minimum, float(values.min()))
            self.maximum = max(self.maximum, float(values.max()))
            self.kll.update(values)
        for value, count in Counter(table.strings.get(column, ())).items():
            self.frequent.update(value, count)
            self.distinct.update(value)

    def _add_numbers(self, count: int, mean: float, m2: float, total: float) -> None:
        combined = self.numeric_count + count
        delta = mean - self.mean
        self.mean += delta * count / combined
        self.m2 += m2 + delta * delta * self.numeric_count * count / combined
        self.numeric_count = combined
        self.total += total

    def merge(self, other: FeatureProfile) -> None:
        self.nulls += other.nulls
        self.integral += other.integral
        self.fractional += other.fractional
        self.strings += other.strings
        if other.numeric_count:
            self._add_numbers(other.numeric_count, other.mean, other.m2, other.total)
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)
        self.kll.merge(other.kll)
        self.frequent.merge(other.frequent)
        union = hll_union(HLL_LG_K)  # HLL merges through a union object
        union.update(self.distinct)
        union.update(other.distinct)
        self.distinct = union.get_result()

    def categories(self) -> dict[str, float]:
        rows = self.frequent.get_frequent_items(frequent_items_error_type.NO_FALSE_NEGATIVES)
        return {str(item): float(estimate) for item, estimate, _low, _high in rows[:MAX_CATEGORICAL_BUCKETS]}

    def weighted_items(self) -> WeightedItems:
        return WeightedItems.of_sketch(self.kll)

    def to_wire(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "counts": [self.nulls, self.integral, self.fractional, self.strings, self.numeric_count],
            "moments": [self.mean, self.m2, self.total, self.minimum, self.maximum],
            "kll": _b64(self.kll.serialize()),
            "frequent": _b64(self.frequent.serialize()),
            "distinct": _b64(self.distinct.serialize_compact()),
        }

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> FeatureProfile:
        nulls, integral, fractional, strings, numeric_count = wire["counts"]
        mean, m2, total, minimum, maximum = wire["moments"]
        return cls(
            name=wire["name"],
            nulls=nulls,
            integral=integral,
            fractional=fractional,
            strings=strings,
            numeric_count=numeric_count,
            mean=mean,
            m2=m2,
            total=total,
            minimum=minimum,
            maximum=maximum,
            kll=kll_doubles_sketch.deserialize(base64.b64decode(wire["kll"])),
            frequent=frequent_strings_sketch.deserialize(base64.b64decode(wire["frequent"])),
            distinct=hll_sketch.deserialize(base64.b64decode(wire["distinct"])),
        )

    def statistics(self, item_count: int) -> dict[str, Any]:
        """This feature's entry of statistics.json (aws-facts 2.3)."""
        common = {"num_present": self.present, "num_missing": item_count - self.present}
        entry: dict[str, Any] = {"name": self.name, "inferred_type": self.inferred_type}
        if self.inferred_type in {"Integral", "Fractional"}:
            items = self.weighted_items()
            entry["numerical_statistics"] = {
                "common": common,
                "mean": self.mean,
                "sum": self.total,
                "std_dev": math.sqrt(self.m2 / self.numeric_count) if self.numeric_count else 0.0,
                "min": self.minimum,
                "max": self.maximum,
                "distribution": {
                    "kll": {"buckets": buckets(items, self.minimum, self.maximum), "sketch": sketch_document(items)}
                },
            }
        else:
            categories = self.categories()
            entry["string_statistics"] = {
                "common": common,
                "distinct_count": float(round(self.distinct.get_estimate())),
                "distribution": {
                    "categorical": {
                        "buckets": [
                            {"value": value, "count": count}
                            for value, count in sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))
                        ]
                    }
                },
            }
        return entry


@dataclass
class DatasetProfile:
    """All features of one dataset (a baseline, or one check run's capture period)."""

    names: list[str]
    features: list[FeatureProfile] = field(default_factory=list)
    item_count: int = 0
    width: int = 0  # the most columns any row had

    def __post_init__(self) -> None:
        if not self.features:
            self.features = [FeatureProfile(name) for name in self.names]

    def _feature(self, column: int) -> FeatureProfile:
        while column >= len(self.features):
            self.features.append(FeatureProfile(f"_c{len(self.features)}"))
        return self.features[column]

    def update(self, table: FieldTable) -> None:
        if not table.rows:
            return
        self.item_count += table.rows
        self.width = max(self.width, table.width)
        for column in range(max(table.width, len(self.features))):
            if column < table.width:
                self._feature(column).update(table, column)
            else:
                self.features[column].nulls += table.rows  # short rows: the missing cells are nulls

    def merge(self, other: DatasetProfile) -> None:
        for column in range(len(self.features), len(other.features)):
            self._feature(column).nulls += self.item_count
        for column, feature in enumerate(other.features):
            self._feature(column).merge(feature)
        for column in range(len(other.features), len(self.features)):
            self.features[column].nulls += other.item_count
        self.item_count += other.item_count
        self.width = max(self.width, other.width)

    def statistics(self) -> dict[str, Any]:
        """statistics.json (aws-facts 2.3)."""
        return {
            "version": 0.0,
            "dataset": {"item_count": self.item_count},
            "features": [feature.statistics(self.item_count) for feature in self.features],
        }

    def to_wire(self) -> dict[str, Any]:
        return {
            "names": self.names,
            "item_count": self.item_count,
            "width": self.width,
            "features": [f.to_wire() for f in self.features],
        }

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> DatasetProfile:
        return cls(
            names=list(wire["names"]),
            features=[FeatureProfile.from_wire(f) for f in wire["features"]],
            item_count=int(wire["item_count"]),
            width=int(wire["width"]),
        )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
