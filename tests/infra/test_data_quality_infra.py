"""The data-quality monitor's infrastructure: schedule per monitor, exact S3 grants, KMS when given, the
Distributed Map, its own layer and runtime; and the monitors' validation at synth."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.config import ConfigError, GovernanceConfig
from local.scenarios import data_quality as scenario
from tests.infra.conftest import ROOT, resources

KMS = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
MONITOR = {**scenario.CONTEXT["dataQualityMonitors"][0], "kmsKeyArns": [KMS]}


@pytest.fixture(scope="module")
def dq_template() -> dict[str, Any]:
    from local.world import synthesize

    return synthesize({"dataQualityMonitors": [MONITOR]})


def _dq_policy(template: dict[str, Any]) -> list[dict[str, Any]]:
    [policy] = [p for k, p in resources(template, "AWS::IAM::Policy").items() if k.startswith("DataQualityHandlerRole")]
    return policy["Properties"]["PolicyDocument"]["Statement"]


def test_each_monitor_has_a_schedule_that_starts_the_state_machine(dq_template):
    [rule] = [
        r
        for r in resources(dq_template, "AWS::Events::Rule").values()
        if "ScheduleExpression" in r["Properties"] and "Data-quality" in r["Properties"].get("Description", "")
    ]
    assert rule["Properties"]["ScheduleExpression"] == "cron(0 * ? * * *)"
    [target] = rule["Properties"]["Targets"]
    assert target["DeadLetterConfig"] and target["RetryPolicy"]["MaximumRetryAttempts"] == 8
    assert '"monitor":"churn-data-quality-serverless"' in json.dumps(target["InputTransformer"]).replace(
        " ", ""
    ).replace("\\", "")


def test_the_function_may_touch_exactly_its_monitors_prefixes(dq_template):
    statements = _dq_policy(dq_template)
    s3_resources = sorted(
        json.dumps(r)
        for s in statements
        if any(a.startswith("s3:") for a in _list(s["Action"]))
        for r in _list(s["Resource"])
    )
    bucket = scenario.BUCKET
    assert s3_resources == sorted(
        json.dumps(r)
        for r in [
            {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":s3:::{bucket}"]]},
            {
                "Fn::Join": [
                    "",
                    ["arn:", {"Ref": "AWS::Partition"}, f":s3:::{bucket}/datacapture/churn-endpoint/AllTraffic/*"],
                ]
            },
            {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":s3:::{bucket}/baselines/churn/statistics.json"]]},
            {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":s3:::{bucket}/baselines/churn/constraints.json"]]},
            {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":s3:::{bucket}"]]},
            {
                "Fn::Join": [
                    "",
                    [
                        "arn:",
                        {"Ref": "AWS::Partition"},
                        f":s3:::{bucket}/dq-reports/churn-endpoint/churn-data-quality-serverless/*",
                    ],
                ]
            },
        ]
    )
    prefixes = [s["Condition"]["StringLike"]["s3:prefix"] for s in statements if s["Action"] == "s3:ListBucket"]
    assert sorted(prefixes) == [
        ["datacapture/churn-endpoint/AllTraffic/*"],
        ["dq-reports/churn-endpoint/churn-data-quality-serverless/*"],
    ]
    [kms] = [s for s in statements if s["Resource"] == KMS]
    assert sorted(_list(kms["Action"])) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert kms["Condition"] == {
        "StringEquals": {"kms:ViaService": {"Fn::Join": ["", ["s3.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}}
    }


def test_big_periods_fan_out_over_a_distributed_map(dq_template):
    [machine] = resources(dq_template, "AWS::StepFunctions::StateMachine").values()
    definition = json.dumps(machine["Properties"]["DefinitionString"])
    for needle in ("DISTRIBUTED", "ItemReader", "s3:getObject", "ItemSelector", "fan_out", "FitsOneInvocation"):
        assert needle in definition


def _definition(template: dict[str, Any]) -> dict[str, Any]:
    [machine] = resources(template, "AWS::StepFunctions::StateMachine").values()
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    return dict(json.loads("".join(p if isinstance(p, str) else "arn" for p in parts)))


def test_every_task_gets_its_input_and_the_map_passes_monitor_and_time_as_paths(dq_template):
    states = _definition(dq_template)["States"]
    fan_out = states["ProfileCaptureObjects"]
    batch = fan_out["ItemProcessor"]["States"]["ProfileBatch"]
    for task in (states["Check"], batch, states["Finish"]):
        assert isinstance(task.get("Parameters", {}), dict)  # never "Parameters": "$"
        retried = {e for r in task["Retry"] for e in r["ErrorEquals"]}
        assert {"Lambda.TooManyRequestsException", "Lambda.ServiceException"} <= retried
    assert "Parameters" not in states["Check"]  # the function gets the schedule's whole input
    assert fan_out["ItemSelector"] == {
        "action": "profile",
        "monitor.$": "$.monitor",
        "time.$": "$.time",
        "Kind.$": "$$.Map.Item.Value.kind",  # every manifest item says what its objects are
        "Items.$": "$$.Map.Item.Value.objects",
    }
    assert "ItemBatcher" not in fan_out  # each manifest item is already a byte-bounded group of objects


def test_the_item_reader_may_read_only_manifests_and_decrypt_them_with_the_monitors_keys_through_s3(dq_template):
    [policy] = [p for k, p in resources(dq_template, "AWS::IAM::Policy").items() if k.startswith("DataQualityRunsRole")]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    [read] = [s for s in statements if "s3:GetObject" in _list(s["Action"])]
    assert read["Resource"] == {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                f":s3:::{scenario.BUCKET}/dq-reports/churn-endpoint/churn-data-quality-serverless/*/manifest.json",
            ],
        ]
    }
    [kms] = [s for s in statements if "kms:Decrypt" in _list(s["Action"])]
    assert (kms["Effect"], kms["Action"], kms["Resource"]) == ("Allow", "kms:Decrypt", KMS)
    assert kms["Condition"] == {
        "StringEquals": {"kms:ViaService": {"Fn::Join": ["", ["s3.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}}
    }


def test_the_monitor_function_alone_gets_the_data_quality_layer(dq_template):
    functions = resources(dq_template, "AWS::Lambda::Function")
    layered = {k: len(f["Properties"].get("Layers", [])) for k, f in functions.items() if f["Properties"].get("Layers")}
    assert [k for k, n in layered.items() if n == 2] == [k for k in functions if k.startswith("DataQualityHandler")]
    [monitor] = [f for k, f in functions.items() if k.startswith("DataQualityHandler")]
    assert monitor["Properties"]["Runtime"] == "python3.13"
    assert monitor["Properties"]["Architectures"] == ["arm64"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"capturePrefix": "bucket/prefix"}, "capturePrefix must be s3://bucket/prefix"),
        ({"schedule": "every hour"}, "schedule must be rate(...) or cron(...)"),
        ({"kmsKeyArns": ["not-a-key"]}, "kmsKeyArns must be a list of KMS key ARNs"),
        ({"name": "bad name!"}, "name must be 1-63 letters"),
        ({"unexpected": 1}, "unknown keys unexpected"),
    ],
)
def test_a_malformed_monitor_fails_synth_with_a_readable_message(change, problem):
    defaults = json.loads((ROOT / "cdk.json").read_text())["context"]
    with pytest.raises(ConfigError, match="dataQualityMonitors") as error:
        GovernanceConfig.from_mapping({**defaults, "dataQualityMonitors": [{**MONITOR, **change}]})
    assert problem in str(error.value)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
