"""The model-quality files we write load with the SageMaker Python SDK v2's own classes, as a user of the SDK reads
a monitor's output: ``Statistics``, ``Constraints`` and ``ConstraintViolations.from_s3_uri``.

What is loaded is what the product writes, where it writes it: `make baseline MONITOR=model-quality` (ops.baseline)
for each problem type, and the runs (``check_window``) of a binary and a regression monitor on an hour as validated
and on a degraded hour, all into S3 served by moto's ``ThreadedMotoServer``. The SDK runs in its own interpreter (``.venv-bench``, see
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

from data_quality.model_quality import BINARY, MULTICLASS, REGRESSION
from data_quality.mq_run import check_window
from data_quality.storage import S3Files
from local.scenarios import model_quality as scenario
from model_governance.monitoring.mq_monitors import ModelQualityMonitor, parse_model_quality_monitors
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
RUNS: tuple[tuple[str, datetime, dict[str, Any]], ...] = (  # (story, the hour the run checks, how it was served)
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

    @property
    def baseline(self) -> str:
        return f"s3://{BUCKET}/baselines/{self.problem_type}"


def binary_rows() -> Rows:
    truth, scores = scenario.scored(2000, seed=1)  # the demo's validation set: its runs are checked against it
    predicted = [int(p >= 0.5) for p in scores]
    lines = [f"{t},{p},{s}" for t, p, s in zip(truth, predicted, scores, strict=True)]
    return Rows(BINARY, "churn,predicted,probability", lines, list(truth), predicted, list(scores))


def multiclass_rows() -> Rows:
    rng = np.random.default_rng(7)
    truth = [CLASSES[i] for i in rng.integers(0, 3, 900)]
    predicted = [t if rng.random() < 0.8 else CLASSES[rng.integers(0, 3)] for t in truth]
    lines = [f"{t},{p}" for t, p in zip(truth, predicted, strict=True)]
    return Rows(MULTICLASS, "animal,predicted", lines, truth, predicted)


def regression_rows() -> Rows:
    """The same validation set, the churn probability read as a regression of the label (its error grows when the
    model degrades): the demo's captures serve a regression monitor too."""
    truth, scores = scenario.scored(2000, seed=1)
    lines = [f"{t},{s}" for t, s in zip(truth, scores, strict=True)]
    return Rows(REGRESSION, "churn,probability", lines, list(truth), list(scores))


def monitors() -> dict[str, ModelQualityMonitor]:
    """{problem type: monitor}: the demo's binary monitor and a regression monitor of the same captures."""
    binary = {**scenario.CONTEXT["modelQualityMonitors"][0], "baselinePrefix": binary_rows().baseline}
    regression = {k: v for k, v in binary.items() if not k.startswith("probability")}
    regression |= {"name": "churn-score-error", "problemType": REGRESSION, "baselinePrefix": regression_rows().baseline}
    return {monitor.problem_type: monitor for monitor in parse_model_quality_monitors([binary, regression])}


def write_baseline(rows: Rows, folder: Path) -> None:
    """`make baseline MONITOR=model-quality ...` of the rows into their baseline prefix."""
    dataset = folder / f"{rows.problem_type}.csv"
    dataset.write_text("\n".join([rows.header, *rows.lines]) + "\n")
    label, prediction, *probability = rows.header.split(",")
    argv = ["--monitor", "model-quality", "--problem-type", rows.problem_type, "--dataset", str(dataset)]
    argv += ["--header", "true", "--output", rows.baseline, "--label", label, "--prediction", prediction]
    argv += ["--probability", probability[0]] if rows.problem_type == BINARY else []
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
    """Every file the product writes for model quality, written into the moto server, then loaded by the SDK:
    ``<problem type>/<file>`` of each baseline, ``<problem type>-<story>/<file>`` of each run."""
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
            write_baseline(rows, folder)
            for name in ("statistics.json", "constraints.json"):
                files[f"{rows.problem_type}/{name}"] = f"{rows.baseline}/{name}"
        for story, hour, options in RUNS:
            scenario.serve_hour(s3, hour, **options)
            for problem_type, monitor in monitors().items():
                outcome = check_window(S3Files(s3), monitor, hour + timedelta(hours=2, minutes=5))
                assert (outcome.status, outcome.violations > 0) == ("Completed", story == "violated")
                for name in ("statistics.json", "constraint_violations.json"):
                    files[f"{problem_type}-{story}/{name}"] = f"{outcome.output_uri}/{name}"
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
    if rows.problem_type == REGRESSION:
        return {
            "mae": sk.mean_absolute_error(rows.truth, rows.predicted),
            "mse": sk.mean_squared_error(rows.truth, rows.predicted),
            "rmse": sk.mean_squared_error(rows.truth, rows.predicted) ** 0.5,
            "r2": sk.r2_score(rows.truth, rows.predicted),
        }
    if rows.problem_type == MULTICLASS:
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


SECTIONS = {BINARY: "binary_classification", MULTICLASS: "multiclass_classification", REGRESSION: "regression"}
PAST = {  # the side of its threshold where a metric is in violation, per the constraint's operator
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
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


def truth_and_scores(story: str) -> tuple[Any, Any]:
    """The labels and probabilities the run of ``story`` was served (scenario.serve_hour: 600 inferences)."""
    [options] = [options for name, _, options in RUNS if name == story]
    return scenario.scored(600, **options)


@pytest.mark.parametrize("problem_type", [BINARY, REGRESSION])
def test_a_clean_runs_files_load_with_its_metrics_and_no_violations(loaded, problem_type):
    statistics = loaded_body(loaded, f"{problem_type}-clean/statistics.json", "Statistics")
    violations = loaded_body(loaded, f"{problem_type}-clean/constraint_violations.json", "ConstraintViolations")

    truth, scores = truth_and_scores("clean")
    section = statistics[f"{SECTIONS[problem_type]}_metrics"]
    assert statistics["dataset"]["item_count"] == 600
    if problem_type == BINARY:
        assert section["accuracy"]["value"] == pytest.approx(sk.accuracy_score(truth, scores >= 0.5))
        assert section["auc"]["value"] == pytest.approx(sk.roc_auc_score(truth, scores))
    else:
        assert section["mae"]["value"] == pytest.approx(sk.mean_absolute_error(truth, scores))
        assert section["r2"]["value"] == pytest.approx(sk.r2_score(truth, scores))
    assert violations == {"violations": []}
    follows_the_oracle(statistics, "statistics")
    follows_the_oracle(violations, "constraint_violations")


@pytest.mark.parametrize(
    ("problem_type", "violated"),
    [(BINARY, {"accuracy", "precision", "recall", "f1", "auc"}), (REGRESSION, {"mae", "mse", "rmse", "r2"})],
)
def test_a_degraded_runs_violations_load_naming_each_metric_past_its_threshold(loaded, problem_type, violated):
    statistics = loaded_body(loaded, f"{problem_type}-violated/statistics.json", "Statistics")
    violations = loaded_body(loaded, f"{problem_type}-violated/constraint_violations.json", "ConstraintViolations")
    thresholds = loaded_body(loaded, f"{problem_type}/constraints.json", "Constraints")
    limits = thresholds[f"{SECTIONS[problem_type]}_constraints"]

    truth, scores = truth_and_scores("violated")
    section = statistics[f"{SECTIONS[problem_type]}_metrics"]
    expected = sk.roc_auc_score(truth, scores) if problem_type == BINARY else sk.mean_squared_error(truth, scores)
    assert section["auc" if problem_type == BINARY else "mse"]["value"] == pytest.approx(expected)
    past = {  # judged here from the two files the SDK loaded, not by our code
        name
        for name, limit in limits.items()
        if PAST[limit["comparison_operator"]](section[name]["value"], limit["threshold"])
    }
    assert past == violated
    assert {v["metric_name"] for v in violations["violations"]} == violated
    for violation in violations["violations"]:
        assert violation["constraint_check_type"] == limits[violation["metric_name"]]["comparison_operator"]
        assert violation["description"].startswith(f"Metric {violation['metric_name']} with ")
    follows_the_oracle(violations, "constraint_violations")
