"""KLL sketches as Model Monitor writes them, and the distances Deequ computes on them (aws-facts 2.7).

The sketch engine is Apache DataSketches' KLL (the family Deequ's ``KLLSketch`` belongs to). Files carry the
sketch in Deequ's layout: ``data`` holds the retained items level by level, an item of level i weighing 2^i,
so a reader can rebuild the weighted items without DataSketches' bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from datasketches import kll_doubles_sketch

SKETCH_K = 2048  # Deequ's default sketch size (the seed's statistics.json shows k = 2048)
SHRINKING_FACTOR = 2.0 / 3.0  # DataSketches' compactor capacity ratio (Deequ's c is 0.64; written as what we use)
BUCKETS = 10  # Model Monitor always materialises 10 buckets
ROBUST_C_ALPHA = 1.8  # Deequ's default for the Robust (Kolmogorov-Smirnov style) correction


@dataclass(frozen=True)
class WeightedItems:
    """A KLL sketch's retained items and their weights, sorted by item."""

    items: npt.NDArray[np.float64]
    weights: npt.NDArray[np.float64]

    @property
    def total(self) -> float:
        return float(self.weights.sum())

    @classmethod
    def of_sketch(cls, sketch: kll_doubles_sketch) -> WeightedItems:
        pairs = np.array(list(sketch), dtype=np.float64).reshape(-1, 2)
        order = np.argsort(pairs[:, 0], kind="stable")
        return cls(pairs[order, 0], pairs[order, 1])

    @classmethod
    def of_levels(cls, levels: list[list[float]]) -> WeightedItems:
        """From statistics.json's ``sketch.data`` (level i items weigh 2^i)."""
        items = np.array([x for level in levels for x in level], dtype=np.float64)
        weights = np.array([2.0**i for i, level in enumerate(levels) for _ in level], dtype=np.float64)
        order = np.argsort(items, kind="stable")
        return cls(items[order], weights[order])

    def levels(self) -> list[list[float]]:
        """Deequ's layout: one list per compactor level, level = log2(weight)."""
        if not len(self.items):
            return [[]]
        level_of = np.rint(np.log2(self.weights)).astype(int)
        return [self.items[level_of == level].tolist() for level in range(int(level_of.max()) + 1)]

    def cdf(self, points: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """weight(items <= x) / total, for each x."""
        cumulative = np.concatenate(([0.0], np.cumsum(self.weights)))
        return cumulative[np.searchsorted(self.items, points, side="right")] / self.total


def new_sketch() -> kll_doubles_sketch:
    return kll_doubles_sketch(SKETCH_K)


def normalized_rank_error() -> float:
    """DataSketches' documented single-sided rank error bound of a KLL sketch of size SKETCH_K (99% confidence)."""
    return float(kll_doubles_sketch.get_normalized_rank_error(SKETCH_K, False))


def buckets(sketch: WeightedItems, low: float, high: float) -> list[dict[str, float]]:
    """10 equal-width buckets between min and max; counts are sketch estimates, the last bucket closed."""
    if not len(sketch.items):
        return []
    edges = [low + (high - low) * i / BUCKETS for i in range(BUCKETS)] + [high]
    cumulative = np.concatenate(([0.0], np.cumsum(sketch.weights)))
    below = cumulative[np.searchsorted(sketch.items, np.array(edges[:-1]), side="left")]
    at_or_below_max = cumulative[np.searchsorted(sketch.items, high, side="right")]
    upper = np.append(below[1:], at_or_below_max)
    return [
        {"lower_bound": edges[i], "upper_bound": edges[i + 1], "count": float(upper[i] - below[i])}
        for i in range(BUCKETS)
    ]


def numerical_distance(baseline: WeightedItems, current: WeightedItems, method: str) -> float:
    """Deequ's ``numericalDistance``: L-infinity between the two CDFs over the union of retained items;
    Robust subtracts c_alpha * sqrt((n + m) / (n m)) (floored at 0)."""
    if not len(baseline.items) or not len(current.items):
        return 0.0
    points = np.union1d(baseline.items, current.items)
    simple = float(np.max(np.abs(baseline.cdf(points) - current.cdf(points))))
    if method != "Robust":
        return simple
    n, m = baseline.total, current.total
    return max(0.0, simple - ROBUST_C_ALPHA * math.sqrt((n + m) / (n * m)))


def categorical_distance(baseline: dict[str, float], current: dict[str, float]) -> float:
    """L-infinity: max over the union of categories of |share in baseline - share in current|."""
    n, m = sum(baseline.values()), sum(current.values())
    if not n or not m:
        return 0.0
    return max(abs(baseline.get(c, 0.0) / n - current.get(c, 0.0) / m) for c in set(baseline) | set(current))


def sketch_document(sketch: WeightedItems) -> dict[str, Any]:
    return {"parameters": {"c": SHRINKING_FACTOR, "k": float(SKETCH_K)}, "data": sketch.levels()}
