"""The model-quality merge reads records in SageMaker's layout a block at a time (record_layout.py), and every
other line record by record. Whatever the path, every line gets the same verdict: these tests run the same bytes
through both (the block path switched off by emptying its layouts) and compare everything the run reports."""

from __future__ import annotations

import base64
import json
import random
from datetime import UTC, datetime

import numpy as np
import pytest

from data_quality import mq_merge
from data_quality.capture import OverlongLine, capped_blocks, capped_lines
from data_quality.fields import short_decimals
from data_quality.model_quality import BINARY, MULTICLASS, REGRESSION
from data_quality.mq_merge import CAPTURE_LAYOUTS, GROUND_TRUTH_LAYOUTS, Merge, OutputReading
from data_quality.record_layout import Lines, Value, read_layout

START, END = datetime(2026, 11, 23, 8, tzinfo=UTC), datetime(2026, 11, 23, 9, tzinfo=UTC)
OVERLONG = b"<a line over the limit>"
REQUEST = '"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"5,1.5,\\"x\\"","encoding":"CSV"},'


def compact(
    event: str, output: str, at: str = "2026-11-23T08:30:00Z", *, request: bool = True, inference_id: str | None = None
) -> bytes:
    """A record exactly as SageMaker writes it (no spaces)."""
    metadata = f'"eventId":"{event}",' + (f'"inferenceId":"{inference_id}",' if inference_id else "")
    return (
        '{"captureData":{' + (REQUEST if request else "")
        + f'"endpointOutput":{{"observedContentType":"text/csv","mode":"OUTPUT","data":"{output}","encoding":"CSV"}}}},'
        + f'"eventMetadata":{{{metadata}"inferenceTime":"{at}"}},"eventVersion":"0"}}'
    ).encode()  # fmt: skip


def truth(event: str, label: str, *, spaced: bool = False) -> bytes:
    record = {
        "groundTruthData": {"data": label, "encoding": "CSV"},
        "eventMetadata": {"eventId": event},
        "eventVersion": "0",
    }
    return json.dumps(record, separators=(", ", ": ") if spaced else (",", ":")).encode()


CAPTURE = [
    compact("a", "0.73"),
    compact("b", "0.5"),  # at the threshold
    compact("c", "1", request=False),
    compact("d", "0.12", inference_id="inf-1"),
    compact("e", "1e-3"),  # an exponent: Deequ's Fractional
    compact("f", ".5"),  # float() reads it, the block path leaves it
    compact("g", "nan"),
    compact("h", "high"),  # not a number: unreadable, with its reason
    compact("i", ""),
    compact("j", "0.8,1"),  # two columns
    compact("k", " 0.4"),
    compact("l", "0.12345678901234567"),  # more digits than a double holds exactly
    compact("m", "-0.25"),
    compact("n", "+ 5"),  # Deequ's Integral, not float()'s
    compact("caf\u00e9", "0.9"),  # non-ASCII eventId: record by record
    compact('q\\"uote', "0.9"),  # an escaped quote in the eventId
    compact("x" * 300, "0.9"),  # longer than the block path reads
    compact("o", "0.6", at="2026-11-23T09:00:00Z"),  # the window's end: outside
    compact("p", "0.6", at="2026-11-23T07:59:59.999Z"),  # before it
    compact("r", "0.6", at="yesterday"),
    compact("a", "0.1"),  # captured twice: the first one stands
    b"",
    b"   ",
    compact("s", "0.3") + b"\r",
    compact("t", "0.3")[:-9],  # truncated
    b"{not json",
    compact("u", "0.3").replace(b'"mode":"OUTPUT"', b'"mode":"OUT"PUT"'),  # one stray quote: not JSON
    compact("v", "0.31").replace(b'"encoding":"CSV"}}', b'"encoding":"CSV" }}'),  # valid JSON, another layout
    compact("w", "0.44", at="2026-11-23T08:59:59.999999Z"),
]
TRUTH = [
    truth("a", "1"),
    truth("b", "0", spaced=True),
    truth("c", " 1 "),
    truth("d", "0"),
    truth("d", "1"),  # a second label: the first stands
    truth("e", "1"),
    truth("f", "0"),
    truth("g", "1"),
    truth("l", "0"),
    truth("m", "0"),
    truth("caf\u00e9", "1"),
    truth('q"uote', "1"),
    truth("x" * 300, "1"),
    truth("v", "1"),
    truth("w", "0"),
    truth("zz", "1"),  # no such inference
    json.dumps({"groundTruthData": {"data": base64.b64encode(b"1").decode(), "encoding": "BASE64"},
                "eventMetadata": {"eventId": "k"}}).encode(),
    json.dumps({"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": 7}}).encode(),
    b'{"groundTruthData": 1}',
    truth("s", "caf\u00e9"),
]  # fmt: skip


def run(reading: OutputReading, capture: list[bytes], labels: list[bytes], *, blocks: bool) -> Merge:
    merge = Merge(reading, start=START, end=END)
    if blocks:  # the way S3 objects are read: whole-line blocks
        merge.add_capture(capped_blocks([b"\n".join(capture) + b"\n"]), "capture")
        merge.add_ground_truth(capped_blocks([b"\n".join(labels)]), "truth")
    else:
        merge.add_capture(capture, "capture")
        merge.add_ground_truth(labels, "truth")
    return merge


def outcome(merge: Merge) -> tuple[object, ...]:
    pairs = merge.pairs()
    probabilities = None if pairs.probabilities is None else pairs.probabilities.tolist()
    return list(pairs.labels), list(pairs.predictions), str(probabilities), merge.document()


def record_by_record(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mq_merge, "CAPTURE_LAYOUTS", ())
    monkeypatch.setattr(mq_merge, "GROUND_TRUTH_LAYOUTS", ())


@pytest.mark.parametrize(
    "reading",
    [
        OutputReading(BINARY, probability_attribute="0", probability_threshold=0.5),
        OutputReading(BINARY, inference_attribute="0"),
        OutputReading(REGRESSION),
        OutputReading(MULTICLASS, probability_attribute="1"),  # column 1: record by record
    ],
    ids=["binary-probability", "binary-label", "regression", "second-column"],
)
def test_every_line_gets_the_record_by_record_verdict(reading: OutputReading, monkeypatch: pytest.MonkeyPatch):
    by_block = outcome(run(reading, CAPTURE, TRUTH, blocks=True))
    with monkeypatch.context() as patch:
        record_by_record(patch)
        assert outcome(run(reading, CAPTURE, TRUTH, blocks=True)) == by_block
    assert outcome(run(reading, CAPTURE, TRUTH, blocks=False)) == by_block


def test_the_block_path_reads_sagemakers_layout_and_leaves_the_rest():
    capture = Lines.of(b"\n".join(CAPTURE))
    matched = {int(line) for layout in CAPTURE_LAYOUTS for line in read_layout(capture, layout).lines}
    assert matched == {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 17, 18, 19, 20, 28}
    labels = Lines.of(b"\n".join(TRUTH))
    matched = {int(line) for layout in GROUND_TRUTH_LAYOUTS for line in read_layout(labels, layout).lines}
    assert matched == set(range(16)) - {10, 11, 12}  # escaped (json.dumps escapes non-ASCII), too long


def test_the_summary_names_what_was_read_and_why_records_were_skipped():
    merge = run(OutputReading(BINARY, probability_attribute="0"), CAPTURE, TRUTH, blocks=True)
    summary = merge.document()
    assert summary["inferences_outside_window"] == 2
    assert summary["unreadable_reasons"]["probability 'high' is not a number"] == 1
    assert summary["unreadable_reasons"]["probability 'nan' is not a finite number"] == 1
    assert summary["first_problem"].startswith("capture line 7")  # "nan"
    pairs = merge.pairs()
    merged = dict(
        zip([e for e in "abcdefglm"], zip(list(pairs.labels), pairs.probabilities.tolist(), strict=False), strict=False)
    )
    assert merged["a"] == ("1", 0.73) and merged["d"] == ("0", 0.12)  # the first capture, the first label


@pytest.mark.parametrize("reading", [OutputReading(BINARY, probability_attribute="0"), OutputReading(REGRESSION)])
def test_a_fan_out_run_adds_up_its_workers_parts_to_the_same_merge(reading: OutputReading):
    whole = run(reading, CAPTURE, TRUTH, blocks=True)
    workers = []
    for half in (CAPTURE[:14], CAPTURE[14:]):
        worker = Merge(reading, start=START, end=END)
        worker.add_capture([b"\n".join(half)], "capture")
        workers.append(worker.part())
    for half in (TRUTH[:9], TRUTH[9:]):
        worker = Merge(reading, start=START, end=END)
        worker.keep_ground_truth([b"\n".join(half)], "truth")
        workers.append(worker.part())
    finish = Merge(reading, start=START, end=END)
    for part in workers:
        finish.add_part(part)
    finished, expected = outcome(finish), outcome(whole)
    assert finished[:3] == expected[:3]
    assert {k: v for k, v in finished[3].items() if k != "first_problem"} == {
        k: v for k, v in expected[3].items() if k != "first_problem"
    }
    with pytest.raises(RuntimeError):
        finish.add_part(workers[0])  # capture after ground truth


def test_two_event_ids_with_one_hash_fall_back_to_the_ids_themselves(monkeypatch: pytest.MonkeyPatch):
    reading = OutputReading(BINARY, probability_attribute="0")
    expected = outcome(run(reading, CAPTURE, TRUTH, blocks=True))
    monkeypatch.setattr(mq_merge, "value_hashes", lambda values: np.zeros(len(values), dtype=np.uint64))
    assert outcome(run(reading, CAPTURE, TRUTH, blocks=True)) == expected


def test_blocks_hold_the_same_lines_as_the_line_reader_however_the_stream_is_cut():
    rng = random.Random(5)
    lines = [rng.choice([b"", b"x" * rng.randint(1, 40), b"y" * 70]) for _ in range(300)]
    stream = b"\n".join(lines)
    for _ in range(50):
        cuts = sorted(rng.sample(range(1, len(stream)), rng.randint(0, 40)))
        chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
        from_blocks = [
            line
            for block in capped_blocks(chunks, limit=64)
            for line in ([OVERLONG] if type(block) is OverlongLine else block.removesuffix(b"\n").split(b"\n"))
        ]
        expected = [OVERLONG if type(line) is OverlongLine else line for line in capped_lines(chunks, limit=64)]
        assert from_blocks == expected


def test_short_decimals_take_float_s_value():
    rng = random.Random(11)
    texts = ["".join(rng.choice("0123456789.-+eE") for _ in range(rng.randint(1, 12))) for _ in range(20_000)]
    texts += [f"{rng.random():.{rng.randint(1, 6)}f}" for _ in range(20_000)]
    texts += [
        "-0.5",
        "0",
        "-",
        "1.",
        ".1",
        "1.2.3",
        "--1",
        "0123",
        "12345678",
        "-1234567",
        "1.234567",
        "123456789",
        "-0.123456",
        "1\x002",  # a NUL inside: float() refuses it
        "0.\x005",
    ]
    plain, numbers = short_decimals(np.array([t.encode() for t in texts]))
    assert plain.sum() > 20_000
    for text, ok, number in zip(texts, plain.tolist(), numbers.tolist(), strict=True):
        if ok:
            assert number == float(text), text


def test_a_value_is_read_only_when_plain():
    layout = mq_merge.Layout(b'{"v":"', (Value("v", 16), b'"}'))
    block = (
        b'{"v":"plain"}\n{"v":"es\\"caped"}\n{"v":"caf\xc3\xa9"}\n{"v":"'
        + b"z" * 17
        + b'"}\n{"v":""}\n{"v":"tab\there"}'
    )
    found = read_layout(Lines.of(block), layout)
    assert found.lines.tolist() == [0, 4]
    assert found.strings(Lines.of(block), "v").tolist() == [b"plain", b""]


def test_lines_that_end_like_the_first_ones_but_differ_inside_get_their_own_verdict(monkeypatch: pytest.MonkeyPatch):
    """The block path learns how the first lines end (literals, value lengths) and checks the rest at once: a line
    of that length with anything else inside its tail must still get the record-by-record verdict."""
    uuid = "0b6c1a8e-4f1c-4b2e-9a7d-0000000000{:02d}"
    capture = [compact(uuid.format(i), f"0.{i:02d}") for i in range(40)]
    odd = {
        20: compact(uuid.format(20)[:-2] + '\\"', "0.20"),  # an escaped quote, same length
        21: compact(uuid.format(21)[:-1] + "\t", "0.21"),  # a raw tab: not JSON
        22: compact(uuid.format(22)[:-2] + "\u00e9", "0.22"),  # two UTF-8 bytes, same length in bytes
        23: compact(uuid.format(23), "0.23").replace(b'"eventVersion":"0"', b'"eventVersion":"1"'),  # valid JSON
        24: compact(uuid.format(24), "0.24").replace(b'"inferenceTime"', b'"inferenceTimf"'),  # no time: inside
        25: compact(uuid.format(25), "0.25").replace(b'{"eventId"', b'["eventId"'),  # not JSON
        26: compact(uuid.format(26), "0.26", at="2026-11-23T09:30:00Z"),  # same length, outside the window
    }
    capture = [odd.get(i, line) for i, line in enumerate(capture)]
    labels = [truth(uuid.format(i), str(i % 2)) for i in range(40)] + [truth(uuid.format(22)[:-2] + "\u00e9", "1")]
    reading = OutputReading(BINARY, probability_attribute="0")
    by_block = outcome(run(reading, capture, labels, blocks=True))
    record_by_record(monkeypatch)
    assert outcome(run(reading, capture, labels, blocks=True)) == by_block
    assert by_block[3]["merged"] == 36 and by_block[3]["inferences_outside_window"] == 1  # 20: its label names
    # the id before the escape; 21 and 25 are not JSON; 26 is outside


HOSTILE = [
    b"[]",
    b"1",
    b'"x"',
    b'{"eventMetadata":[1],"captureData":{"endpointOutput":{}}}',
    b'{"eventMetadata":{"eventId":"a"},"captureData":{"endpointOutput":[1]}}',
    b'{"eventMetadata":{"eventId":"a"},"captureData":"x"}',
    compact("b", "0.5", at="0001-01-01T00:00:00+01:00"),
    compact("c", "0.5", at="9999-12-31T23:59:59-01:00"),
    compact("", "0.5"),  # an empty eventId
    compact("d" * 129, "0.5"),  # longer than an eventId may be
    compact("e\\u0000", "0.5"),  # a NUL
    compact("f", "inf"),
    json.dumps({"eventMetadata": {"eventId": "g", "inferenceTime": "2026-11-23T08:30:00Z"}, "captureData": {
        "endpointOutput": {"observedContentType": "application/json", "data": '{"score": 1' + "0" * 400 + "}",
                           "encoding": "JSON"}}}).encode(),
    json.dumps({"eventMetadata": {"eventId": "h", "inferenceTime": "2026-11-23T08:30:00Z"}, "captureData": {
        "endpointOutput": {"observedContentType": "application/json", "data": "[" * 100_000 + "]" * 100_000,
                           "encoding": "JSON"}}}).encode(),
]  # fmt: skip
HOSTILE_TRUTH = [
    b"[]",
    b'{"eventMetadata":{"eventId":"a"},"groundTruthData":[1]}',
    truth("x" * 129, "1"),
    truth("", "1"),
]


@pytest.mark.parametrize("reading", [OutputReading(BINARY, probability_attribute="0"),
                                     OutputReading(BINARY, probability_attribute="score")])  # fmt: skip
def test_a_record_of_any_shape_is_one_counted_unreadable_record(reading: OutputReading, monkeypatch):
    capture, labels = [*HOSTILE, compact("ok", "0.9")], [*HOSTILE_TRUTH, truth("ok", "1")]
    by_block = run(reading, capture, labels, blocks=True)
    summary = by_block.document()
    assert summary["unreadable_records"] == len(HOSTILE) + len(HOSTILE_TRUTH) - 1  # the empty label's id is kept
    assert summary["labels_without_inference"] == 1
    record_by_record(monkeypatch)
    assert outcome(run(reading, capture, labels, blocks=True)) == outcome(by_block)


def test_whoever_writes_ground_truth_cannot_grow_the_merge():
    """Labels of eventIds the window did not capture are counted, never kept; reasons quoting a record are cut
    short and their number bounded."""
    merge = Merge(OutputReading(MULTICLASS), start=START, end=END)
    merge.add_capture([compact("a", "cat")], "capture")
    labels = [truth(f"unknown-{i}", f"label-{i}-" + "z" * 1000) for i in range(2000)]
    weird = [json.dumps({"groundTruthData": {"data": "1", "encoding": f"E{i}" + "y" * 5000},
                         "eventMetadata": {"eventId": "a"}}).encode() for i in range(300)]  # fmt: skip
    merge.add_ground_truth(capped_blocks([b"\n".join(labels + weird)]), "truth")
    assert merge.truth.texts == []
    assert merge.document()["labels_without_inference"] == 2000
    assert len(merge.tally.reasons) <= 101 and max(len(r) for r in merge.tally.reasons) <= 200
    assert merge.tally.reasons["other reasons"] == 200 and merge.tally.skipped == 300


def test_a_capture_record_is_read_by_its_output_whatever_its_request_holds(monkeypatch: pytest.MonkeyPatch):
    """The one place the block path reads more than the record-by-record path: it does not parse the captured
    request (this monitor does not use it; the data-quality monitor does, and counts a broken one), so a record in
    SageMaker's layout with a request that is not JSON still gives its prediction."""
    broken = compact("a", "0.7").replace(b'"data":"5,1.5,\\"x\\""', b'"data":"5,1.5,\x00"')
    reading = OutputReading(BINARY, probability_attribute="0")
    assert run(reading, [broken], [truth("a", "1")], blocks=True).document()["merged"] == 1
    record_by_record(monkeypatch)
    assert run(reading, [broken], [truth("a", "1")], blocks=True).document()["unreadable_records"] == 1
