"""Cold-start proxy: fresh-process import time of each handler, beside the SageMaker SDK's model card module."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench import FULL

ROOT = Path(__file__).resolve().parent.parent
SDK_VENV = ROOT / ".venv-bench"
RUNS = 5
TIMER = "import time, importlib.util as u; t = time.perf_counter(); {body}; print(time.perf_counter() - t)"


def _import_handler(handler_dir: str) -> str:
    path = ROOT / "functions" / handler_dir / "app.py"
    return f"s = u.spec_from_file_location('h', {str(path)!r}); m = u.module_from_spec(s); s.loader.exec_module(m)"


def _median_seconds(python: str, body: str, env: dict[str, str]) -> float:
    samples = []
    for _ in range(RUNS):
        output = subprocess.run(
            [python, "-c", TIMER.format(body=body)], capture_output=True, text=True, check=True, env=env, cwd=ROOT
        ).stdout
        samples.append(float(output.strip().splitlines()[-1]))
    return statistics.median(samples)


def sdk_python() -> str | None:
    """The SageMaker SDK's interpreter in .venv-bench, built on first use; None when the install fails."""
    python = SDK_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(SDK_VENV)], check=True)
        uv = Path(sys.executable).parent / "uv"
        result = subprocess.run(
            [
                str(uv),
                "pip",
                "install",
                "--quiet",
                "--python",
                str(python),
                "-r",
                str(ROOT / "bench" / "requirements-sdk.txt"),
            ],
            env={**os.environ, "UV_COMPILE_BYTECODE": "1"},
        )
        if result.returncode != 0:
            return None
    return str(python)


def run() -> list[str]:
    # Both layers, as Lambda mounts them: the data-quality handler imports data_quality.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("layers/python", "layers/dq/python"))}
    handlers = sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py"))
    timings = {h: _median_seconds(sys.executable, _import_handler(h), env) for h in handlers}
    sdk_interpreter = sdk_python() if FULL or (SDK_VENV / "bin" / "python").exists() else None
    sdk = _median_seconds(sdk_interpreter, "import sagemaker.model_card", dict(os.environ)) if sdk_interpreter else None
    lines = [
        f"### Cold-start proxy: fresh-process import time (median of {RUNS}, bytecode compiled)",
        "",
        "| module | import time | vs SageMaker SDK `sagemaker.model_card` |",
        "| --- | ---: | ---: |",
    ]
    for handler, seconds in timings.items():
        ratio = f"{sdk / seconds:.1f}x faster" if sdk else "n/a"
        lines.append(f"| `functions/{handler}/app.py` | {seconds * 1000:.0f} ms | {ratio} |")
    lines.append(
        f"| SageMaker Python SDK 2.257.1 `import sagemaker.model_card` | {sdk * 1000:.0f} ms | 1.0x |"
        if sdk
        else "| SageMaker Python SDK | not measured (quick run: `make bench-full` installs it) | |"
    )
    return lines
