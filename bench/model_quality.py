"""Model-quality monitor benchmark: N binary inferences with probabilities, as capture records and their ground
truth records (JSON Lines files, read in 8 MB chunks as the monitor reads S3 bodies), merged by eventId and
measured in one process (time, peak RSS); then the same rows through Evidently 0.7.23's ClassificationPreset in its
own venv, twice: from a ready DataFrame (Evidently's own cost), and end to end from the same files (pandas reads
both JSON Lines files and merges them by eventId, as a team replacing Model Monitor with Evidently would)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO

from bench import FULL
from bench.data_quality import EVIDENTLY_VENV, ROOT, evidently_python

SIZE = int(os.environ.get("MQ_BENCH_SIZE", "1000000" if FULL else "50000"))

OURS = """
import json, resource, time
from pathlib import Path
from data_quality.capture import capped_blocks
from data_quality.model_quality import BINARY, statistics_document
from data_quality.mq_merge import Merge, OutputReading
folder = Path(%(folder)r)
def chunks(name):  # streamed in 8 MB chunks, as the monitor reads S3 bodies
    with (folder / name).open("rb") as body:
        yield from iter(lambda: body.read(8 << 20), b"")
started, cpu = time.perf_counter(), time.process_time()
merge = Merge(OutputReading(BINARY, probability_attribute="0"))
merge.add_capture(capped_blocks(chunks("capture.jsonl")), "bench")
merge.add_ground_truth(capped_blocks(chunks("truth.jsonl")), "bench")
merged = time.perf_counter()
statistics = statistics_document(merge.pairs())
seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
print(json.dumps({"merged": merge.merged, "seconds": seconds, "cpu_seconds": cpu_seconds,
                  "metrics_seconds": time.perf_counter() - merged,
                  "auc": statistics["binary_classification_metrics"]["auc"]["value"],
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

PRESET = """
from evidently import BinaryClassification, DataDefinition, Dataset, Report
from evidently.presets import ClassificationPreset
def preset(frame):
    definition = DataDefinition(classification=[BinaryClassification(target="target", prediction_probas="prediction")])
    return Report([ClassificationPreset()]).run(Dataset.from_pandas(frame, data_definition=definition), None).dict()
"""

THEIRS = (
    PRESET
    + """
import json, resource, time
import numpy as np, pandas as pd
rng = np.random.default_rng(7)
n = %(size)d
target = (rng.random(n) < 0.3).astype(int)
proba = np.clip(rng.normal(0.3 + 0.4 * target, 0.15), 0, 1).round(4)
started, cpu = time.perf_counter(), time.process_time()
preset(pd.DataFrame({"target": target, "prediction": proba}))
seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
)

THEIRS_FROM_FILES = (
    PRESET
    + """
import json, resource, time
import pandas as pd
from pathlib import Path
folder = Path(%(folder)r)
started, cpu = time.perf_counter(), time.process_time()
capture = pd.read_json(folder / "capture.jsonl", lines=True)
truth = pd.read_json(folder / "truth.jsonl", lines=True)
predictions = pd.DataFrame({
    "eventId": capture["eventMetadata"].map(lambda m: m["eventId"]),
    "prediction": capture["captureData"].map(lambda c: float(c["endpointOutput"]["data"])),
})
labels = pd.DataFrame({
    "eventId": truth["eventMetadata"].map(lambda m: m["eventId"]),
    "target": truth["groundTruthData"].map(lambda g: int(g["data"])),
})
preset(predictions.merge(labels, on="eventId"))
seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
)


def write_records(size: int, folder: Path, seed: int = 7) -> None:
    """capture.jsonl (SageMaker's compact layout, CSV probability output) and truth.jsonl (Model Monitor's ground
    truth records, as json.dumps writes them): the same rows Evidently gets."""
    import numpy as np

    rng = np.random.default_rng(seed)
    target = (rng.random(size) < 0.3).astype(int)
    proba = np.clip(rng.normal(0.3 + 0.4 * target, 0.15), 0, 1).round(4)
    with (folder / "capture.jsonl").open("wb") as capture, (folder / "truth.jsonl").open("wb") as truth:
        for i in range(size):
            _write(capture, truth, i, float(proba[i]), int(target[i]))


def _write(capture: BinaryIO, truth: BinaryIO, i: int, probability: float, label: int) -> None:
    event = f"{i:08x}-4f1c-4b2e-9a7d-{i * 7919:012x}".encode()  # a UUID, as SageMaker writes eventIds
    capture.write(
        b'{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"1,2,3",'
        b'"encoding":"CSV"},"endpointOutput":{"observedContentType":"text/csv","mode":"OUTPUT","data":"%s",'
        b'"encoding":"CSV"}},"eventMetadata":{"eventId":"%s","inferenceTime":"2026-11-23T08:00:00Z"},'
        b'"eventVersion":"0"}\n' % (repr(probability).encode(), event)
    )
    truth.write(
        b'{"groundTruthData": {"data": "%d", "encoding": "CSV"}, "eventMetadata": {"eventId": "%s"}, '
        b'"eventVersion": "0"}\n' % (label, event)
    )


def _measure(python: str, code: str, env: dict[str, str]) -> dict[str, float] | None:
    output = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    if output.returncode != 0:
        print(output.stderr[-2000:], file=sys.stderr)
        return None
    return dict(json.loads(output.stdout.strip().splitlines()[-1]))


def _figures(run: dict[str, float]) -> str:
    return f"{run['seconds']:.1f} s wall, {run['cpu_seconds']:.1f} s CPU, peak RSS {run['peak_rss_mb']:.0f} MB"


def run() -> list[str]:
    folder = Path(tempfile.mkdtemp(prefix="mq-bench-"))
    write_records(SIZE, folder)
    paths = os.pathsep.join(str(ROOT / p) for p in ("layers/python", "layers/dq/python", "."))
    mine = _measure(sys.executable, OURS % {"folder": str(folder)}, {**os.environ, "PYTHONPATH": paths})
    if mine is None:
        return ["### Model-quality monitor: the run failed (see stderr)"]
    megabytes = sum(f.stat().st_size for f in folder.iterdir()) / 1e6
    lines = [
        f"### Model-quality monitor: {SIZE:,} merged binary inferences with probabilities, one process",
        "",
        f"Merge by eventId ({megabytes:,.0f} MB of capture and ground truth JSON Lines read and parsed) and every"
        f" binary metric with its curves: {_figures(mine)}; the metrics alone {mine['metrics_seconds']:.2f} s.",
    ]
    compare = os.environ.get("MQ_BENCH_EVIDENTLY", "1" if FULL else "0") == "1"
    python = EVIDENTLY_VENV / "bin" / "python"
    if compare and not python.exists():
        evidently_python()  # builds the venv the data-quality comparison uses
    clean = {**os.environ, "PYTHONPATH": ""}
    ready = _measure(str(python), THEIRS % {"size": SIZE}, clean) if compare else None
    files = _measure(str(python), THEIRS_FROM_FILES % {"folder": str(folder)}, clean) if compare else None
    if ready and files:
        lines += [
            f"Evidently 0.7.23 `ClassificationPreset` on the same rows from a ready DataFrame (no files, no merge):"
            f" {_figures(ready)}: this monitor's whole run is **{ready['seconds'] / mine['seconds']:.1f}x faster**"
            f" (wall), its metrics {ready['seconds'] / mine['metrics_seconds']:.0f}x.",
            f"Evidently end to end from the same files (pandas `read_json(lines=True)` of both, merged on eventId,"
            f" then the preset): {_figures(files)}: this monitor is **{files['seconds'] / mine['seconds']:.1f}x"
            f" faster** (wall), at {files['peak_rss_mb'] / mine['peak_rss_mb']:.1f}x less memory.",
        ]
    else:
        lines.append("Evidently comparison: not run (quick run: `make bench-full` runs it).")
    for name in ("capture.jsonl", "truth.jsonl"):
        (folder / name).unlink()
    folder.rmdir()
    return lines
