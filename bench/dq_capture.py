"""Synthetic data capture for the data-quality benchmark: 50 features as CSV payloads, streamed in chunks
(nothing is written to disk; generating 10M records costs a fraction of checking them)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

FEATURES = 50
POOL = 50_000
_RECORD = (
    '{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"%s","encoding":"CSV"},'
    '"endpointOutput":{"observedContentType":"text/csv","mode":"OUTPUT","data":"0.5","encoding":"CSV"}},'
    '"eventMetadata":{"eventId":"e","inferenceTime":"2026-11-23T08:00:00Z"},"eventVersion":"0"}'
)


def payload_rows(count: int, seed: int, shift: float = 0.0) -> list[str]:
    """Half integer features, half one-decimal fractional features (generated in blocks: small peak memory)."""
    rng = np.random.default_rng(seed)
    rows: list[str] = []
    for start in range(0, count, 5_000):
        size = min(5_000, count - start)
        integral = rng.poisson(5, (size, FEATURES // 2)).tolist()
        fractional = rng.normal(100 + shift, 20, (size, FEATURES - FEATURES // 2)).round(1).tolist()
        rows += [",".join(map(str, a + b)) for a, b in zip(integral, fractional, strict=True)]
    return rows


def capture_lines(records: int, seed: int = 1, shift: float = 0.0) -> Iterator[bytes]:
    """``records`` capture lines, cycling through pools of distinct rows."""
    pools = [[(_RECORD % row).encode() for row in payload_rows(POOL, seed + i, shift)] for i in range(2)]
    produced = 0
    while produced < records:
        pool = pools[(produced // POOL) % len(pools)]
        take = min(POOL, records - produced)
        yield from pool[:take]
        produced += take
