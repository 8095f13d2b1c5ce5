"""The seed article's churn shape: numeric columns, one-hot State_* columns, as training rows and capture."""

from __future__ import annotations

import base64
import json

import numpy as np

NAMES = ["Account Length", "Day Mins", "Eve Mins", "CustServ Calls", "State_AL", "State_AK", "State_AZ"]


def rows(count: int, seed: int, *, shifted: bool = False, fractional_state_al: float = 0.0) -> list[str]:
    rng = np.random.default_rng(seed)
    account = rng.integers(1, 240, count)
    day = rng.normal(180, 54, count).clip(0, 350).round(1)
    eve = (rng.normal(200, 50, count) + (60 if shifted else 0)).clip(0, 400).round(1)
    calls = rng.poisson(1.5, count) + (3 if shifted else 0)
    state = rng.integers(0, 3, count)
    out = []
    for i in range(count):
        al = str(int(state[i] == 0))
        if fractional_state_al and rng.random() < fractional_state_al:
            al = f"{float(al):.1f}"  # same value, written as a Fractional
        values = [str(account[i]), f"{day[i]:.1f}", f"{eve[i]:.1f}", str(calls[i]), al]
        out.append(",".join([*values, str(int(state[i] == 1)), str(int(state[i] == 2))]))
    return out


def capture_lines(payload_rows: list[str], *, base64_every: int = 0, json_every: int = 0) -> list[bytes]:
    """Data capture records (one row each), some base64-encoded or JSON when asked."""
    lines = []
    for i, row in enumerate(payload_rows):
        data, encoding, content_type = row, "CSV", "text/csv"
        if base64_every and i % base64_every == 0:
            data, encoding = base64.b64encode(row.encode()).decode(), "BASE64"
        elif json_every and i % json_every == 0:
            data, encoding, content_type = json.dumps([float(v) for v in row.split(",")]), "JSON", "application/json"
        record = {
            "captureData": {
                "endpointInput": {
                    "observedContentType": content_type,
                    "mode": "INPUT",
                    "data": data,
                    "encoding": encoding,
                },
                "endpointOutput": {
                    "observedContentType": "text/csv",
                    "mode": "OUTPUT",
                    "data": "0.1",
                    "encoding": "CSV",
                },
            },
            "eventMetadata": {"eventId": f"e{i}", "inferenceTime": "2024-01-01T10:00:00Z"},
            "eventVersion": "0",
        }
        lines.append(json.dumps(record).encode())
    return lines
