"""The model-quality monitor's infrastructure as synthesized: a schedule into the monitors' state machine, S3
grants on exactly its capture, ground truth, constraints and output prefixes; and its validation at synth."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.config import ConfigError, GovernanceConfig
from local.scenarios import data_quality as dq_scenario
from local.scenarios import model_quality as scenario
from tests.infra.conftest import resources

MONITOR = scenario.CONTEXT["modelQualityMonitors"][0]
KMS = "arn:aws:kms:us-east-1:123456789012:key/0f0e0d0c-12ab-34cd-56ef-1234567890ab"


@pytest.fixture(scope="module")
def mq_template() -> dict[str, Any]:
    from local.world import synthesize

    return synthesize(scenario.CONTEXT)


@pytest.fixture(scope="module")
def mq_kms_template() -> dict[str, Any]:
    from local.world import synthesize

    return synthesize({"modelQualityMonitors": [{**MONITOR, "kmsKeyArns": [KMS]}]})


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _arn(template: dict[str, Any], resource: Any) -> str:
    """``arn:aws:s3:::...`` of a synthesized ``Fn::Join`` with the partition."""
    if isinstance(resource, str):
        return resource
    parts = resource["Fn::Join"][1]
    return "".join("aws" if part == {"Ref": "AWS::Partition"} else part for part in parts)


def test_the_schedule_starts_the_monitors_state_machine_with_the_monitors_name(mq_template):
    [rule] = [
        r
        for r in resources(mq_template, "AWS::Events::Rule").values()
        if "Model-quality" in r["Properties"].get("Description", "")
    ]
    [target] = rule["Properties"]["Targets"]
    assert target["Arn"]["Ref"].startswith("DataQualityRuns")
    assert json.loads(target["InputTransformer"]["InputTemplate"].replace("<time>", '"t"')) == {
        "action": "check",
        "monitor": scenario.MONITOR,
        "time": "t",
    }


def test_the_function_may_read_and_write_exactly_the_monitors_prefixes(mq_template):
    [policy] = [
        p for k, p in resources(mq_template, "AWS::IAM::Policy").items() if k.startswith("DataQualityHandlerRole")
    ]
    granted = {
        (action, _arn(mq_template, resource), json.dumps(statement.get("Condition", {}), sort_keys=True))
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        for action in _list(statement["Action"])
        if action.startswith("s3:")
        for resource in _list(statement["Resource"])
    }
    bucket = f"arn:aws:s3:::{scenario.BUCKET}"
    capture = "datacapture/churn-endpoint/AllTraffic"
    truth = "ground-truth/churn"
    output = f"mq-reports/churn-endpoint/{scenario.MONITOR}"
    listing = '{{"StringLike": {{"s3:prefix": ["{}/*"]}}}}'
    assert granted == {
        ("s3:ListBucket", bucket, listing.format(capture)),
        ("s3:GetObject", f"{bucket}/{capture}/*", "{}"),
        ("s3:ListBucket", bucket, listing.format(truth)),
        ("s3:GetObject", f"{bucket}/{truth}/*", "{}"),
        ("s3:GetObject", f"{bucket}/{scenario.BASELINE}/constraints.json", "{}"),
        ("s3:GetObject", f"{bucket}/{scenario.BASELINE}/statistics.json", "{}"),  # the report's baseline values
        ("s3:PutObject", f"{bucket}/{output}/*", "{}"),
        # a fanned-out run's Finish reads back its manifest and its batches' parts, nothing else of the output;
        # listing the output makes a missing part a 404 (the run fails naming the batch), not an access denied
        ("s3:GetObject", f"{bucket}/{output}/*/manifest.json", "{}"),
        ("s3:GetObject", f"{bucket}/{output}/*/parts/*", "{}"),
        ("s3:ListBucket", bucket, listing.format(output)),
    }


def test_the_state_machine_may_read_only_the_monitors_manifests_and_decrypt_them_through_s3(mq_kms_template):
    [policy] = [
        p for k, p in resources(mq_kms_template, "AWS::IAM::Policy").items() if k.startswith("DataQualityRunsRole")
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    reads = {
        _arn(mq_kms_template, resource)
        for s in statements
        if "s3:GetObject" in _list(s["Action"])
        for resource in _list(s["Resource"])
    }
    # the Distributed Map's item reader reads a fanned-out run's manifest with this role, nothing else of S3
    assert reads == {f"arn:aws:s3:::{scenario.BUCKET}/mq-reports/churn-endpoint/{scenario.MONITOR}/*/manifest.json"}
    [kms] = [s for s in statements if "kms:Decrypt" in _list(s["Action"])]
    assert (kms["Effect"], kms["Action"], kms["Resource"]) == ("Allow", "kms:Decrypt", KMS)
    assert kms["Condition"] == {
        "StringEquals": {"kms:ViaService": {"Fn::Join": ["", ["s3.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}}
    }


def _config(**context: Any) -> GovernanceConfig:
    return GovernanceConfig.from_context(lambda key: context.get(key))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"problemType": "Ranking"}, "problemType must be one of"),
        ({"startTimeOffset": "PT2H"}, "startTimeOffset must be before endTimeOffset"),
        ({"endTimeOffset": "-1 hour"}, "endTimeOffset: not an ISO-8601 duration"),
        ({"groundTruthPrefix": "bucket/labels"}, "groundTruthPrefix must be s3://bucket/prefix"),
        ({"probabilityThreshold": 2}, "probabilityThreshold must be a number from 0 to 1"),
        ({"minimumRecords": 0}, "minimumRecords must be a whole number"),
        ({"labelColumn": "x"}, "unknown keys labelColumn"),
        ({"name": dq_scenario.MONITOR}, "unique among all monitors"),
    ],
)
def test_a_bad_monitor_fails_synth_naming_the_problem(change, message):
    context = {**dq_scenario.CONTEXT, "modelQualityMonitors": [{**MONITOR, **change}]}
    with pytest.raises(ConfigError, match=message):
        _config(**context)
