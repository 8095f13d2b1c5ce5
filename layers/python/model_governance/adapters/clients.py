"""boto3 clients with explicit retry behaviour, one per service per process (adaptive limiter is per client)."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

# Set the retry mode explicitly: the default differs between botocore releases (aws-facts.md section 5).
# Adaptive = standard retries (throttling backoff) plus a client-side rate limiter.
RETRY_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 8}, connect_timeout=5, read_timeout=30)


@cache
def client(service: str) -> Any:
    return boto3.client(service, config=RETRY_CONFIG)  # type: ignore[call-overload]


def reset_clients() -> None:
    """Forget cached clients (tests switch between in-memory AWS instances)."""
    client.cache_clear()
