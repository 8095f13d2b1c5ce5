"""The capture line reader gives the lines botocore's iter_lines gives, whatever the chunk boundaries, and a line
longer than the cap is counted unreadable without holding it in memory."""

from __future__ import annotations

import io
import json
from itertools import islice

from botocore.response import StreamingBody

from data_quality import storage
from data_quality.capture import LINE_TOO_LONG, CaptureTally, rows_of_lines
from data_quality.storage import split_lines

SAMPLES = [
    b"",
    b"a",
    b"a\nb\n",
    b"a\r\nb\rc\n\n\nd",
    b"\r\n\r\n",
    b"\r",
    b"\n",
    b"line one\r\rthree\r\n\rfour\n",
    b'{"x": "\\r\\n"}\r\n{"y": 1}',
]


def botocore_lines(data: bytes, chunk: int) -> list[bytes]:
    return list(StreamingBody(io.BytesIO(data), len(data)).iter_lines(chunk_size=chunk))


def chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_lines_are_botocores_at_every_chunk_size():
    for data in SAMPLES:
        for size in range(1, len(data) + 2):
            assert list(split_lines(chunks(data, size))) == botocore_lines(data, size), (data, size)


def test_a_line_longer_than_the_cap_is_counted_unreadable_and_the_next_lines_read(monkeypatch):
    monkeypatch.setattr(storage, "MAX_LINE_BYTES", 100)
    record = json.dumps({"captureData": {"endpointInput": {"data": "1,2", "encoding": "CSV"}}}).encode()
    data = record + b"\n" + b"x" * 1000 + b"\r\n" + record + b"\n" + b"y" * 150 + b"\n" + record
    for size in (7, 64, 333, 5000):
        lines = list(split_lines(chunks(data, size)))
        assert LINE_TOO_LONG in lines and max(len(line) for line in lines) <= 100 + size
        tally = CaptureTally()
        assert list(rows_of_lines(lines, ["a", "b"], tally, "k")) == ["1,2"] * 3
        assert (tally.records, tally.rows, tally.skipped) == (5, 3, 2)
        assert tally.reasons == {"line longer than 64 MB": 2}


def test_a_line_without_end_never_grows_past_the_cap(monkeypatch):
    monkeypatch.setattr(storage, "MAX_LINE_BYTES", 1000)
    endless = (b"z" * 100 for _ in range(10**6))  # 100 MB, no line break
    lines = list(islice(split_lines(endless), 3))
    assert lines == [LINE_TOO_LONG]
