"""boto3 clients with explicit retry behaviour, one per service per process.

Two kinds of retry, because two kinds of failure:
- transient errors (5xx, connection, timeouts): botocore's retries, 3 attempts in all;
- throttling: a burst of registrations shares one account-wide rate (SageMaker Search is a few calls a second).
  Inside a Lambda invocation (``within_invocation``) a throttled call is retried with capped exponential backoff
  and full jitter for as long as the invocation has time left, keeping ``FINISH_RESERVE_SECONDS`` to finish the
  work after the call. Then the error goes up, the invocation fails, and Lambda's own asynchronous retries (one
  and two minutes later) try again: by then the burst has thinned. Effects are leased and planned ahead
  (workflows/effects.py), so a retry never does anything twice.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache, wraps
from typing import Any, Protocol, TypeVar

import boto3
from botocore.config import Config

# Set the retry mode explicitly: the default differs between botocore releases. Adaptive = standard retries plus a
# client-side rate limiter (per client: it paces a long sweep; in a burst each container has its own and it
# learns little). 3 attempts for transient errors; throttling inside an invocation is retried longer (below).
RETRY_CONFIG = Config(retries={"mode": "adaptive", "total_max_attempts": 3}, connect_timeout=2, read_timeout=10)

# What an invocation keeps after its last throttled attempt: one slow attempt (2 s connect + 10 s read) plus the
# few calls that follow it. The function timeout is 60 s: a throttled call may wait about 45 s.
FINISH_RESERVE_SECONDS = 15.0
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 8.0
MIN_WAIT_SECONDS = 0.05

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
    }
)


class RemainingTime(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


_remaining_ms: ContextVar[Callable[[], int] | None] = ContextVar("remaining_ms", default=None)


@contextmanager
def within_invocation(context: RemainingTime) -> Iterator[None]:
    """Throttled calls made inside the block are retried while ``context`` says the invocation has time left."""
    token = _remaining_ms.set(context.get_remaining_time_in_millis)
    try:
        yield
    finally:
        _remaining_ms.reset(token)


Handler = TypeVar("Handler", bound=Callable[..., Any])


def patient_with_throttling(handler: Handler) -> Handler:
    """Decorate a Lambda handler ``(event, context)``: its AWS calls wait out throttling until its deadline."""

    @wraps(handler)
    def wrapped(event: Any, context: Any, *args: Any, **kwargs: Any) -> Any:
        with within_invocation(context):
            return handler(event, context, *args, **kwargs)

    return wrapped  # type: ignore[return-value]


def throttle_wait(
    attempts: int, remaining_seconds: float | None, draw: Callable[[], float] = random.random
) -> float | None:
    """Seconds to wait before attempt ``attempts + 1`` of a throttled call, or None to give up.

    Full jitter over a capped exponential (so a burst of callers spreads out instead of retrying in step),
    clipped to the time the invocation can spare. Outside an invocation (scripts, ops commands): None, botocore's
    own retries alone apply.
    """
    if remaining_seconds is None:
        return None
    spare = remaining_seconds - FINISH_RESERVE_SECONDS
    wait = draw() * min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    wait = min(max(wait, MIN_WAIT_SECONDS), spare)
    return wait if wait >= MIN_WAIT_SECONDS else None


def _retry_throttling(attempts: int, response: Any = None, **_: Any) -> float | None:
    """botocore ``needs-retry`` handler, registered before the standard one: the first answer that is not None
    decides. For anything but throttling, or when time is short, it answers None and the standard rule applies."""
    remaining = _remaining_ms.get()
    if remaining is None or not response:
        return None
    code = ((response[1] or {}).get("Error") or {}).get("Code")
    if code not in THROTTLING_CODES:
        return None
    return throttle_wait(attempts, remaining() / 1000)


@cache
def client(service: str) -> Any:
    created = boto3.client(service, config=RETRY_CONFIG)  # type: ignore[call-overload]
    service_event = created.meta.service_model.service_id.hyphenize()
    created.meta.events.register_first(f"needs-retry.{service_event}", _retry_throttling)
    return created


def reset_clients() -> None:
    """Forget cached clients (tests switch between in-memory AWS instances)."""
    client.cache_clear()
