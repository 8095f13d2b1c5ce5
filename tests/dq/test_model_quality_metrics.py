"""Model-quality metrics against scikit-learn (a test-only oracle) on generated data of each problem type,
including tied probabilities, a class absent, and constraints judged in Model Monitor's operator terms."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from data_quality import model_quality as mq

sklearn_metrics = pytest.importorskip("sklearn.metrics")


def _binary(n: int, seed: int, *, ties: bool = False, positives: float = 0.3) -> mq.Pairs:
    rng = np.random.default_rng(seed)
    truth = rng.random(n) < positives
    scores = np.clip(rng.normal(0.35 + 0.3 * truth, 0.2), 0, 1)
    if ties:
        scores = np.round(scores, 1)  # only 11 distinct probabilities: many ties at each
    predicted = scores >= 0.5
    return mq.Pairs(
        mq.BINARY, [str(int(v)) for v in truth], [str(int(v)) for v in predicted], scores.astype(np.float64)
    )


def _value(section: dict, name: str) -> float:
    return float(section[name]["value"])


@pytest.mark.parametrize("ties", [False, True])
def test_binary_metrics_equal_scikit_learn(ties):
    pairs = _binary(5000, seed=1, ties=ties)
    section = mq.metrics(pairs)
    truth = np.array([int(v) for v in pairs.labels])
    predicted = np.array([int(v) for v in pairs.predictions])
    expected = {
        "accuracy": sklearn_metrics.accuracy_score(truth, predicted),
        "precision": sklearn_metrics.precision_score(truth, predicted),
        "recall": sklearn_metrics.recall_score(truth, predicted),
        "f1": sklearn_metrics.f1_score(truth, predicted),
        "f0_5": sklearn_metrics.fbeta_score(truth, predicted, beta=0.5),
        "f2": sklearn_metrics.fbeta_score(truth, predicted, beta=2),
        "auc": sklearn_metrics.roc_auc_score(truth, pairs.probabilities),
    }
    for name, value in expected.items():
        assert _value(section, name) == pytest.approx(value, abs=1e-12), name
    tn, fp, fn, tp = sklearn_metrics.confusion_matrix(truth, predicted).ravel()
    assert section["confusion_matrix"] == {"0": {"0": tn, "1": fp}, "1": {"0": fn, "1": tp}}
    assert _value(section, "false_positive_rate") == pytest.approx(fp / (fp + tn))
    assert _value(section, "true_negative_rate") == pytest.approx(tn / (fp + tn))
    assert 0 < section["auc"]["standard_deviation"] < 0.05
    roc = section["receiver_operating_characteristic_curve"]
    assert len(roc["false_positive_rates"]) == len(roc["true_positive_rates"]) <= mq.CURVE_POINTS
    assert roc["false_positive_rates"][0] == 0.0 and roc["true_positive_rates"][-1] == 1.0
    pr = section["precision_recall_curve"]
    assert len(pr["precisions"]) == len(pr["recalls"]) and pr["recalls"][-1] == 1.0


def test_binary_with_one_class_absent_leaves_auc_out_and_zero_divisions_at_zero():
    pairs = mq.Pairs(mq.BINARY, ["0"] * 50, ["0"] * 45 + ["1"] * 5, np.linspace(0, 0.6, 50))
    section = mq.metrics(pairs)
    assert "auc" not in section
    truth, predicted = np.zeros(50, int), np.array([0] * 45 + [1] * 5)
    for name, fn in (("precision", sklearn_metrics.precision_score), ("recall", sklearn_metrics.recall_score)):
        assert _value(section, name) == fn(truth, predicted, zero_division=0)
    assert _value(section, "f1") == sklearn_metrics.f1_score(truth, predicted, zero_division=0)
    assert _value(section, "accuracy") == 0.9


def test_multiclass_weighted_metrics_equal_scikit_learn_with_a_class_only_predicted():
    rng = np.random.default_rng(7)
    truth = rng.choice(["cat", "dog", "bird"], size=3000, p=[0.5, 0.3, 0.2])
    predicted = np.where(rng.random(3000) < 0.7, truth, rng.choice(["cat", "dog", "fish"], size=3000))
    section = mq.metrics(mq.Pairs(mq.MULTICLASS, list(truth), list(predicted)))
    expected = {
        "accuracy": sklearn_metrics.accuracy_score(truth, predicted),
        "weighted_precision": sklearn_metrics.precision_score(truth, predicted, average="weighted", zero_division=0),
        "weighted_recall": sklearn_metrics.recall_score(truth, predicted, average="weighted", zero_division=0),
        "weighted_f1": sklearn_metrics.f1_score(truth, predicted, average="weighted", zero_division=0),
        "weighted_f0_5": sklearn_metrics.fbeta_score(truth, predicted, beta=0.5, average="weighted", zero_division=0),
        "weighted_f2": sklearn_metrics.fbeta_score(truth, predicted, beta=2, average="weighted", zero_division=0),
    }
    for name, value in expected.items():
        assert _value(section, name) == pytest.approx(value, abs=1e-12), name
    classes = ["bird", "cat", "dog", "fish"]
    matrix = sklearn_metrics.confusion_matrix(truth, predicted, labels=classes)
    assert section["confusion_matrix"] == {
        a: {p: matrix[i, j] for j, p in enumerate(classes)} for i, a in enumerate(classes)
    }


def test_regression_metrics_equal_scikit_learn():
    rng = np.random.default_rng(3)
    truth = rng.normal(100, 15, 4000)
    predicted = truth + rng.normal(2, 5, 4000)
    section = mq.metrics(mq.Pairs(mq.REGRESSION, [str(float(v)) for v in truth], [str(float(v)) for v in predicted]))
    assert _value(section, "mae") == pytest.approx(sklearn_metrics.mean_absolute_error(truth, predicted))
    assert _value(section, "mse") == pytest.approx(sklearn_metrics.mean_squared_error(truth, predicted))
    assert _value(section, "rmse") == pytest.approx(sklearn_metrics.root_mean_squared_error(truth, predicted))
    assert _value(section, "r2") == pytest.approx(sklearn_metrics.r2_score(truth, predicted))


def test_labels_the_problem_type_cannot_use_are_named():
    with pytest.raises(mq.MetricsError, match="label 'yes' is not a number"):
        mq.metrics(mq.Pairs(mq.REGRESSION, ["1", "yes"], ["1", "2"]))
    with pytest.raises(mq.MetricsError, match="label 2 is not 0 or 1"):
        mq.metrics(mq.Pairs(mq.BINARY, ["1", "2"], ["1", "0"]))


def test_suggested_constraints_flag_only_a_worse_run():
    baseline = mq.statistics_document(_binary(4000, seed=1))
    constraints = mq.suggest_constraints(baseline, mq.BINARY)
    section = constraints["binary_classification_constraints"]
    assert set(section) == {"accuracy", "precision", "recall", "f1", "auc"}
    assert {c["comparison_operator"] for c in section.values()} == {"LessThanThreshold"}
    f1 = baseline["binary_classification_metrics"]["f1"]
    assert section["f1"]["threshold"] == pytest.approx(0.9 * f1["value"] - 3 * f1["standard_deviation"])
    limits = mq.read_constraints(constraints, mq.BINARY)
    assert mq.check_metrics(baseline["binary_classification_metrics"], limits) == []
    worse = _binary(4000, seed=2, positives=0.3)
    degraded = mq.Pairs(
        mq.BINARY, worse.labels, ["0"] * 4000, np.random.default_rng(5).permutation(worse.probabilities)
    )  # scores unrelated to labels
    found = mq.check_metrics(mq.metrics(degraded), limits)
    # always predicting the majority keeps 70% accuracy (within the margin): every other metric falls
    assert {v.metric_name for v in found} == {"precision", "recall", "f1", "auc"}
    [f1_violation] = [v for v in found if v.metric_name == "f1"]
    assert f1_violation.constraint_check_type == "LessThanThreshold"
    threshold = section["f1"]["threshold"]
    assert f"Metric f1 with 0 +/- 0 was LessThanThreshold '{threshold:.4g}'" == f1_violation.description

    regression = mq.suggest_constraints(
        {"regression_metrics": {"mae": {"value": 2.0}, "r2": {"value": 0.9}}}, mq.REGRESSION
    )["regression_constraints"]
    assert regression["mae"]["comparison_operator"] == "GreaterThanThreshold"
    assert regression["r2"]["comparison_operator"] == "LessThanThreshold"


def test_constraints_of_another_problem_type_or_operator_are_refused():
    with pytest.raises(mq.UnreadableConstraintsError, match="no regression_constraints"):
        mq.read_constraints({"binary_classification_constraints": {}}, mq.REGRESSION)
    with pytest.raises(mq.UnreadableConstraintsError, match="comparison_operator"):
        mq.read_constraints(
            {"regression_constraints": {"mae": {"threshold": 1, "comparison_operator": "Bigger"}}}, mq.REGRESSION
        )


SCHEMAS = json.loads((Path(__file__).resolve().parents[1] / "schemas" / "model_monitor_model_quality.json").read_text())


def _valid(document: dict, name: str) -> None:
    schema = {**SCHEMAS[name], "$defs": SCHEMAS["$defs"]}
    jsonschema.validate(json.loads(json.dumps(document)), schema)  # as written, as the SDK's json.loads reads it


@pytest.mark.parametrize(
    "pairs",
    [
        _binary(500, seed=4),
        mq.Pairs(mq.MULTICLASS, ["a", "b", "c"] * 100, ["a", "c", "c"] * 100),
        mq.Pairs(mq.REGRESSION, [str(i) for i in range(300)], [str(i + 1.5) for i in range(300)]),
    ],
    ids=["binary", "multiclass", "regression"],
)
def test_each_problem_types_files_have_the_shapes_model_monitor_and_the_sdk_read(pairs):
    statistics = mq.statistics_document(pairs)
    constraints = mq.suggest_constraints(statistics, pairs.problem_type)
    _valid(statistics, "statistics")
    _valid(constraints, "constraints")
    tight = {name: (1e9, "LessThanThreshold") for name in mq.read_constraints(constraints, pairs.problem_type)}
    violations = mq.violations_document(mq.check_metrics(statistics[mq.SECTION[pairs.problem_type]], tight))
    assert violations["violations"]
    _valid(violations, "constraint_violations")
    with pytest.raises(jsonschema.ValidationError):  # the schema can fail: a feature-style violation is not one
        _valid(
            {"violations": [{"feature_name": "f1", "constraint_check_type": "LessThanThreshold"}]},
            "constraint_violations",
        )


def test_a_run_with_more_classes_than_a_confusion_matrix_should_hold_is_refused_by_name():
    labels = [f"class-{i}" for i in range(mq.MAX_CLASSES + 1)]
    with pytest.raises(mq.MetricsError, match="1001 distinct labels"):
        mq.metrics(mq.Pairs(mq.MULTICLASS, labels, labels))


def test_metrics_too_large_for_json_are_refused_by_name():
    with pytest.raises(mq.MetricsError, match="mse is not a finite number"):
        mq.metrics(mq.Pairs(mq.REGRESSION, ["1e200", "-1e200"] * 20, ["-1e200", "1e200"] * 20))


def test_a_threshold_no_float_holds_is_refused_by_name():
    with pytest.raises(mq.UnreadableConstraintsError, match="finite numeric threshold"):
        mq.read_constraints({"binary_classification_constraints": {"f1": {
            "threshold": 10**400, "comparison_operator": "LessThanThreshold"}}}, mq.BINARY)  # fmt: skip
