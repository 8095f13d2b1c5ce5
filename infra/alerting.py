"""The two SNS topics people subscribe to, encrypted with a key CloudWatch alarms may use."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct


@dataclass(frozen=True)
class ServicePublisher:
    """An AWS service that publishes to a topic for resources of this account (an alarm, a rule).

    ``enforce_ssl`` gives each topic a policy, and a topic policy replaces SNS's default one: a service may
    publish only if a statement names it. Each statement is scoped to this account's resources of the
    service (``aws:SourceAccount``, ``aws:SourceArn``), so no other account's alarm can use it (confused deputy).
    """

    service: str  # "cloudwatch": the principal is <service>.amazonaws.com, the source ARN arn:...:<service>:...
    resource: str  # the source resources, after the account: "alarm:*"
    # Whether the service's KMS requests carry aws:SourceAccount / aws:SourceArn. CloudWatch's do; EventBridge's
    # do not (a conditioned key grant would drop every event), so its key statement could only be unconditioned.
    key_conditions: bool = True

    @property
    def principal(self) -> iam.ServicePrincipal:
        return iam.ServicePrincipal(f"{self.service}.amazonaws.com")

    def conditions(self, stack: Stack) -> dict[str, dict[str, str]]:
        source = f"arn:{stack.partition}:{self.service}:{stack.region}:{stack.account}:{self.resource}"
        return {"StringEquals": {"aws:SourceAccount": stack.account}, "ArnLike": {"aws:SourceArn": source}}


# Who may publish to each topic besides the functions' own roles: one line per AWS service. (AWS Chatbot reads
# a topic through a subscription: it needs no line here. An EventBridge rule targeting a topic would need
# ServicePublisher("events", "rule/*", key_conditions=False).)
OPS_PUBLISHERS = (ServicePublisher("cloudwatch", "alarm:*"),)  # every alarm's action is the ops topic
NOTICES_PUBLISHERS: tuple[ServicePublisher, ...] = ()  # only the functions publish notices


class AlertTopics(Construct):
    """``ops``: alarms and alert emails for operators. ``notices``: card lifecycle notices for owners and reviewers.

    Both are encrypted with one customer-managed key (CloudWatch cannot publish to a topic encrypted with the
    AWS-managed SNS key) and refuse non-TLS publishers.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, alert_emails: tuple[str, ...], notice_emails: tuple[str, ...]
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "TopicKey",
            description="Encrypts the model governance SNS topics",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.ops = sns.Topic(
            self, "OpsTopic", display_name="Model governance alerts", master_key=self.key, enforce_ssl=True
        )
        self.notices = sns.Topic(
            self, "NoticesTopic", display_name="Model card notices", master_key=self.key, enforce_ssl=True
        )
        for topic, publishers in ((self.ops, OPS_PUBLISHERS), (self.notices, NOTICES_PUBLISHERS)):
            for publisher in publishers:
                self._allow_service(topic, publisher)
        for email in alert_emails:
            self.ops.add_subscription(subscriptions.EmailSubscription(email))
        for email in notice_emails:
            self.notices.add_subscription(subscriptions.EmailSubscription(email))

    def _allow_service(self, topic: sns.Topic, publisher: ServicePublisher) -> None:
        """sns:Publish on ``topic`` for the service, and the key actions an encrypted publish needs."""
        stack = Stack.of(self)
        sid = f"{publisher.service.capitalize()}Publishes"
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid=sid,
                principals=[publisher.principal],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions=publisher.conditions(stack),
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"{sid}EncryptedTo{topic.node.id}",
                principals=[publisher.principal],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions=publisher.conditions(stack) if publisher.key_conditions else None,
            )
        )

    def grant_publish(self, topic: sns.ITopic, grantee: iam.IGrantable) -> None:
        """sns:Publish on one topic, with exactly the key actions an encrypted publish needs."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=["sns:Publish"], resources=[topic.topic_arn])
        )
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[self.key.key_arn])
        )
