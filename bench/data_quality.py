"""Data-quality monitor benchmark: 100k, 1M, 10M captured records x 50 features, one process each (peak RSS
per size), and the same 1M records through Evidently's data drift report in its own venv (the ratio).

Wall time is the headline; CPU time (the process's own) is printed beside it because this machine is shared
and a neighbour's load stretches wall time but not CPU time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench import FULL

ROOT = Path(__file__).resolve().parent.parent
EVIDENTLY_VENV = ROOT / ".venv-evidently"
SIZES = tuple(
    int(s) for s in os.environ.get("DQ_BENCH_SIZES", "100000,1000000,10000000" if FULL else "100000").split(",")
)
BASELINE_ROWS = 100_000

ONE_SIZE = """
import json, resource, sys, time
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
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(records: int) -> dict[str, float]:
    code = ONE_SIZE % {"records": records, "baseline": BASELINE_ROWS}
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("layers/python", "layers/dq/python", ".")),
    }
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=ROOT)
    return dict(json.loads(output.stdout.strip().splitlines()[-1]))


def evidently(records: int) -> dict[str, float] | None:
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
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    output = subprocess.run(
        [str(python), "-m", "bench.evidently_drift", str(records), str(BASELINE_ROWS)],
        capture_output=True, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    if output.returncode != 0:
        print(output.stderr[-2000:], file=sys.stderr)
        return None
    return dict(json.loads(output.stdout.strip().splitlines()[-1]))


def run() -> list[str]:
    lines = [
        "### Data-quality monitor: one process, 50 features, CSV payloads (baseline of 100k rows)",
        "",
        "| captured records | wall time | CPU time | records/s (wall) | peak RSS | violations |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    ours = {}
    for records in SIZES:
        figures = measure(records)
        ours[records] = figures
        lines.append(
            f"| {records:,} | {figures['seconds']:.1f} s | {figures['cpu_seconds']:.1f} s |"
            f" {records / figures['seconds']:,.0f} | {figures['peak_rss_mb']:.0f} MB | {figures['violations']} |"
        )
    comparison_size = 1_000_000 if 1_000_000 in ours else min(ours)
    theirs = evidently(comparison_size) if os.environ.get("DQ_BENCH_EVIDENTLY", "1" if FULL else "0") == "1" else None
    if theirs:
        mine = ours[comparison_size]
        ratio, cpu_ratio = theirs["seconds"] / mine["seconds"], theirs["cpu_seconds"] / mine["cpu_seconds"]
        lines += [
            "",
            f"Same {comparison_size:,} records through Evidently 0.7.23 `DataDriftPreset` (parse + report):"
            f" {theirs['seconds']:.1f} s wall, {theirs['cpu_seconds']:.1f} s CPU, peak RSS"
            f" {theirs['peak_rss_mb']:.0f} MB. **This monitor is {ratio:.1f}x faster** (wall; {cpu_ratio:.1f}x in CPU"
            f" time) at {mine['peak_rss_mb']:.0f} MB.",
        ]
    else:
        lines += [
            "",
            "Evidently comparison: not run (quick run: `make bench-full` runs it; or its venv could not be installed).",
        ]
    return lines
