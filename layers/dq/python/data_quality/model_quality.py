"""Model quality in Model Monitor's formats: the metrics of merged (label, prediction) pairs, the constraints a
baseline suggests, and the violations of a run (aws-facts 8, "Model Monitor model quality").

Pure numpy (no scikit-learn in the Lambda layer); tests compare every metric with scikit-learn. Conventions, the
same as scikit-learn's: a ratio whose denominator is 0 (precision without positive predictions) is 0; AUC is the
trapezoid over distinct thresholds (tied scores count half), and is left out when one class is absent (it is
undefined); weighted multiclass metrics weigh each class by its number of true labels.

``standard_deviation`` is estimated from ``FOLDS`` interleaved folds of the rows (the spread of the fold
metrics over sqrt(FOLDS)): one extra pass, where Model Monitor bootstraps.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

BINARY, MULTICLASS, REGRESSION = "BinaryClassification", "MulticlassClassification", "Regression"
PROBLEM_TYPES = (BINARY, MULTICLASS, REGRESSION)
SECTION = {
    BINARY: "binary_classification_metrics",
    MULTICLASS: "multiclass_classification_metrics",
    REGRESSION: "regression_metrics",
}
CONSTRAINTS = {problem: section.replace("_metrics", "_constraints") for problem, section in SECTION.items()}
FOLDS = 10
# Classes of a multiclass run: its confusion matrix has one cell per pair, and whoever writes ground truth chooses
# the labels. Beyond this many, the run is refused (naming the count) rather than writing a matrix of millions.
MAX_CLASSES = 1000
CURVE_POINTS = 200  # ROC and PR curves are kept to at most this many points (the ends always kept)
OPERATORS: dict[str, Callable[[float, float], bool]] = {  # the operator names the violating side
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
}
# Metrics a baseline constrains: higher is better unless named in LOWER_IS_BETTER.
SUGGESTED = {
    BINARY: ("accuracy", "precision", "recall", "f1", "auc"),
    MULTICLASS: ("accuracy", "weighted_precision", "weighted_recall", "weighted_f1"),
    REGRESSION: ("mae", "mse", "rmse", "r2"),
}
MARGIN = 0.1  # of the baseline value: how much worse a suggested threshold allows
LOWER_IS_BETTER = frozenset({"mae", "mse", "rmse", "false_positive_rate", "false_negative_rate"})

Floats = npt.NDArray[np.float64]


class MetricsError(ValueError):
    """Labels or predictions that cannot be the problem type's (a non-numeric regression label, a 2 in binary)."""


# -- binary ------------------------------------------------------------------------------------------------


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else 0.0


def _f_beta(precision: float, recall: float, beta: float) -> float:
    b2 = beta * beta
    return _ratio((1 + b2) * precision * recall, b2 * precision + recall)


def _binary_scalars(truth: npt.NDArray[np.bool_], predicted: npt.NDArray[np.bool_]) -> dict[str, float]:
    n = truth.size
    tp = int(np.count_nonzero(truth & predicted))
    fp = int(np.count_nonzero(~truth & predicted))
    fn = int(np.count_nonzero(truth & ~predicted))
    tn = n - tp - fp - fn
    positives = tp + fn
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, positives)
    prevalence = _ratio(positives, n)
    # The best constant classifier: always the majority label for accuracy, always positive for the rest.
    scalars = {
        "recall": recall,
        "precision": precision,
        "accuracy": _ratio(tp + tn, n),
        "recall_best_constant_classifier": 1.0 if positives else 0.0,
        "precision_best_constant_classifier": prevalence,
        "accuracy_best_constant_classifier": max(prevalence, 1.0 - prevalence) if n else 0.0,
        "true_positive_rate": recall,
        "true_negative_rate": _ratio(tn, tn + fp),
        "false_positive_rate": _ratio(fp, tn + fp),
        "false_negative_rate": _ratio(fn, positives),
    }
    constant_recall = scalars["recall_best_constant_classifier"]
    for beta, name in ((0.5, "f0_5"), (1.0, "f1"), (2.0, "f2")):
        scalars[name] = _f_beta(precision, recall, beta)
        scalars[f"{name}_best_constant_classifier"] = _f_beta(prevalence, constant_recall, beta)
    return scalars


@dataclass(frozen=True)
class Ranking:
    """Rows ordered by score, highest first: the ROC and PR curves, and the AUC of all rows or
    of any subset (a fold keeps the order of its rows in it, so one sort serves every fold)."""

    order: npt.NDArray[np.int64]
    scores: Floats

    @classmethod
    def of(cls, scores: Floats) -> Ranking:
        return cls(np.argsort(-scores), scores)  # the order inside a tie changes no count at its end

    def counts(self, truth: npt.NDArray[np.bool_], order: npt.NDArray[np.int64] | None = None) -> tuple[Floats, Floats]:
        """Cumulative (true positives, false positives) when predicting positive at each distinct score (of the
        rows in ``order``, a part of this ranking's order)."""
        order = self.order if order is None else order
        ranked, hits = self.scores[order], truth[order]
        if not ranked.size:
            return np.zeros(0), np.zeros(0)
        last_of_tie = np.r_[np.flatnonzero(np.diff(ranked)), ranked.size - 1]
        tps = np.cumsum(hits, dtype=np.float64)[last_of_tie]
        fps = (last_of_tie + 1) - tps
        return tps, fps

    def auc(self, truth: npt.NDArray[np.bool_], order: npt.NDArray[np.int64] | None = None) -> float | None:
        """Area under the ROC curve (of the rows in ``order``); None when one class is absent."""
        tps, fps = self.counts(truth, order)
        positives, negatives = (tps[-1], fps[-1]) if tps.size else (0.0, 0.0)
        if not positives or not negatives:
            return None
        return float(np.trapezoid(np.r_[0.0, tps / positives], np.r_[0.0, fps / negatives]))

    def fold_orders(self) -> list[npt.NDArray[np.int64]]:
        """Each fold's rows (``_folds``: every FOLDS-th row) in this ranking's order: one stable sort by fold."""
        folds = (self.order % FOLDS).astype(np.int8)
        grouped = self.order[np.argsort(folds, kind="stable")]  # a radix sort: 8-bit keys
        bounds = np.cumsum(np.bincount(folds, minlength=FOLDS))
        return np.split(grouped, bounds[:-1])


def _thin(*columns: Floats) -> list[list[float]]:
    size = columns[0].size
    if size > CURVE_POINTS:
        keep = np.unique(np.linspace(0, size - 1, CURVE_POINTS).round().astype(np.int64))
        columns = tuple(c[keep] for c in columns)
    return [[round(float(v), 6) for v in c] for c in columns]


def _curves(truth: npt.NDArray[np.bool_], ranking: Ranking) -> dict[str, Any]:
    tps, fps = ranking.counts(truth)
    positives, negatives = tps[-1] if tps.size else 0.0, fps[-1] if fps.size else 0.0
    fpr, tpr = _thin(
        np.r_[0.0, fps / negatives if negatives else fps * 0], np.r_[0.0, tps / positives if positives else tps * 0]
    )
    precisions = np.divide(tps, tps + fps, out=np.zeros_like(tps), where=(tps + fps) > 0)
    recalls = tps / positives if positives else tps * 0
    precision_list, recall_list = _thin(np.r_[1.0, precisions], np.r_[0.0, recalls])
    return {
        "receiver_operating_characteristic_curve": {"false_positive_rates": fpr, "true_positive_rates": tpr},
        "precision_recall_curve": {"precisions": precision_list, "recalls": recall_list},
    }


def _confusion(truth: npt.NDArray[np.int64], predicted: npt.NDArray[np.int64], labels: list[str]) -> dict[str, Any]:
    """{actual: {predicted: count}} as Model Monitor writes it."""
    k = len(labels)
    counts = np.bincount(truth * k + predicted, minlength=k * k).reshape(k, k)
    return {labels[a]: {labels[p]: int(counts[a, p]) for p in range(k)} for a in range(k)}


# -- multiclass ----------------------------------------------------------------------------------------------


def _multiclass_scalars(truth: npt.NDArray[np.int64], predicted: npt.NDArray[np.int64], k: int) -> dict[str, float]:
    n = truth.size
    support = np.bincount(truth, minlength=k).astype(np.float64)
    predicted_count = np.bincount(predicted, minlength=k).astype(np.float64)
    hits = np.bincount(truth[truth == predicted], minlength=k).astype(np.float64)
    precision = np.divide(hits, predicted_count, out=np.zeros(k), where=predicted_count > 0)
    recall = np.divide(hits, support, out=np.zeros(k), where=support > 0)
    weights = support / n if n else support
    majority = int(np.argmax(support)) if n else 0
    constant_precision = np.zeros(k)  # always predicting the majority class
    constant_precision[majority] = support[majority] / n if n else 0.0
    constant_recall = np.zeros(k)
    constant_recall[majority] = 1.0 if n else 0.0
    scalars = {"accuracy": _ratio(hits.sum(), n), "accuracy_best_constant_classifier": _ratio(support.max(), n)}
    for suffix, p, r in (("", precision, recall), ("_best_constant_classifier", constant_precision, constant_recall)):
        scalars[f"weighted_recall{suffix}"] = float(weights @ r)
        scalars[f"weighted_precision{suffix}"] = float(weights @ p)
        for beta, name in ((0.5, "f0_5"), (1.0, "f1"), (2.0, "f2")):
            b2 = beta * beta
            denominator = b2 * p + r
            f = np.divide((1 + b2) * p * r, denominator, out=np.zeros(k), where=denominator > 0)
            scalars[f"weighted_{name}{suffix}"] = float(weights @ f)
    return scalars


# -- regression ----------------------------------------------------------------------------------------------


def _regression_scalars(truth: Floats, predicted: Floats) -> dict[str, float]:
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is refused by name in _with_spread
        errors = predicted - truth
        mse = float(np.mean(errors * errors)) if truth.size else 0.0
        spread = float(np.sum((truth - truth.mean()) ** 2)) if truth.size else 0.0
        residual = float(np.sum(errors * errors))
        r2 = 1.0 - residual / spread if spread and np.isfinite(spread) else (1.0 if residual == 0 else 0.0)
    return {"mae": float(np.mean(np.abs(errors))) if truth.size else 0.0, "mse": mse, "rmse": mse**0.5, "r2": r2}


# -- the pairs of one run or baseline -----------------------------------------------------------------------


@dataclass(frozen=True)
class Texts:
    """A column of texts as a code per row into its distinct texts: a million labels of two classes are two strings
    and an integer array, and the metrics convert each distinct text once."""

    codes: npt.NDArray[np.int64]
    distinct: tuple[str, ...]

    @classmethod
    def of(cls, values: Sequence[str] | Texts) -> Texts:
        if isinstance(values, Texts):
            return values
        seen: dict[str, int] = {}
        codes = np.fromiter((seen.setdefault(v, len(seen)) for v in values), dtype=np.int64, count=len(values))
        return cls(codes, tuple(seen))

    @classmethod
    def compact(cls, codes: npt.NDArray[np.int64], texts: Sequence[str]) -> Texts:
        """Rows' codes into ``texts``, keeping only the texts some row has."""
        used = np.flatnonzero(np.bincount(codes, minlength=len(texts)))
        renumbered = np.zeros(len(texts), dtype=np.int64)
        renumbered[used] = np.arange(len(used))
        return cls(renumbered[codes], tuple(texts[i] for i in used.tolist()))

    def __len__(self) -> int:
        return len(self.codes)

    def __iter__(self) -> Iterator[str]:
        return iter([self.distinct[c] for c in self.codes.tolist()])

    def mapped(self, convert: Callable[[str], Any], dtype: Any) -> npt.NDArray[Any]:
        """Each row's converted text (each distinct text converted once)."""
        table = np.array([convert(text) for text in self.distinct], dtype=dtype)
        return table[self.codes] if len(table) else np.zeros(0, dtype=dtype)


@dataclass(frozen=True)
class Pairs:
    """Merged rows: each row's true label, predicted label and (binary) the predicted probability.

    Labels are text as captured and as ground truth sends them; the metrics turn them into the problem type's
    numbers, or raise MetricsError naming a label that cannot be one."""

    problem_type: str
    labels: Sequence[str] | Texts
    predictions: Sequence[str] | Texts
    probabilities: Floats | None = None

    @property
    def size(self) -> int:
        return len(self.labels)


def _numbers(values: Sequence[str] | Texts, what: str, problem: str) -> Floats:
    texts = Texts.of(values)
    try:  # each distinct text converted once, by float() itself
        table = np.fromiter(map(float, texts.distinct), dtype=np.float64, count=len(texts.distinct))
    except ValueError:
        bad = next(t for t in texts.distinct if not _is_number(t))
        expected = "0 or 1 (binary classification)" if problem == BINARY else "a number (regression)"
        raise MetricsError(f"{what} {bad!r} is not {expected}") from None
    return table[texts.codes] if len(table) else np.zeros(0)


def _binary_values(values: Sequence[str] | Texts, what: str) -> npt.NDArray[np.bool_]:
    numbers = _numbers(values, what, BINARY)
    outside = numbers[(numbers != 0) & (numbers != 1)]
    if outside.size:
        raise MetricsError(f"{what} {outside[0]:g} is not 0 or 1 (binary classification)")
    return numbers == 1


def _regression_values(values: Sequence[str] | Texts, what: str) -> Floats:
    numbers = _numbers(values, what, REGRESSION)
    if not np.all(np.isfinite(numbers)):
        raise MetricsError(f"{what} {numbers[~np.isfinite(numbers)][0]} is not a finite number (regression)")
    return numbers


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def canonical_label(text: str) -> str:
    """'1', '1.0' and ' 1 ' are one class; other text is kept as it is."""
    text = text.strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return f"{int(number)}" if number.is_integer() else f"{number:g}"


def _folds(size: int) -> list[slice]:
    """Interleaved folds: every FOLDS-th row (views, no copies)."""
    return [slice(start, None, FOLDS) for start in range(FOLDS)] if size >= 2 * FOLDS else []


def _with_spread(
    values: Mapping[str, float], fold_values: Sequence[Mapping[str, float | None]]
) -> dict[str, dict[str, float]]:
    out = {}
    for name, value in values.items():
        if not np.isfinite(value):  # squares of values near 1e155 and beyond overflow: JSON has no Infinity
            raise MetricsError(f"{name} is not a finite number: labels or predictions too large")
        folds = [float(v) for f in fold_values if (v := f.get(name)) is not None]
        spread = float(np.std(folds, ddof=1) / np.sqrt(len(folds))) if len(folds) > 1 else 0.0
        out[name] = {"value": float(value), "standard_deviation": spread}
    return out


def metrics(pairs: Pairs) -> dict[str, Any]:
    """The problem type's section of statistics.json (MetricsError for labels it cannot use)."""
    if pairs.problem_type == REGRESSION:
        truth = _regression_values(pairs.labels, "label")
        predicted = _regression_values(pairs.predictions, "prediction")
        folds = [_regression_scalars(truth[i], predicted[i]) for i in _folds(truth.size)]
        return _with_spread(_regression_scalars(truth, predicted), folds)
    if pairs.problem_type == BINARY:
        truth_b = _binary_values(pairs.labels, "label")
        predicted_b = _binary_values(pairs.predictions, "prediction")
        scalars: dict[str, float] = _binary_scalars(truth_b, predicted_b)
        ranking = Ranking.of(pairs.probabilities) if pairs.probabilities is not None else None
        area = ranking.auc(truth_b) if ranking else None
        fold_values: list[dict[str, float | None]] = []
        fold_orders = ranking.fold_orders() if ranking else []
        for number, i in enumerate(_folds(truth_b.size)):
            fold: dict[str, float | None] = dict(_binary_scalars(truth_b[i], predicted_b[i]))
            fold["auc"] = ranking.auc(truth_b, fold_orders[number]) if ranking else None
            fold_values.append(fold)
        if area is not None:
            scalars["auc"] = area
        section: dict[str, Any] = {
            "confusion_matrix": _confusion(truth_b.astype(np.int64), predicted_b.astype(np.int64), ["0", "1"])
        }
        section |= _with_spread(scalars, fold_values)
        if ranking:
            section |= _curves(truth_b, ranking)
        return section
    if pairs.problem_type == MULTICLASS:
        labels, predictions = Texts.of(pairs.labels), Texts.of(pairs.predictions)
        classes = sorted(
            {canonical_label(t) for t in labels.distinct} | {canonical_label(t) for t in predictions.distinct}
        )
        index = {c: i for i, c in enumerate(classes)}
        truth_i = labels.mapped(lambda t: index[canonical_label(t)], np.int64)
        predicted_i = predictions.mapped(lambda t: index[canonical_label(t)], np.int64)
        k = len(classes)
        if k > MAX_CLASSES:
            raise MetricsError(f"{k} distinct labels and predictions: more than the {MAX_CLASSES} classes a run takes")
        folds_m = [_multiclass_scalars(truth_i[i], predicted_i[i], k) for i in _folds(truth_i.size)]
        section = {"confusion_matrix": _confusion(truth_i, predicted_i, classes)}
        return section | _with_spread(_multiclass_scalars(truth_i, predicted_i, k), folds_m)
    raise MetricsError(f"problem type {pairs.problem_type!r} is not one of {', '.join(PROBLEM_TYPES)}")


def statistics_document(pairs: Pairs, *, at: datetime | None = None) -> dict[str, Any]:
    """statistics.json of a baseline or a run."""
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    return {
        "version": 0.0,
        "dataset": {"item_count": pairs.size, "evaluation_time": moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")},
        SECTION[pairs.problem_type]: metrics(pairs),
    }


def suggest_constraints(statistics: dict[str, Any], problem_type: str) -> dict[str, Any]:
    """constraints.json: each suggested metric must not fall below (or, for errors, rise above) its baseline
    value by more than ``MARGIN`` of it plus three of its standard deviations: a run of a model as good as the
    baseline, on fewer rows, stays inside. Edit the thresholds to the loss the model may afford."""
    section = statistics[SECTION[problem_type]]
    constraints = {}
    for name in SUGGESTED[problem_type]:
        if name in section:
            value, spread = float(section[name]["value"]), float(section[name].get("standard_deviation", 0.0))
            slack = MARGIN * abs(value) + 3 * spread
            if name in LOWER_IS_BETTER:
                constraints[name] = {"threshold": value + slack, "comparison_operator": "GreaterThanThreshold"}
            else:
                constraints[name] = {"threshold": value - slack, "comparison_operator": "LessThanThreshold"}
    return {"version": 0.0, CONSTRAINTS[problem_type]: constraints}


@dataclass(frozen=True)
class MetricViolation:
    metric_name: str
    constraint_check_type: str
    description: str

    def document(self) -> dict[str, str]:
        return {
            "metric_name": self.metric_name,
            "constraint_check_type": self.constraint_check_type,
            "description": self.description,
        }


class UnreadableConstraintsError(ValueError):
    """constraints.json is not model-quality constraints of the monitor's problem type."""


def read_constraints(document: Any, problem_type: str) -> dict[str, tuple[float, str]]:
    """{metric: (threshold, comparison operator)}; UnreadableConstraintsError names what is wrong."""
    key = CONSTRAINTS[problem_type]
    section = document.get(key) if isinstance(document, dict) else None
    if not isinstance(section, dict):
        raise UnreadableConstraintsError(f"constraints.json has no {key} object (problem type {problem_type})")
    read = {}
    for name, constraint in section.items():
        threshold = constraint.get("threshold") if isinstance(constraint, dict) else None
        operator = constraint.get("comparison_operator") if isinstance(constraint, dict) else None
        if isinstance(threshold, int) and not isinstance(threshold, bool) and abs(threshold) > 2**1023:
            threshold = float("inf")  # no float holds it: refused below, as a threshold no run can be judged by
        if (
            isinstance(threshold, bool)
            or not isinstance(threshold, int | float)
            or not math.isfinite(threshold)
            or operator not in OPERATORS
        ):
            raise UnreadableConstraintsError(
                f"constraints.json {key}.{name} needs a finite numeric threshold and a comparison_operator of"
                f" {', '.join(OPERATORS)}"
            )
        read[str(name)] = (float(threshold), str(operator))
    return read


def check_metrics(section: dict[str, Any], constraints: dict[str, tuple[float, str]]) -> list[MetricViolation]:
    """The constraints a run's metrics break. A metric the run could not compute (AUC with one class) is not
    judged: the run summary says it is missing."""
    found = []
    for name, (threshold, operator) in constraints.items():
        metric = section.get(name)
        if not isinstance(metric, dict):
            continue
        value, spread = float(metric["value"]), float(metric.get("standard_deviation", 0.0))
        if OPERATORS[operator](value, threshold):
            found.append(
                MetricViolation(
                    name, operator, f"Metric {name} with {value:.4g} +/- {spread:.4g} was {operator} '{threshold:.4g}'"
                )
            )
    return found


def violations_document(violations: list[MetricViolation]) -> dict[str, Any]:
    return {"violations": [v.document() for v in violations]}
