"""report.html of a model-quality run, read back as a browser would parse it: every constrained metric against its
threshold with the violated ones marked, the confusion matrices and the ROC and precision-recall curves drawn from
statistics.json beside the baseline's, regression's error metrics, class labels from the data kept as text, and a
baseline file that is not what `make baseline` writes never breaking the page."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, cast

import numpy as np
import pytest

from data_quality import model_quality as mq
from data_quality.mq_report import CURVE_PAD, CURVE_SIZE, LABEL_CHARS, baseline_section, render_page
from data_quality.report_html import POLICY
from data_quality.storage import S3Files, StorageAccessError
from model_governance.monitoring.mq_monitors import ModelQualityMonitor

HOSTILE = "<script>x</script>"


@dataclass
class Parsed:
    """What a browser would build from the page: elements, text and attributes, with entities decoded."""

    rows: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # metric -> (class, cell texts)
    polylines: dict[tuple[str, str], list[tuple[float, float]]] = field(default_factory=dict)  # (curve, series)
    matrices: dict[str, list[list[str]]] = field(default_factory=dict)  # whose -> rows of cell texts
    svgs: list[dict[str, str | None]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    handlers: list[str] = field(default_factory=list)  # on* attributes: there must be none
    text: str = ""
    policy: str = ""
    headings: list[str] = field(default_factory=list)


class PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.page = Parsed()
        self._row: tuple[str, str, list[str]] | None = None
        self._curve = ""
        self._matrix = ""
        self._cell: list[str] | None = None
        self._heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        page = self.page
        page.tags.append(tag)
        page.handlers += [name for name, _ in attrs if name.startswith("on")]
        if tag == "meta" and found.get("http-equiv") == "Content-Security-Policy":
            page.policy = str(found["content"])
        if tag == "svg":
            page.svgs.append(found)
        if tag == "figure":
            self._curve = str(found.get("data-curve"))
        if tag == "polyline" and found.get("data-series"):
            points = [tuple(map(float, p.split(","))) for p in str(found["points"]).split()]
            page.polylines[self._curve, str(found["data-series"])] = cast(list[tuple[float, float]], points)
        if tag == "table" and found.get("data-whose"):
            self._matrix = str(found["data-whose"])
            page.matrices[self._matrix] = []
        if tag == "tr":
            if found.get("data-metric") is not None:
                self._row = (str(found["data-metric"]), str(found.get("class") or ""), [])
            elif self._matrix:
                page.matrices[self._matrix].append([])
        if tag in {"td", "th"}:
            self._cell = []
        self._heading = tag == "h2"

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "th"} and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            if self._row is not None:
                self._row[2].append(text)
            elif self._matrix and self.page.matrices[self._matrix]:
                self.page.matrices[self._matrix][-1].append(text)
            self._cell = None
        if tag == "tr" and self._row is not None:
            self.page.rows[self._row[0]] = (self._row[1], self._row[2])
            self._row = None
        if tag == "table":
            self._matrix = ""
        if tag == "h2":
            self._heading = False

    def handle_data(self, data: str) -> None:
        self.page.text += data
        if self._cell is not None:
            self._cell.append(data)
        if self._heading:
            self.page.headings.append(data)


def parse(html: str) -> Parsed:
    parser = PageParser()
    parser.feed(html)
    return parser.page


def monitor(problem_type: str, name: str = "churn-model-quality") -> ModelQualityMonitor:
    return ModelQualityMonitor(
        name, "churn-endpoint", problem_type, "s3://b/capture", "s3://b/truth", "s3://b/baseline", "s3://b/out"
    )


def binary(n: int, seed: int, *, signal: float, scores: bool = True) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    truth = rng.random(n) < 0.3
    probability = np.clip(rng.normal(0.3 + signal * truth, 0.15), 0, 1)
    pairs = mq.Pairs(
        mq.BINARY,
        [str(int(v)) for v in truth],
        [str(int(v)) for v in probability >= 0.5],
        probability if scores else None,
    )
    return mq.metrics(pairs)


def unplot(point: tuple[float, float]) -> tuple[float, float]:
    plot = CURVE_SIZE - 2 * CURVE_PAD
    return (point[0] - CURVE_PAD) / plot, (CURVE_SIZE - CURVE_PAD - point[1]) / plot


CONSTRAINTS = {  # one kept, two broken
    "accuracy": (0.5, "LessThanThreshold"),
    "auc": (0.8, "LessThanThreshold"),
    "false_positive_rate": (0.01, "GreaterThanThreshold"),
}


@pytest.fixture(scope="module")
def binary_page() -> tuple[str, dict[str, Any], dict[str, Any], list[mq.MetricViolation]]:
    run, baseline = binary(5000, seed=3, signal=0.1), binary(2000, seed=1, signal=0.4)
    violations = mq.check_metrics(run, CONSTRAINTS)
    html = render_page(
        monitor(mq.BINARY), "inferences of 08:00 to 09:00", run, CONSTRAINTS, violations, baseline=baseline
    )
    return html, run, baseline, violations


def test_every_constrained_metric_is_shown_against_its_threshold_and_the_broken_ones_marked(binary_page):
    html, run, baseline, violations = binary_page
    assert {v.metric_name for v in violations} == {"auc", "false_positive_rate"}  # the data is what the test says
    page = parse(html)
    assert set(page.rows) == set(CONSTRAINTS)
    for name, (threshold, operator) in CONSTRAINTS.items():
        css, cells = page.rows[name]
        assert cells[0] == name
        assert cells[1].startswith(f"{run[name]['value']:.4f} ± ")
        assert cells[2] == f"{baseline[name]['value']:.4f}"
        assert cells[3] == f"{operator} {threshold:.4f}"
        broken = name in {"auc", "false_positive_rate"}
        assert (css, cells[4]) == (("bad", "violated") if broken else ("", "ok"))
    assert "2 of 3 metrics in violation." in page.text
    gauges = [s for s in page.svgs if s.get("class") == "gauge"]
    labels = [str(s["aria-label"]) for s in gauges]
    assert f"auc, threshold 0.8, violated when LessThanThreshold, this run {run['auc']['value']:.4g}, baseline" in (
        " ".join(labels)
    )


def test_binary_curves_are_drawn_from_the_statistics_beside_the_baseline(binary_page):
    html, run, baseline, _ = binary_page
    page = parse(html)
    tolerance = 0.1 / (CURVE_SIZE - 2 * CURVE_PAD)  # one decimal of a pixel
    for curve, x_key, y_key in (
        ("receiver_operating_characteristic_curve", "false_positive_rates", "true_positive_rates"),
        ("precision_recall_curve", "recalls", "precisions"),
    ):
        for series, statistics in (("this run", run), ("baseline", baseline)):
            drawn = [unplot(p) for p in page.polylines[curve, series]]
            expected = list(zip(statistics[curve][x_key], statistics[curve][y_key], strict=True))
            assert len(drawn) == len(expected)
            assert np.allclose(drawn, expected, atol=tolerance)
    assert len(page.polylines["receiver_operating_characteristic_curve", "this run"]) == mq.CURVE_POINTS
    assert len(html.encode()) < 200_000  # 200-point curves, twice, and the tables


def test_binary_confusion_matrices_hold_the_counts_of_the_run_and_the_baseline(binary_page):
    html, run, baseline, _ = binary_page
    page = parse(html)
    for whose, statistics in (("this run", run), ("baseline", baseline)):
        matrix = statistics["confusion_matrix"]
        total = sum(sum(row.values()) for row in matrix.values())
        rows = page.matrices[whose]
        assert rows[0] == ["true \\ predicted", "0", "1"]
        for cells, actual in zip(rows[1:], ("0", "1"), strict=True):
            assert cells[0] == actual
            for cell, predicted in zip(cells[1:], ("0", "1"), strict=True):
                count = matrix[actual][predicted]
                assert cell == f"{count}{count / total:.1%}"


def test_the_page_runs_and_fetches_nothing_and_every_chart_is_labelled(binary_page):
    html, *_ = binary_page
    page = parse(html)
    assert page.policy == POLICY
    assert "script" not in page.tags and "img" not in page.tags and page.handlers == []
    assert page.svgs and all(s.get("role") == "img" and s.get("aria-label") for s in page.svgs)
    curves = [s for s in page.svgs if s.get("class") == "curve"]
    assert len(curves) == 2
    assert "false positive rate" in page.text and "true positive rate" in page.text
    assert "recall" in page.text and "precision" in page.text


def test_labels_and_names_from_data_and_configuration_stay_text():
    labels = [HOSTILE, '"><img src=x onerror=alert(1)>', "cat"] * 40
    predictions = labels[1:] + labels[:1]
    section = mq.metrics(mq.Pairs(mq.MULTICLASS, labels, predictions))
    constraints = {"accuracy": (0.9, "LessThanThreshold"), f"weighted_f1{HOSTILE}": (0.5, "LessThanThreshold")}
    html = render_page(
        monitor(mq.MULTICLASS, name=f"mq{HOSTILE}"),
        f"window {HOSTILE}",
        section,
        constraints,
        mq.check_metrics(section, constraints),
    )
    page = parse(html)
    assert "script" not in page.tags and "img" not in page.tags and page.handlers == []
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert f"mq{HOSTILE} on endpoint" in page.text  # the name, as text
    header = page.matrices["this run"][0]
    long_label = labels[1]
    assert HOSTILE in header and long_label[: LABEL_CHARS - 1] + "…" in header  # cut to the page's width, as text
    assert f"weighted_f1{HOSTILE}" in page.rows  # a metric name from constraints.json: as text, not computed
    assert page.rows[f"weighted_f1{HOSTILE}"][1][1] == "not computed"
    assert "baseline" not in page.matrices  # none passed: no baseline column invented


def test_multiclass_matrix_keeps_the_most_frequent_classes_of_many():
    rng = np.random.default_rng(5)
    classes = [f"c{i}" for i in range(30)]
    weights = np.r_[np.full(5, 40.0), np.ones(25)]
    truth = [classes[i] for i in rng.choice(30, size=2000, p=weights / weights.sum())]
    section = mq.metrics(mq.Pairs(mq.MULTICLASS, truth, truth))
    page = parse(render_page(monitor(mq.MULTICLASS), "w", section, {}, []))
    header = page.matrices["this run"][0]
    assert len(header) == 1 + 20
    assert {"c0", "c1", "c2", "c3", "c4"} <= set(header)
    assert "20 of 30 classes" in page.text


def test_regression_shows_the_error_metrics_against_the_baseline():
    rng = np.random.default_rng(2)
    truth = rng.normal(10, 3, 400)

    def section(noise: float) -> dict[str, Any]:
        predicted = truth + rng.normal(0, noise, truth.size)
        return mq.metrics(mq.Pairs(mq.REGRESSION, [str(v) for v in truth], [str(v) for v in predicted]))

    run, baseline = section(4.0), section(1.0)
    constraints = {"rmse": (2.0, "GreaterThanThreshold")}
    html = render_page(
        monitor(mq.REGRESSION), "w", run, constraints, mq.check_metrics(run, constraints), baseline=baseline
    )
    page = parse(html)
    assert "Error metrics" in page.headings
    assert page.rows["rmse"][0] == "bad"
    for name in ("mae", "mse", "rmse", "r2"):
        assert f"{name}{run[name]['value']:.4f}" in page.text.replace(" ", "")
        change = run[name]["value"] - baseline[name]["value"]
        assert f"{change:+.4f}" in page.text
    assert page.matrices == {} and page.polylines == {}


def test_a_binary_monitor_without_probabilities_says_why_it_has_no_curves():
    run = binary(500, seed=2, signal=0.4, scores=False)
    page = parse(render_page(monitor(mq.BINARY), "w", run, {}, [], baseline=None))
    assert page.polylines == {}
    assert "predictions carry no probability" in page.text
    assert "baseline values not shown" in page.text


def test_a_baseline_file_of_the_wrong_shape_leaves_its_values_out_and_the_page_whole():
    run = binary(500, seed=2, signal=0.4)
    broken = {
        "accuracy": {"value": "high"},
        "auc": {"value": float("nan")},
        "f1": {"value": 10**400},  # json.loads reads an integer no float holds
        "confusion_matrix": {"0": {"0": -1, "1": 3}, "1": {"0": 2, "1": 4}},
        "receiver_operating_characteristic_curve": {"false_positive_rates": [0, 1], "true_positive_rates": [1]},
        "precision_recall_curve": "none",
    }
    constraints = {  # json.loads reads Infinity and NaN: a hand-edited constraints.json may hold them
        "accuracy": (0.5, "LessThanThreshold"),
        "auc": (0.5, "LessThanThreshold"),
        "recall": (float("inf"), "GreaterThanThreshold"),
        "precision": (float("nan"), "LessThanThreshold"),
    }
    html = render_page(monitor(mq.BINARY), "w", run, constraints, [], baseline=broken)
    page = parse(html)
    geometry = re.findall(r' (?:x|y|x1|x2|y1|y2|width|height)="([^"]*)"', html)
    assert geometry and all(math.isfinite(float(v)) for v in geometry)  # every shape drawable
    assert page.rows["accuracy"][1][2] == "-" and page.rows["auc"][1][2] == "-"
    assert "No confusion matrix in baseline's statistics." in page.text
    assert {series for _, series in page.polylines} == {"this run"}


class Files:
    """What baseline_section reads: one statistics.json, absent, unreadable, or refused."""

    def __init__(self, body: bytes | Exception | None) -> None:
        self.body = body
        self.read_uris: list[str] = []

    def read(self, uri: str) -> bytes | None:
        self.read_uris.append(uri)
        if isinstance(self.body, Exception):
            raise self.body
        return self.body


@pytest.mark.parametrize(
    "body",
    [
        None,
        b"{not json",
        b"\xff\xfe",
        json.dumps({"regression_metrics": {}}).encode(),
        json.dumps([1, 2]).encode(),
        StorageAccessError("AccessDenied reading"),
    ],
)
def test_baseline_statistics_that_cannot_be_read_are_none(body):
    assert baseline_section(cast(S3Files, Files(body)), monitor(mq.BINARY)) is None


def test_baseline_statistics_are_the_problem_types_section():
    section = binary(300, seed=1, signal=0.4)
    files = Files(json.dumps({"version": 0.0, "binary_classification_metrics": section}).encode())
    assert baseline_section(cast(S3Files, files), monitor(mq.BINARY)) == section
    assert files.read_uris == ["s3://b/baseline/statistics.json"]
