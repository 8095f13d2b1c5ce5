"""A burst of registrations against an account-wide Search quota (bench/burst.py, smaller than ``make bench``'s
300 at 3 a second, same ratio): every registration is carded, none is dead-lettered, no notice goes twice.

The simulation runs the real carry-forward handler on the in-memory AWS in simulated time: Search throttled
account-wide, one container (and its clients) per concurrent invocation, the function's 60 s timeout, Lambda's
async retries one and two minutes after a failure, then the dead-letter queue.
"""

from __future__ import annotations

from bench.burst import simulate


def test_a_burst_with_search_throttled_is_carded_without_dead_letters(template):
    result = simulate(20, 0.2, template=template)
    assert (result.carded, result.dead_lettered, result.duplicate_notices) == (20, 0, 0), result
    assert result.throttled_calls > 20  # the quota did bite: most registrations waited for it
