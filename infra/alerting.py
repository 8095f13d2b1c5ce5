"""The two SNS topics people subscribe to, encrypted with a key CloudWatch alarms may use."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct


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
        # CloudWatch alarm actions publish to the encrypted ops topic.
        self.key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")

        self.ops = sns.Topic(
            self, "OpsTopic", display_name="Model governance alerts", master_key=self.key, enforce_ssl=True
        )
        self.notices = sns.Topic(
            self, "NoticesTopic", display_name="Model card notices", master_key=self.key, enforce_ssl=True
        )
        for email in alert_emails:
            self.ops.add_subscription(subscriptions.EmailSubscription(email))
        for email in notice_emails:
            self.notices.add_subscription(subscriptions.EmailSubscription(email))

    def grant_publish(self, topic: sns.ITopic, grantee: iam.IGrantable) -> None:
        """sns:Publish on one topic, with exactly the key actions an encrypted publish needs."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=["sns:Publish"], resources=[topic.topic_arn])
        )
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[self.key.key_arn])
        )
