"""Issue 8: every alarm can notify ops, each role touches only its own partitions of the state table, evidence is
write-once, and the long runs never overlap. Matched on properties of the synthesized template, not logical ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.governed_function import HANDLER_METADATA_KEY
from local.world import synthesize
from tests.infra.conftest import resources

pytestmark = pytest.mark.infra

CONTEXT = json.loads((Path(__file__).resolve().parents[2] / "cdk.json").read_text())["context"]
ACCOUNT = {"Ref": "AWS::AccountId"}
ALARMS_OF_THIS_ACCOUNT = {
    "Fn::Join": [
        "",
        ["arn:", {"Ref": "AWS::Partition"}, ":cloudwatch:", {"Ref": "AWS::Region"}, ":", ACCOUNT, ":alarm:*"],
    ]
}
CLOUDWATCH_CONDITIONS = {
    "StringEquals": {"aws:SourceAccount": ACCOUNT},
    "ArnLike": {"aws:SourceArn": ALARMS_OF_THIS_ACCOUNT},
}

# What each function does with the state table, traced from its handler to the adapters (issue 8):
# partition prefix -> DynamoDB actions. Written out here, not imported, so that widening a grant fails a test.
EXPECTED_DYNAMODB = {
    "carry_forward": {
        "GROUP#*": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
        "EFFECT#*": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
        "AUDIT#*": ["dynamodb:PutItem"],
    },
    "backfill": {
        "GROUP#*": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
        "EFFECT#*": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
        "AUDIT#*": ["dynamodb:PutItem"],
    },
    "card_review": {
        "GROUP#*": ["dynamodb:GetItem"],
        "CARD#*": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        "EFFECT#*": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
        "AUDIT#*": ["dynamodb:PutItem"],
    },
    "approval_gate": {
        "GROUP#*": ["dynamodb:GetItem"],
        "EFFECT#*": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
        "AUDIT#*": ["dynamodb:PutItem", "dynamodb:Query"],  # Query: the stage history of the version it judges
    },
    "violation_alert": {
        "GROUP#*": ["dynamodb:GetItem"],
        "SCHEDULE#*": ["dynamodb:GetItem", "dynamodb:PutItem"],
        "EFFECT#*": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
        "AUDIT#*": ["dynamodb:PutItem"],
    },
    "account_sweep": {
        "GROUP#*": ["dynamodb:GetItem"],
        "SCHEDULE#*": ["dynamodb:GetItem"],
        # Reconciliation reads what the handlers marked done: effects (the gates' judgements among them), review
        # marks and exports. It never reads the ledger.
        "EFFECT#*": ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:UpdateItem"],
        "CARD#*": ["dynamodb:BatchGetItem"],
        "AUDIT#*": ["dynamodb:PutItem"],
    },
    "dq_monitor": {
        "GROUP#*": ["dynamodb:GetItem"],
        "SCHEDULE#*": ["dynamodb:GetItem", "dynamodb:PutItem"],
        "EFFECT#*": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
        "AUDIT#*": ["dynamodb:PutItem"],
    },
}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def topic_policies(template: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Topic logical id -> the statements of its topic policy."""
    found: dict[str, list[dict[str, Any]]] = {}
    for policy in resources(template, "AWS::SNS::TopicPolicy").values():
        for topic in policy["Properties"]["Topics"]:
            found.setdefault(topic["Ref"], []).extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return found


def topic_with(template: dict[str, Any], display_name: str) -> str:
    [logical_id] = [
        k
        for k, v in resources(template, "AWS::SNS::Topic").items()
        if v["Properties"].get("DisplayName") == display_name
    ]
    return logical_id


def functions_by_handler(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f["Metadata"][HANDLER_METADATA_KEY]: f
        for f in resources(template, "AWS::Lambda::Function").values()
        if HANDLER_METADATA_KEY in (f.get("Metadata") or {})
    }


def role_statements(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in resources(template, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def dynamodb_statements(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in statements if any(str(a).startswith("dynamodb:") for a in _as_list(s["Action"]))]


def leading_keys(statement: dict[str, Any]) -> list[str]:
    return statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]


# 1. Every alarm can notify the ops topic ----------------------------------------------------------------
def alarms_of_the_stack(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"Fn::GetAtt": [logical_id, "Arn"]} for logical_id in resources(template, "AWS::CloudWatch::Alarm")]


def test_cloudwatch_may_publish_to_the_ops_topic_for_exactly_the_alarms_of_this_stack(template):
    ops = topic_with(template, "Model governance alerts")
    allows = [s for s in topic_policies(template)[ops] if s["Effect"] == "Allow"]
    [allow] = allows
    assert {k: v for k, v in allow.items() if k != "Condition"} == {
        "Sid": "CloudwatchPublishes",
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": {"Ref": ops},
    }
    condition = allow["Condition"]
    assert condition["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    # The alarms' own ARNs, not alarm:* (another alarm of the account must not page ops through our topic).
    assert sorted(map(json.dumps, condition["ArnEquals"]["aws:SourceArn"])) == sorted(
        map(json.dumps, alarms_of_the_stack(template))
    )


def test_no_other_principal_is_allowed_to_publish_to_any_topic(template):
    ops = topic_with(template, "Model governance alerts")
    policies = topic_policies(template)
    assert set(policies) == set(resources(template, "AWS::SNS::Topic"))  # every topic has a policy
    for topic, statements in policies.items():
        for statement in statements:
            if statement["Effect"] == "Deny":  # the TLS-only rule, and who may publish (tests/security)
                assert statement.get("Sid") == "OnlyTheFunctionsAndOurAlarmsPublish" or statement["Condition"] == {
                    "Bool": {"aws:SecureTransport": "false"}
                }
                continue
            assert topic == ops, f"{topic} lets {statement['Principal']} publish"
            assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
            assert statement["Sid"] == "CloudwatchPublishes"


def test_the_topic_key_lets_cloudwatch_encrypt_only_for_alarms_of_this_account(template):
    [key] = resources(template, "AWS::KMS::Key").values()
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    services = [s for s in statements if "Service" in s["Principal"]]
    assert services == [
        {
            "Sid": "CloudwatchPublishesEncryptedToOpsTopic",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": CLOUDWATCH_CONDITIONS,
        }
    ]
    # The rest is CDK's default: the account administers its key through IAM, nobody else is named.
    others = [s for s in statements if s not in services]
    assert [s["Principal"] for s in others] == [
        {"AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", ACCOUNT, ":root"]]}}
    ]


# 4. The ledger and the state table: each role only the actions and partitions it uses ---------------------
@pytest.mark.parametrize("handler", sorted(EXPECTED_DYNAMODB))
def test_each_function_may_use_only_its_own_partitions_of_the_state_table(template, handler):
    function = functions_by_handler(template)[handler]
    statements = dynamodb_statements(role_statements(template, function["Properties"]["Role"]["Fn::GetAtt"][0]))
    granted = {}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        [resource] = _as_list(statement["Resource"])
        assert resource == {"Fn::GetAtt": [resource["Fn::GetAtt"][0], "Arn"]}, "the table only, never its index"
        assert set(statement["Condition"]) == {"ForAllValues:StringLike"}
        [prefix] = leading_keys(statement)
        assert prefix not in granted, f"{prefix} granted twice"
        granted[prefix] = sorted(_as_list(statement["Action"]))
    assert granted == EXPECTED_DYNAMODB[handler]


def test_no_role_may_change_or_delete_a_ledger_record_or_touch_the_table_without_a_key_condition(template):
    for policy in [
        *resources(template, "AWS::IAM::Policy").values(),
        *resources(template, "AWS::IAM::ManagedPolicy").values(),
    ]:
        for statement in dynamodb_statements(policy["Properties"]["PolicyDocument"]["Statement"]):
            actions = set(_as_list(statement["Action"]))
            assert not actions & {"dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:Scan", "dynamodb:*"}
            keys = leading_keys(statement)  # raises when a statement has no LeadingKeys condition
            if "dynamodb:UpdateItem" in actions:  # leases of effects, and export records (conditional updates)
                assert set(keys) <= {"EFFECT#*", "CARD#*"}, statement
            if any(k.startswith("AUDIT#") for k in keys):
                assert actions <= {"dynamodb:PutItem", "dynamodb:Query"}, statement


def test_ledger_readers_get_a_read_only_policy_including_the_by_card_index(template):
    [reader] = [
        p
        for p in resources(template, "AWS::IAM::ManagedPolicy").values()
        if "audit ledger" in p["Properties"].get("Description", "")
    ]
    statements = reader["Properties"]["PolicyDocument"]["Statement"]
    assert {s["Action"] for s in statements} == {"dynamodb:Query"}
    on_index = {leading_keys(s)[0] for s in statements if "/index/gsi1" in json.dumps(s["Resource"])}
    on_table = {leading_keys(s)[0] for s in statements if "/index/" not in json.dumps(s["Resource"])}
    assert on_index == {"CARD#*"} and on_table == {"AUDIT#*", "GROUP#*"}


# 4. Evidence that cannot be quietly rewritten ------------------------------------------------------------
def _evidence_bucket(template: dict[str, Any]) -> dict[str, Any]:
    [bucket] = [
        b["Properties"]
        for b in resources(template, "AWS::S3::Bucket").values()
        if b["Properties"].get("VersioningConfiguration")
    ]
    return bucket


def test_evidence_is_locked_in_governance_mode_for_the_retention_by_default(template):
    bucket = _evidence_bucket(template)
    days = CONTEXT["evidenceRetentionDays"]
    assert bucket["ObjectLockEnabled"] is True
    assert bucket["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": days}},
    }
    # Lifecycle never expires a version before its lock ends.
    for rule in bucket["LifecycleConfiguration"]["Rules"]:
        assert rule.get("ExpirationInDays", days) >= days
        assert rule.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays", days) >= days


def test_evidence_can_be_locked_in_compliance_mode_on_request():
    template = synthesize({"evidenceLockMode": "compliance", "evidenceRetentionDays": 400})
    assert _evidence_bucket(template)["ObjectLockConfiguration"]["Rule"] == {
        "DefaultRetention": {"Mode": "COMPLIANCE", "Days": 400}
    }


def test_no_role_may_bypass_the_lock_or_delete_evidence(template):
    for policy in resources(template, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = set(_as_list(statement["Action"]))
            assert not actions & {
                "s3:BypassGovernanceRetention",
                "s3:DeleteObject",
                "s3:DeleteObjectVersion",
                "s3:PutObjectRetention",
                "s3:PutBucketObjectLockConfiguration",
                "s3:*",
            }, statement


# 4. The sweep and the backfill: nothing reserved unless asked ------------------------------------------
def reserved_concurrency(template: dict[str, Any]) -> dict[str, Any]:
    return {
        handler: function["Properties"].get("ReservedConcurrentExecutions")
        for handler, function in functions_by_handler(template).items()
    }


def test_no_function_reserves_concurrency_by_default_so_a_new_account_can_deploy(template):
    # A reservation fails to deploy where the account's concurrency quota is under 100 + the reservation
    # (new accounts often start at 10); the effect leases keep overlapping runs from acting twice.
    assert set(reserved_concurrency(template).values()) == {None}


def test_the_sweep_and_the_backfill_run_one_at_a_time_on_request():
    reserved = reserved_concurrency(synthesize({"sweepReservedConcurrency": 1}))
    assert reserved.pop("account_sweep") == 1
    assert reserved.pop("backfill") == 1
    assert set(reserved.values()) == {None}  # event-driven functions keep scaling with their events
