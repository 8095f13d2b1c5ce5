"""One fresh process, as a new Lambda container's first invocation: imports, then the check of one capture object
read through ``S3Files`` (botocore's streaming body and line reader) from a local file standing in for S3.

``python -m bench.dq_through_s3 <folder> <features>``: the folder holds ``capture.jsonl`` and the baseline's
``constraints.json`` and ``statistics.json``. Prints JSON: cold (from process start: imports and the run) and warm
(the run alone) wall and CPU seconds, peak RSS.
"""

import time

STARTED, STARTED_CPU = time.perf_counter(), time.process_time()

import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from botocore.response import StreamingBody  # noqa: E402

from bench import peak_rss_mb  # noqa: E402
from data_quality.constraints import read_baseline  # noqa: E402
from data_quality.runs import check  # noqa: E402
from data_quality.service import profile_objects  # noqa: E402
from data_quality.storage import CaptureObject, S3Files  # noqa: E402


class LocalS3:
    """The one S3 call a check's read makes, served from a folder: the body is botocore's own StreamingBody."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        path = self._root / Key
        return {"Body": StreamingBody(path.open("rb"), path.stat().st_size)}


def main() -> None:
    folder, features = Path(sys.argv[1]), int(sys.argv[2])
    imported, imported_cpu = time.perf_counter(), time.process_time()
    names = [f"f{i}" for i in range(features)]
    baseline = read_baseline((folder / "constraints.json").read_bytes(), (folder / "statistics.json").read_bytes())
    capture = CaptureObject("capture-bucket", "capture.jsonl", (folder / "capture.jsonl").stat().st_size)
    profile, tally = profile_objects(S3Files(LocalS3(folder)), [capture], names)
    result = check(baseline, profile, tally)
    ended, ended_cpu = time.perf_counter(), time.process_time()
    print(json.dumps({
        "records": tally.records, "violations": len(result.violations),
        "import_seconds": imported - STARTED, "import_cpu_seconds": imported_cpu - STARTED_CPU,
        "seconds": ended - imported, "cpu_seconds": ended_cpu - imported_cpu,
        "cold_seconds": ended - STARTED, "cold_cpu_seconds": ended_cpu - STARTED_CPU,
        "peak_rss_mb": peak_rss_mb(),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
