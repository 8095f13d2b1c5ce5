"""`make bench`: figures for the docs, one module per feature, each with ``run() -> list[str]``.

`make bench` is the quick run (about two minutes: the smaller sizes, no comparison venvs built);
`make bench-full` (``BENCH=full``) runs every size, up to 10,000,000 captured records and 10,000 model versions,
and the comparisons with Evidently and the SageMaker Python SDK (each installed once in its own venv).
"""

import os

ORDER = ("carry_forward", "cold_start", "violation_alerts", "account_sweep", "data_quality", "model_quality")
FULL = os.environ.get("BENCH", "quick") == "full"
