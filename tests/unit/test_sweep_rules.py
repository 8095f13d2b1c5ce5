"""The sweep's rules over a hand-built inventory: each problem named once, under its worst finding, worst first."""

from datetime import UTC, datetime, timedelta

from model_governance.sweep.inventory import CardSummary, Endpoint, Inventory, MonitorSchedule, PackageVersion
from model_governance.sweep.rules import SweepSettings, counts, find_problems

NOW = datetime(2024, 5, 6, 6, 0, tzinfo=UTC)
ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/{}/{}"


def version(group, n, approval="PendingManualApproval", status="Completed", days_ago=10):
    return PackageVersion(group, n, ARN.format(group, n), status, approval, NOW - timedelta(days=days_ago))


def card(name, status, group=None, n=None, risk="Medium", days_ago=1):
    return CardSummary(name, status, NOW - timedelta(days=days_ago), group, n, risk)


def sweep(inventory, **settings):
    return find_problems(inventory, now=NOW, settings=SweepSettings(**settings))


def named(findings):
    return [(f.kind.code, f.subject) for f in findings]


def test_a_documented_account_has_no_findings():
    # Given every version's card approved and an endpoint monitored hourly that ran 30 minutes ago
    inventory = Inventory(
        packages=(version("churn", 1, "Approved"), version("churn", 2, "Approved")),
        cards=(card("churn-v1", "Approved", "churn", 1), card("churn-v2", "Approved", "churn", 2)),
        endpoints=(Endpoint("churn-prod", "arn", "InService", NOW - timedelta(days=90)),),
        schedules=(
            MonitorSchedule(
                "churn-quality",
                "churn-prod",
                "Scheduled",
                expression="cron(0 * ? * * *)",
                created=NOW - timedelta(days=60),
                last_execution_status="CompletedWithViolations",
                last_execution_time=NOW - timedelta(minutes=30),
            ),
        ),
        links={("churn", 1): "churn-v1", ("churn", 2): "churn-v2"},
    )
    # When swept / Then nothing is reported
    assert sweep(inventory) == []


def test_approved_versions_need_an_approved_card_and_a_missing_card_is_reported_once():
    inventory = Inventory(
        packages=(
            version("churn", 1, "Approved", days_ago=30),  # old approved version, card still Draft
            version("churn", 2, "Approved", days_ago=5),  # latest, approved, no card at all
            version("fraud", 1, "Approved", days_ago=3),  # High-risk card in review
        ),
        cards=(
            card("churn-v1", "Draft", "churn", 1, risk="Low"),
            card("fraud-v1", "PendingReview", "fraud", 1, "High"),
        ),
        links={("churn", 1): "churn-v1", ("fraud", 1): "fraud-v1"},
    )
    findings = sweep(inventory)
    # Worst first: no card at all, then by risk (High before Low)
    assert named(findings) == [
        ("approved_without_approved_card", "churn v2"),
        ("approved_without_approved_card", "fraud v1"),
        ("approved_without_approved_card", "churn v1"),
    ]
    assert findings[1].detail == "Approved; card fraud-v1 is PendingReview (risk High)"
    assert findings[0].detail == "Approved; no model card documents this version"


def test_only_the_latest_completed_version_of_a_group_needs_a_card():
    inventory = Inventory(
        packages=(
            version("churn", 1),
            version("churn", 2, days_ago=2),
            version("churn", 3, status="InProgress", days_ago=0),  # registration still running
            version("fraud", 1, "Rejected", days_ago=20),
            version("ranking", 1, days_ago=1),
        ),
        cards=(card("ranking-card", "Draft", "ranking", 1),),
        links={("ranking", 1): "ranking-card"},
    )
    assert named(sweep(inventory)) == [
        ("model_without_card", "churn v2"),
        ("model_without_card", "fraud v1"),  # a rejected version matters less
    ]


def test_a_link_to_a_card_that_no_longer_exists_counts_as_no_card():
    inventory = Inventory(packages=(version("churn", 1),), links={("churn", 1): "deleted-card"})
    assert named(sweep(inventory)) == [("model_without_card", "churn v1")]


def test_reviews_waiting_longer_than_the_limit_are_overdue_longest_first():
    inventory = Inventory(
        cards=(
            card("a", "PendingReview", days_ago=8),
            card("b", "PendingReview", days_ago=30, risk="Medium"),
            card("c", "PendingReview", days_ago=6),  # within the 7 days
            card("d", "Draft", days_ago=90),
        )
    )
    findings = sweep(inventory, pending_review_max_days=7)
    assert named(findings) == [("review_overdue", "card b"), ("review_overdue", "card a")]
    assert "30 days" in findings[0].detail
    assert named(sweep(inventory, pending_review_max_days=60)) == []


def schedule(name, endpoint, status="Scheduled", last=None, last_status="Completed", **extra):
    return MonitorSchedule(
        name,
        endpoint,
        status,
        monitoring_type=extra.pop("monitoring_type", "DataQuality"),
        expression=extra.pop("expression", "cron(0 * ? * * *)"),
        created=extra.pop("created", NOW - timedelta(days=30)),
        last_execution_status=last_status if last is not None else None,
        last_execution_time=NOW - last if last is not None else None,
        **extra,
    )


def test_in_service_endpoints_need_a_running_monitor_that_produces_executions():
    endpoints = tuple(
        Endpoint(name, f"arn/{name}", "InService", NOW - timedelta(days=10))
        for name in ("bare", "stopped", "failed", "broken", "idle", "never", "fine", "daily")
    )
    inventory = Inventory(
        endpoints=(*endpoints, Endpoint("creating", "arn/creating", "Creating")),
        schedules=(
            schedule("stopped-q", "stopped", status="Stopped"),
            schedule("failed-q", "failed", status="Failed", failure_reason="role cannot read the baseline"),
            schedule(
                "broken-q", "broken", last=timedelta(minutes=10), last_status="Failed", last_execution_failure="No data"
            ),
            schedule("idle-q", "idle", last=timedelta(hours=3)),
            schedule("never-q", "never", created=NOW - timedelta(hours=5)),
            schedule("fine-q", "fine", last=timedelta(hours=1, minutes=59)),
            schedule("daily-q", "daily", expression="cron(0 2 ? * * *)", last=timedelta(hours=40)),
            schedule("orphan-q", "deleted-endpoint", status="Stopped"),  # its endpoint is gone: not judged
            schedule("new-q", "fine", status="Pending"),
        ),
    )
    findings = sweep(inventory)
    assert named(findings) == [
        ("monitor_execution_failed", "schedule broken-q (endpoint broken)"),
        ("monitor_not_scheduled", "schedule failed-q (endpoint failed)"),  # Failed before Stopped
        ("monitor_not_scheduled", "schedule stopped-q (endpoint stopped)"),
        ("endpoint_without_monitor", "endpoint bare"),
        ("monitor_idle", "schedule never-q (endpoint never)"),  # 5 h without any execution, older reference
        ("monitor_idle", "schedule idle-q (endpoint idle)"),
    ]
    by_subject = {f.subject: f.detail for f in findings}
    assert by_subject["schedule broken-q (endpoint broken)"] == 'last DataQuality monitor execution failed: "No data"'
    assert (
        by_subject["schedule failed-q (endpoint failed)"]
        == 'DataQuality monitor is Failed: "role cannot read the baseline"'
    )
    assert (
        by_subject["schedule idle-q (endpoint idle)"]
        == "last execution 3 hours ago; it runs every 1 hour (cron(0 * ? * * *))"
    )
    assert by_subject["schedule never-q (endpoint never)"].startswith("no execution since it was created 5 hours ago")


def test_a_schedule_without_a_readable_period_is_not_called_idle():
    inventory = Inventory(
        endpoints=(Endpoint("e", "arn", "InService"),),
        schedules=(schedule("once", "e", expression="NOW", last=timedelta(days=30)),),
    )
    assert sweep(inventory) == []


def test_counts_name_every_kind_even_at_zero():
    totals = counts(sweep(Inventory(packages=(version("churn", 1),))))
    assert totals["model_without_card"] == 1
    assert len(totals) == 9 and sum(totals.values()) == 1  # every kind, endpoint_without_model_quality_monitor too


def test_once_the_account_checks_model_quality_monitored_endpoints_without_it_are_reported():
    endpoints = tuple(
        Endpoint(name, f"arn/{name}", "InService", NOW - timedelta(days=10))
        for name in ("ours", "model-monitor", "data-only", "bare")
    )
    inventory = Inventory(
        endpoints=endpoints,
        schedules=(
            schedule("ours-q", "ours", last=timedelta(minutes=30), monitoring_type="ModelQuality (serverless)"),
            schedule("mm-q", "model-monitor", last=timedelta(minutes=30), monitoring_type="ModelQuality"),
            schedule("data-q", "data-only", last=timedelta(minutes=30), monitoring_type="DataQuality (serverless)"),
        ),
    )
    assert named(sweep(inventory)) == [
        ("endpoint_without_monitor", "endpoint bare"),  # reported once, under the more serious finding
        ("endpoint_without_model_quality_monitor", "endpoint data-only"),
    ]
    without_model_quality = Inventory(endpoints=endpoints, schedules=inventory.schedules[2:])
    assert named(sweep(without_model_quality)) == [
        ("endpoint_without_monitor", "endpoint bare"),
        ("endpoint_without_monitor", "endpoint model-monitor"),
        ("endpoint_without_monitor", "endpoint ours"),
    ]
