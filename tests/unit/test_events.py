import pytest

from model_governance.errors import InvalidEventError
from model_governance.events import (
    parse_model_card_state_change,
    parse_model_package_state_change,
    parse_processing_job_state_change,
    parse_timestamp,
)
from tests.conftest import read_event


def test_documented_model_package_event_parses():
    change = parse_model_package_state_change(read_event("model_package_state_change"))
    assert (change.group_name, change.version, change.status) == ("versionedmp-p-idy6c3e1fiqj", 2, "Completed")
    assert change.package_arn.endswith("/versionedmp-p-idy6c3e1fiqj/2")


def test_documented_model_card_event_parses_nanosecond_times():
    change = parse_model_card_state_change(read_event("model_card_state_change"))
    assert (change.card_name, change.card_version, change.status) == ("example-card", 2, "Draft")
    assert change.last_modified.microsecond == 893854
    assert change.modified_by == "user"


def test_processing_job_event_parses_with_and_without_schedule():
    event = read_event("processing_job_state_change")
    assert parse_processing_job_state_change(event).monitoring_schedule_arn
    del event["detail"]["MonitoringScheduleArn"]
    assert parse_processing_job_state_change(event).monitoring_schedule_arn is None


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda e: e.pop("detail"), "missing detail"),
        (lambda e: e.update(source="aws.s3"), "source"),
        (lambda e: e["detail"].update(ModelPackageVersion="two"), "ModelPackageVersion"),
        (lambda e: e["detail"].update(ModelPackageVersion=3), "names"),
        (
            lambda e: e["detail"].update(
                ModelPackageArn="arn:aws:sagemaker:us-east-2:123456789012:model-package/unversioned"
            ),
            "versioned",
        ),
        (lambda e: e.update(time="yesterday"), "ISO 8601"),
    ],
)
def test_malformed_model_package_events_get_a_clear_error(mutate, message):
    event = read_event("model_package_state_change")
    mutate(event)
    with pytest.raises(InvalidEventError, match=message):
        parse_model_package_state_change(event)


def test_non_object_events_are_refused():
    with pytest.raises(InvalidEventError, match="JSON object"):
        parse_model_package_state_change(["not", "an", "event"])


def test_timestamps_accept_epoch_milliseconds_and_offsets():
    assert parse_timestamp(1700000000000).year == 2023
    assert parse_timestamp("2022-12-03T01:09:44+01:00").hour == 0
