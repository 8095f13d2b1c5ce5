"""The model-quality files we write load with the SageMaker Python SDK v2's own classes, as a user of the SDK reads
a monitor's output: ``Statistics``, ``Constraints`` and ``ConstraintViolations.from_s3_uri``.

What is loaded is what the product writes, where it writes it: `make baseline MONITOR=model-quality` (ops.baseline)
for each problem type, and the monitor's run (``check_window``) on an hour as validated and on a degraded hour,
both into S3 served by moto's ``ThreadedMotoServer``. The SDK runs in its own interpreter (``.venv-bench``, see
tests/integration/test_sdk_loads_our_cards.py), in a child process whose boto3 sends every call to that server
(``AWS_ENDPOINT_URL``); the test is skipped where no SDK is installed. Expected values come from scikit-learn on
the same rows, not from our files.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from sklearn import metrics as sk

from data_quality.mq_run import check_window
from data_quality.storage import S3Files
from local.scenarios import model_quality as scenario
from model_governance.monitoring.mq_monitors import parse_model_quality_monitors
from ops import baseline
from ops.cli import run
from tests.dq.test_model_quality_metrics import SCHEMAS
from tests.integration.test_sdk_loads_our_cards import ROOT, sdk_python

LOADER = ROOT / "tests" / "sdk" / "load_monitor_files_with_sdk.py"
BUCKET = scenario.BUCKET
HOUR = datetime(2026, 11, 23, 8, tzinfo=UTC)  # the hour as validated; the next one is degraded
CLASSES = ("cat", "dog", "fish")
LOADERS = {
    "statistics.json": "statistics",
    "constraints.json": "constraints",
    "constraint_violations.json": "violations",
}
RUNS = (  # (story, the hour whose inferences the run checks, how that hour was served)
    ("clean", HOUR, {"seed": 2}),
    ("violated", HOUR + timedelta(hours=1), {"seed": 3, "degraded": True}),
)


@dataclass(frozen=True)
class Rows:
    """A validation set as `make baseline` reads it, and the truth scikit-learn measures."""

    problem_type: str
    header: str
    lines: list[str]
    truth: list[Any]
    predicted: list[Any]
    scores: list[float] | None = None


def binary_rows() -> Rows:
    truth, scores = scenario.scored(2000, seed=1)  # the demo's validation set: the runs below are checked against it
    predicted = [int(p >= 0.5) for p in scores]
    lines = [f"{t},{p},{s}" for t, p, s in zip(truth, predicted, scores, strict=True)]
    return Rows("BinaryClassification", "churn,predicted,probability", lines, list(truth), predicted, list(scores))


def multiclass_rows() -> Rows:
    rng = np.random.default_rng(7)
    truth = [CLASSES[i] for i in rng.integers(0, 3, 900)]
    predicted = [t if rng.random() < 0.8 else CLASSES[rng.integers(0, 3)] for t in truth]
    lines = [f"{t},{p}" for t, p in zip(truth, predicted, strict=True)]
    return Rows("MulticlassClassification", "animal,predicted", lines, truth, predicted)


def regression_rows() -> Rows:
    rng = np.random.default_rng(8)
    truth = rng.normal(50, 10, 700).round(3)
    predicted = (truth + rng.normal(0.5, 2, 700)).round(3)
    lines = [f"{t},{p}" for t, p in zip(truth, predicted, strict=True)]
    return Rows("Regression", "price,predicted", lines, list(truth), list(predicted))


def write_baseline(rows: Rows, folder: Path, output: str) -> None:
    """`make baseline MONITOR=model-quality ...` of the rows into ``output``."""
    dataset = folder / f"{rows.problem_type}.csv"
    dataset.write_text("\n".join([rows.header, *rows.lines]) + "\n")
    label, prediction, *probability = rows.header.split(",")
    argv = ["--monitor", "model-quality", "--problem-type", rows.problem_type, "--dataset", str(dataset)]
    argv += ["--header", "true", "--output", output, "--label", label, "--prediction", prediction]
    argv += ["--probability", probability[0]] if probability else []
    assert run(baseline.main, argv) == 0


def load_with_sdk(python: str, files: dict[str, str], endpoint: str) -> dict[str, dict[str, Any]]:
    """{name: the SDK's result} for {name: s3 uri}; each file's loader is chosen by its file name."""
    request = [{"name": name, "kind": LOADERS[uri.rsplit("/", 1)[1]], "uri": uri} for name, uri in files.items()]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("AWS_")}
    env |= {
        "AWS_ENDPOINT_URL": endpoint,  # every service, so nothing can reach a real account
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    done = subprocess.run(
        [python, str(LOADER)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=300,
    )
    return {result["name"]: result for result in json.loads(done.stdout)}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def loaded(s3_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    """Every file the product writes for model quality, written into the moto server, then loaded by the SDK."""
    python = sdk_python()
    if python is None:
        pytest.skip("SageMaker Python SDK not installed: `make sdk-venv` builds .venv-bench")
    with pytest.MonkeyPatch.context() as env:
        for name, value in {
            "AWS_ENDPOINT_URL": s3_endpoint,  # what `make baseline` and the run's S3 client talk to
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
        }.items():
            env.setenv(name, value)
        env.delenv("AWS_PROFILE", raising=False)
        env.delenv("AWS_SESSION_TOKEN", raising=False)
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        files = {}
        folder = tmp_path_factory.mktemp("datasets")
        for rows in (binary_rows(), multiclass_rows(), regression_rows()):
            # the binary baseline is the monitor's own: the runs below are checked against its constraints
            prefix = scenario.BASELINE if rows.problem_type == "BinaryClassification" else rows.problem_type
            output = f"s3://{BUCKET}/{prefix}"
            write_baseline(rows, folder, output)
            for name in ("statistics.json", "constraints.json"):
                files[f"{rows.problem_type}/{name}"] = f"{output}/{name}"

        [monitor] = parse_model_quality_monitors(scenario.CONTEXT["modelQualityMonitors"])
        for story, hour, options in RUNS:
            scenario.serve_hour(s3, hour, **options)
            outcome = check_window(S3Files(s3), monitor, hour + timedelta(hours=2, minutes=5))
            assert (outcome.status, outcome.violations > 0) == ("Completed", story == "violated")
            for name in ("statistics.json", "constraint_violations.json"):
                files[f"run-{story}/{name}"] = f"{outcome.output_uri}/{name}"
        yield load_with_sdk(python, files, s3_endpoint)


def loaded_body(results: dict[str, dict[str, Any]], name: str, sdk_class: str) -> dict[str, Any]:
    result = results[name]
    assert result["loaded"], f"{name}: {result['error']}"
    assert result["class"] == sdk_class
    return dict(result["body"])


def follows_the_oracle(body: dict[str, Any], kind: str) -> None:
    import jsonschema

    jsonschema.validate(body, {**SCHEMAS[kind], "$defs": SCHEMAS["$defs"]})


def scikit_learn_metrics(rows: Rows) -> dict[str, float]:
    if rows.problem_type == "Regression":
        return {
            "mae": sk.mean_absolute_error(rows.truth, rows.predicted),
            "mse": sk.mean_squared_error(rows.truth, rows.predicted),
            "rmse": sk.mean_squared_error(rows.truth, rows.predicted) ** 0.5,
            "r2": sk.r2_score(rows.truth, rows.predicted),
        }
    if rows.problem_type == "MulticlassClassification":
        return {
            "accuracy": sk.accuracy_score(rows.truth, rows.predicted),
            "weighted_precision": sk.precision_score(rows.truth, rows.predicted, average="weighted"),
            "weighted_recall": sk.recall_score(rows.truth, rows.predicted, average="weighted"),
            "weighted_f1": sk.f1_score(rows.truth, rows.predicted, average="weighted"),
        }
    return {
        "accuracy": sk.accuracy_score(rows.truth, rows.predicted),
        "precision": sk.precision_score(rows.truth, rows.predicted),
        "recall": sk.recall_score(rows.truth, rows.predicted),
        "f1": sk.f1_score(rows.truth, rows.predicted),
        "auc": sk.roc_auc_score(rows.truth, rows.scores or []),
    }


SECTIONS = {
    "BinaryClassification": "binary_classification",
    "MulticlassClassification": "multiclass_classification",
    "Regression": "regression",
}


@pytest.mark.parametrize("rows", [binary_rows(), multiclass_rows(), regression_rows()], ids=lambda r: r.problem_type)
def test_each_problem_types_baseline_loads_with_the_metrics_and_thresholds_we_wrote(loaded, rows):
    statistics = loaded_body(loaded, f"{rows.problem_type}/statistics.json", "Statistics")
    constraints = loaded_body(loaded, f"{rows.problem_type}/constraints.json", "Constraints")

    section = statistics[f"{SECTIONS[rows.problem_type]}_metrics"]
    expected = scikit_learn_metrics(rows)
    for name, value in expected.items():
        assert section[name]["value"] == pytest.approx(value), name
    assert statistics["dataset"]["item_count"] == len(rows.lines)
    suggested = constraints[f"{SECTIONS[rows.problem_type]}_constraints"]
    assert set(suggested) == set(expected)  # each metric the baseline constrains, with a threshold on its worse side
    table = loaded[f"{rows.problem_type}/constraints.json"]["table"]  # pd.DataFrame(body_dict[...]).T, as AWS shows
    assert (set(table["rows"]), table["columns"]) == (set(expected), ["threshold", "comparison_operator"])
    for name, constraint in suggested.items():
        worse = constraint["comparison_operator"] == "GreaterThanThreshold"
        assert worse == (name in {"mae", "mse", "rmse"}), name
        assert (constraint["threshold"] > expected[name]) == worse, name
    follows_the_oracle(statistics, "statistics")
    follows_the_oracle(constraints, "constraints")


def test_a_binary_baselines_curves_and_confusion_matrix_survive_the_sdk(loaded):
    rows = binary_rows()
    section = loaded_body(loaded, "BinaryClassification/statistics.json", "Statistics")["binary_classification_metrics"]
    [[tn, fp], [fn, tp]] = sk.confusion_matrix(rows.truth, rows.predicted).tolist()
    assert section["confusion_matrix"] == {"0": {"0": tn, "1": fp}, "1": {"0": fn, "1": tp}}
    roc = section["receiver_operating_characteristic_curve"]
    assert (roc["false_positive_rates"][-1], roc["true_positive_rates"][-1]) == (1.0, 1.0)
    # the area under the curve as the SDK's user reads it is the AUC the file states (to the curve's thinning)
    assert np.trapezoid(roc["true_positive_rates"], roc["false_positive_rates"]) == pytest.approx(
        section["auc"]["value"], abs=0.01
    )


def test_a_clean_runs_files_load_with_its_metrics_and_no_violations(loaded):
    statistics = loaded_body(loaded, "run-clean/statistics.json", "Statistics")
    violations = loaded_body(loaded, "run-clean/constraint_violations.json", "ConstraintViolations")

    truth, scores = scenario.scored(600, seed=2)
    predicted = (scores >= 0.5).astype(int)
    section = statistics["binary_classification_metrics"]
    assert statistics["dataset"]["item_count"] == 600
    assert section["accuracy"]["value"] == pytest.approx(sk.accuracy_score(truth, predicted))
    assert section["auc"]["value"] == pytest.approx(sk.roc_auc_score(truth, scores))
    assert violations == {"violations": []}
    follows_the_oracle(statistics, "statistics")
    follows_the_oracle(violations, "constraint_violations")


def test_a_degraded_runs_violations_load_naming_each_metric_below_its_threshold(loaded):
    statistics = loaded_body(loaded, "run-violated/statistics.json", "Statistics")
    violations = loaded_body(loaded, "run-violated/constraint_violations.json", "ConstraintViolations")
    thresholds = loaded_body(loaded, "BinaryClassification/constraints.json", "Constraints")[
        "binary_classification_constraints"
    ]

    truth, scores = scenario.scored(600, seed=3, degraded=True)
    section = statistics["binary_classification_metrics"]
    assert section["auc"]["value"] == pytest.approx(sk.roc_auc_score(truth, scores))
    below = {name for name, limit in thresholds.items() if section[name]["value"] < limit["threshold"]}
    assert below == {"accuracy", "precision", "recall", "f1", "auc"}
    assert {v["metric_name"] for v in violations["violations"]} == below
    for violation in violations["violations"]:
        assert violation["constraint_check_type"] == "LessThanThreshold"
        assert violation["description"].startswith(f"Metric {violation['metric_name']} with ")
    follows_the_oracle(violations, "constraint_violations")
