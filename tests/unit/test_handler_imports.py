"""The other functions do not pay for the data-quality monitor's compiled dependencies."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py") if p.parent.name != "dq_monitor")
PROBE = (
    "import importlib.util as u, sys; s = u.spec_from_file_location('h', sys.argv[1]); m = u.module_from_spec(s);"
    " s.loader.exec_module(m); print(sorted({'numpy', 'datasketches', 'orjson', 'data_quality'} & set(sys.modules)))"
)


@pytest.mark.parametrize("handler", HANDLERS)
def test_other_handlers_import_no_numpy_datasketches_or_orjson(handler):
    output = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT / "functions" / handler / "app.py")],
        capture_output=True, text=True, check=True, cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT / 'layers' / 'python'}", "AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert output.stdout.strip() == "[]"
