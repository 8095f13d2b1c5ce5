"""Reading capture records: the inline path for plain CSV records gives exactly what the general path gives, and
what orjson refuses is judged by json, as before."""

from __future__ import annotations

import base64
import json

from data_quality.capture import CaptureTally, UnreadableRecord, record_rows, rows_of_lines

NAMES = ["a", "b"]


def record(data, *, content_type="text/csv", encoding="CSV") -> bytes:
    envelope = {"observedContentType": content_type, "mode": "INPUT", "data": data, "encoding": encoding}
    return json.dumps({"captureData": {"endpointInput": envelope}, "eventVersion": "0"}).encode()


LINES = [
    record("1,2"),
    record("3,4\n5,6"),  # two rows in one record
    record("7,8\r\n"),
    record("   "),  # a record with no row
    record(""),
    record("9, x", content_type="TEXT/CSV", encoding="csv"),
    record(base64.b64encode(b"10,11").decode(), encoding="BASE64"),
    record(json.dumps({"instances": [{"a": 12, "b": 13}]}), content_type="application/json", encoding="JSON"),
    record(["1", "2"]),
    b"",
    b"   ",
    b"{not json",
    b'{"captureData": {"endpointInput": ["not", "an", "object"]}}',
    b'{"captureData": {"endpointInput": "text"}}',
    b'\xef\xbb\xbf{"captureData": {"endpointInput": {"data": "14,15"}}}',  # a BOM: json reads it, orjson does not
    b'{"captureData": {"endpointInput": {"data": "16,17", "encoding": "CSV"}}, "score": NaN}',  # NaN: json's
    "\ufeff".encode("utf-16") + b"",
]


def expected(lines):
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


def test_the_inline_path_reads_every_record_as_the_general_path_does():
    tally = CaptureTally()
    rows = list(rows_of_lines(LINES, NAMES, tally, "s3://b/k"))

    want_rows, want_records, want_skipped = expected(LINES)
    assert rows == want_rows
    assert rows == ["1,2", "3,4", "5,6", "7,8", "9, x", "10,11", "12,13", "14,15", "16,17"]
    assert (tally.records, tally.rows, tally.skipped) == (want_records, len(want_rows), len(want_skipped))
    assert tally.first_problem == f"s3://b/k {want_skipped[0]}"


def test_an_endpoint_input_that_is_not_an_object_is_counted_not_a_crash():
    tally = CaptureTally()
    lines = [
        b'{"captureData": {"endpointInput": ["1,2"]}}',
        b'{"captureData": {"endpointInput": "1,2"}}',
        record("3,4"),
    ]
    assert list(rows_of_lines(lines, NAMES, tally, "k")) == ["3,4"]
    assert (tally.records, tally.skipped, tally.rows) == (3, 2, 1)
    assert tally.reasons == {"not a data capture record (AttributeError)": 2}
