"""How often a schedule fires: the longest gap between two firings of a ``rate(...)`` or ``cron(...)`` expression.

Used to tell an idle monitor (no execution for more than twice its period) and to size the sweep's alarms.
Model Monitor's common expressions are ``cron(0 * ? * * *)`` (hourly) and ``cron(0 H ? * * *)`` (daily); any
EventBridge-style cron (minutes hours day-of-month month day-of-week [year]) is read conservatively: the result is
the longest gap, so an irregular schedule is never called idle too early.
"""

from __future__ import annotations

import re
from datetime import timedelta
from itertools import pairwise

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$", re.IGNORECASE)
_CRON = re.compile(r"^cron\((.+)\)$", re.IGNORECASE)
_UNIT = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {
    m: i + 1 for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"))
}
_DAYS = {d: i + 1 for i, d in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}
_MINUTES_PER_DAY = 24 * 60


class UnreadableSchedule(ValueError):
    """The expression is not a rate or cron this parser understands (for example a one-time ``NOW``)."""


def schedule_period(expression: str) -> timedelta:
    """The longest interval between consecutive firings of ``expression``."""
    text = expression.strip()
    rate = _RATE.match(text)
    if rate:
        amount = int(rate[1])
        if amount < 1:
            raise UnreadableSchedule(f"{expression!r}: a rate must be at least 1")
        return timedelta(seconds=amount * _UNIT[rate[2].lower().rstrip("s")])
    cron = _CRON.match(text)
    if not cron:
        raise UnreadableSchedule(f"{expression!r} is neither rate(...) nor cron(...)")
    fields = cron[1].split()
    if len(fields) not in (5, 6):
        raise UnreadableSchedule(f"{expression!r}: cron needs 6 fields (minutes hours day month weekday year)")
    minute, hour, day, month, weekday = fields[:5]
    minutes = _values(minute, 0, 59, {}, expression)
    hours = _values(hour, 0, 23, {}, expression)
    times_of_day = sorted(h * 60 + m for h in hours for m in minutes)
    if not _any(month):
        # Months restricted: count whole months between firing months (a month is at most 31 days).
        months = sorted(_values(month, 1, 12, _MONTHS, expression))
        gap_months = _cyclic_max_gap(months, 12)
        return timedelta(days=31 * gap_months)
    if not _any(day):
        days = sorted(_values(day, 1, 31, {}, expression))
        cycle_days = 31  # a month is at most 31 days: the gap across month end is bounded by this
    elif not _any(weekday):
        days = sorted(_values(weekday, 1, 7, _DAYS, expression))
        cycle_days = 7
    else:
        days, cycle_days = [1], 1
    firings = [(d - 1) * _MINUTES_PER_DAY + t for d in days for t in times_of_day]
    return timedelta(minutes=_cyclic_max_gap(sorted(firings), cycle_days * _MINUTES_PER_DAY))


def _any(field: str) -> bool:
    return field in {"*", "?"}


def _cyclic_max_gap(points: list[int], cycle: int) -> int:
    """Largest distance between consecutive points on a circle of length ``cycle`` (one point: a full cycle)."""
    gaps = [b - a for a, b in pairwise(points)]
    gaps.append(points[0] + cycle - points[-1])
    return max(gaps)


def _values(field: str, low: int, high: int, names: dict[str, int], expression: str) -> set[int]:
    """The values a cron field allows: ``*``, ``?``, ``a``, ``a-b``, ``*/n``, ``a/n``, ``a-b/n`` and lists."""
    values: set[int] = set()
    for part in field.upper().split(","):
        base, _, step_text = part.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if base in {"*", "?"}:
                start, end = low, high
            elif "-" in base:
                first, last = base.split("-", 1)
                start, end = _number(first, names), _number(last, names)
            else:
                start = _number(base, names)
                end = high if step_text else start
        except ValueError:
            raise UnreadableSchedule(f"{expression!r}: cannot read cron field {field!r}") from None
        if step < 1 or not (low <= start <= high and low <= end <= high) or start > end:
            raise UnreadableSchedule(f"{expression!r}: cron field {field!r} is out of range {low}-{high}")
        values.update(range(start, end + 1, step))
    return values


def _number(text: str, names: dict[str, int]) -> int:
    return names[text] if text in names else int(text)
