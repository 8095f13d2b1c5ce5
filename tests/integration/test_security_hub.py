"""The sweep's findings in Security Hub: on the synthesized stack (moto) a problem becomes one ACTIVE finding,
the next sweep updates the same finding, and a problem fixed is archived; requests are checked against the real
Security Hub model (botocore Stubber), and findings Security Hub refuses are retried, then fail the run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from local.moto_sweep import plant_problems
from local.world import REGION, LocalWorld, synthesize
from model_governance.adapters.clients import reset_clients
from model_governance.adapters.security_hub import SecurityHub, SecurityHubImportError
from model_governance.sweep.asff import HubContext, asff_time
from tests.integration.test_sweep_flow import scheduled

ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def hub_template() -> dict[str, Any]:
    return synthesize({"securityHubFindings": True})


@pytest.fixture
def hub_world(hub_template) -> Iterator[LocalWorld]:
    from local.moto_cards import model_cards_emulated
    from local.moto_gaps import sagemaker_gaps_filled
    from local.moto_monitoring import monitoring_emulated

    # model cards as AWS keeps them: a status-only update keeps the content (moto drops it)
    with mock_aws(), sagemaker_gaps_filled(), model_cards_emulated(), monitoring_emulated():
        yield LocalWorld(hub_template)
    reset_clients()


def findings_in_hub() -> dict[str, dict[str, Any]]:
    found = boto3.client("securityhub", region_name=REGION).get_findings()["Findings"]
    return {f["Id"]: f for f in found}


def test_problems_become_findings_updated_each_sweep_and_archived_when_fixed(hub_world):
    now = datetime.now(UTC)
    planted = plant_problems(boto3.client("sagemaker", region_name=REGION), now)
    sweep = hub_world.function("account_sweep")

    assert sweep.invoke(scheduled(now, "run-one-0000")).error is None
    first = findings_in_hub()
    assert len(first) == sum(len(subjects) for subjects in planted.values())
    assert {f["RecordState"] for f in first.values()} == {"ACTIVE"}
    overdue = "model-governance/us-east-1/review_overdue/model-card/credit-limit-v1"
    assert first[overdue]["Title"] == "Model cards waiting in PendingReview too long: card credit-limit-v1"

    # The overdue review is done: the card is approved
    sm = boto3.client("sagemaker", region_name=REGION)
    sm.update_model_card(ModelCardName="credit-limit-v1", ModelCardStatus="Approved")
    later = now + timedelta(days=1)
    assert sweep.invoke(scheduled(later, "run-two-0000")).error is None

    second = findings_in_hub()
    assert set(second) == set(first)  # the same findings, updated: no new Id for the same problem
    assert second[overdue]["RecordState"] == "ARCHIVED" and second[overdue]["Compliance"] == {"Status": "PASSED"}
    assert second[overdue]["CreatedAt"] == first[overdue]["CreatedAt"]
    still = [f for fid, f in second.items() if fid != overdue]
    assert {f["RecordState"] for f in still} == {"ACTIVE"}
    # Updated by the second sweep, at its time, but never later than the clock: a schedule's time from the future
    # would pin our own findings against every later sweep.
    assert all(first[f["Id"]]["UpdatedAt"] < f["UpdatedAt"] <= asff_time(datetime.now(UTC)) for f in still)


# The adapter against the real service model ---------------------------------------------------------------
CONTEXT = HubContext(account=ACCOUNT, region="eu-west-1", now=datetime(2026, 11, 23, tzinfo=UTC), run_id="r")


def _finding(fid: str) -> dict[str, Any]:
    return {
        "SchemaVersion": "2018-10-08",
        "Id": fid,
        "ProductArn": CONTEXT.product_arn,
        "GeneratorId": "model-governance/account-sweep/model_without_card",
        "AwsAccountId": ACCOUNT,
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards/SageMaker model governance"],
        "CreatedAt": "2026-11-23T00:00:00.000Z",
        "UpdatedAt": "2026-11-23T00:00:00.000Z",
        "Severity": {"Label": "LOW"},
        "Title": "t",
        "Description": "d",
        "Resources": [{"Type": "Other", "Id": "arn:aws:sagemaker:eu-west-1:123456789012:model-package/g/1"}],
    }


def _stubbed() -> tuple[Any, Stubber]:
    client = boto3.client("securityhub", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    return client, Stubber(client)


def test_active_findings_are_asked_for_by_product_generator_and_record_state():
    client, stub = _stubbed()
    filters = {
        "ProductArn": [{"Value": CONTEXT.product_arn, "Comparison": "EQUALS"}],
        "GeneratorId": [{"Value": "model-governance/account-sweep/", "Comparison": "PREFIX"}],
        "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
    }
    foreign = {**_finding("theirs"), "GeneratorId": "someone-else"}
    stub.add_response("get_findings", {"Findings": [_finding("a"), foreign]}, {"Filters": filters, "MaxResults": 100})
    with stub:
        assert [f["Id"] for f in SecurityHub(client, CONTEXT).active_findings()] == ["a"]


def test_findings_refused_once_are_sent_again_and_only_they():
    client, stub = _stubbed()
    batch = [_finding(str(i)) for i in range(3)]
    refused = {
        "FailedCount": 1,
        "SuccessCount": 2,
        "FailedFindings": [{"Id": "1", "ErrorCode": "Throttled", "ErrorMessage": "slow down"}],
    }
    stub.add_response("batch_import_findings", refused, {"Findings": batch})
    stub.add_response(
        "batch_import_findings", {"FailedCount": 0, "SuccessCount": 1, "FailedFindings": []}, {"Findings": [batch[1]]}
    )
    with stub:
        assert SecurityHub(client, CONTEXT).import_findings(batch) == 3
    stub.assert_no_pending_responses()


def test_findings_refused_twice_fail_the_run_naming_them():
    client, stub = _stubbed()
    batch = [_finding("a")]
    refused = {
        "FailedCount": 1,
        "SuccessCount": 0,
        "FailedFindings": [{"Id": "a", "ErrorCode": "InvalidInput", "ErrorMessage": "bad"}],
    }
    stub.add_response("batch_import_findings", refused, {"Findings": ANY})
    stub.add_response("batch_import_findings", refused, {"Findings": ANY})
    with stub, pytest.raises(SecurityHubImportError, match="a: InvalidInput bad"):
        SecurityHub(client, CONTEXT).import_findings(batch)


def test_more_than_100_findings_go_in_several_calls():
    client, stub = _stubbed()
    findings = [_finding(str(i)) for i in range(150)]
    stub.add_response(
        "batch_import_findings",
        {"FailedCount": 0, "SuccessCount": 100, "FailedFindings": []},
        {"Findings": findings[:100]},
    )
    stub.add_response(
        "batch_import_findings",
        {"FailedCount": 0, "SuccessCount": 50, "FailedFindings": []},
        {"Findings": findings[100:]},
    )
    with stub:
        assert SecurityHub(client, CONTEXT).import_findings(findings) == 150
