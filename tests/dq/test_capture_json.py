"""JSON payload records (``application/json``, ``JSON``) are read by orjson inline: field for field what the
general path (record_rows, json) gives, odd payloads included, and json is not called for them."""

from __future__ import annotations

import json

import numpy as np

from data_quality import capture
from data_quality.capture import CaptureTally, UnreadableRecord, record_rows, rows_of_lines
from tests.dq.test_capture import record

NAMES = ["a", "b", "c"]
ODD_PAYLOADS = [
    [1, 2.5, -3],
    {"instances": [[1, 2, 3], [4, 5, 6]]},
    {"instances": [{"a": 1, "b": 2, "c": 3}, {"c": 9, "a": 7}]},  # named features, one missing
    {"a": 1, "c": "x", "zz": 5, "b": None},  # an unknown name, appended; null
    [{"features": [1, 2, 3]}],
    [[1, [2, 3], {"d": 4}]],  # nested values
    ["1", "2.5", " 3"],  # numbers as strings
    [True, False, None],
    ["é", "日本", "a,b", "line\nbreak"],  # unicode, a comma and a newline inside a value
    [1e300, -0.0, 0.1, 123456789012345678],  # 18 digits: an int for orjson as for json
    [123456789012345678901234567890, 1],  # beyond 64 bits: json keeps the int, orjson would not
    [],
    {},
    {"instances": []},
    42,
    "text",
    None,
]


def json_record(payload, *, raw: str | None = None) -> bytes:
    return record(
        raw if raw is not None else json.dumps(payload, ensure_ascii=False),
        content_type="application/json",
        encoding="JSON",
    )


LINES = [json_record(p) for p in ODD_PAYLOADS] + [
    json_record(None, raw='{"a": 1, "b": 2, "a": 3}'),  # a key twice: the last wins, in the first one's place
    json_record(None, raw="[NaN, 1, Infinity]"),  # orjson refuses: json decides
    json_record(None, raw="[1, 2"),  # does not parse
    json_record(None, raw='["\\ud800", 1]'),  # a lone surrogate: orjson refuses it
    json_record(None, raw="[1e400, 2]"),  # orjson refuses, json gives inf
    json_record(None, raw="[[[[[[1]]]]]]"),
    record("[1, 2]", content_type="Application/JSON", encoding="json"),  # other spellings: the general path
    record('{"b": 1}', content_type="application/json", encoding="CSV"),
    record("1,2,3"),
]


def test_json_payload_records_read_inline_equal_the_general_path_field_for_field():
    tally = CaptureTally()
    rows = list(rows_of_lines(LINES, NAMES, tally, "k"))

    want_rows, want_records, want_skipped = expected_rows(LINES)
    assert rows == want_rows
    assert (tally.records, tally.rows, tally.skipped) == (want_records, len(want_rows), len(want_skipped))
    assert tally.first_problem == f"k {want_skipped[0]}"
    assert "1,2.5,-3" in rows and "3,2," in rows and "1,,x,5" in rows


def test_random_numeric_json_payloads_equal_the_general_path():
    rng = np.random.default_rng(7)
    payloads = [[float(x) for x in rng.normal(0, 10.0 ** rng.integers(-5, 12), 3)] for _ in range(500)] + [
        [int(x) for x in rng.integers(-(10**18), 10**18, 3)] for _ in range(200)
    ]
    lines = [json_record(p) for p in payloads] + [json_record({"instances": payloads[:50]})]
    tally = CaptureTally()
    assert list(rows_of_lines(lines, NAMES, tally, "k")) == expected_rows(lines)[0]


def test_json_payload_records_do_not_go_through_json(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("the general path read a JSON payload record")

    monkeypatch.setattr(capture.json, "loads", refuse)
    tally = CaptureTally()
    rows = list(rows_of_lines([json_record([1, 2, 3]), json_record({"instances": [{"a": 4}]})], NAMES, tally, "k"))
    assert rows == ["1,2,3", "4,,"]
    assert (tally.records, tally.rows) == (2, 2)


def expected_rows(lines):
    """The definition: record_rows line by line (json, the general path)."""
    rows, records, skipped = [], 0, []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        records += 1
        try:
            rows += record_rows(line, NAMES)
        except UnreadableRecord as problem:
            skipped.append(f"line {number}: {problem}")
    return rows, records, skipped


def test_rows_of_json_values_are_written_as_before():
    """The CSV text of a payload's values: a comma or newline inside a value becomes a space, null is empty."""
    cases = [
        [1, 2.5, None, "x"],
        ["a,b", "c\nd", 3],
        [",", "\n", ""],
        [],
        [None],
        [[1, 2], {"k": "v,w"}, True, -0.0, 1e300],
    ]
    for values in cases:
        before = ",".join("" if v is None else str(v).replace(",", " ").replace("\n", " ") for v in values)
        assert capture._csv_row(values) == before, values
