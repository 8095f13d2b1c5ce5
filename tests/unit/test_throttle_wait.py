"""How long a throttled call waits (adapters/clients.py): jittered, growing, never past the invocation's deadline."""

from __future__ import annotations

from model_governance.adapters.clients import BACKOFF_CAP_SECONDS, FINISH_RESERVE_SECONDS, throttle_wait


def test_waits_grow_with_jitter_up_to_the_cap():
    assert throttle_wait(1, 60.0, draw=lambda: 1.0) == 0.5
    assert throttle_wait(3, 60.0, draw=lambda: 1.0) == 2.0
    assert throttle_wait(12, 60.0, draw=lambda: 1.0) == BACKOFF_CAP_SECONDS
    assert throttle_wait(12, 60.0, draw=lambda: 0.25) == BACKOFF_CAP_SECONDS / 4


def test_a_wait_never_eats_the_time_the_invocation_needs_to_finish():
    assert throttle_wait(12, FINISH_RESERVE_SECONDS + 1.0, draw=lambda: 1.0) == 1.0
    assert throttle_wait(12, FINISH_RESERVE_SECONDS, draw=lambda: 1.0) is None  # then Lambda's retry takes over


def test_outside_an_invocation_only_botocore_retries():
    assert throttle_wait(1, None) is None
