"""The workflow with fakes: concurrent writers, a failed publish, events that are not monitoring executions."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from model_governance.events import parse_processing_job_state_change
from model_governance.monitoring.execution import JobFacts
from model_governance.monitoring.render import ModelContext
from model_governance.workflows.violation_alerts import AlertSettings, handle_execution
from tests.conftest import read_event
from tests.fakes import MemoryEffects

REPORT = json.dumps({"violations": [{"feature_name": "State_AL", "constraint_check_type": "data_type_check"}]}).encode()


class Jobs:
    def __init__(self, report=REPORT, described=None):
        self.report, self.described, self.described_calls = report, described, 0

    def describe_job(self, job_name):
        self.described_calls += 1
        return self.described

    def endpoint_of_schedule(self, schedule_name):
        return "churn-endpoint"

    def read_report(self, uri, *, written_by=None):
        if isinstance(self.report, Exception):
            raise self.report
        return self.report


class Tracer:
    def trace(self, endpoint):
        return ModelContext(endpoint=endpoint)


class States:
    """An in-memory state item with the table's conditional-put semantics; ``rival`` writes first once."""

    def __init__(self, rival=None):
        self.item, self.rival, self.saves = None, rival, 0

    def load(self, schedule):
        return self.item

    def save(self, state, *, expected_revision):
        self.saves += 1
        if self.rival is not None:
            self.item, self.rival = self.rival, None
            return False
        if (self.item.revision if self.item else 0) != expected_revision:
            return False
        self.item = state
        return True


class Alerts:
    def __init__(self, fail_first=False):
        self.sent, self.fail_first = [], fail_first

    def publish(self, message):
        if self.fail_first:
            self.fail_first = False
            raise ConnectionError("SNS unavailable")
        self.sent.append(message)
        return "id"


class Audit:
    def __init__(self):
        self.records = []

    def append(self, record):
        self.records.append(record)
        return True


def handle(event, **overrides):
    parts = {
        "jobs": Jobs(),
        "tracer": Tracer(),
        "states": States(),
        "effects": MemoryEffects(),
        "alerts": Alerts(),
        "audit": Audit(),
    }
    parts.update(overrides)
    if parts["jobs"].described is None:  # SageMaker describes the job as the sample event shows it
        parts["jobs"].described = JobFacts.from_description(event["detail"])
    result = handle_execution(
        parse_processing_job_state_change(event),
        settings=AlertSettings(timedelta(hours=24)),
        now=lambda: datetime(2026, 11, 21, 14, tzinfo=UTC),
        **parts,
    )
    return result, parts


def test_even_a_rich_event_is_decided_from_describe_processing_job():
    result, parts = handle(read_event("processing_job_state_change"))

    assert result.outcome == "alert" and result.email_sent
    assert parts["jobs"].described_calls == 1
    assert [r.action for r in parts["audit"].records] == ["alert_sent"]


def test_a_newer_execution_recorded_meanwhile_keeps_its_state_and_ours_still_alerts():
    from model_governance.monitoring.dedup import decide
    from model_governance.monitoring.report import Violation

    # Another execution (newer) of the same schedule recorded the same violations a moment ago.
    rival = decide(
        None,
        schedule="churn-data-quality",
        job_arn="arn:other",
        ended_at=datetime(2026, 11, 21, 13, 30, tzinfo=UTC),
        violations=[Violation("data_type_check", "State_AL")],
        now=datetime(2026, 11, 21, 13, 30, tzinfo=UTC),
        cooldown=timedelta(hours=24),
    ).state

    result, parts = handle(read_event("processing_job_state_change"), states=States(rival=rival))

    # Ours was decided (and is sent) before the rival's state landed; the newer state is not overwritten.
    assert result.outcome == "alert" and len(parts["alerts"].sent) == 1
    assert parts["states"].item == rival


def test_a_stale_execution_arriving_after_a_newer_one_changes_nothing():
    from model_governance.monitoring.dedup import decide
    from model_governance.monitoring.report import Violation

    newer = decide(
        None,
        schedule="churn-data-quality",
        job_arn="arn:other",
        ended_at=datetime(2026, 11, 21, 13, 30, tzinfo=UTC),
        violations=[Violation("data_type_check", "State_AL")],
        now=datetime(2026, 11, 21, 13, 30, tzinfo=UTC),
        cooldown=timedelta(hours=24),
    ).state
    states = States()
    states.item = newer

    result, parts = handle(read_event("processing_job_state_change"), states=states)

    assert result.outcome == "stale"  # ours ended 13:05, before the newer 13:30: no email
    assert parts["alerts"].sent == [] and states.item == newer


def test_a_failed_publish_releases_the_lease_so_the_retry_sends_it_and_only_then_advances_the_state():
    alerts, effects, states = Alerts(fail_first=True), MemoryEffects(), States()
    event = read_event("processing_job_state_change")

    with pytest.raises(ConnectionError):
        handle(event, alerts=alerts, effects=effects, states=states)
    assert states.item is None  # nothing sent: the schedule's state has not moved
    result, _ = handle(event, alerts=alerts, effects=effects, states=states)

    assert result.email_sent and len(alerts.sent) == 1
    assert states.saves == 1 and states.item.last_decision.startswith("alert")


def test_a_redelivery_after_the_work_is_done_sends_nothing():
    effects = MemoryEffects()
    event = read_event("processing_job_state_change")
    first, _ = handle(event, effects=effects)

    again, again_parts = handle(event, effects=effects)

    assert first.email_sent and again.outcome == "duplicate" and again_parts["alerts"].sent == []


def test_an_event_without_a_schedule_is_described_and_ignored_when_no_schedule_started_the_job():
    jobs = Jobs(described=JobFacts(job_name="churn-feature-engineering-2026-11-21-09-01", status="Completed"))

    result, parts = handle(read_event("processing_job_unrelated"), jobs=jobs)

    assert (result.outcome, jobs.described_calls, parts["alerts"].sent) == ("ignored", 1, [])


def test_an_access_denied_report_becomes_an_alert_naming_the_configuration_keys():
    denied = PermissionError(
        "AccessDenied reading s3://x/constraint_violations.json: ... (context key monitoringOutputBuckets)"
    )

    result, parts = handle(read_event("processing_job_state_change"), jobs=Jobs(report=denied))

    assert result.outcome == "unreadable"
    [message] = parts["alerts"].sent
    assert "monitoringOutputBuckets" in message.body


def test_a_clean_report_beside_an_exit_message_that_counted_violations_is_unreadable_not_resolved():
    # The sample's exit message: "CompletedWithViolations: Job completed successfully with 3 violations."
    replaced = json.dumps({"violations": []}).encode()

    result, parts = handle(read_event("processing_job_state_change"), jobs=Jobs(report=replaced))

    assert result.outcome == "unreadable"
    [message] = parts["alerts"].sent
    assert "lists no violations, but the exit message says" in message.body


def test_the_sample_failed_event_alerts_with_the_reason_describe_gives():
    result, parts = handle(read_event("processing_job_failed"))

    [message] = parts["alerts"].sent
    assert result.outcome == "failed" and parts["jobs"].described_calls == 1
    assert "No data found for the monitoring period" in message.body


def test_a_missing_report_is_not_resolved_unless_the_execution_says_it_was_clean():
    violating = States()
    first, _ = handle(read_event("processing_job_state_change"), states=violating)
    assert first.outcome == "alert" and violating.item.violating
    later = read_event("processing_job_state_change")
    later["detail"].update(
        ProcessingJobArn=later["detail"]["ProcessingJobArn"] + "-next",
        ProcessingJobName=later["detail"]["ProcessingJobName"] + "-next",
        ProcessingEndTime="2026-11-21T14:05:00Z",
        ExitMessage="Completed: the analyzer wrote nothing",
    )

    result, parts = handle(later, jobs=Jobs(report=None), states=violating)

    assert result.outcome == "no-report" and parts["alerts"].sent == []
    assert violating.item.violating  # the previous state stands: no "resolved" on a guess

    later["detail"]["ExitMessage"] = "Completed: Job completed successfully with no violations."
    later["detail"]["ProcessingJobArn"] += "-2"
    resolved, parts = handle(later, jobs=Jobs(report=None), states=violating)
    assert resolved.outcome == "resolved" and len(parts["alerts"].sent) == 1
