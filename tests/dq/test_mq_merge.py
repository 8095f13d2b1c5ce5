"""Captured predictions merged with ground truth by eventId: CSV and JSON outputs, attributes, base64, the
window, late and orphan labels, duplicates, and unreadable records counted with their reason."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import numpy as np

from data_quality.model_quality import BINARY, MULTICLASS
from data_quality.mq_merge import Merge, OutputReading

START, END = datetime(2026, 11, 23, 8, tzinfo=UTC), datetime(2026, 11, 23, 9, tzinfo=UTC)


def capture(
    event: str, data: str, *, content_type: str = "text/csv", encoding: str = "CSV", at: str = "2026-11-23T08:30:00Z"
) -> bytes:
    output = {"observedContentType": content_type, "mode": "OUTPUT", "data": data, "encoding": encoding}
    return json.dumps(
        {"captureData": {"endpointOutput": output}, "eventMetadata": {"eventId": event, "inferenceTime": at}}
    ).encode()


def truth(event: str, label: str, encoding: str = "CSV") -> bytes:
    data = base64.b64encode(label.encode()).decode() if encoding == "BASE64" else label
    return json.dumps(
        {"groundTruthData": {"data": data, "encoding": encoding}, "eventMetadata": {"eventId": event}}
    ).encode()


def test_binary_probabilities_become_labels_and_merge_by_event_id():
    merge = Merge(OutputReading(BINARY, probability_attribute="1", probability_threshold=0.6), start=START, end=END)
    merge.add_capture(
        [
            capture("a", "x,0.9"),
            capture("b", "x,0.6"),  # at the threshold: positive
            capture("c", "x,0.2"),
            capture("d", "x,0.95", at="2026-11-23T09:00:00Z"),  # after the window
            capture("a", "x,0.9"),  # captured twice: one inference
            b"{not json",
            capture("e", "x,high"),
            b"",
        ],
        "capture",
    )
    merge.add_ground_truth(
        [truth("a", "1"), truth("b", "0", "BASE64"), truth("z", "1"), b'{"groundTruthData": 1}'], "truth"
    )
    pairs = merge.pairs()
    assert (list(pairs.labels), list(pairs.predictions)) == (["1", "0"], ["1", "1"])
    assert np.array_equal(pairs.probabilities, [0.9, 0.6])
    summary = merge.document()
    assert {k: summary[k] for k in ("inferences_read", "ground_truth_records_read", "merged")} == {
        "inferences_read": 4,
        "ground_truth_records_read": 3,
        "merged": 2,
    }
    assert (summary["inferences_without_label"], summary["labels_without_inference"]) == (1, 1)
    assert (summary["inferences_outside_window"], summary["unreadable_records"]) == (1, 3)
    assert "probability 'high' is not a number" in summary["unreadable_reasons"]
    assert summary["first_problem"].startswith("capture line 6")


def test_json_outputs_are_read_by_field_path_and_labels_by_the_inference_attribute():
    merge = Merge(OutputReading(MULTICLASS, inference_attribute="predictions[0].label"))
    payload = json.dumps({"predictions": [{"label": "cat", "score": 0.7}]})
    encoded = base64.b64encode(json.dumps({"predictions": [{"label": "dog"}]}).encode()).decode()
    merge.add_capture(
        [
            capture("a", payload, content_type="application/json", encoding="JSON"),
            capture("b", encoded, content_type="application/json", encoding="BASE64"),
            capture("c", json.dumps({"predictions": []}), content_type="application/json", encoding="JSON"),
        ],
        "capture",
    )
    merge.add_ground_truth([truth("a", "cat"), truth("b", "cat")], "truth")
    pairs = merge.pairs()
    assert (list(pairs.labels), list(pairs.predictions), pairs.probabilities) == (["cat", "cat"], ["cat", "dog"], None)
    assert merge.document()["unreadable_reasons"] == {"endpointOutput has no predictions[0].label": 1}
