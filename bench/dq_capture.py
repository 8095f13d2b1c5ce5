"""Synthetic data capture for the data-quality benchmark, as CSV payloads in capture records.

Two shapes: 50 features (25 integer, 25 one-decimal), and the churn shape at 28 features (the customer-churn
dataset's 14 numeric columns, then 14 one-hot ``State_*`` columns of which one is 1). Records stream in
chunks (generating 10M records costs a fraction of checking them), or are written to a file for the
through-S3 and Evidently runs, which read the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

FEATURES = 50
SHAPES = (28, 50)  # the churn shape, and the wide one
POOL = 50_000
_RECORD = (
    '{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"%s","encoding":"CSV"},'
    '"endpointOutput":{"observedContentType":"text/csv","mode":"OUTPUT","data":"0.5","encoding":"CSV"}},'
    '"eventMetadata":{"eventId":"e","inferenceTime":"2026-11-23T08:00:00Z"},"eventVersion":"0"}'
)


def payload_rows(count: int, seed: int, shift: float = 0.0, features: int = FEATURES) -> list[str]:
    """Rows of ``features`` columns (generated in blocks: small peak memory)."""
    rng = np.random.default_rng(seed)
    rows: list[str] = []
    for start in range(0, count, 5_000):
        size = min(5_000, count - start)
        if features == 28:
            rows += _churn_block(rng, size, shift)
            continue
        integral = rng.poisson(5, (size, features // 2)).tolist()
        fractional = rng.normal(100 + shift, 20, (size, features - features // 2)).round(1).tolist()
        rows += [",".join(map(str, a + b)) for a, b in zip(integral, fractional, strict=True)]
    return rows


def _churn_block(rng: np.random.Generator, size: int, shift: float) -> list[str]:
    """Account length, voicemail messages, day/eve/night/intl minutes and calls, charges, service calls; states."""
    counts = np.column_stack(
        [rng.integers(1, 240, size), rng.poisson(8, size), rng.poisson(100, (size, 4)), rng.poisson(1.5, size)]
    ).tolist()
    minutes = rng.normal(180 + shift * 10, 50, (size, 4)).clip(0, 400).round(1)
    charges = (minutes[:, :3] * 0.1).round(2).tolist()
    state = rng.integers(0, 14, size)
    one_hot = (state[:, None] == np.arange(14)).astype(int).tolist()
    return [
        ",".join(map(str, c + m + ch + s))
        for c, m, ch, s in zip(counts, minutes.tolist(), charges, one_hot, strict=True)
    ]


def capture_lines(records: int, seed: int = 1, shift: float = 0.0, features: int = FEATURES) -> Iterator[bytes]:
    """``records`` capture lines, cycling through pools of distinct rows."""
    pools = [[(_RECORD % row).encode() for row in payload_rows(POOL, seed + i, shift, features)] for i in range(2)]
    produced = 0
    while produced < records:
        pool = pools[(produced // POOL) % len(pools)]
        take = min(POOL, records - produced)
        yield from pool[:take]
        produced += take


def write_capture(path: Path, records: int, features: int, shift: float = 3.0) -> int:
    """One capture object of ``records`` lines at ``path``; its size in bytes."""
    with path.open("wb") as out:
        for line in capture_lines(records, shift=shift, features=features):
            out.write(line + b"\n")
    return path.stat().st_size
