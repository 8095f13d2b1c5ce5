"""Given chat channels and Security Hub switched on, when the stack is synthesized, then Chatbot gets exactly one
(filtered) HTTPS subscription per topic, a powerless role behind a deny-all guardrail and no key grant, and the
sweep may import findings only under this account's own product ARN. Bad ids fail the synth, naming the key."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import ConfigError, GovernanceConfig
from local.world import synthesize
from tests.infra.conftest import resources
from tests.infra.test_safety import functions_by_handler, role_statements, topic_policies, topic_with

SLACK = {
    "name": "ml-ops",
    "platform": "slack",
    "workspaceId": "T0123ABCD",
    "channelId": "C0123ABCD",
    "topics": ["ops", "notices"],
}
TEAMS = {
    "name": "ml-governance",
    "platform": "teams",
    "teamId": "11111111-2222-3333-4444-555555555555",
    "tenantId": "00000000-0000-4000-8000-000000000000",
    "channelId": "19%3Aabc123%40thread.tacv2",
    "topics": ["notices"],
}
CONTEXT = {
    "chatChannels": [SLACK, TEAMS],
    "chatSeverities": {"notices": ["High", "Medium"]},
    "securityHubFindings": True,
}
ACCOUNT = {"Ref": "AWS::AccountId"}


@pytest.fixture(scope="module")
def chat_template() -> dict[str, Any]:
    return synthesize(CONTEXT)


def test_each_topic_has_one_chatbot_subscription_filtered_by_the_chosen_severities(chat_template):
    ops, notices = (topic_with(chat_template, n) for n in ("Model governance alerts", "Model card notices"))
    https = {
        v["Properties"]["TopicArn"]["Ref"]: v["Properties"]
        for v in resources(chat_template, "AWS::SNS::Subscription").values()
        if v["Properties"]["Protocol"] == "https"
    }
    assert https == {
        ops: {
            "Protocol": "https",
            "Endpoint": "https://global.sns-api.chatbot.amazonaws.com",
            "TopicArn": {"Ref": ops},
        },
        notices: {
            "Protocol": "https",
            "Endpoint": "https://global.sns-api.chatbot.amazonaws.com",
            "TopicArn": {"Ref": notices},
            "FilterPolicy": {"severity": ["High", "Medium"]},
        },
    }


def test_channels_name_their_topics_and_come_after_our_subscriptions(chat_template):
    [slack] = resources(chat_template, "AWS::Chatbot::SlackChannelConfiguration").values()
    [teams] = resources(chat_template, "AWS::Chatbot::MicrosoftTeamsChannelConfiguration").values()
    ops, notices = (topic_with(chat_template, n) for n in ("Model governance alerts", "Model card notices"))
    assert slack["Properties"]["SlackWorkspaceId"] == "T0123ABCD"
    assert slack["Properties"]["SlackChannelId"] == "C0123ABCD"
    assert slack["Properties"]["SnsTopicArns"] == [{"Ref": ops}, {"Ref": notices}]
    assert teams["Properties"]["TeamsChannelId"] == "19%3Aabc123%40thread.tacv2"
    assert teams["Properties"]["SnsTopicArns"] == [{"Ref": notices}]
    subscriptions = set(resources(chat_template, "AWS::SNS::Subscription"))
    assert len(set(slack["DependsOn"]) & subscriptions) == 2
    assert len(set(teams["DependsOn"]) & subscriptions) == 1


def test_the_channel_role_has_no_permission_and_the_guardrail_denies_everything(chat_template):
    [slack] = resources(chat_template, "AWS::Chatbot::SlackChannelConfiguration").values()
    [teams] = resources(chat_template, "AWS::Chatbot::MicrosoftTeamsChannelConfiguration").values()
    role_id = slack["Properties"]["IamRoleArn"]["Fn::GetAtt"][0]
    assert teams["Properties"]["IamRoleArn"]["Fn::GetAtt"][0] == role_id
    role = chat_template["Resources"][role_id]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "chatbot.amazonaws.com"}}
    ]
    assert "ManagedPolicyArns" not in role and "Policies" not in role
    assert role_statements(chat_template, role_id) == []
    [guardrail_ref] = slack["Properties"]["GuardrailPolicies"]
    assert teams["Properties"]["GuardrailPolicies"] == [guardrail_ref]
    guardrail = chat_template["Resources"][guardrail_ref["Ref"]]["Properties"]["PolicyDocument"]["Statement"]
    assert guardrail == [{"Action": "*", "Effect": "Deny", "Resource": "*"}]


def test_chatbot_gets_no_key_grant_and_no_topic_statement(chat_template):
    """SNS decrypts before it delivers to an HTTPS endpoint: Chatbot never uses the key."""
    [key] = resources(chat_template, "AWS::KMS::Key").values()
    principals = [s["Principal"] for s in key["Properties"]["KeyPolicy"]["Statement"]]
    assert not [p for p in principals if "chatbot" in str(p)]
    for statements in topic_policies(chat_template).values():
        assert not [s for s in statements if "chatbot" in str(s.get("Principal"))]


def test_without_channels_there_is_no_chat_resource(template):
    assert not resources(template, "AWS::Chatbot::SlackChannelConfiguration")
    assert not [
        v for v in resources(template, "AWS::SNS::Subscription").values() if v["Properties"]["Protocol"] == "https"
    ]


def test_the_sweep_may_import_findings_only_as_this_account_under_its_default_product(chat_template):
    sweep = functions_by_handler(chat_template)["account_sweep"]
    role_id = sweep["Properties"]["Role"]["Fn::GetAtt"][0]
    hub = [s for s in role_statements(chat_template, role_id) if "securityhub" in str(s["Action"])]
    prefix = ["arn:", {"Ref": "AWS::Partition"}, ":securityhub:", {"Ref": "AWS::Region"}, ":", ACCOUNT]
    assert hub == [
        {
            "Action": "securityhub:BatchImportFindings",
            "Condition": {"StringEquals": {"securityhub:TargetAccount": ACCOUNT}},
            "Effect": "Allow",
            "Resource": {"Fn::Join": ["", [*prefix, ":product/", ACCOUNT, "/default"]]},
        },
        {
            "Action": "securityhub:GetFindings",
            "Effect": "Allow",
            "Resource": {"Fn::Join": ["", [*prefix, ":hub/default"]]},
        },
        {
            "Action": "securityhub:BatchUpdateFindings",
            "Condition": {"StringEquals": {"securityhub:ASFFSyntaxPath/Workflow.Status": "RESOLVED"}},
            "Effect": "Allow",
            "Resource": {"Fn::Join": ["", [*prefix, ":hub/default"]]},
        },
    ]
    assert sweep["Properties"]["Environment"]["Variables"]["SECURITY_HUB_FINDINGS"] == "true"


def test_security_hub_is_off_by_default(template):
    for function in functions_by_handler(template).values():
        role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
        assert "securityhub" not in str(role_statements(template, role_id))
        assert "SECURITY_HUB_FINDINGS" not in function["Properties"].get("Environment", {}).get("Variables", {})


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"channelId": "#ml-ops"}, "channelId must be a Slack channel id"),
        ({"workspaceId": "t-lower"}, "workspaceId must be a Slack workspace id"),
        ({"topics": ["alerts"]}, "topics must be a non-empty list of ops, notices"),
        ({"name": "has space"}, "name must be 1 to 128"),
        ({"platform": "discord"}, "platform must be slack or teams"),
        ({"webhook": "https://x"}, "unknown key 'webhook'"),
    ],
)
def test_a_bad_slack_channel_fails_the_synth_naming_the_key(change, named):
    with pytest.raises(ConfigError, match="chatChannels") as raised:
        GovernanceConfig.from_mapping({**_defaults(), "chatChannels": [{**SLACK, **change}]})
    assert named in str(raised.value)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"teamId": "not-a-uuid"}, "teamId must be the Microsoft Teams team id"),
        ({"tenantId": ""}, "tenantId must be the Microsoft Entra tenant id"),
        ({"channelId": "19:abc@thread.tacv2"}, "channelId must be the URL-encoded Teams channel id"),
    ],
)
def test_a_bad_teams_channel_fails_the_synth_naming_the_key(change, named):
    with pytest.raises(ConfigError, match=named):
        GovernanceConfig.from_mapping({**_defaults(), "chatChannels": [{**TEAMS, **change}]})


def test_bad_severities_and_duplicate_names_fail_the_synth():
    with pytest.raises(ConfigError, match="chatSeverities: ops: expected a non-empty list of High"):
        GovernanceConfig.from_mapping({**_defaults(), "chatSeverities": {"ops": ["Critical"]}})
    with pytest.raises(ConfigError, match="used twice"):
        GovernanceConfig.from_mapping({**_defaults(), "chatChannels": [SLACK, SLACK]})
    with pytest.raises(ConfigError, match="securityHubFindings: expected true or false"):
        GovernanceConfig.from_mapping({**_defaults(), "securityHubFindings": "yes"})


def test_channels_given_on_the_command_line_as_json_are_read():
    import json

    config = GovernanceConfig.from_mapping({**_defaults(), "chatChannels": json.dumps([SLACK])})
    assert [c.name for c in config.chat_channels] == ["ml-ops"]


def _defaults() -> dict[str, Any]:
    import json
    from pathlib import Path

    return json.loads((Path(__file__).resolve().parents[2] / "cdk.json").read_text())["context"]


def test_cdk_nag_finds_nothing_unacknowledged_with_chat_and_security_hub_on(tmp_path):
    import json

    from app import build_app

    app, _ = build_app({**_defaults(), **CONTEXT, "aws:cdk:bundling-stacks": []}, outdir=str(tmp_path))
    app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    [nag] = [r for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    assert nag["conclusion"] == "success" and nag["violations"] == []
