"""The manifest's items: groups of capture objects bounded by their bytes (what one ProfileBatch invocation reads)
and by the JSON Step Functions hands a child execution, in capture order, every object exactly once."""

from __future__ import annotations

import json

from data_quality.storage import CaptureObject
from data_quality.workflow import BATCH_MAX_JSON_BYTES, batches_of


def objects(*sizes: int) -> list[CaptureObject]:
    return [
        CaptureObject("capture", f"endpoint/AllTraffic/2026/11/23/08/{i:04d}.jsonl", s) for i, s in enumerate(sizes)
    ]


def test_groups_hold_at_most_the_byte_bound_and_a_larger_object_goes_alone():
    groups = batches_of(objects(100, 100, 100, 250, 50), max_bytes=200)
    assert [[o["Size"] for o in g["objects"]] for g in groups] == [[100, 100], [100], [250], [50]]
    assert [g["bytes"] for g in groups] == [200, 100, 250, 50]
    assert {g["kind"] for g in groups} == {"capture"}  # the ProfileBatch event's Kind


def test_many_small_objects_are_split_so_each_item_fits_a_child_execution_input():
    many = objects(*[10] * 5000)
    groups = batches_of(many, max_bytes=10**12)
    assert len(groups) > 1
    assert all(len(json.dumps(g)) <= BATCH_MAX_JSON_BYTES + 100 for g in groups)
    assert [o["Key"] for g in groups for o in g["objects"]] == [o.key for o in many]


def test_no_objects_no_groups():
    assert batches_of([], max_bytes=1) == []
