"""Schedule periods: the longest gap between firings of rate and cron expressions."""

import re
from datetime import timedelta

import pytest

from model_governance.sweep.schedule import UnreadableSchedule, schedule_period


@pytest.mark.parametrize(
    ("expression", "period"),
    [
        ("cron(0 * ? * * *)", timedelta(hours=1)),  # Model Monitor's hourly schedule
        ("cron(0 6 ? * * *)", timedelta(days=1)),  # daily at 06:00
        ("cron(0 */6 ? * * *)", timedelta(hours=6)),
        ("cron(0 0/12 ? * * *)", timedelta(hours=12)),
        ("cron(30 2,14 * * ? *)", timedelta(hours=12)),
        ("cron(0 8,9,17 ? * * *)", timedelta(hours=15)),  # irregular: the longest gap counts
        ("cron(*/15 * * * ? *)", timedelta(minutes=15)),
        ("cron(0 6 ? * MON *)", timedelta(days=7)),
        ("cron(0 6 ? * MON-FRI *)", timedelta(days=3)),  # Friday to Monday
        ("cron(0 6 1 * ? *)", timedelta(days=31)),
        ("cron(0 6 1 1,7 ? *)", timedelta(days=31 * 6)),
        ("rate(1 hour)", timedelta(hours=1)),
        ("rate(5 minutes)", timedelta(minutes=5)),
        ("rate(2 days)", timedelta(days=2)),
        ("  rate(1 day) ", timedelta(days=1)),
    ],
)
def test_period_is_the_longest_gap_between_firings(expression, period):
    assert schedule_period(expression) == period


@pytest.mark.parametrize(
    "expression",
    [
        "NOW",
        "cron(0 6 L * ? *)",
        "cron(0 6 ? * 2#1 *)",
        "cron(0 25 * * ? *)",
        "cron(0 *)",
        "rate(0 hours)",
        "every hour",
    ],
)
def test_unreadable_expressions_are_refused_with_the_expression_named(expression):
    with pytest.raises(UnreadableSchedule, match=re.escape(repr(expression))):
        schedule_period(expression)
