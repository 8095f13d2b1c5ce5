"""Parsing constraint_violations.json: the documented shape, empty reports, huge reports, malformed files."""

import json
import re

import pytest

from model_governance.monitoring.report import UnreadableReportError, by_check_type, parse_violations
from tests.conftest import read_event

SEED = read_event("constraint_violations_seed")  # the seed article's report


def test_the_seed_articles_report_parses_into_three_violations():
    violations = parse_violations(json.dumps(SEED).encode())

    assert [(v.feature, v.check_type) for v in violations] == [
        ("State_AL", "data_type_check"),
        ("Eve Mins", "baseline_drift_check"),
        ("CustServ Calls", "baseline_drift_check"),
    ]
    assert violations[0].description == "Value: 0.8 does not meet the constraint requirement!"


@pytest.mark.parametrize("raw", ['{"violations": []}', "{}", '{"violations": null}'])
def test_an_empty_report_is_a_clean_execution(raw):
    assert parse_violations(raw) == []


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ('{"violations": [', "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        ("[1, 2]", '"violations" list'),
        ('{"violations": {"a": 1}}', '"violations" list'),
        ('{"violations": ["x"]}', "violations[0] is not an object"),
        ('{"violations": [{"feature_name": "a"}]}', "constraint_check_type is missing"),
        ('{"violations": [{"feature_name": 3, "constraint_check_type": "data_type_check"}]}', "feature_name"),
    ],
)
def test_a_malformed_report_raises_a_readable_error(raw, problem):
    with pytest.raises(UnreadableReportError, match=re.escape(problem)):
        parse_violations(raw)


def test_a_dataset_level_violation_without_a_feature_is_kept():
    [violation] = parse_violations('{"violations": [{"constraint_check_type": "missing_column_check"}]}')
    assert violation.feature == "(dataset)"


def test_a_report_with_thousands_of_features_parses_and_groups_in_a_fixed_order():
    report = {
        "violations": [
            {"feature_name": f"f{i:04d}", "constraint_check_type": check, "description": "d"}
            for i in range(3000)
            for check in (["baseline_drift_check"] if i % 2 else ["data_type_check", "custom_check"])
        ]
    }
    violations = parse_violations(json.dumps(report))
    groups = by_check_type(violations)

    assert len(violations) == 4500
    assert list(groups) == ["data_type_check", "baseline_drift_check", "custom_check"]
    assert [v.feature for v in groups["data_type_check"][:2]] == ["f0000", "f0002"]
