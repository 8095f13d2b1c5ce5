"""Slack and Microsoft Teams channels that AWS Chatbot posts the alert and notice topics to (chatChannels).

How a message gets there: SNS delivers to AWS Chatbot through an HTTPS subscription (endpoint
``https://global.sns-api.chatbot.amazonaws.com``), one per topic, shared by every channel configuration that
lists the topic; Chatbot posts it to each of them. The publishers send the chat body on that protocol
(adapters/notifications.py). So:

- Severities are chosen per topic (chatSeverities), with a filter policy on that one subscription. The stack
  declares the subscription itself, before the channel configurations: Chatbot's own Subscribe for the same
  topic, protocol and endpoint then finds it (SNS Subscribe is idempotent and only compares the attributes a
  request gives), so the filter is the one in force. Every message of ours carries ``severity``; CloudWatch
  alarm notifications on the ops topic carry no attributes, and SNS matches no filter policy (not even
  ``"exists": false``) against an empty attribute set: with a severity filter on the ops topic, alarms stay out
  of chat (email still gets them). Leave ops at every severity to have alarms in chat too.
- No KMS grant for Chatbot: SNS decrypts a message of an encrypted topic itself before delivering it to an HTTP/S
  endpoint ("decrypted just before being delivered to subscribed endpoints", AWS Compute Blog, "Encrypting
  messages published to Amazon SNS with AWS KMS"; SNS developer guide, "Encryption at rest"). The subscriber
  never calls KMS, so the key policy names no Chatbot principal, and no topic-policy statement is needed for
  delivery (a topic policy governs who may publish or subscribe, not delivery).
- The channel role has no permissions: custom notifications need none (Chatbot renders what SNS delivers), and
  the managed ReadOnlyAccess / CloudWatch read policies Chatbot suggests serve chat commands and alarm charts,
  which this system does not use. The guardrail (the most any chat user could do through the channel) denies
  every action: commands typed in the channel can do nothing with this account.
"""

from __future__ import annotations

from aws_cdk import aws_chatbot as chatbot
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.alerting import AlertTopics
from infra.config import CHAT_SEVERITIES, ChatChannel

CHATBOT_ENDPOINT = "https://global.sns-api.chatbot.amazonaws.com"


def severity_filter(severities: tuple[str, ...]) -> dict[str, sns.SubscriptionFilter]:
    """The filter policy of a topic's chat subscription: messages of the chosen severities."""
    return {"severity": sns.SubscriptionFilter.string_filter(allowlist=list(severities))}


class ChatChannels(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        channels: tuple[ChatChannel, ...],
        severities: dict[str, tuple[str, ...]],
        topics: AlertTopics,
    ) -> None:
        super().__init__(scope, construct_id)
        by_name = {"ops": topics.ops, "notices": topics.notices}
        used = [name for name in by_name if any(name in channel.topics for channel in channels)]
        self.subscriptions: dict[str, sns.Subscription] = {}
        for name in used:
            chosen = severities.get(name, CHAT_SEVERITIES)
            self.subscriptions[name] = sns.Subscription(
                self,
                f"{name.capitalize()}ToChatbot",
                topic=by_name[name],
                protocol=sns.SubscriptionProtocol.HTTPS,
                endpoint=CHATBOT_ENDPOINT,
                filter_policy=severity_filter(chosen) if tuple(chosen) != tuple(CHAT_SEVERITIES) else None,
            )
        self.role = iam.Role(
            self,
            "ChannelRole",
            assumed_by=iam.ServicePrincipal("chatbot.amazonaws.com"),
            description="AWS Chatbot channel role for model governance notifications: no permissions (none needed)",
        )
        self.guardrail = iam.ManagedPolicy(
            self,
            "Guardrail",
            description="Chat channels of model governance only receive notifications: no action from chat",
            statements=[iam.PolicyStatement(effect=iam.Effect.DENY, actions=["*"], resources=["*"])],
        )
        for channel in channels:
            self._channel(channel, [by_name[name] for name in channel.topics])

    def _channel(self, channel: ChatChannel, channel_topics: list[sns.ITopic]) -> None:
        if channel.platform == "slack":
            configuration: Construct = chatbot.SlackChannelConfiguration(
                self,
                f"Slack{channel.name}",
                slack_channel_configuration_name=channel.name,
                slack_workspace_id=channel.workspace_id,
                slack_channel_id=channel.channel_id,
                notification_topics=channel_topics,
                role=self.role,
                guardrail_policies=[self.guardrail],
            )
        else:
            configuration = chatbot.CfnMicrosoftTeamsChannelConfiguration(
                self,
                f"Teams{channel.name}",
                configuration_name=channel.name,
                team_id=channel.team_id,
                teams_tenant_id=channel.tenant_id,
                teams_channel_id=channel.channel_id,
                iam_role_arn=self.role.role_arn,
                sns_topic_arns=[topic.topic_arn for topic in channel_topics],
                guardrail_policies=[self.guardrail.managed_policy_arn],
            )
        # Our filtered subscription first: Chatbot's own Subscribe then finds it instead of adding an unfiltered one.
        for name in channel.topics:
            configuration.node.add_dependency(self.subscriptions[name])
