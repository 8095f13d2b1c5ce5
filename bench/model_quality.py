"""Model-quality monitor benchmark: N merged binary inferences with probabilities (capture records and ground
truth records as the monitor reads them), merged by eventId and measured in one process (time, peak RSS); then
the same rows through Evidently 0.7.23's ClassificationPreset in its own venv (the ratio)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import BinaryIO

from bench import FULL
from bench.data_quality import EVIDENTLY_VENV, ROOT, evidently_python

SIZE = int(os.environ.get("MQ_BENCH_SIZE", "1000000" if FULL else "50000"))

OURS = """
import json, resource, tempfile, time
from pathlib import Path
from bench.model_quality import write_records
from data_quality.model_quality import BINARY, statistics_document
from data_quality.capture import capped_blocks
from data_quality.mq_merge import Merge, OutputReading
folder = Path(tempfile.mkdtemp())
write_records(%(size)d, folder)
started, cpu = time.perf_counter(), time.process_time()
merge = Merge(OutputReading(BINARY, probability_attribute="0"))
def chunks(name):  # streamed in 8 MB chunks, as the monitor reads S3 bodies
    with (folder / name).open("rb") as body:
        yield from iter(lambda: body.read(8 << 20), b"")
merge.add_capture(capped_blocks(chunks("capture.jsonl")), "bench")
merge.add_ground_truth(capped_blocks(chunks("truth.jsonl")), "bench")
statistics = statistics_document(merge.pairs())
seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
print(json.dumps({"merged": merge.merged, "seconds": seconds, "cpu_seconds": cpu_seconds,
                  "auc": statistics["binary_classification_metrics"]["auc"]["value"],
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

THEIRS = """
import json, resource, time
import numpy as np, pandas as pd
from evidently import BinaryClassification, DataDefinition, Dataset, Report
from evidently.presets import ClassificationPreset
rng = np.random.default_rng(7)
n = %(size)d
target = (rng.random(n) < 0.3).astype(int)
proba = np.clip(rng.normal(0.3 + 0.4 * target, 0.15), 0, 1).round(4)
started, cpu = time.perf_counter(), time.process_time()
frame = pd.DataFrame({"target": target, "prediction": proba})
definition = DataDefinition(classification=[BinaryClassification(target="target", prediction_probas="prediction")])
Report([ClassificationPreset()]).run(Dataset.from_pandas(frame, data_definition=definition), None).dict()
seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def write_records(size: int, folder: Path, seed: int = 7) -> None:
    """capture.jsonl (CSV probability output) and truth.jsonl: the same rows Evidently gets."""
    import numpy as np

    rng = np.random.default_rng(seed)
    target = (rng.random(size) < 0.3).astype(int)
    proba = np.clip(rng.normal(0.3 + 0.4 * target, 0.15), 0, 1).round(4)
    with (folder / "capture.jsonl").open("wb") as capture, (folder / "truth.jsonl").open("wb") as truth:
        for i in range(size):
            _write(capture, truth, i, float(proba[i]), int(target[i]))


def _write(capture: BinaryIO, truth: BinaryIO, i: int, probability: float, label: int) -> None:
    event = f"{i:08d}-bench".encode()
    capture.write(
        b'{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"1,2,3",'
        b'"encoding":"CSV"},"endpointOutput":{"observedContentType":"text/csv","mode":"OUTPUT","data":"%s",'
        b'"encoding":"CSV"}},"eventMetadata":{"eventId":"%s","inferenceTime":"2026-11-23T08:00:00Z"},'
        b'"eventVersion":"0"}\n' % (repr(probability).encode(), event)
    )
    truth.write(
        b'{"groundTruthData":{"data":"%d","encoding":"CSV"},"eventMetadata":{"eventId":"%s"},"eventVersion":"0"}\n'
        % (label, event)
    )


def _measure(python: str, code: str, env: dict[str, str]) -> dict[str, float] | None:
    output = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    if output.returncode != 0:
        print(output.stderr[-2000:], file=sys.stderr)
        return None
    return dict(json.loads(output.stdout.strip().splitlines()[-1]))


def run() -> list[str]:
    paths = os.pathsep.join(str(ROOT / p) for p in ("layers/python", "layers/dq/python", "."))
    mine = _measure(sys.executable, OURS % {"size": SIZE}, {**os.environ, "PYTHONPATH": paths})
    if mine is None:
        return ["### Model-quality monitor: the run failed (see stderr)"]
    lines = [
        f"### Model-quality monitor: {SIZE:,} merged binary inferences with probabilities, one process",
        "",
        f"Merge by eventId (capture and ground truth records parsed) and every binary metric with curves:"
        f" {mine['seconds']:.1f} s wall, {mine['cpu_seconds']:.1f} s CPU, peak RSS {mine['peak_rss_mb']:.0f} MB"
        f" (records streamed from files, as from S3).",
    ]
    compare = os.environ.get("MQ_BENCH_EVIDENTLY", "1" if FULL else "0") == "1"
    python = EVIDENTLY_VENV / "bin" / "python"
    if compare and not python.exists():
        evidently_python()  # builds the venv the data-quality comparison uses
    theirs = _measure(str(python), THEIRS % {"size": SIZE}, {**os.environ, "PYTHONPATH": ""}) if compare else None
    if theirs:
        ratio = theirs["seconds"] / mine["seconds"]
        lines.append(
            f"Same rows through Evidently 0.7.23 `ClassificationPreset` (from a ready DataFrame, no parsing):"
            f" {theirs['seconds']:.1f} s wall, {theirs['cpu_seconds']:.1f} s CPU, peak RSS"
            f" {theirs['peak_rss_mb']:.0f} MB. **This monitor is {ratio:.1f}x faster** (wall)."
        )
    else:
        lines.append("Evidently comparison: not run (quick run: `make bench-full` runs it).")
    return lines
