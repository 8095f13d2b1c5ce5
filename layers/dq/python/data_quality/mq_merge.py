"""Captured predictions merged with late ground truth by ``eventId`` (aws-facts 8).

The window's captured predictions are read first into one index (eventId -> row): memory grows with the
window's inference count, whatever the number of ground truth records streamed against it afterwards (labels of
later inferences are read and dropped). An unreadable record is counted with its reason (``CaptureTally``, as
the data-quality monitor counts them) and skipped.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import orjson

from data_quality.capture import CaptureTally, UnreadableRecord
from data_quality.model_quality import BINARY, Pairs
from model_governance.events import parse_timestamp

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True)
class OutputReading:
    """How a captured output names the prediction (Model Monitor's inference/probability attributes)."""

    problem_type: str
    inference_attribute: str | None = None
    probability_attribute: str | None = None
    probability_threshold: float = 0.5


@dataclass
class Merge:
    """The window's predictions, then the labels found for them."""

    reading: OutputReading
    start: datetime | None = None
    end: datetime | None = None
    index: dict[str, int] = field(default_factory=dict)
    predictions: list[str] = field(default_factory=list)
    probabilities: array[float] = field(default_factory=lambda: array("d"))
    labels: list[str | None] = field(default_factory=list)
    inferences: int = 0
    ground_truth_records: int = 0
    labels_without_inference: int = 0
    outside_window: int = 0
    tally: CaptureTally = field(default_factory=CaptureTally)
    _times: dict[str, datetime | None] = field(default_factory=dict)  # inferenceTime text -> time (seconds repeat)

    def add_capture(self, lines: Iterable[bytes], where: str) -> None:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
                event_id, moment = _event(record)
                at = self._times[moment] if moment in self._times else self._time(moment)
                output = record["captureData"]["endpointOutput"]
            except (orjson.JSONDecodeError, KeyError, TypeError, UnreadableRecord) as error:
                self.tally.skip(f"{where} line {number}", _reason(error, "not a data capture record"))
                continue
            if at is not None and ((self.start and at < self.start) or (self.end and at >= self.end)):
                self.outside_window += 1
                continue
            try:
                prediction, probability = self._prediction(output)
            except UnreadableRecord as error:
                self.tally.skip(f"{where} line {number}", str(error))
                continue
            self.inferences += 1
            if event_id in self.index:  # a record captured twice is one inference
                continue
            self.index[event_id] = len(self.predictions)
            self.predictions.append(prediction)
            self.probabilities.append(probability)
            self.labels.append(None)

    def add_ground_truth(self, lines: Iterable[bytes], where: str) -> None:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
                event_id = record["eventMetadata"]["eventId"]
                truth = record["groundTruthData"]
                label = truth["data"]
                if type(label) is not str or truth.get("encoding") != "CSV":  # the common record taken inline
                    label = _text(truth, "groundTruthData")
            except (orjson.JSONDecodeError, KeyError, TypeError, UnreadableRecord) as error:
                self.tally.skip(f"{where} line {number}", _reason(error, "not a ground truth record"))
                continue
            self.ground_truth_records += 1
            row = self.index.get(str(event_id))
            if row is None:
                self.labels_without_inference += 1
            elif self.labels[row] is None:
                self.labels[row] = label.strip()

    def pairs(self) -> Pairs:
        rows = [i for i, label in enumerate(self.labels) if label is not None]
        probabilities = np.frombuffer(self.probabilities, dtype=np.float64)[rows] if rows else np.zeros(0)
        with_probability = self.reading.probability_attribute is not None and self.reading.problem_type == BINARY
        return Pairs(
            self.reading.problem_type,
            [str(self.labels[i]) for i in rows],
            [self.predictions[i] for i in rows],
            probabilities if with_probability else None,
        )

    @property
    def merged(self) -> int:
        return sum(1 for label in self.labels if label is not None)

    def document(self) -> dict[str, Any]:
        merged = self.merged
        return {
            "inferences_read": self.inferences,
            "ground_truth_records_read": self.ground_truth_records,
            "merged": merged,
            "inferences_without_label": len(self.labels) - merged,
            "labels_without_inference": self.labels_without_inference,
            "inferences_outside_window": self.outside_window,
            "unreadable_records": self.tally.skipped,
            "unreadable_reasons": dict(self.tally.reasons.most_common(5)),
            "first_problem": self.tally.first_problem,
        }

    def _time(self, moment: str | None) -> datetime | None:
        if moment is None:
            return None
        try:
            at = parse_timestamp(moment, field_name="inferenceTime")
        except ValueError:
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
            except (TypeError, ValueError):
                raise UnreadableRecord(f"probability {str(value)[:40]!r} is not a number") from None
        if reading.inference_attribute is not None:
            return str(_attribute(output, reading.inference_attribute)).strip(), probability
        if reading.probability_attribute is not None and reading.problem_type == BINARY:
            return ("1" if probability >= reading.probability_threshold else "0"), probability
        return str(_attribute(output, None)).strip(), probability


def _reason(error: Exception, default: str) -> str:
    return str(error) if isinstance(error, UnreadableRecord) else f"{default} ({type(error).__name__})"


def _event(record: dict[str, Any]) -> tuple[str, str | None]:
    """(eventId, inferenceTime text or None)."""
    metadata = record.get("eventMetadata") or {}
    event_id = metadata.get("eventId")
    if not isinstance(event_id, str) or not event_id:
        raise UnreadableRecord("no eventMetadata.eventId")
    at = metadata.get("inferenceTime")
    return event_id, at if isinstance(at, str) else None


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


def _attribute(output: Any, attribute: str | None) -> Any:
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
        except ValueError:
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
