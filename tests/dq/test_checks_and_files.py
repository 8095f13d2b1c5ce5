"""Each check, its wording, unreadable capture records, and the files against the schema derived from AWS's pages."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from data_quality.baseline import dataset_rows
from data_quality.capture import CaptureTally, rows_of_lines
from data_quality.checks import run_checks, violations_document
from data_quality.constraints import read_baseline
from data_quality.runs import baseline_files, profile_rows
from model_governance.monitoring.report import parse_violations
from tests.dq.churn import NAMES, capture_lines, rows

SCHEMAS = json.loads((Path(__file__).resolve().parents[1] / "schemas" / "model_monitor_data_quality.json").read_text())


def schema(name):
    return {"$defs": SCHEMAS["$defs"], **SCHEMAS[name]}


def baseline_of(training_rows, names):
    files = baseline_files(training_rows, names)
    return files, read_baseline(
        json.dumps(files["constraints.json"]).encode(), json.dumps(files["statistics.json"]).encode()
    )


def test_baseline_files_follow_model_monitors_schema():
    files, _ = baseline_of([*rows(500, seed=1), *(r.replace("1", "x", 1) for r in rows(1, seed=9))], NAMES)
    jsonschema.validate(files["statistics.json"], schema("statistics"))
    jsonschema.validate(files["constraints.json"], schema("constraints"))
    kll = files["statistics.json"]["features"][2]["numerical_statistics"]["distribution"]["kll"]
    assert len(kll["buckets"]) == 10
    assert sum(b["count"] for b in kll["buckets"]) == pytest.approx(501)


def test_missing_extra_completeness_and_categorical_checks_are_worded_like_model_monitor():
    names = ["colour", "size", "weight"]
    _, baseline = baseline_of(
        [f"{c},{s},{w}" for c, s, w in zip(["red", "blue"] * 200, range(400), [1.5] * 400, strict=True)], names
    )
    current = profile_rows(["green,1,2.5,9", "green,2,,9", "red,3"], names)

    violations = run_checks(baseline, current)

    by = {(v.feature_name, v.constraint_check_type): v.description for v in violations}
    assert by[("_c3", "extra_column_check")] == (
        "There are extra columns in current dataset. Number of columns in current dataset: 4, "
        "Number of columns in baseline constraints: 3"
    )
    assert (
        by[("weight", "completeness_check")] == "Value: 0.3333333333333333 does not meet the constraint requirement! "
    )
    assert by[("colour", "categorical_values_check")].startswith("Value: 0.333")
    assert ("colour", "baseline_drift_check") in by  # categorical L-infinity
    jsonschema.validate(violations_document(violations), schema("violations"))
    assert len(parse_violations(json.dumps(violations_document(violations)))) == len(violations)  # our own reader


def test_a_data_type_check_is_worded_as_the_current_model_monitor_container_words_it():
    _, baseline = baseline_of([f"{n}" for n in range(400)], ["count"])
    current = profile_rows(["1", "2", "2.5", "3.5"], ["count"])

    [violation] = [v for v in run_checks(baseline, current) if v.constraint_check_type == "data_type_check"]

    assert violation.description == (
        "Data type match requirement is not met. Expected data type: Integral, Expected match: 90.0%. "
        "Observed: Only 50.0% of data is Integral."
    )


def test_fewer_columns_than_the_baseline_is_a_missing_column_check():
    _, baseline = baseline_of(rows(200, seed=1), NAMES)
    current = profile_rows([",".join(r.split(",")[:5]) for r in rows(100, seed=2)], NAMES)
    missing = [v for v in run_checks(baseline, current) if v.constraint_check_type == "missing_column_check"]
    assert [v.feature_name for v in missing] == ["State_AK", "State_AZ"]


def test_unreadable_capture_records_are_counted_and_skipped():
    lines = [
        *capture_lines(rows(10, seed=1)),
        b"{not json",
        b'{"captureData": {}}',
        b"",
        *capture_lines(rows(5, seed=2), json_every=2),
    ]
    tally = CaptureTally()
    parsed = list(rows_of_lines(lines, NAMES, tally, "s3://b/k"))
    assert (tally.records, tally.skipped, tally.rows, len(parsed)) == (17, 2, 15, 15)
    assert tally.first_problem == "s3://b/k line 11: not a data capture record (JSONDecodeError)"


@pytest.mark.parametrize(
    ("lines", "names"),
    [
        ([b"a,b", b"1,x", b"2,y"], ["a", "b"]),
        ([b"1,x", b"2,y"], ["_c0", "_c1"]),
        ([b'{"a": 1, "b": "x"}', b'{"a": 2, "b": "y"}'], ["a", "b"]),
    ],
)
def test_datasets_with_or_without_header_and_json_lines(lines, names):
    found, dataset = dataset_rows(lines)
    assert found == names
    assert list(dataset) == ["1,x", "2,y"]
