"""`make baseline MONITOR=model-quality`: Model Monitor's files of a validation dataset, or one line and nothing
written for input that cannot be a baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ops import baseline
from ops.cli import run
from tests.unit.test_cli_errors import one_line_failure

GOOD = "churn,pred,score\n1,1,0.9\n0,0,0.2\n1,0,0.4\n0,1,0.6\n1,1,0.7\n"


def _argv(dataset: Path, out: Path, *extra: str, problem: str = "BinaryClassification") -> list[str]:
    return [
        "--monitor",
        "model-quality",
        "--problem-type",
        problem,
        "--dataset",
        str(dataset),
        "--output",
        str(out),
        *extra,
    ]


def test_binary_baseline_writes_metrics_and_suggested_constraints(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    dataset = tmp_path / "validation.csv"
    dataset.write_text(GOOD)
    argv = _argv(dataset, tmp_path / "out", "--label", "churn", "--prediction", "pred", "--probability", "score")
    assert run(baseline.main, argv) == 0
    statistics = json.loads((tmp_path / "out" / "statistics.json").read_text())
    metrics = statistics["binary_classification_metrics"]
    assert statistics["dataset"]["item_count"] == 5
    assert metrics["accuracy"]["value"] == pytest.approx(0.6)
    assert metrics["auc"]["value"] == pytest.approx(5 / 6)  # 5 of 6 positive-negative pairs ranked right
    assert metrics["confusion_matrix"] == {"0": {"0": 1, "1": 1}, "1": {"0": 1, "1": 2}}
    constraints = json.loads((tmp_path / "out" / "constraints.json").read_text())
    assert constraints["binary_classification_constraints"]["f1"] == {
        "threshold": pytest.approx(2 / 3 * 0.9),  # 10% below the baseline (too few rows for a spread)
        "comparison_operator": "LessThanThreshold",
    }
    assert "auc = 0.8333" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "extra", "problem", "expected"),
    [
        ("", ("--label", "churn", "--prediction", "pred"), "BinaryClassification", "is empty"),
        (GOOD, ("--label", "nope", "--prediction", "pred"), "BinaryClassification", "LABEL column 'nope' is not in"),
        (GOOD, ("--label", "churn", "--prediction", "pred"), "Ranking", "PROBLEM_TYPE must be one of"),
        ("y,p\nyes,1\nno,2\n", ("--label", "y", "--prediction", "p"), "Regression", "label 'yes' is not a number"),
        ("y,p\n2,1\n0,1\n", ("--label", "y", "--prediction", "p"), "BinaryClassification", "label 2 is not 0 or 1"),
        (
            "y,p,s\n1,1,x\n0,1,0.2\n",
            ("--label", "y", "--prediction", "p", "--probability", "s"),
            "BinaryClassification",
            "PROBABILITY 'x' is not a number",
        ),
        ("y,p\n1,1\n", ("--label", "y", "--prediction", "p"), "BinaryClassification", "1 row(s)"),
        (GOOD, ("--label", "churn"), "BinaryClassification", "PREDICTION are required"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, content, extra, problem, expected):
    dataset = tmp_path / "validation.csv"
    dataset.write_text(content)
    _, line = one_line_failure(baseline.main, _argv(dataset, tmp_path / "out", *extra, problem=problem), capsys)
    assert expected in line
    assert not (tmp_path / "out").exists()
