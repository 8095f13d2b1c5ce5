"""The dedup decision: one email per change of the violated set, a reminder after the cooldown, resolution."""

from datetime import UTC, datetime, timedelta

from model_governance.monitoring.dedup import Decision, Reason, decide, fingerprint
from model_governance.monitoring.report import Violation

T0 = datetime(2026, 11, 21, 13, tzinfo=UTC)
COOLDOWN = timedelta(hours=24)
SEED = [
    Violation("data_type_check", "State_AL", "Value: 0.8"),
    Violation("baseline_drift_check", "Eve Mins", "distance 0.27"),
    Violation("baseline_drift_check", "CustServ Calls", "distance 0.64"),
]


def run(previous, violations, hour, job=None, now=None):
    at = T0 + timedelta(hours=hour)
    return decide(
        previous,
        schedule="churn-data-quality",
        job_arn=job or f"arn:job/{hour}",
        ended_at=at,
        violations=violations,
        now=now or at,
        cooldown=COOLDOWN,
    )


def test_first_violations_alert():
    outcome = run(None, SEED, 0)

    assert (outcome.decision, outcome.reason) == (Decision.ALERT, Reason.FIRST)
    assert outcome.state.violating and outcome.state.last_alert_at == T0
    assert outcome.state.check_counts == {"data_type_check": 1, "baseline_drift_check": 2}


def test_the_same_set_within_the_cooldown_is_suppressed_even_with_other_numbers():
    first = run(None, SEED, 0).state
    renumbered = [Violation(v.check_type, v.feature, "other numbers") for v in reversed(SEED)]

    outcome = run(first, renumbered, 1)

    assert outcome.decision is Decision.SUPPRESS
    assert outcome.state.last_alert_at == T0  # suppression does not extend the cooldown


def test_the_same_set_after_the_cooldown_alerts_again():
    first = run(None, SEED, 0).state
    assert run(first, SEED, 24).reason is Reason.COOLDOWN_OVER
    assert run(first, SEED, 23).decision is Decision.SUPPRESS


def test_a_changed_set_alerts_once():
    first = run(None, SEED, 0).state
    changed = [*SEED[1:], Violation("completeness_check", "Night Calls")]

    outcome = run(first, changed, 1)
    again = run(outcome.state, changed, 2)

    assert (outcome.decision, outcome.reason) == (Decision.ALERT, Reason.CHANGED)
    assert again.decision is Decision.SUPPRESS


def test_the_first_clean_execution_after_violations_is_resolved_and_keeps_what_was_violated():
    first = run(None, SEED, 0).state

    resolved = run(first, [], 1)
    still_clean = run(resolved.state, [], 2)

    assert resolved.decision is Decision.RESOLVED
    assert ("State_AL", "data_type_check") in resolved.state.sample
    assert not resolved.state.violating
    assert still_clean.decision is Decision.CLEAN


def test_violations_after_a_resolution_alert_even_within_the_cooldown():
    first = run(None, SEED, 0).state
    resolved = run(first, [], 1).state

    assert run(resolved, SEED, 2).reason is Reason.FIRST


def test_an_execution_older_than_the_last_decided_is_stale_and_changes_nothing():
    newer = run(None, [], 5).state

    outcome = run(newer, SEED, 3, now=T0 + timedelta(hours=6))  # delivered late, after both ended

    assert outcome.decision is Decision.STALE
    assert outcome.state == newer


def test_a_recorded_end_time_in_the_future_makes_nothing_stale():
    poisoned = run(None, [], 24 * 365 * 70).state  # written from a forged "2099" event before they were refused

    outcome = run(poisoned, SEED, 3, now=T0 + timedelta(hours=4))

    assert outcome.decision is Decision.ALERT and outcome.state.last_ended_at == T0 + timedelta(hours=3)


def test_every_write_bumps_the_revision_used_for_the_conditional_put():
    first = run(None, SEED, 0).state
    assert (first.revision, run(first, SEED, 1).state.revision) == (1, 2)


def test_the_fingerprint_ignores_order_and_duplicates():
    assert fingerprint([("a", "x"), ("b", "y")]) == fingerprint([("b", "y"), ("a", "x"), ("a", "x")])
    assert fingerprint([]) == ""
