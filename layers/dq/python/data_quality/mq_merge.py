"""Captured predictions merged with late ground truth by ``eventId`` (aws-facts 8).

The window's captured predictions are read first: one row per inference (a record captured twice is one), kept
as columns (eventId, prediction code, probability), so memory grows with the window's inference count, whatever the
number of ground truth records streamed against them afterwards (labels of other inferences are read and dropped).

Records in the layout SageMaker writes (a one-value CSV output; ground truth as Model Monitor documents it, compact
or as Python's json.dumps writes it) are read a block of lines at a time (``record_layout``); every other line is
parsed alone with orjson and walked as before, so its verdict does not depend on the path. An unreadable record is
counted with its reason (``CaptureTally``, as the data-quality monitor counts them) and skipped.

Rows are joined on a 64-bit hash of the eventId and then compared byte for byte: two different eventIds of one
window with the same hash make the merge fall back to a dictionary of the eventIds themselves.

A fan-out run (a window too large for one invocation) reads its capture and ground truth objects in batches, each
worker's ``part()`` saved to S3; the finishing invocation adds the parts in order (``add_part``), capture first.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import orjson

from data_quality.capture import MAX_LINE_BYTES, CaptureTally, OverlongLine, UnreadableRecord
from data_quality.fields import short_decimals
from data_quality.model_quality import BINARY, Pairs, Texts
from data_quality.record_layout import Found, Layout, Lines, Skip, Value, distinct, read_layout, value_hashes
from model_governance.events import parse_timestamp

MAX_EVENT_ID = 128  # bytes; SageMaker's eventIds are UUIDs (36)
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")

_OUTPUT = b'"endpointOutput":{"observedContentType":"text/csv","mode":"OUTPUT","data":"'
_CSV_THEN_EVENT = b'","encoding":"CSV"}},"eventMetadata":{"eventId":"'
_EVENT = Value("event", MAX_EVENT_ID, shortest=1)
_TIME_THEN_END = (b'","inferenceTime":"', Value("time", 40), b'"},"eventVersion":"0"}')
_REQUEST = Skip(opens=b'"endpointInput":{', closes=b"},")
CAPTURE_LAYOUTS = (  # SageMaker's: without and with an inferenceId
    Layout(b'{"captureData":{', (_OUTPUT, Value("output", 64), _CSV_THEN_EVENT, _EVENT, *_TIME_THEN_END), _REQUEST),
    Layout(
        b'{"captureData":{',
        (
            _OUTPUT,
            Value("output", 64),
            _CSV_THEN_EVENT,
            _EVENT,
            b'","inferenceId":"',
            Value("inference"),
            *_TIME_THEN_END,
        ),
        _REQUEST,
    ),
)
GROUND_TRUTH_LAYOUTS = (  # Model Monitor's, compact and as json.dumps writes it
    Layout(
        b'{"groundTruthData":{"data":"',
        (Value("label", 256), b'","encoding":"CSV"},"eventMetadata":{"eventId":"', _EVENT, b'"},"eventVersion":"0"}'),
    ),
    Layout(
        b'{"groundTruthData": {"data": "',
        (
            Value("label", 256),
            b'", "encoding": "CSV"}, "eventMetadata": {"eventId": "',
            _EVENT,
            b'"}, "eventVersion": "0"}',
        ),
    ),
)

Strings = npt.NDArray[np.bytes_]
Read = TypeVar("Read")
Codes = npt.NDArray[np.int64]


@dataclass(frozen=True)
class OutputReading:
    """How a captured output names the prediction (Model Monitor's inference/probability attributes)."""

    problem_type: str
    inference_attribute: str | None = None
    probability_attribute: str | None = None
    probability_threshold: float = 0.5

    @property
    def first_column(self) -> bool:
        """Whether the attributes read a one-value CSV output whole (the layout's fast path)."""
        return all(a is None or a == "0" for a in (self.inference_attribute, self.probability_attribute))


class TextCodes:
    """Distinct texts, each with a code (its index): rows keep codes."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self._code: dict[str, int] = {}

    def code(self, text: str) -> int:
        code = self._code.get(text)
        if code is None:
            code = self._code[text] = len(self.texts)
            self.texts.append(text)
        return code

    def of_strings(self, values: Strings) -> Codes:
        """Codes of plain ASCII values (stripped, as the record-by-record path strips them). A regression's values
        are nearly all distinct: they are decoded, looked up and added in bulk, not one call each."""
        if not len(values):
            return np.zeros(0, dtype=np.int64)
        texts, inverse = distinct(values)
        joined = b"\n".join(texts.tolist())  # plain values hold no newline
        decoded = joined.decode("ascii").split("\n")
        if joined[:1].isspace() or b" \n" in joined or b"\n " in joined or joined[-1:].isspace():
            decoded = [text.strip() for text in decoded]
        new = [text for text in dict.fromkeys(decoded) if text not in self._code]
        self._code.update(zip(new, range(len(self.texts), len(self.texts) + len(new)), strict=True))
        self.texts += new
        table = np.fromiter(map(self._code.__getitem__, decoded), dtype=np.int64, count=len(decoded))
        return table[inverse]


@dataclass(frozen=True)
class _Labels:
    """Ground truth rows of one block, in line order: each eventId, and where its label is (read by the layout,
    in ``plain``, or record by record, in ``texts``): coded only when asked, for the rows a join found."""

    events: Strings
    at: Codes  # >= 0: an index into plain; < 0: -1 - an index into texts
    plain: Strings
    texts: list[str]

    def codes(self, rows: npt.NDArray[np.bool_], truth: TextCodes) -> Codes:
        at = self.at[rows]
        codes = np.empty(len(at), dtype=np.int64)
        by_layout = at >= 0
        codes[by_layout] = truth.of_strings(self.plain[at[by_layout]])
        codes[~by_layout] = [truth.code(self.texts[-1 - i]) for i in at[~by_layout].tolist()]
        return codes


@dataclass
class _Rows:
    """Rows read from one block (or one part), in line order."""

    events: Strings
    codes: Codes
    probabilities: npt.NDArray[np.float64]

    @classmethod
    def empty(cls) -> _Rows:
        return cls(np.zeros(0, dtype="S1"), np.zeros(0, dtype=np.int64), np.zeros(0))

    @classmethod
    def joined(cls, parts: list[_Rows]) -> _Rows:
        if not parts:
            return cls.empty()
        return cls(
            np.concatenate([p.events for p in parts]),
            np.concatenate([p.codes for p in parts]),
            np.concatenate([p.probabilities for p in parts]),
        )

    def __len__(self) -> int:
        return len(self.codes)


@dataclass
class _Index:
    """The window's inferences by eventId: the sorted hashes of their eventIds, searched with numpy.

    ``rows`` are the kept capture rows in capture order (a record captured twice is kept once, its first
    capture); a lookup gives a row's position in ``rows``. Two different eventIds with one hash (never seen in
    practice; checked) make the index a dictionary of the eventIds themselves."""

    rows: Codes
    keys: npt.NDArray[np.uint64]  # sorted hashes of the kept rows' eventIds
    key_events: Strings  # their eventIds, in key order
    key_positions: Codes  # their positions in ``rows``, in key order
    exact: dict[bytes, int] | None = None

    @classmethod
    def of(cls, events: Strings) -> _Index:
        hashes = value_hashes(events)
        order = np.argsort(hashes)
        keys, key_events = hashes[order], events[order]
        same_hash = keys[1:] == keys[:-1]
        if not same_hash.any():  # the common window: no eventId twice, every row kept
            return cls(np.arange(len(events), dtype=np.int64), keys, key_events, order.astype(np.int64))
        if np.any(same_hash & (key_events[1:] != key_events[:-1])):
            return cls._exact(events)
        first = np.r_[True, ~same_hash]
        group = np.cumsum(first) - 1
        earliest = np.full(int(group[-1]) + 1, len(events), dtype=np.int64)
        np.minimum.at(earliest, group, order)  # a duplicate's first capture
        rows = np.sort(earliest)
        return cls(rows, keys[first], key_events[first], np.searchsorted(rows, earliest))

    @classmethod
    def _exact(cls, events: Strings) -> _Index:
        first_of: dict[bytes, int] = {}
        for row, event in enumerate(events.tolist()):
            first_of.setdefault(event, row)
        rows = np.array(sorted(first_of.values()), dtype=np.int64)
        exact = {event: position for position, event in enumerate(events[rows].tolist())}
        return cls(rows, np.zeros(0, dtype=np.uint64), events[:0], rows[:0], exact)

    def positions(self, events: Strings) -> Codes:
        """The position in ``rows`` of each eventId's inference, -1 for an eventId the window did not capture."""
        if self.exact is not None:
            return np.fromiter((self.exact.get(e, -1) for e in events.tolist()), dtype=np.int64, count=len(events))
        if not len(self.keys):
            return np.full(len(events), -1, dtype=np.int64)
        hashes = value_hashes(events)
        by_hash = np.argsort(hashes)  # sorted queries: each search starts where the last one ended
        at = np.empty(len(hashes), dtype=np.int64)
        at[by_hash] = np.minimum(np.searchsorted(self.keys, hashes[by_hash]), len(self.keys) - 1)
        hit = self.keys[at] == hashes
        hit[hit] = self.key_events[at[hit]] == events[hit]  # the eventId itself, not only its hash
        return np.where(hit, self.key_positions[at], -1)


@dataclass
class Merge:
    """The window's predictions, then the labels found for them."""

    reading: OutputReading
    start: datetime | None = None
    end: datetime | None = None
    inferences: int = 0
    ground_truth_records: int = 0
    labels_without_inference: int = 0
    outside_window: int = 0
    tally: CaptureTally = field(default_factory=CaptureTally)
    predicted: TextCodes = field(default_factory=TextCodes)
    truth: TextCodes = field(default_factory=TextCodes)
    _captured: list[_Rows] = field(default_factory=list)
    _unjoined: list[_Rows] = field(default_factory=list)  # a fan-out worker's labels, for its part
    _index: _Index | None = None
    _capture: _Rows | None = None
    _labels: Codes = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    _stamp: Codes = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # scratch: finds a row twice
    _times: dict[str, datetime | None] = field(default_factory=dict)  # inferenceTime text -> time (seconds repeat)

    # -- reading ------------------------------------------------------------------------------------------------

    def add_capture(self, blocks: Iterable[bytes], where: str) -> None:
        """Capture records: ``blocks`` of whole lines (a list of single lines is blocks too)."""
        if self._index is not None:
            raise RuntimeError("capture must be read before ground truth")
        self._captured.extend(self._each_block(blocks, where, self._capture_block))

    def add_ground_truth(self, blocks: Iterable[bytes], where: str) -> None:
        """Ground truth records, joined at once against the capture read before: the labels of eventIds the window
        did not capture are counted and dropped unread (whoever writes ground truth cannot grow this merge)."""
        for labels in self._each_block(blocks, where, self._truth_block):
            self._join(labels.events, partial(labels.codes, truth=self.truth))

    def keep_ground_truth(self, blocks: Iterable[bytes], where: str) -> None:
        """Ground truth records kept unjoined: a fan-out worker's, for its ``part``."""
        for labels in self._each_block(blocks, where, self._truth_block):
            codes = labels.codes(np.ones(len(labels.events), dtype=np.bool_), self.truth)
            self._unjoined.append(_Rows(labels.events, codes, np.zeros(len(codes))))

    # -- fan-out parts ------------------------------------------------------------------------------------------

    def part(self) -> bytes:
        """What this worker read (capture rows, unjoined labels, counts) as one .npz file (no pickled objects)."""
        capture, labels = _Rows.joined(self._captured), _Rows.joined(self._unjoined)
        counts = {
            "inferences": self.inferences,
            "outside_window": self.outside_window,
            "skipped": self.tally.skipped,
            "reasons": dict(self.tally.reasons),
            "first_problem": self.tally.first_problem,
        }
        out = io.BytesIO()
        np.savez(
            out,
            capture_events=capture.events,
            capture_codes=capture.codes,
            capture_probabilities=capture.probabilities,
            predicted=np.array(self.predicted.texts, dtype=np.str_),
            label_events=labels.events,
            label_codes=labels.codes,
            truth=np.array(self.truth.texts, dtype=np.str_),
            counts=np.array(json.dumps(counts)),
        )
        return out.getvalue()

    def add_part(self, part: bytes) -> None:
        """A worker's part: its capture rows after those added before, its labels joined (add capture parts first)."""
        with np.load(io.BytesIO(part), allow_pickle=False) as saved:
            counts = json.loads(str(saved["counts"]))
            predicted = np.array([self.predicted.code(t) for t in saved["predicted"].tolist()], dtype=np.int64)
            truth = np.array([self.truth.code(t) for t in saved["truth"].tolist()], dtype=np.int64)
            capture = _Rows(
                saved["capture_events"], _remap(saved["capture_codes"], predicted), saved["capture_probabilities"]
            )
            labels = _Rows(saved["label_events"], _remap(saved["label_codes"], truth), np.zeros(0))
        if len(capture):
            if self._index is not None:
                raise RuntimeError("capture parts must be added before ground truth")
            self._captured.append(capture)
        self.inferences += counts["inferences"]
        self.outside_window += counts["outside_window"]
        self.tally.merge(CaptureTally(skipped=counts["skipped"], reasons=Counter(counts["reasons"]),
                                      first_problem=counts["first_problem"]))  # fmt: skip
        if len(labels):
            self._join(labels.events, lambda found: labels.codes[found])

    # -- results ------------------------------------------------------------------------------------------------

    def pairs(self) -> Pairs:
        index, capture = self._joined_index()
        labeled = np.flatnonzero(self._labels >= 0)
        rows = index.rows[labeled]
        with_probability = self.reading.probability_attribute is not None and self.reading.problem_type == BINARY
        return Pairs(
            self.reading.problem_type,
            Texts.compact(self._labels[labeled], self.truth.texts),
            Texts.compact(capture.codes[rows], self.predicted.texts),
            capture.probabilities[rows] if with_probability else None,
        )

    @property
    def merged(self) -> int:
        self._joined_index()
        return int(np.count_nonzero(self._labels >= 0))

    def document(self) -> dict[str, Any]:
        index, _ = self._joined_index()
        merged = self.merged
        return {
            "inferences_read": self.inferences,
            "ground_truth_records_read": self.ground_truth_records,
            "merged": merged,
            "inferences_without_label": len(index.rows) - merged,
            "labels_without_inference": self.labels_without_inference,
            "inferences_outside_window": self.outside_window,
            "unreadable_records": self.tally.skipped,
            "unreadable_reasons": dict(self.tally.reasons.most_common(5)),
            "first_problem": self.tally.first_problem,
        }

    # -- inside -------------------------------------------------------------------------------------------------

    def _joined_index(self) -> tuple[_Index, _Rows]:
        if self._index is None or self._capture is None:
            self._capture = _Rows.joined(self._captured)
            self._captured = [self._capture]
            self._index = _Index.of(self._capture.events)
            self._labels = np.full(len(self._index.rows), -1, dtype=np.int64)
            self._stamp = np.zeros(len(self._index.rows), dtype=np.int64)
        return self._index, self._capture

    def _join(self, events: Strings, codes_of: Callable[[npt.NDArray[np.bool_]], Codes]) -> None:
        """Label the inferences ``events`` name; ``codes_of`` gives the labels' codes of the rows found."""
        index, _ = self._joined_index()
        self.ground_truth_records += len(events)
        positions = index.positions(events)
        found = positions >= 0
        self.labels_without_inference += int(np.count_nonzero(~found))
        positions, codes = positions[found], codes_of(found)
        order = np.arange(len(positions))
        self._stamp[positions] = order
        if np.any(self._stamp[positions] != order):  # an inference labelled twice here: its first label counts
            positions, first = np.unique(positions, return_index=True)
            codes = codes[first]
        unset = self._labels[positions] < 0  # the first label of an inference stands
        self._labels[positions[unset]] = codes[unset]

    def _each_block(
        self, blocks: Iterable[bytes], where: str, read: Callable[[Lines, str, int], Read]
    ) -> Iterator[Read]:
        first_line = 1  # of the block, in its object (the tally names lines)
        for block in blocks:
            if type(block) is OverlongLine:
                self.tally.skip(f"{where} line {first_line}", f"longer than {MAX_LINE_BYTES} bytes")
                first_line += 1
                continue
            lines = Lines.of(block)
            yield read(lines, where, first_line)
            first_line += len(lines)

    def _capture_block(self, lines: Lines, where: str, first_line: int) -> _Rows:
        found, slow = _read(lines, CAPTURE_LAYOUTS)
        fast, kept, rows = self._fast_capture(lines, found)
        slow = np.sort(np.r_[slow, found.lines[~fast]])
        slow_rows = []
        for line in slow.tolist():
            read = self._capture_record(lines.text(line).rstrip(b"\r"), f"{where} line {first_line + line}")
            if read is not None:
                slow_rows.append((line, read[0].encode(), self.predicted.code(read[1]), read[2]))
        return _in_line_order(found.lines[kept], rows, slow_rows)

    def _fast_capture(self, lines: Lines, found: Found) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], _Rows]:
        """Which matched lines this path reads (the rest go record by record), which of those are inferences of
        the window, and their rows."""
        fast = np.full(len(found.lines), self.reading.first_column, dtype=np.bool_)
        if not len(found.lines) or not fast.any():
            return fast, fast, _Rows.empty()
        outputs = found.strings(lines, "output")
        outputs_bytes = outputs.view(np.uint8).reshape(len(outputs), -1)
        fast &= outputs_bytes[:, 0] != 0  # an empty output: the record-by-record path names it
        if self.reading.probability_attribute is not None:
            plain, probabilities = short_decimals(outputs)  # what float() gives them
            fast &= plain  # others ("1e-3", ".5", "nan", "+5"): float() itself, record by record
        else:
            probabilities = np.full(len(outputs), np.nan)
            fast &= ~(outputs_bytes == ord(",")).any(axis=1)  # one value: column 0 is the whole output
        times, inverse = found.distinct(lines, "time")
        moments = [self._moment(t.decode("ascii")) for t in times.tolist()]
        readable = np.array([m is not None for m in moments], dtype=np.bool_)[inverse]
        inside = np.array([self._inside(m) for m in moments], dtype=np.bool_)[inverse]
        fast &= readable
        self.outside_window += int(np.count_nonzero(fast & ~inside))
        kept = fast & inside
        self.inferences += int(np.count_nonzero(kept))
        reading = self.reading
        if (
            reading.inference_attribute is None
            and reading.probability_attribute is not None
            and reading.problem_type == BINARY
        ):
            labels = np.array([self.predicted.code("0"), self.predicted.code("1")], dtype=np.int64)
            codes = labels[(probabilities[kept] >= reading.probability_threshold).astype(np.int64)]
        else:
            codes = self.predicted.of_strings(outputs[kept])
        return fast, kept, _Rows(found.strings(lines, "event")[kept], codes, probabilities[kept])

    def _capture_record(self, line: bytes, where: str) -> tuple[str, str, float] | None:
        if not line.strip():
            return None
        try:
            record = orjson.loads(line)
            event_id, moment = _event(record)
            at = self._times[moment] if moment in self._times else self._time(moment)
            output = record["captureData"]["endpointOutput"]
            if not isinstance(output, dict):
                raise UnreadableRecord("captureData.endpointOutput is not an object")
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError, UnreadableRecord) as error:
            self.tally.skip(where, _reason(error, "not a data capture record"))
            return None
        if not self._inside(at):
            self.outside_window += 1
            return None
        try:
            prediction, probability = self._prediction(output)
        except UnreadableRecord as error:
            self.tally.skip(where, str(error))
            return None
        self.inferences += 1
        return event_id, prediction, probability

    def _truth_block(self, lines: Lines, where: str, first_line: int) -> _Labels:
        found, slow = _read(lines, GROUND_TRUTH_LAYOUTS)
        texts: list[str] = []
        slow_rows = []
        for line in slow.tolist():
            read = self._truth_record(lines.text(line).rstrip(b"\r"), f"{where} line {first_line + line}")
            if read is not None:
                slow_rows.append((line, read[0].encode(), len(texts), 0.0))
                texts.append(read[1])
        plain = found.strings(lines, "label")
        rows = _in_line_order(  # codes here: where each label is (>= 0: in plain; < 0: -1 - its place in texts)
            found.lines, _Rows(found.strings(lines, "event"), np.arange(len(plain)), np.zeros(len(plain))),
            [(line, event, -1 - at, probability) for line, event, at, probability in slow_rows],
        )  # fmt: skip
        return _Labels(rows.events, rows.codes, plain, texts)

    def _truth_record(self, line: bytes, where: str) -> tuple[str, str] | None:
        if not line.strip():
            return None
        try:
            record = orjson.loads(line)
            event_id = _event_id(record["eventMetadata"]["eventId"], empty_allowed=True)
            truth = record["groundTruthData"]
            label = truth["data"]
            if type(label) is not str or truth.get("encoding") != "CSV":
                label = _text(truth, "groundTruthData")
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError, UnreadableRecord) as error:
            self.tally.skip(where, _reason(error, "not a ground truth record"))
            return None
        return event_id, label.strip()

    def _inside(self, at: datetime | None) -> bool:
        return at is None or not ((self.start and at < self.start) or (self.end and at >= self.end))

    def _moment(self, text: str) -> datetime | None:
        try:
            return self._times[text] if text in self._times else self._time(text)
        except UnreadableRecord:
            return None

    def _time(self, moment: str | None) -> datetime | None:
        if moment is None:
            return None
        try:
            at = parse_timestamp(moment, field_name="inferenceTime")
        except (ValueError, OverflowError):
            raise UnreadableRecord("eventMetadata.inferenceTime is not a time") from None
        if len(self._times) < 100_000:
            self._times[moment] = at
        return at

    def _prediction(self, output: Any) -> tuple[str, float]:
        reading = self.reading
        probability = float("nan")
        if reading.probability_attribute is not None:
            value = _attribute(output, reading.probability_attribute)
            try:
                probability = float(value)
            except (TypeError, ValueError, OverflowError):
                raise UnreadableRecord(f"probability {str(value)[:40]!r} is not a number") from None
            if not math.isfinite(probability):  # NaN or infinity: no place in a ranking
                raise UnreadableRecord(f"probability {str(value)[:40]!r} is not a finite number")
        if reading.inference_attribute is not None:
            return str(_attribute(output, reading.inference_attribute)).strip(), probability
        if reading.probability_attribute is not None and reading.problem_type == BINARY:
            return ("1" if probability >= reading.probability_threshold else "0"), probability
        return str(_attribute(output, None)).strip(), probability


def _read(lines: Lines, layouts: tuple[Layout, ...]) -> tuple[Found, Codes]:
    """The lines any of ``layouts`` matches (in line order) and the others. The layout of the block's first line
    is tried first: a writer keeps to one, so the others only see what it leaves."""
    rest = np.arange(len(lines), dtype=np.int64)
    first = next((layout for layout in layouts if len(read_layout(lines, layout, rest[:1]).lines)), None)
    matched: list[Found] = []
    for layout in ([first] if first else []) + [layout for layout in layouts if layout is not first]:
        if not len(rest):
            break
        found = read_layout(lines, layout, rest)
        matched.append(found)
        rest = np.setdiff1d(rest, found.lines, assume_unique=True)
    return (_combined(matched) if matched else Found(rest[:0], {})), rest


def _combined(found: list[Found]) -> Found:
    """One Found of several layouts' (the values all of them name), in line order."""
    if len(found) == 1:
        return found[0]
    lines = np.concatenate([f.lines for f in found])
    order = np.argsort(lines, kind="stable")
    names = set.intersection(*(set(f.values) for f in found))
    values = {
        name: (
            np.concatenate([f.values[name][0] for f in found])[order],
            np.concatenate([f.values[name][1] for f in found])[order],
        )
        for name in names
    }
    return Found(lines[order], values)


def _in_line_order(fast_lines: Codes, fast: _Rows, slow: list[tuple[int, bytes, int, float]]) -> _Rows:
    """The rows of both paths of one block, in the order of their lines."""
    if not slow:
        return fast
    line, events, codes, probabilities = zip(*slow, strict=True)
    order = np.argsort(np.r_[fast_lines, np.array(line, dtype=np.int64)], kind="stable")
    return _Rows(
        np.concatenate([fast.events, np.array(events, dtype=np.bytes_)])[order],
        np.r_[fast.codes, np.array(codes, dtype=np.int64)][order],
        np.r_[fast.probabilities, np.array(probabilities, dtype=np.float64)][order],
    )


def _remap(codes: Codes, table: Codes) -> Codes:
    return table[codes] if len(codes) else np.zeros(0, dtype=np.int64)


def _reason(error: Exception, default: str) -> str:
    return str(error) if isinstance(error, UnreadableRecord) else f"{default} ({type(error).__name__})"


def _event(record: Any) -> tuple[str, str | None]:
    """(eventId, inferenceTime text or None)."""
    if not isinstance(record, dict):
        raise UnreadableRecord("not a JSON object")
    metadata = record.get("eventMetadata") or {}
    if not isinstance(metadata, dict):
        raise UnreadableRecord("eventMetadata is not an object")
    event_id = metadata.get("eventId")
    if not isinstance(event_id, str) or not event_id:
        raise UnreadableRecord("no eventMetadata.eventId")
    at = metadata.get("inferenceTime")
    return _event_id(event_id), at if isinstance(at, str) else None


def _event_id(value: Any, *, empty_allowed: bool = False) -> str:
    """An eventId as the merge keys it: SageMaker's are UUIDs; a longer one would widen every row's."""
    event_id = str(value)
    if len(event_id) > MAX_EVENT_ID or len(event_id.encode()) > MAX_EVENT_ID:
        raise UnreadableRecord(f"eventMetadata.eventId longer than {MAX_EVENT_ID} bytes")
    if "\x00" in event_id or not (event_id or empty_allowed):
        raise UnreadableRecord("eventMetadata.eventId is empty or holds a NUL")
    return event_id


def _text(payload: Any, where: str) -> str:
    data, encoding = payload["data"], str(payload.get("encoding") or "CSV").upper()
    if not isinstance(data, str):
        raise UnreadableRecord(f"{where}.data is not a string")
    if encoding == "BASE64":
        try:
            return base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise UnreadableRecord(f"{where}.data is not base64 of UTF-8 text") from None
    if encoding not in {"CSV", "JSON"}:
        raise UnreadableRecord(f"unknown encoding {encoding}")
    return data


def _attribute(output: dict[str, Any], attribute: str | None) -> Any:
    """The value an attribute names in a captured output: a column index of CSV, a field path of JSON
    (``score``, ``predictions[0].score``, ``$.label``); without one, the first CSV column or the JSON scalar."""
    content_type = str(output.get("observedContentType") or "").lower()
    data = output.get("data")
    if type(data) is str and output.get("encoding") == "CSV" and content_type == "text/csv" and "\n" not in data:
        fields = data.split(",")  # the common record taken inline: one CSV row
        column = int(attribute) if attribute and attribute.isdigit() else 0
        if column < len(fields):
            return fields[column]
    text = _text(output, "endpointOutput")
    if "json" in content_type or text.lstrip().startswith(("{", "[")):
        try:
            value: Any = json.loads(text)
        except (ValueError, RecursionError):
            raise UnreadableRecord("endpointOutput.data is not JSON") from None
        for name, position in _PATH_PART.findall((attribute or "").removeprefix("$").lstrip(".")):
            try:
                value = value[int(position)] if position else value[name]
            except (KeyError, IndexError, TypeError):
                raise UnreadableRecord(f"endpointOutput has no {attribute}") from None
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if isinstance(value, dict | list):
            raise UnreadableRecord(f"endpointOutput {attribute or 'value'} is not a single value")
        return value
    fields = text.strip().split("\n")[0].split(",")
    column = int(attribute) if attribute and attribute.isdigit() else 0
    if column >= len(fields):
        raise UnreadableRecord(f"endpointOutput has no column {column}")
    return fields[column]
