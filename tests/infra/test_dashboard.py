"""The governance dashboard: every function, every dead-letter queue, the monitor and carry-forward metrics."""

import json

from tests.infra.conftest import resources


def body(template) -> str:
    [dashboard] = resources(template, "AWS::CloudWatch::Dashboard").values()
    return json.dumps(dashboard["Properties"]["DashboardBody"])


def test_there_is_one_dashboard_showing_every_functions_invocations_errors_and_dlq(template):
    text = body(template)
    functions = resources(template, "AWS::Lambda::Function")
    queues = [k for k in resources(template, "AWS::SQS::Queue") if "DeadLetterQueue" in k]
    assert functions and queues
    for logical_id in functions:  # including those created after the dashboard line of the stack
        assert text.count(f'{{"Ref": "{logical_id}"}}') >= 4, logical_id  # invocations, errors, throttles, duration
    for logical_id in queues:
        assert f'"Fn::GetAtt": ["{logical_id}", "QueueName"]' in text, logical_id
    assert "ApproximateNumberOfMessagesVisible" in text


def test_the_dashboard_shows_the_monitor_and_carry_forward_metrics(template):
    text = body(template)
    for metric in (
        "MonitorExecutionsWithViolations",
        "MonitorFailures",
        "MonitorReportsUnreadable",
        "ViolationAlertsSent",
        "ViolationAlertsSuppressed",
        "MonitorViolationsByCheckType",
        "ModelCardsCarriedForward",
        "EmbeddedCardsFilled",
    ):
        assert metric in text, metric


def test_the_dashboard_shows_every_alarm(template):
    text = body(template)
    for logical_id in resources(template, "AWS::CloudWatch::Alarm"):
        assert logical_id in text, logical_id
