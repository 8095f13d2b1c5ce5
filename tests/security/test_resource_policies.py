"""Who may invoke, write and publish, read from the synthesized resource policies as AWS evaluates them.

An identity policy alone lets any principal of the account invoke a function, write a table or bucket, or publish
to a topic of the account: only a Deny in the resource's own policy stops it. Each test asks the evaluator
(``policy_eval``) what the synthesized statements decide for one request: ``deny`` stops everyone; a same-account
role with an identity Allow gets through anything but ``deny``; an AWS service needs ``allow``.
"""

from __future__ import annotations

from typing import Any

import pytest

from infra.governed_function import HANDLER_METADATA_KEY
from local.scenarios import data_quality as scenario
from local.world import synthesize
from tests.infra.conftest import resources
from tests.security.policy_eval import ACCOUNT, PARTITION, REGION, Request, Resolver, decide, role

pytestmark = pytest.mark.infra

SOMEONE = role("DataScientist")  # an ordinary principal of the account, whatever its identity policy allows
ROOT = f"arn:{PARTITION}:iam::{ACCOUNT}:root"
OPERATOR = role("ModelGovernanceOperators")
SSO_ADMIN = f"arn:{PARTITION}:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_*"
SSO_SESSION_ROLE = f"arn:{PARTITION}:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123abcd"
CFN_EXEC_ROLE = role(f"cdk-hnb659fds-cfn-exec-role-{ACCOUNT}-{REGION}")
OTHER_RULE = f"arn:{PARTITION}:events:{REGION}:{ACCOUNT}:rule/someone-elses-rule"
OTHER_ALARM = f"arn:{PARTITION}:cloudwatch:{REGION}:{ACCOUNT}:alarm:someone-elses-alarm"
# What the sweep replays (reconcile is on by default): the handlers whose lost events it repairs.
REPLAYED = ("carry_forward", "card_review", "violation_alert", "approval_gate")
PUBLISHERS = {  # infra/stack.py's grants: who publishes to which topic
    "Model governance alerts": (
        "carry_forward", "violation_alert", "dq_monitor", "card_review", "approval_gate", "account_sweep", "backfill"
    ),
    "Model card notices": ("carry_forward", "card_review", "approval_gate", "backfill"),
}  # fmt: skip
ITEM_WRITES = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
)
REWRITES = (
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:BypassGovernanceRetention",
)


class Stack:
    """The synthesized template with the lookups the tests need, intrinsics resolved by the evaluator's names."""

    def __init__(self, template: dict[str, Any]) -> None:
        self.template = template
        self.resolve = Resolver(template)
        self.functions = {
            f["Metadata"][HANDLER_METADATA_KEY]: lid
            for lid, f in resources(template, "AWS::Lambda::Function").items()
            if HANDLER_METADATA_KEY in (f.get("Metadata") or {})
        }

    def function_arn(self, handler: str) -> str:
        return self.resolve.arn(self.functions[handler])

    def role_of(self, handler: str) -> str:
        function = self.template["Resources"][self.functions[handler]]
        return str(self.resolve(function["Properties"]["Role"]))

    def rules_of(self, handler: str) -> list[str]:
        target = {"Fn::GetAtt": [self.functions[handler], "Arn"]}
        return [
            self.resolve.arn(lid)
            for lid, rule in resources(self.template, "AWS::Events::Rule").items()
            if any(t["Arn"] == target for t in rule["Properties"].get("Targets", []))
        ]

    def function_policy(self, handler: str) -> list[dict[str, Any]]:
        target = {"Fn::GetAtt": [self.functions[handler], "Arn"]}
        policies = [
            p["Properties"]["PolicyDocument"]["Statement"]
            for p in resources(self.template, "AWS::Lambda::ResourcePolicy").values()
            if p["Properties"]["ResourceArn"] == target
        ]
        assert len(policies) == 1, f"{handler}: {len(policies)} resource policies"
        return list(self.resolve(policies[0]))

    def table(self) -> tuple[str, list[dict[str, Any]]]:
        [(lid, table)] = resources(self.template, "AWS::DynamoDB::GlobalTable").items()
        [replica] = table["Properties"]["Replicas"]
        return self.resolve.arn(lid), list(self.resolve(replica["ResourcePolicy"]["PolicyDocument"]["Statement"]))

    def evidence(self) -> tuple[str, list[dict[str, Any]]]:
        [lid] = [
            lid
            for lid, b in resources(self.template, "AWS::S3::Bucket").items()
            if b["Properties"].get("ObjectLockEnabled")
        ]
        [policy] = [
            p
            for p in resources(self.template, "AWS::S3::BucketPolicy").values()
            if p["Properties"]["Bucket"] == {"Ref": lid}
        ]
        return self.resolve.arn(lid), list(self.resolve(policy["Properties"]["PolicyDocument"]["Statement"]))

    def topic(self, display_name: str) -> tuple[str, list[dict[str, Any]]]:
        [lid] = [
            lid
            for lid, t in resources(self.template, "AWS::SNS::Topic").items()
            if t["Properties"].get("DisplayName") == display_name
        ]
        statements = [
            s
            for p in resources(self.template, "AWS::SNS::TopicPolicy").values()
            if {"Ref": lid} in p["Properties"]["Topics"]
            for s in p["Properties"]["PolicyDocument"]["Statement"]
        ]
        return self.resolve.arn(lid), list(self.resolve(statements))

    def alarms(self) -> list[str]:
        return [self.resolve.arn(lid) for lid in resources(self.template, "AWS::CloudWatch::Alarm")]

    def identity_statements(self, handler: str) -> list[dict[str, Any]]:
        role_id = self.template["Resources"][self.functions[handler]]["Properties"]["Role"]["Fn::GetAtt"][0]
        return [
            s
            for p in resources(self.template, "AWS::IAM::Policy").values()
            if {"Ref": role_id} in p["Properties"]["Roles"]
            for s in self.resolve(p["Properties"]["PolicyDocument"]["Statement"])
        ]


@pytest.fixture(scope="module")
def stack(template: dict[str, Any]) -> Stack:
    return Stack(template)


@pytest.fixture(scope="module")
def configured() -> Stack:
    """Operators named (one role, one IAM Identity Center pattern) and a data-quality monitor (its state machine)."""
    return Stack(
        synthesize(
            {
                "operatorPrincipalArns": [OPERATOR, SSO_ADMIN],
                "dataQualityMonitors": scenario.CONTEXT["dataQualityMonitors"],
            }
        )
    )


def invoke(principal: str, function_arn: str, **context: str) -> Request:
    return Request(principal, "lambda:InvokeFunction", function_arn, context)


# The evaluator itself, on the semantics the policies rely on ---------------------------------------------------
def test_the_evaluator_reads_negated_operators_on_missing_keys_as_true_and_denies_over_allows():
    deny = {
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "sns:Publish",
        "Resource": "*",
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": [OPERATOR]}, "ArnNotEquals": {"aws:SourceArn": ["arn:x"]}},
    }
    allow = {
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:*",
        "Resource": "*",
    }
    assert decide([deny, allow], Request(SOMEONE, "sns:Publish", "t")) == "deny"  # no SourceArn: true
    assert decide([deny, allow], Request(OPERATOR, "sns:Publish", "t")) == "none"
    assert decide(
        [deny, allow], Request("cloudwatch.amazonaws.com", "sns:Publish", "t", {"aws:SourceArn": "arn:x"})
    ) == ("allow")
    assert decide(
        [deny, allow], Request("cloudwatch.amazonaws.com", "sns:Publish", "t", {"aws:SourceArn": "arn:y"})
    ) == ("deny")


# A. Functions: only EventBridge (this stack's rules), this stack's callers and the operators invoke -------------
def test_every_function_has_one_resource_policy_and_no_separate_permission(stack):
    assert resources(stack.template, "AWS::Lambda::Permission") == {}  # PutResourcePolicy would replace them
    for handler in stack.functions:
        stack.function_policy(handler)  # exactly one each


@pytest.mark.parametrize(
    "handler",
    ["carry_forward", "card_review", "violation_alert", "approval_gate", "dq_monitor", "account_sweep", "backfill"],
)
def test_an_ordinary_principal_of_the_account_cannot_invoke_a_function(stack, handler):
    arn = stack.function_arn(handler)
    policy = stack.function_policy(handler)
    assert decide(policy, invoke(SOMEONE, arn)) == "deny"
    assert decide(policy, invoke(ROOT, arn)) == "deny"
    for qualified in (f"{arn}:$LATEST", f"{arn}:1", f"{arn}:live"):  # a qualifier names another resource
        assert decide(policy, invoke(SOMEONE, qualified)) == "deny", qualified
    # Another function's role cannot drive it with a forged event either.
    others = [h for h in stack.functions if h != handler and not (handler in REPLAYED and h == "account_sweep")]
    for other in others:
        assert decide(policy, invoke(stack.role_of(other), arn)) == "deny", other


@pytest.mark.parametrize(
    "handler", ["carry_forward", "card_review", "violation_alert", "approval_gate", "account_sweep"]
)
def test_eventbridge_invokes_for_the_functions_own_rules_only(stack, handler):
    arn = stack.function_arn(handler)
    policy = stack.function_policy(handler)
    rules = stack.rules_of(handler)
    assert rules
    for rule in rules:
        assert decide(policy, invoke("events.amazonaws.com", arn, **{"aws:SourceArn": rule})) == "allow"
    assert decide(policy, invoke("events.amazonaws.com", arn, **{"aws:SourceArn": OTHER_RULE})) == "deny"
    # Another function's rule cannot deliver here.
    foreign = [r for h in stack.functions if h != handler for r in stack.rules_of(h)]
    for rule in foreign:
        assert decide(policy, invoke("events.amazonaws.com", arn, **{"aws:SourceArn": rule})) == "deny"


@pytest.mark.parametrize("handler", REPLAYED)
def test_the_sweep_replays_into_the_handlers_and_nobody_else_may(stack, handler):
    policy = stack.function_policy(handler)
    arn = stack.function_arn(handler)
    assert decide(policy, invoke(stack.role_of("account_sweep"), arn)) == "none"  # its identity policy allows it
    assert decide(policy, invoke(stack.role_of("backfill"), arn)) == "deny"
    assert decide(policy, invoke(SOMEONE, arn)) == "deny"


def test_the_sweep_cannot_invoke_what_it_does_not_replay(stack):
    for handler in ("backfill", "account_sweep"):
        assert decide(
            stack.function_policy(handler), invoke(stack.role_of("account_sweep"), stack.function_arn(handler))
        ) == ("deny")


def test_operators_invoke_every_function_including_the_backfill(configured):
    for handler in configured.functions:
        arn = configured.function_arn(handler)
        policy = configured.function_policy(handler)
        assert decide(policy, invoke(OPERATOR, arn)) == "none", handler
        assert decide(policy, invoke(SSO_SESSION_ROLE, arn)) == "none", handler  # the pattern's roles
        assert decide(policy, invoke(SOMEONE, arn)) == "deny", handler


def test_nobody_invokes_the_backfill_until_operators_are_named(stack):
    arn = stack.function_arn("backfill")
    policy = stack.function_policy("backfill")
    for principal in (SOMEONE, ROOT, OPERATOR, stack.role_of("account_sweep")):
        assert decide(policy, invoke(principal, arn)) == "deny"


def test_the_data_quality_state_machine_invokes_its_function(configured):
    [machine] = resources(configured.template, "AWS::StepFunctions::StateMachine").values()
    machine_role = str(configured.resolve(machine["Properties"]["RoleArn"]))
    arn = configured.function_arn("dq_monitor")
    policy = configured.function_policy("dq_monitor")
    assert decide(policy, invoke(machine_role, arn)) == "none"
    assert decide(policy, invoke(SOMEONE, arn)) == "deny"
    carry_forward = configured.function_arn("carry_forward")
    assert decide(configured.function_policy("carry_forward"), invoke(machine_role, carry_forward)) == "deny"


# B. The state table: only the function roles write items ------------------------------------------------------
@pytest.mark.parametrize("action", ITEM_WRITES)
def test_an_ordinary_principal_cannot_write_the_state_table(stack, action):
    table, policy = stack.table()
    for principal in (SOMEONE, ROOT, OPERATOR):
        assert decide(policy, Request(principal, action, table)) == "deny", principal
    assert decide(policy, Request(SOMEONE, action, f"{table}/index/gsi1")) == "deny"


def test_the_function_roles_write_the_table_and_readers_still_read(stack):
    table, policy = stack.table()
    for handler in stack.functions:
        assert decide(policy, Request(stack.role_of(handler), "dynamodb:PutItem", table)) == "none", handler
    assert decide(policy, Request(SOMEONE, "dynamodb:PutItem", table)) == "deny"
    for action in ("dynamodb:GetItem", "dynamodb:Query"):  # the ledger reader
        assert decide(policy, Request(SOMEONE, action, table)) == "none"
    for action in ("dynamodb:UpdateTable", "dynamodb:PutResourcePolicy", "dynamodb:DescribeTable"):
        assert decide(policy, Request(CFN_EXEC_ROLE, action, table)) == "none"  # CloudFormation still manages it


# B. The evidence bucket: only the writers put objects, nobody rewrites or unlocks them ------------------------
def test_only_the_card_review_and_the_sweep_put_evidence(stack):
    bucket, policy = stack.evidence()
    put = "s3:PutObject"
    assert decide(policy, Request(SOMEONE, put, f"{bucket}/model-cards/forged/v1/card.pdf")) == "deny"
    assert decide(policy, Request(ROOT, put, f"{bucket}/sweeps/forged.json")) == "deny"
    assert decide(policy, Request(stack.role_of("card_review"), put, f"{bucket}/model-cards/c/v1/c.pdf")) == "none"
    assert decide(policy, Request(stack.role_of("account_sweep"), put, f"{bucket}/sweeps/2026-12-06/r.json")) == "none"
    assert decide(policy, Request(stack.role_of("carry_forward"), put, f"{bucket}/model-cards/c/v1/c.pdf")) == "deny"


@pytest.mark.parametrize("action", REWRITES)
def test_nobody_deletes_or_unlocks_evidence_not_even_the_writers_or_the_root(stack, action):
    bucket, policy = stack.evidence()
    for principal in (SOMEONE, ROOT, CFN_EXEC_ROLE, stack.role_of("card_review"), stack.role_of("account_sweep")):
        assert decide(policy, Request(principal, action, f"{bucket}/model-cards/c/v1/c.pdf")) == "deny", principal


@pytest.mark.parametrize(
    "setting",
    ["s3:PutBucketObjectLockConfiguration", "s3:PutLifecycleConfiguration", "s3:PutReplicationConfiguration"],
)
def test_only_a_deploy_changes_the_evidence_lock_lifecycle_and_replication(stack, setting):
    bucket, policy = stack.evidence()
    assert decide(policy, Request(SOMEONE, setting, bucket)) == "deny"
    assert decide(policy, Request(ROOT, setting, bucket)) == "deny"
    assert decide(policy, Request(CFN_EXEC_ROLE, setting, bucket)) == "none"


def test_the_evidence_policy_stays_manageable(stack):
    bucket, policy = stack.evidence()
    for action in ("s3:PutBucketPolicy", "s3:DeleteBucketPolicy"):
        assert decide(policy, Request(CFN_EXEC_ROLE, action, bucket)) == "none"
        assert decide(policy, Request(ROOT, action, bucket)) == "none"


@pytest.mark.parametrize("action", ["s3:ReplicateObject", "s3:ReplicateDelete"])
def test_replication_writes_no_evidence(stack, action):
    bucket, policy = stack.evidence()
    for principal in (SOMEONE, ROOT, stack.role_of("card_review")):
        assert decide(policy, Request(principal, action, f"{bucket}/model-cards/c/v1/c.pdf")) == "deny", principal


# B. Topics: only the function roles publish, and CloudWatch for this stack's own alarms -----------------------
@pytest.mark.parametrize("display_name", sorted(PUBLISHERS))
def test_only_the_publishing_functions_publish_to_a_topic(stack, display_name):
    topic, policy = stack.topic(display_name)
    publish = "sns:Publish"
    for principal in (SOMEONE, ROOT, OPERATOR):
        assert decide(policy, Request(principal, publish, topic)) == "deny", principal
    for handler in stack.functions:
        expected = "none" if handler in PUBLISHERS[display_name] else "deny"
        assert decide(policy, Request(stack.role_of(handler), publish, topic)) == expected, handler


def test_cloudwatch_publishes_for_this_stacks_alarms_and_nobody_elses(stack):
    topic, policy = stack.topic("Model governance alerts")
    alarms = stack.alarms()
    assert len(alarms) > 10

    def cloudwatch(alarm: str, to: str = topic) -> Request:
        context = {"aws:SourceArn": alarm, "aws:SourceAccount": ACCOUNT}
        return Request("cloudwatch.amazonaws.com", "sns:Publish", to, context)

    for alarm in alarms:
        assert decide(policy, cloudwatch(alarm)) == "allow", alarm
    assert decide(policy, cloudwatch(OTHER_ALARM)) == "deny"
    notices, notices_policy = stack.topic("Model card notices")
    assert decide(notices_policy, cloudwatch(alarms[0], notices)) == "deny"


def test_the_functions_may_use_the_topic_key_only_through_sns(stack):
    [key] = resources(stack.template, "AWS::KMS::Key")
    key_arn = stack.resolve.arn(key)
    for handler in {h for publishers in PUBLISHERS.values() for h in publishers}:
        statements = stack.identity_statements(handler)
        role_arn = stack.role_of(handler)
        via_sns = {"kms:ViaService": f"sns.{REGION}.amazonaws.com"}
        for action in ("kms:GenerateDataKey", "kms:Decrypt"):
            assert decide(statements, Request(role_arn, action, key_arn, via_sns)) == "allow", handler
            assert decide(statements, Request(role_arn, action, key_arn)) == "none", handler  # directly: no


# B. UpdateModelPackage: the card writers cannot promote a version or vouch for its card -----------------------
@pytest.mark.parametrize("handler", ["carry_forward", "card_review", "backfill"])
def test_the_card_writers_update_the_embedded_card_and_nothing_a_gate_trusts(stack, handler):
    package = f"arn:{PARTITION}:sagemaker:{REGION}:{ACCOUNT}:model-package/churn/3"
    statements = stack.identity_statements(handler)

    def update(**keys: str) -> str:
        return decide(statements, Request(stack.role_of(handler), "sagemaker:UpdateModelPackage", package, keys))

    assert update() == "allow"  # ModelCard only
    for key, value in {
        "sagemaker:ModelApprovalStatus": "Approved",
        "sagemaker:ModelLifeCycle:Stage": "Production",
        "sagemaker:ModelLifeCycle:StageStatus": "Approved",
        "sagemaker:CustomerMetadataProperties/model-governance:model-card": "forged-card",
        "sagemaker:CustomerMetadataPropertiesToRemove": "model-governance:model-card",
    }.items():
        assert update(**{key: value}) == "none", key


def test_the_enforcing_gate_withdraws_approvals_and_stages_but_never_vouches_for_a_card():
    enforce = Stack(synthesize({"approvalGate": "enforce"}))
    package = f"arn:{PARTITION}:sagemaker:{REGION}:{ACCOUNT}:model-package/churn/3"
    statements = enforce.identity_statements("approval_gate")
    gate = enforce.role_of("approval_gate")
    trust = "sagemaker:CustomerMetadataProperties/model-governance:model-card"

    def update(**keys: str) -> str:
        return decide(statements, Request(gate, "sagemaker:UpdateModelPackage", package, keys))

    withdrawals = [
        {"sagemaker:ModelApprovalStatus": "PendingManualApproval"},
        {"sagemaker:ModelLifeCycle:Stage": "QA", "sagemaker:ModelLifeCycle:StageStatus": "InProgress"},
        {"sagemaker:ModelLifeCycle:Stage": "Production", "sagemaker:ModelLifeCycle:StageStatus": "Rejected"},
    ]
    for keys in withdrawals:
        assert update(**keys) == "allow", keys
        assert update(**keys, **{trust: "forged-card"}) == "none", keys
        assert update(**keys, **{"sagemaker:CustomerMetadataPropertiesToRemove": "x"}) == "none", keys
    assert update(**{"sagemaker:ModelApprovalStatus": "Approved"}) == "none"


def test_where_cloudformation_has_no_lambda_resource_policy_each_rule_gets_one_permission():
    fallback = Stack(synthesize({"functionResourcePolicies": False}))
    assert resources(fallback.template, "AWS::Lambda::ResourcePolicy") == {}
    permissions = resources(fallback.template, "AWS::Lambda::Permission").values()
    granted = sorted(
        (str(fallback.resolve(p["Properties"]["FunctionName"])), str(fallback.resolve(p["Properties"]["SourceArn"])))
        for p in permissions
    )
    expected = sorted(
        (fallback.function_arn(handler), rule) for handler in fallback.functions for rule in fallback.rules_of(handler)
    )
    assert granted == expected
    assert {p["Properties"]["Principal"] for p in permissions} == {"events.amazonaws.com"}


def test_a_grant_wired_after_the_resource_policies_are_written_is_refused():
    from app import build_app
    from infra.alerting import AlertTopics
    from infra.governed_function import GovernedFunction
    from infra.state_table import StateTable
    from model_governance.adapters import keys

    _, built = build_app({"aws:cdk:bundling-stacks": []})
    function = next(c for c in built.node.find_all() if isinstance(c, GovernedFunction))
    with pytest.raises(RuntimeError, match="after the invoke permissions were written"):
        function.accept_invocations_from(function.role)
    with pytest.raises(RuntimeError, match="after the table's resource policy"):
        next(c for c in built.node.find_all() if isinstance(c, StateTable)).grant(function.role, keys.CARRY_FORWARD)
    topics = next(c for c in built.node.find_all() if isinstance(c, AlertTopics))
    with pytest.raises(RuntimeError, match="after the topic policies"):
        topics.grant_publish(topics.ops, function.role)
