"""The two SNS topics people subscribe to, encrypted with a key CloudWatch alarms may use."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.resource_policies import deny_all_but, role_arns


@dataclass(frozen=True)
class ServicePublisher:
    """An AWS service that publishes to a topic for resources of this account (an alarm, a rule).

    ``enforce_ssl`` gives each topic a policy, and a topic policy replaces SNS's default one: a service may
    publish only if a statement names it. The topic policy names the stack's own resources of the service
    (``restrict_publishers``); the key policy cannot (an alarm depends on the topic, the topic on the key), so
    its statement is scoped to this account's resources of the service (``aws:SourceAccount``,
    ``aws:SourceArn``): no other account's alarm can use the key (confused deputy), and the key alone lets
    nobody publish.
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


# The AWS services that publish to each topic besides the functions' own roles, one line each: the key policy
# lets them encrypt, and restrict_publishers lets exactly the stack's own resources of them publish (CloudWatch:
# the stack's alarms). AWS Chatbot reads a topic through a subscription: it needs no line here.
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
                self._allow_key_use(topic, publisher)
        self._publishers: dict[str, list[iam.IRole]] = {self.ops.node.id: [], self.notices.node.id: []}
        self.publishers_restricted = False
        for email in alert_emails:
            self.ops.add_subscription(subscriptions.EmailSubscription(email))
        for email in notice_emails:
            self.notices.add_subscription(subscriptions.EmailSubscription(email))

    def _allow_key_use(self, topic: sns.Topic, publisher: ServicePublisher) -> None:
        """The key actions an encrypted publish by the service needs, for this account's resources of it."""
        sid = f"{publisher.service.capitalize()}Publishes"
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"{sid}EncryptedTo{topic.node.id}",
                principals=[publisher.principal],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions=publisher.conditions(Stack.of(self)) if publisher.key_conditions else None,
            )
        )

    def restrict_publishers(self, alarms: Sequence[cloudwatch.IAlarm]) -> None:
        """Each topic's policy, once every publisher and alarm of the stack exists (the stack's last step).

        - ops: CloudWatch may publish for exactly ``alarms`` (their ARNs, not ``alarm:*``: another alarm of the
          account must not page ops with our topic);
        - both: sns:Publish is denied to every request not made by a function role granted ``grant_publish``
          and not sent for one of those alarms, whatever the caller's identity policy allows. Only Publish is
          denied: CloudFormation and the administrators keep managing topics, subscriptions and the policy.
        """
        self.publishers_restricted = True
        stack = Stack.of(self)
        alarm_arns = [alarm.alarm_arn for alarm in alarms]
        for topic, sources in ((self.ops, alarm_arns), (self.notices, [])):
            if sources:
                topic.add_to_resource_policy(
                    iam.PolicyStatement(
                        sid="CloudwatchPublishes",
                        principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                        actions=["sns:Publish"],
                        resources=[topic.topic_arn],
                        conditions={
                            "StringEquals": {"aws:SourceAccount": stack.account},
                            "ArnEquals": {"aws:SourceArn": sources},
                        },
                    )
                )
            topic.add_to_resource_policy(
                deny_all_but(
                    "OnlyTheFunctionsAndOurAlarmsPublish",
                    ["sns:Publish"],
                    [topic.topic_arn],
                    principals=role_arns(self._publishers[topic.node.id]),
                    sources=sources,
                )
            )

    def grant_publish(self, topic: sns.Topic, grantee: iam.IRole) -> None:
        """sns:Publish on one topic (and a place in its policy's exceptions), with exactly the key actions an
        encrypted publish needs, through SNS in this region only (the role cannot use the key directly)."""
        if self.publishers_restricted:
            raise RuntimeError(f"{self.node.path}: a publisher added after the topic policies were written")
        self._publishers[topic.node.id].append(grantee)
        grantee.add_to_principal_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=[topic.topic_arn]))
        grantee.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=[self.key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"sns.{Stack.of(self).region}.amazonaws.com"}},
            )
        )
