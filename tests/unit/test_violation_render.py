"""The emails: subject within SNS's limit, grouped body, huge reports cut with a count, links, attributes."""

import json
from datetime import UTC, datetime

from model_governance.adapters.notifications import MESSAGE_LIMIT_BYTES, SUBJECT_LIMIT, fit_subject, message_attributes
from model_governance.monitoring.dedup import Reason
from model_governance.monitoring.execution import MonitoringExecution
from model_governance.monitoring.render import (
    BODY_BUDGET_BYTES,
    MAX_CHECK_TYPES,
    MAX_LISTED,
    ModelContext,
    failure_alert,
    resolved_alert,
    violations_alert,
)
from model_governance.monitoring.report import Violation

EXECUTION = MonitoringExecution(
    job_name="model-monitoring-202611211300-2d7f3c6a91b0e4f58a3c7d21",
    job_arn="arn:aws:sagemaker:eu-west-1:123456789012:processing-job/model-monitoring-202611211300-2d7f3c6a91b0e4f58a3c7d21",
    status="Completed",
    schedule_name="churn-data-quality",
    schedule_arn="arn:aws:sagemaker:eu-west-1:123456789012:monitoring-schedule/churn-data-quality",
    region="eu-west-1",
    ended_at=datetime(2026, 11, 21, 13, 5, tzinfo=UTC),
    output_uri="s3://monitoring-out/churn-endpoint/churn-data-quality/2026/11/21/13",
    endpoint="churn-endpoint",
)
CARD = ModelContext(
    endpoint="churn-endpoint",
    model_package_arn="arn:aws:sagemaker:eu-west-1:123456789012:model-package/telco-churn/3",
    card_name="telco-churn-v3",
    owner="Retention ML team",
    risk_rating="High",
    group="telco-churn",
)
SEED = [
    Violation("data_type_check", "State_AL", "Value: 0.8 does not meet the constraint requirement!"),
    Violation(
        "baseline_drift_check", "Eve Mins", "Numerical distance: 0.2711598746081505 exceeds numerical threshold: 0"
    ),
    Violation("baseline_drift_check", "CustServ Calls", "Numerical distance: 0.6470588235294117 exceeds threshold: 0"),
]


def test_the_violations_email_names_endpoint_count_severity_card_and_groups_by_check_type():
    message = violations_alert(EXECUTION, SEED, CARD, Reason.FIRST, None)

    assert (
        message.subject == "[High] 3 Model Monitor violations on endpoint churn-endpoint (schedule churn-data-quality)"
    )
    body = message.body
    assert 'Model card:      telco-churn-v3 (owner: "Retention ML team", risk rating: High)' in body
    assert (
        body.index("data_type_check (1)")
        < body.index('  - State_AL: "Value: 0.8 does not meet the constraint requirement!"')
        < body.index("baseline_drift_check (2)")
    )
    assert '  - "CustServ Calls": "Numerical distance' in body
    assert "s3://monitoring-out/churn-endpoint/churn-data-quality/2026/11/21/13/constraint_violations.json" in body
    assert "https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1#/endpoints/churn-endpoint" in body
    assert "#/monitoring-schedules/churn-data-quality" in body
    assert message.attributes == {
        "event_type": "monitor_violations",
        "severity": "High",
        "schedule": "churn-data-quality",
        "endpoint": "churn-endpoint",
        "check_types": ["baseline_drift_check", "data_type_check"],
        "model_package_group": "telco-churn",
    }


def test_without_a_card_the_severity_is_unknown_and_the_email_says_so():
    message = violations_alert(EXECUTION, SEED, ModelContext(endpoint="churn-endpoint"), Reason.FIRST, None)

    assert message.subject.startswith("[Unknown] 3 Model Monitor violations")
    assert "Severity:        Unknown (no model card found)" in message.body


def test_a_huge_report_is_cut_per_check_type_and_overall_and_says_how_many_were_left_out():
    violations = [Violation("baseline_drift_check", f"feature_{i:04d}", "x" * 1000) for i in range(5000)]
    violations += [Violation("data_type_check", "State_AL", "Value: 0.8")]

    message = violations_alert(EXECUTION, violations, CARD, Reason.FIRST, None)

    assert '  - State_AL: "Value: 0.8"' in message.body  # a noisy check does not hide the others
    assert "... and 4950 more baseline_drift_check violations, not listed" in message.body
    assert "4950 of 5001 violations are not listed here" in message.body
    assert message.body.count("\n  - ") <= MAX_LISTED
    assert len(message.body.encode()) < MESSAGE_LIMIT_BYTES / 4
    assert "x" * 301 not in message.body  # descriptions are cut too


def test_long_names_keep_the_count_in_the_subject_after_snss_cut():
    long = ModelContext(endpoint="e" * 63)
    subject = fit_subject(violations_alert(EXECUTION, SEED, long, Reason.FIRST, None).subject)

    assert len(subject) <= SUBJECT_LIMIT
    assert subject.startswith("[Unknown] 3 Model Monitor violations on endpoint eee")


def test_the_failure_email_carries_the_reason_and_no_report_link():
    failed = MonitoringExecution(
        **{**EXECUTION.__dict__, "status": "Failed", "failure_reason": "AlgorithmError: no data"}
    )

    message = failure_alert(failed, CARD)

    assert message.subject == "[FAILED] Model Monitor run on endpoint churn-endpoint (schedule churn-data-quality)"
    assert 'Failure reason:  "AlgorithmError: no data"' in message.body
    assert "constraint_violations.json" not in message.body
    assert message.attributes["event_type"] == "monitor_failed"


def test_the_resolved_email_lists_what_was_violated_before():
    from model_governance.monitoring.dedup import decide

    previous = decide(
        None,
        schedule="churn-data-quality",
        job_arn="arn:job/1",
        ended_at=EXECUTION.ended_at,
        violations=SEED,
        now=EXECUTION.ended_at,
        cooldown=__import__("datetime").timedelta(hours=24),
    ).state

    message = resolved_alert(EXECUTION, CARD, previous)

    assert message.subject.startswith("[RESOLVED] Model Monitor violations cleared on endpoint churn-endpoint")
    assert "Violated before (3 violations):" in message.body
    assert "State_AL (data_type_check)" in message.body


def test_even_extreme_non_ascii_reports_fit_sns_with_room_to_spare():
    wide = [Violation("data_type_check", "特" * 500, "値" * 5000) for _ in range(1000)]

    message = violations_alert(EXECUTION, wide, CARD, Reason.FIRST, None)

    assert len(message.body.encode()) <= 128 * 1024
    assert "violations are not listed here" in message.body


def test_ten_thousand_distinct_check_types_with_huge_values_stay_under_snss_limit():
    # given a report of 10,000 check types, every name and description huge, wide and hostile
    huge = "\U0001d518" * 3000 + "\nSeverity: Low\n" + "\\" * 3000  # 4-byte characters, a forged line, escapes
    violations = [Violation(f"check_{i:05d}{huge}", f"feature_{i:05d}{huge}", huge * 3) for i in range(10_000)]
    context = ModelContext(
        endpoint=huge, model_package_arn=huge, card_name=huge, owner=huge, risk_rating=huge, group=huge
    )
    execution = MonitoringExecution(**{**EXECUTION.__dict__, "schedule_name": huge, "job_name": huge})

    message = violations_alert(execution, violations, context, Reason.FIRST, None)

    body = message.body.encode()
    assert len(body) <= BODY_BUDGET_BYTES <= MESSAGE_LIMIT_BYTES // 2
    assert "... and 9950 more check types (9950 violations), not listed" in message.body
    assert message.body.count("\nSeverity:") == 1
    published = len(body) + len(message.subject.encode()) + len(json.dumps(message_attributes(message.attributes)))
    assert published < MESSAGE_LIMIT_BYTES


def test_the_check_types_attribute_names_the_known_types_and_other_for_the_rest():
    violations = [Violation(f"check_{i:05d}", "f", "d") for i in range(10_000)]

    message = violations_alert(EXECUTION, violations, CARD, Reason.FIRST, None)

    assert message.attributes["check_types"] == ["other"]
    assert f"check_{MAX_CHECK_TYPES - 1:05d} (1)" in message.body
    assert f"check_{MAX_CHECK_TYPES:05d}" not in message.body
    assert len(message.body.encode()) < 32 * 1024
