"""Endpoint data capture: where a period's records live, and the rows inside each record (aws-facts 2.1).

A record is one JSON line: ``captureData.endpointInput`` {observedContentType, mode, data, encoding}. An
unreadable record is counted (with its reason) and skipped; it never stops the run.

The two common records are taken inline after orjson parses the line (about 3x faster than json here): one CSV
row (``text/csv``, ``CSV``), and a JSON payload (``application/json``, ``JSON``) that orjson reads as json does
(no integer of 19 digits or more, which orjson would turn into a float). Every other line, including each one
orjson refuses (NaN literals, UTF-16, a BOM, lone surrogates), goes through ``record_rows`` and json, so json's
verdict and error wording stand for it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson

MAX_REASONS_KEPT = 5
MAX_REASON_LENGTH = 200
MAX_REASONS_COUNTED = 100
OTHER_REASONS = "other reasons"
# A capture record holds one request and its response (InvokeEndpoint takes at most 25 MB, base64 adds a third):
# a longer line is not a record, and holding it would run the function out of memory.
MAX_LINE_BYTES = 64 * 1024 * 1024


class UnreadableRecord(ValueError):
    pass


@dataclass
class CaptureTally:
    """What a run read: records, the rows in them, and the records it skipped and why."""

    records: int = 0
    rows: int = 0
    skipped: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    first_problem: str | None = None

    def skip(self, where: str, reason: str) -> None:
        """Count a skipped record. A reason quotes the record's own text: it is cut short, and reasons past the
        first MAX_REASONS_COUNTED distinct ones are counted as one, so no record can grow what the run keeps."""
        self.skipped += 1
        if len(reason) > MAX_REASON_LENGTH:
            reason = reason[: MAX_REASON_LENGTH - 3] + "..."
        if reason not in self.reasons and len(self.reasons) >= MAX_REASONS_COUNTED:
            reason = OTHER_REASONS
        self.reasons[reason] += 1
        if self.first_problem is None:
            self.first_problem = f"{where[:MAX_REASON_LENGTH]}: {reason}"

    def merge(self, other: CaptureTally) -> None:
        self.records += other.records
        self.rows += other.rows
        self.skipped += other.skipped
        self.reasons.update(other.reasons)
        self.first_problem = self.first_problem or other.first_problem

    def document(self) -> dict[str, Any]:
        return {
            "records_read": self.records,
            "rows": self.rows,
            "records_skipped": self.skipped,
            "skip_reasons": dict(self.reasons.most_common(MAX_REASONS_KEPT)),
            "first_problem": self.first_problem,
        }


class OverlongLine(bytes):
    """Stands for a line longer than MAX_LINE_BYTES: its bytes were dropped as they streamed past."""


def capped_lines(chunks: Iterable[bytes], limit: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """The lines of a stream of chunks (as botocore's ``iter_lines``), never holding more than ``limit`` bytes of
    one line: a longer one is dropped as it streams and stands as one ``OverlongLine``."""
    held: list[bytes] = []  # the current line's start, while no chunk has ended it
    size, overlong = 0, False
    for chunk in chunks:
        ended = bool(held) and held[-1].endswith((b"\n", b"\r"))
        if not ended and b"\n" not in chunk and b"\r" not in chunk:  # the line goes on, kept while it may fit
            if not overlong:
                held.append(chunk)
                size += len(chunk)
                if size > limit:
                    held, size, overlong = [], 0, True
            continue
        pieces = (b"".join([*held, chunk]) if held else chunk).splitlines(True)
        last = pieces.pop()  # may be a line's start (or a "\r" of a "\r\n" cut in two)
        for piece in pieces:
            line = piece.rstrip(b"\r\n")
            if overlong or len(line) > limit:
                overlong = False
                yield OverlongLine()
            else:
                yield line
        held, size = ([last], len(last.rstrip(b"\r\n"))) if last else ([], 0)
        if size > limit:
            held, size = [], 0
            if last.endswith((b"\n", b"\r")):  # complete already (a "\n" after a cut "\r" is a blank line)
                yield OverlongLine()
            else:
                overlong = True
    if overlong:
        yield OverlongLine()
    elif held:
        yield b"".join(held).rstrip(b"\r\n")


def capped_blocks(chunks: Iterable[bytes], limit: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """The whole lines of a stream of chunks, as many at a time as each chunk completes (one newline-ended block
    per chunk, for readers that take a block at once), never holding more than ``limit`` bytes of one line: a
    longer line is dropped as it streams and stands as one ``OverlongLine``."""
    held: list[bytes] = []  # the current line's start, while no chunk has ended it
    size, overlong = 0, False
    for chunk in chunks:
        cut = chunk.rfind(b"\n")
        if cut < 0:  # the line goes on, kept while it may fit
            if not overlong:
                held.append(chunk)
                size += len(chunk)
                if size > limit:
                    held, size, overlong = [], 0, True
            continue
        complete, rest = chunk[: cut + 1], chunk[cut + 1 :]
        if overlong or held:
            first_end = complete.find(b"\n")
            if overlong or size + first_end > limit:
                yield OverlongLine()
                complete = complete[first_end + 1 :]
            else:
                complete = b"".join([*held, complete])
        if len(complete) > limit:  # only when chunks are larger than the limit: cap each line of it
            for line in complete.split(b"\n")[:-1]:
                yield OverlongLine() if len(line) > limit else line + b"\n"
        elif complete:
            yield complete
        overlong = len(rest) > limit
        held, size = ([rest], len(rest)) if rest and not overlong else ([], 0)
    if overlong:
        yield OverlongLine()
    elif held:
        yield b"".join(held)


def hour_prefixes(capture_prefix: str, endpoint: str, variant: str, start: datetime, end: datetime) -> list[str]:
    """``<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/`` for every hour in [start, end)."""
    prefixes = []
    hour = start.replace(minute=0, second=0, microsecond=0)
    while hour < end:
        prefixes.append(f"{capture_prefix.strip('/')}/{endpoint}/{variant}/{hour:%Y/%m/%d/%H}/")
        hour += timedelta(hours=1)
    return prefixes


_LONG_DIGITS = re.compile(r"[0-9]{19}")  # an integer orjson would turn into a float (json keeps it an int)
loads = orjson.loads


def rows_of_lines(lines: Iterable[bytes], names: list[str], tally: CaptureTally, where: str) -> Iterator[str]:
    """CSV rows of every readable record in ``lines``; unreadable ones are counted in ``tally``."""
    plain = 0  # records of one CSV row taken inline: what record_rows gives for them, without its cost
    try:
        for number, line in enumerate(lines, start=1):
            try:
                captured = loads(line)["captureData"]["endpointInput"]
                data = captured["data"]
                if (
                    type(data) is str
                    and captured.get("encoding") == "CSV"
                    and captured.get("observedContentType") == "text/csv"
                    and "\n" not in data
                    and "\r" not in data
                    and not data.isspace()
                    and data
                ):
                    plain += 1
                    yield data
                    continue
                fast = _fast_json_rows(captured, names) if _is_json_payload(captured) else None
            except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
                fast = None
            except UnreadableRecord as problem:  # a JSON payload that is not features: json reads it the same
                tally.records += 1
                tally.skip(f"{where} line {number}", str(problem))
                continue
            if type(line) is OverlongLine:
                tally.records += 1
                tally.skip(f"{where} line {number}", f"longer than {MAX_LINE_BYTES} bytes")
                continue
            if fast is None and not line.strip():
                continue
            tally.records += 1
            try:
                rows = record_rows(line, names) if fast is None else fast
            except UnreadableRecord as problem:
                tally.skip(f"{where} line {number}", str(problem))
                continue
            tally.rows += len(rows)
            yield from rows
    finally:
        tally.records += plain
        tally.rows += plain


def _is_json_payload(captured: dict[str, Any]) -> bool:
    """A JSON payload orjson reads exactly as json does: no integer it would turn into a float."""
    data = captured.get("data")
    return (
        type(data) is str
        and captured.get("encoding") == "JSON"
        and captured.get("observedContentType") == "application/json"
        and not _LONG_DIGITS.search(data)
    )


def _fast_json_rows(captured: dict[str, Any], names: list[str]) -> list[str] | None:
    """The JSON payload's rows as record_rows gives them, parsed by orjson; None when orjson refuses it (NaN,
    lone surrogates, deep nesting): then json decides."""
    try:
        payload = loads(captured["data"])
    except orjson.JSONDecodeError:
        return None
    return _payload_rows(payload, names)


def record_rows(line: bytes | str, names: list[str]) -> list[str]:
    try:
        record = json.loads(line)
        captured = record["captureData"]["endpointInput"]
        content_type = str(captured.get("observedContentType") or "text/csv").lower()
        encoding = str(captured.get("encoding") or "CSV").upper()
        data = captured["data"]
    except (ValueError, KeyError, TypeError, AttributeError) as error:  # AttributeError: endpointInput not an object
        raise UnreadableRecord(f"not a data capture record ({type(error).__name__})") from None
    if not isinstance(data, str):
        raise UnreadableRecord("endpointInput.data is not a string")
    if encoding == "BASE64":
        try:
            data = base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise UnreadableRecord("endpointInput.data is not base64 of UTF-8 text") from None
    elif encoding not in {"CSV", "JSON"}:
        raise UnreadableRecord(f"unknown encoding {encoding}")
    if "json" in content_type:
        return _json_rows(data, names)
    if "csv" in content_type or "text/plain" in content_type:
        return [row for row in data.replace("\r", "").split("\n") if row.strip()]
    raise UnreadableRecord(f"content type {content_type} is not CSV or JSON")


def _json_rows(data: str, names: list[str]) -> list[str]:
    try:
        payload = json.loads(data)
    except ValueError:
        raise UnreadableRecord("JSON payload does not parse") from None
    return _payload_rows(payload, names)


def _payload_rows(payload: Any, names: list[str]) -> list[str]:
    if isinstance(payload, dict) and isinstance(payload.get("instances"), list):
        payload = payload["instances"]
    instances = payload if isinstance(payload, list) and payload and isinstance(payload[0], list | dict) else [payload]
    return [_csv_row(_values(instance, names)) for instance in instances]


def _values(instance: Any, names: list[str]) -> list[Any]:
    if isinstance(instance, dict) and isinstance(instance.get("features"), list):
        return list(instance["features"])
    if isinstance(instance, dict):  # named features, in the baseline's order; unknown names appended
        extra = [key for key in instance if key not in names]
        return [instance.get(name) for name in names] + [instance[key] for key in extra]
    if isinstance(instance, list):
        return instance
    raise UnreadableRecord("JSON payload is not a list or object of features")


def _csv_row(values: list[Any]) -> str:
    texts = ["" if v is None else str(v) for v in values]
    row = ",".join(texts)
    if row.count(",") == len(texts) - 1 and "\n" not in row:  # no value holds a comma or a newline (the usual)
        return row
    return ",".join(text.replace(",", " ").replace("\n", " ") for text in texts)
