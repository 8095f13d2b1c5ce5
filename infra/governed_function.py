"""One reusable construct for every Lambda of the system: nothing is lost, everything is watched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.nag import acknowledge, nag_form
from infra.shared import SharedResources
from model_governance import constants

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"
RUNTIME = lambda_.Runtime.PYTHON_3_14
# CloudFormation metadata key naming the handler folder, read by the local replay (local/world.py).
HANDLER_METADATA_KEY = "ModelGovernance:Handler"
# An effect's lease outlives the function's timeout by this much (clock skew between Lambda and DynamoDB).
LEASE_MARGIN_SECONDS = 30


class GovernedFunction(Construct):
    """A Lambda with its own least-privilege role, log group with retention, DLQ and alarms.

    The DLQ receives both what EventBridge could not deliver and what the function failed on after Lambda's
    async retries, so a failed event always ends in one place that an alarm watches.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handler_dir: str,
        description: str,
        shared: SharedResources,
        environment: dict[str, str],
        timeout_seconds: int = 60,
        memory_size: int = 256,
        reserved_concurrency: int | None = None,
        runtime: lambda_.Runtime = RUNTIME,
        extra_layers: tuple[lambda_.ILayerVersion, ...] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self._alarm_action = cw_actions.SnsAction(shared.topics.ops)
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        self.log_group = logs.LogGroup(
            self, "Logs", retention=shared.log_retention, removal_policy=RemovalPolicy.RETAIN
        )
        # An explicit role instead of AWSLambdaBasicExecutionRole: it may write only to its own log group.
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Least-privilege role of the {handler_dir} function",
        )
        self.log_group.grant_write(self.role)
        self._wildcard_reasons: dict[str, list[str]] = {}
        self._acknowledge_wildcard(
            "*", "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions (active tracing)"
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=runtime,
            architecture=lambda_.Architecture.ARM_64,
            handler="app.handler",
            code=lambda_.Code.from_asset(str(FUNCTIONS_DIR / handler_dir), exclude=["__pycache__", "*.pyc"]),
            layers=[shared.layer, *extra_layers],
            role=self.role,
            timeout=Duration.seconds(timeout_seconds),
            memory_size=memory_size,
            # 1: runs never overlap; a second invocation is throttled (async ones are retried, then dead-lettered).
            reserved_concurrent_executions=reserved_concurrency,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            dead_letter_queue=self.dead_letter_queue,
            retry_attempts=2,
            max_event_age=Duration.hours(6),
            environment={
                "POWERTOOLS_SERVICE_NAME": constants.SERVICE_NAME,
                "POWERTOOLS_METRICS_NAMESPACE": constants.METRICS_NAMESPACE,
                "POWERTOOLS_METRICS_FUNCTION_NAME": handler_dir,
                "POWERTOOLS_LOG_LEVEL": "INFO",
                constants.ENV_EFFECT_LEASE_SECONDS: str(timeout_seconds + LEASE_MARGIN_SECONDS),
                **environment,
            },
        )
        self.function.node.default_child.add_metadata(HANDLER_METADATA_KEY, handler_dir)  # type: ignore[union-attr]
        self._alarm(
            "Errors",
            self.function.metric_errors(period=Duration.minutes(5), statistic="Sum"),
            f"{handler_dir} raised an error: the event is retried, then lands in the DLQ",
        )
        self._alarm(
            "Throttles",
            self.function.metric_throttles(period=Duration.minutes(5), statistic="Sum"),
            f"{handler_dir} was throttled",
        )
        self._alarm(
            "DeadLetters",
            self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic="Maximum"
            ),
            f"events that {handler_dir} could not handle wait in its dead-letter queue",
        )

    def trigger_on(self, construct_id: str, *, description: str, event_pattern: events.EventPattern) -> events.Rule:
        """An EventBridge rule on the default bus, delivered with explicit retries, max age and the DLQ."""
        rule = events.Rule(self, construct_id, description=description, event_pattern=event_pattern)
        self._target(rule)
        return rule

    def run_on_schedule(self, construct_id: str, *, description: str, schedule: events.Schedule) -> events.Rule:
        rule = events.Rule(self, construct_id, description=description, schedule=schedule)
        self._target(rule)
        return rule

    def allow(
        self, actions: list[str], resources: list[str], *, wildcard_reason: str | None = None, **conditions: Any
    ) -> None:
        """Add one least-privilege statement to the function's role.

        A resource with ``*`` must say why it cannot be narrower: the reason becomes the cdk-nag acknowledgment
        of exactly that finding on this role.
        """
        self.role.add_to_policy(
            iam.PolicyStatement(actions=actions, resources=resources, conditions=conditions or None)
        )
        wildcards = [r for r in resources if "*" in r]
        if wildcards and not wildcard_reason:
            raise ValueError(f"{self.node.path}: a wildcard resource needs a wildcard_reason: {wildcards}")
        for resource in wildcards:
            self._acknowledge_wildcard(resource, wildcard_reason or "")

    def use_card_keys(self, key_arns: tuple[str, ...], *, write: bool = False) -> None:
        """Use the customer-managed keys of encrypted model cards (setting ``modelCardKmsKeyArns``), through
        SageMaker in this region only: kms:Decrypt to read card content, plus kms:GenerateDataKey to write it.
        Nothing when no key is configured."""
        if not key_arns:
            return
        actions = ["kms:Decrypt", "kms:GenerateDataKey"] if write else ["kms:Decrypt"]
        via = f"sagemaker.{Stack.of(self).region}.amazonaws.com"
        self.allow(actions, list(key_arns), StringEquals={"kms:ViaService": via})

    def _acknowledge_wildcard(self, resource: str, reason: str) -> None:
        # One finding per distinct resource string: when several statements share it, keep every reason.
        finding = f"IAM5[Resource::{nag_form(resource)}]"
        reasons = self._wildcard_reasons.setdefault(finding, [])
        reasons.append(reason)
        acknowledge(self.role, finding, "; ".join(reasons))

    def sagemaker_arn(self, resource: str) -> str:
        """``arn:<partition>:sagemaker:<region>:<account>:<resource>`` of this stack."""
        stack = Stack.of(self)
        return f"arn:{stack.partition}:sagemaker:{stack.region}:{stack.account}:{resource}"

    def alarm(
        self, construct_id: str, metric: cloudwatch.IMetric, description: str, threshold: float = 1
    ) -> cloudwatch.Alarm:
        """An alarm (at or above ``threshold``) whose action is the ops topic."""
        return self._alarm(construct_id, metric, description, threshold)

    def _target(self, rule: events.Rule) -> None:
        rule.add_target(
            targets.LambdaFunction(
                self.function,
                dead_letter_queue=self.dead_letter_queue,
                retry_attempts=8,
                max_event_age=Duration.hours(2),
            )
        )
        self._alarm(
            f"{rule.node.id}FailedInvocations",
            cloudwatch.Metric(
                namespace="AWS/Events",
                metric_name="FailedInvocations",
                dimensions_map={"RuleName": rule.rule_name},
                period=Duration.minutes(5),
                statistic="Sum",
            ),
            f"EventBridge could not deliver events of rule {rule.node.id} to its function",
        )

    def _alarm(
        self, construct_id: str, metric: cloudwatch.IMetric, description: str, threshold: float = 1
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            f"{construct_id}Alarm",
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(self._alarm_action)
        alarm.add_ok_action(self._alarm_action)
        return alarm
