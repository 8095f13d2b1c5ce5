"""boto3 clients with explicit retry behaviour, one per service per process (adaptive limiter is per client)."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

# Set the retry mode explicitly: the default differs between botocore releases (aws-facts.md section 5).
# Adaptive = standard retries (throttling backoff) plus a client-side rate limiter.
# The budget stays inside the 60 s function timeout: 3 attempts x (2 s connect + 10 s read) plus backoff (at most
# 1 s + 2 s for throttling) is about 40 s for one call. A longer budget would let Lambda kill the function mid-
# retry; the effects' leases (workflows/effects.py) make that safe, but it should be the exception.
RETRY_CONFIG = Config(retries={"mode": "adaptive", "total_max_attempts": 3}, connect_timeout=2, read_timeout=10)


@cache
def client(service: str) -> Any:
    return boto3.client(service, config=RETRY_CONFIG)  # type: ignore[call-overload]


def reset_clients() -> None:
    """Forget cached clients (tests switch between in-memory AWS instances)."""
    client.cache_clear()
