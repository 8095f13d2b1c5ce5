"""Run in .venv-evidently: the same capture file through Evidently's data drift report (AWS's suggested
replacement for Model Monitor), in a fresh process. Prints JSON: cold (from process start: pandas and Evidently
imports, parse, report) and warm (parse + report) wall and CPU seconds, peak RSS.

``python -m bench.evidently_drift <folder> <features>``: the folder holds ``capture.jsonl`` and ``reference.csv``.
"""

import time

STARTED, STARTED_CPU = time.perf_counter(), time.process_time()

import io  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402
from evidently import Report  # noqa: E402
from evidently.presets import DataDriftPreset  # noqa: E402

from bench import peak_rss_mb  # noqa: E402


def main() -> None:
    folder, features = Path(sys.argv[1]), int(sys.argv[2])
    imported, imported_cpu = time.perf_counter(), time.process_time()
    names = [f"f{i}" for i in range(features)]
    reference = pd.read_csv(folder / "reference.csv", header=None, names=names)
    with (folder / "capture.jsonl").open("rb") as lines:
        payloads = [json.loads(line)["captureData"]["endpointInput"]["data"] for line in lines]
    current = pd.read_csv(io.StringIO("\n".join(payloads)), header=None, names=names)
    del payloads
    result = Report([DataDriftPreset()]).run(current_data=current, reference_data=reference).dict()
    ended, ended_cpu = time.perf_counter(), time.process_time()
    print(json.dumps({
        "records": len(current), "metrics": len(result.get("metrics", [])),
        "import_seconds": imported - STARTED, "import_cpu_seconds": imported_cpu - STARTED_CPU,
        "seconds": ended - imported, "cpu_seconds": ended_cpu - imported_cpu,
        "cold_seconds": ended - STARTED, "cold_cpu_seconds": ended_cpu - STARTED_CPU,
        "peak_rss_mb": peak_rss_mb(),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
