"""Fidelity on the seed article's churn shape: exactly the three violations the article shows, and nothing
on an unshifted period; the sketch distance agrees with the exact distance within the sketch's error."""

from __future__ import annotations

import json

import numpy as np
import pytest

from data_quality.capture import CaptureTally, rows_of_lines
from data_quality.constraints import read_baseline
from data_quality.runs import baseline_files, check, profile_rows
from data_quality.sketches import WeightedItems, new_sketch, normalized_rank_error, numerical_distance
from tests.dq.churn import NAMES, capture_lines, rows


@pytest.fixture(scope="module")
def baseline():
    files = baseline_files([",".join(NAMES), *rows(3000, seed=1)][1:], NAMES)
    return read_baseline(json.dumps(files["constraints.json"]).encode(), json.dumps(files["statistics.json"]).encode())


def checked(baseline, payload_rows):
    tally = CaptureTally()
    profile = profile_rows(rows_of_lines(capture_lines(payload_rows, base64_every=7), NAMES, tally, "test"), NAMES)
    return check(baseline, profile, tally)


def test_an_unshifted_period_reports_nothing(baseline):
    result = checked(baseline, rows(1500, seed=2))
    assert result.violations == []
    assert result.tally.rows == 1500


def test_the_seed_articles_drifting_period_reports_exactly_its_three_features(baseline):
    result = checked(baseline, rows(1500, seed=3, shifted=True, fractional_state_al=0.2))

    found = {(v.feature_name, v.constraint_check_type) for v in result.violations}
    assert found == {
        ("State_AL", "data_type_check"),
        ("Eve Mins", "baseline_drift_check"),
        ("CustServ Calls", "baseline_drift_check"),
    }
    by_feature = {v.feature_name: v.description for v in result.violations}
    wording = by_feature["State_AL"]
    assert wording.startswith(
        "Data type match requirement is not met. Expected data type: Integral, Expected match: 90.0%. Observed: Only "
    )
    assert wording.endswith("% of data is Integral.")
    share = float(wording.removesuffix("% of data is Integral.").rsplit(" ", 1)[1])
    assert 77 < share < 83  # the share still matching the baseline type (a fifth written as 0.0/1.0)
    assert by_feature["Eve Mins"].startswith("Numerical distance: ")
    assert by_feature["Eve Mins"].endswith(" exceeds numerical threshold: 0.1")


def test_the_sketch_distance_agrees_with_the_exact_distance_within_the_sketch_error():
    rng = np.random.default_rng(7)
    before, after = rng.normal(0, 1, 300_000), rng.normal(0.15, 1.1, 200_000)
    exact = _exact_ks(before, after)
    sketches = []
    for values in (before, after):
        sketch = new_sketch()
        sketch.update(values)
        assert sketch.is_estimation_mode()
        sketches.append(WeightedItems.of_sketch(sketch))
    estimate = numerical_distance(sketches[0], sketches[1], "Simple")
    assert abs(estimate - exact) <= 2 * normalized_rank_error()
    assert estimate != exact  # the sketch did summarise


def test_robust_subtracts_the_kolmogorov_smirnov_margin():
    small = WeightedItems(np.array([1.0, 2.0, 3.0]), np.ones(3))
    other = WeightedItems(np.array([2.5, 3.5, 4.5]), np.ones(3))
    assert numerical_distance(small, other, "Simple") == pytest.approx(2 / 3)
    assert numerical_distance(small, other, "Robust") == 0.0


def _exact_ks(a, b) -> float:
    points = np.union1d(a, b)
    cdf_a = np.searchsorted(np.sort(a), points, side="right") / len(a)
    cdf_b = np.searchsorted(np.sort(b), points, side="right") / len(b)
    return float(np.max(np.abs(cdf_a - cdf_b)))
