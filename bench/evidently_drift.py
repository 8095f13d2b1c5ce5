"""Run in .venv-evidently: the same synthetic capture through Evidently's data drift report (AWS's suggested
replacement for Model Monitor). Prints wall time (parse + report) and peak RSS as JSON."""

from __future__ import annotations

import io
import json
import resource
import sys
import time

import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset

from bench.dq_capture import FEATURES, capture_lines, payload_rows


def main() -> None:
    records, baseline_rows = int(sys.argv[1]), int(sys.argv[2])
    names = [f"f{i}" for i in range(FEATURES)]
    reference = pd.read_csv(io.StringIO("\n".join(payload_rows(baseline_rows, seed=99))), header=None, names=names)
    started, cpu = time.perf_counter(), time.process_time()
    payloads = [json.loads(line)["captureData"]["endpointInput"]["data"] for line in capture_lines(records, shift=3.0)]
    current = pd.read_csv(io.StringIO("\n".join(payloads)), header=None, names=names)
    del payloads
    result = Report([DataDriftPreset()]).run(current_data=current, reference_data=reference).dict()
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "metrics": len(result.get("metrics", [])),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))  # fmt: skip


if __name__ == "__main__":
    main()
