"""Whether an execution's violations deserve an email: the pure dedup decision and the schedule's state.

One state per schedule: what it last alerted on (a fingerprint of the (feature, check type) set) and when.
Same set within the cooldown: suppressed. A changed set, or the same set after the cooldown: alert. The first
clean execution after violations: resolved. Executions older than the last one decided are stale (out of order).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from model_governance.monitoring.report import Violation, counts_by_check

SAMPLE_SIZE = 50  # (feature, check) pairs kept in the state for the "resolved" email; the item stays small
SAMPLE_TEXT_LIMIT = 200  # characters of one feature or check name kept in the sample (names are report input)
# A recorded end time further ahead than this is not believed: it cannot have happened yet (clock skew aside),
# so it neither makes later executions "stale" nor keeps a newer state from being written.
FUTURE_SKEW = timedelta(minutes=5)


class Decision(StrEnum):
    ALERT = "alert"
    SUPPRESS = "suppress"
    RESOLVED = "resolved"
    CLEAN = "clean"  # clean, and it was clean before: nothing to say
    STALE = "stale"  # older than what the state already reflects


class Reason(StrEnum):
    FIRST = "new violations: the previous execution was clean (or is unknown)"
    CHANGED = "the set of violated checks changed"
    COOLDOWN_OVER = "still violating after the cooldown"
    SAME_WITHIN_COOLDOWN = "same violations within the cooldown"
    NOW_CLEAN = "the first clean execution after violations"
    STILL_CLEAN = "clean, as before"
    OUT_OF_ORDER = "an older execution than the last one decided"


@dataclass(frozen=True)
class ScheduleState:
    """What the state table holds for one schedule (pk ``SCHEDULE#<name>``)."""

    schedule: str
    violating: bool
    fingerprint: str
    violation_count: int
    last_job_arn: str
    last_ended_at: datetime
    last_decision: str
    last_alert_at: datetime | None = None
    alerted_count: int = 0  # violations in the last alert
    check_counts: dict[str, int] = field(default_factory=dict)
    sample: tuple[tuple[str, str], ...] = ()
    revision: int = 0


@dataclass(frozen=True)
class Outcome:
    decision: Decision
    reason: Reason
    state: ScheduleState  # the state to write (unchanged when stale)
    previous: ScheduleState | None


def state_plan(state: ScheduleState) -> dict[str, Any]:
    """The state as JSON (an effect's plan), and back with ``state_from_plan``."""
    values = asdict(state)
    values["last_ended_at"] = state.last_ended_at.isoformat()
    values["last_alert_at"] = state.last_alert_at.isoformat() if state.last_alert_at else None
    values["sample"] = [list(pair) for pair in state.sample]
    return values


def state_from_plan(values: dict[str, Any]) -> ScheduleState:
    alert = values.get("last_alert_at")
    return ScheduleState(
        **{
            **values,
            "last_ended_at": datetime.fromisoformat(values["last_ended_at"]),
            "last_alert_at": datetime.fromisoformat(alert) if alert else None,
            "sample": tuple((str(p[0]), str(p[1])) for p in values.get("sample") or []),
        }
    )


def fingerprint(keys: Iterable[tuple[str, str]]) -> str:
    """Order-independent digest of the (feature, check type) set; empty set -> ``""``."""
    ordered = sorted(set(keys))
    if not ordered:
        return ""
    digest = hashlib.sha256()
    for feature, check in ordered:
        digest.update(f"{check}\x1f{feature}\x1e".encode())
    return digest.hexdigest()


def decide(
    previous: ScheduleState | None,
    *,
    schedule: str,
    job_arn: str,
    ended_at: datetime,
    violations: list[Violation],
    now: datetime,
    cooldown: timedelta,
) -> Outcome:
    if previous is not None and is_newer(previous, ended_at, now) and job_arn != previous.last_job_arn:
        return Outcome(Decision.STALE, Reason.OUT_OF_ORDER, previous, previous)
    keys = sorted({v.key for v in violations})
    current = fingerprint(keys)
    base = ScheduleState(
        schedule=schedule,
        violating=bool(keys),
        fingerprint=current,
        violation_count=len(violations),
        last_job_arn=job_arn,
        last_ended_at=ended_at,
        last_decision="",
        last_alert_at=previous.last_alert_at if previous else None,
        alerted_count=previous.alerted_count if previous else 0,
        check_counts=counts_by_check(violations),
        sample=tuple((feature[:SAMPLE_TEXT_LIMIT], check[:SAMPLE_TEXT_LIMIT]) for feature, check in keys[:SAMPLE_SIZE]),
        revision=(previous.revision if previous else 0) + 1,
    )
    was_violating = previous is not None and previous.violating
    if not keys:
        if was_violating:
            assert previous is not None
            # Keep what was violated, so the resolved email can say what cleared.
            resolved = replace(base, sample=previous.sample, check_counts=previous.check_counts)
            return _outcome(Decision.RESOLVED, Reason.NOW_CLEAN, resolved, previous)
        return _outcome(Decision.CLEAN, Reason.STILL_CLEAN, base, previous)
    if not was_violating:
        return _alert(Reason.FIRST, base, previous, now)
    assert previous is not None
    if previous.fingerprint != current:
        return _alert(Reason.CHANGED, base, previous, now)
    if previous.last_alert_at is None or now - previous.last_alert_at >= cooldown:
        return _alert(Reason.COOLDOWN_OVER, base, previous, now)
    return _outcome(Decision.SUPPRESS, Reason.SAME_WITHIN_COOLDOWN, base, previous)


def is_newer(recorded: ScheduleState, ended_at: datetime, now: datetime) -> bool:
    """Whether the recorded state reflects a later execution than one that ended at ``ended_at``; a recorded
    time in the future (a state written from a forged event before such events were refused) never is."""
    return ended_at < recorded.last_ended_at <= now + FUTURE_SKEW


def _alert(reason: Reason, state: ScheduleState, previous: ScheduleState | None, now: datetime) -> Outcome:
    return _outcome(
        Decision.ALERT, reason, replace(state, last_alert_at=now, alerted_count=state.violation_count), previous
    )


def _outcome(decision: Decision, reason: Reason, state: ScheduleState, previous: ScheduleState | None) -> Outcome:
    return Outcome(decision, reason, replace(state, last_decision=f"{decision.value}:{reason.name}"), previous)
