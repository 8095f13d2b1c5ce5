"""`make bench`: figures for the docs, one module per feature, each with ``run() -> list[str]``.

`make bench` is the quick run (about two minutes: the smaller sizes, no comparison venvs built);
`make bench-full` (``BENCH=full``) runs every size, up to 10,000,000 captured records and 10,000 model versions,
and the comparisons with Evidently (1M records at 28 and 50 features, fresh processes, cold and warm) and the
SageMaker Python SDK (each installed once in its own venv).
"""

import os

ORDER = ("carry_forward", "burst", "cold_start", "violation_alerts", "account_sweep", "data_quality", "model_quality")
FULL = os.environ.get("BENCH", "quick") == "full"


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB: VmHWM, which exec resets (ru_maxrss keeps the launching
    process's peak when Python starts a child with vfork, so a child of a big bench would report the bench's size)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
