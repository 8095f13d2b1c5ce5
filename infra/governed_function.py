"""One reusable construct for every Lambda of the system: nothing is lost, everything is watched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsii
from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from aws_cdk.interfaces.aws_events import IRuleRef
from constructs import Construct

from infra.nag import acknowledge, nag_form
from infra.resource_policies import deny_all_but, role_arns
from infra.shared import SharedResources
from model_governance import constants

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"
RUNTIME = lambda_.Runtime.PYTHON_3_14
# CloudFormation metadata key naming the handler folder, read by the local replay (local/world.py).
HANDLER_METADATA_KEY = "ModelGovernance:Handler"
# An effect's lease outlives the function's timeout by this much (clock skew between Lambda and DynamoDB).
LEASE_MARGIN_SECONDS = 30
INVOKE = "lambda:InvokeFunction"


@jsii.implements(events.IRuleTarget)
class _DeliverToFunction:
    """A rule target for a GovernedFunction, with retries, max age and the DLQ, that adds no
    ``AWS::Lambda::Permission``: the function's resource policy (``GovernedFunction.restrict_invocations``) is the
    one place that lets EventBridge invoke it, because PutResourcePolicy replaces what AddPermission wrote."""

    def __init__(self, fn: GovernedFunction, rule: events.Rule) -> None:
        self._fn = fn
        self._rule = rule

    def bind(self, _rule: IRuleRef, id: str | None = None) -> events.RuleTargetConfig:
        rule = self._rule
        queue = self._fn.dead_letter_queue
        # What EventBridge could not deliver goes to the DLQ: this rule only may send it there.
        queue.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"AllowEventRule{rule.node.id}",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[queue.queue_arn],
                conditions={"ArnEquals": {"aws:SourceArn": rule.rule_arn}},
            )
        )
        return events.RuleTargetConfig(
            arn=self._fn.function.function_arn,
            dead_letter_config=events.CfnRule.DeadLetterConfigProperty(arn=queue.queue_arn),
            retry_policy=events.CfnRule.RetryPolicyProperty(
                maximum_retry_attempts=8, maximum_event_age_in_seconds=int(Duration.hours(2).to_seconds())
            ),
            target_resource=self._fn.function,
        )


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
        # Who may invoke the function besides the operators: filled as rules and callers are wired, written into
        # the function's resource policy once, when the stack is complete (restrict_invocations).
        self._invoking_rules: list[events.IRule] = []
        self._invoking_roles: list[iam.IRole] = []
        self.resource_policy: lambda_.CfnResourcePolicy | None = None
        self._invokers_final = False  # set once the permissions are written: a later rule or caller is an error
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
            # None or 0: nothing reserved (a reservation fails to deploy where the account's quota is under 100+n).
            reserved_concurrent_executions=reserved_concurrency or None,
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

    def grant_invoke(self, caller: iam.IRole) -> None:
        """``caller`` may invoke this function (unqualified: no version or alias): its role's statement and an
        exception in this function's resource policy."""
        caller.add_to_principal_policy(iam.PolicyStatement(actions=[INVOKE], resources=[self.function.function_arn]))
        self.accept_invocations_from(caller)

    def accept_invocations_from(self, caller: iam.IRole) -> None:
        """An exception in the resource policy for a role whose own policy already allows the invoke (CDK's Step
        Functions Lambda task grants it to the state machine's role)."""
        if self._invokers_final:
            raise RuntimeError(f"{self.node.path}: a caller added after the invoke permissions were written")
        self._invoking_roles.append(caller)

    def permit_rules_only(self) -> None:
        """Where CloudFormation has no AWS::Lambda::ResourcePolicy (setting ``functionResourcePolicies`` false):
        one AWS::Lambda::Permission per rule lets EventBridge invoke. Nothing can then deny the account's other
        principals: their identity policies decide."""
        if self._invokers_final:
            raise RuntimeError(f"{self.node.path}: the invoke permissions are already written")
        self._invokers_final = True
        for rule in self._invoking_rules:
            self.function.add_permission(
                f"Allow{rule.node.id}",
                principal=iam.ServicePrincipal("events.amazonaws.com"),
                action=INVOKE,
                source_arn=rule.rule_arn,
            )

    def restrict_invocations(self, operator_principal_arns: tuple[str, ...]) -> lambda_.CfnResourcePolicy:
        """The function's one resource policy, written when every rule and caller is known (the stack's last step).

        Same-account callers need only an identity policy to invoke a function, so the policy denies
        lambda:InvokeFunction to every request that neither comes from one of this function's own rules
        (``aws:SourceArn``) nor is made by a role of this stack that calls it or by an operator
        (``aws:PrincipalArn``; see ``deny_all_but``). EventBridge, a service, also needs the Allow, for exactly
        those rules. Only the invoke is denied: CloudFormation keeps managing the function.
        """
        if self._invokers_final:
            raise RuntimeError(f"{self.node.path}: the invoke permissions are already written")
        self._invokers_final = True
        function_arn = self.function.function_arn
        statements: list[iam.PolicyStatement] = []
        rules = [rule.rule_arn for rule in self._invoking_rules]
        callers = role_arns(self._invoking_roles) + list(operator_principal_arns)
        if rules:  # a service needs an Allow in the resource policy; only this function's rules get one
            statements.append(
                iam.PolicyStatement(
                    sid="EventBridgeRulesOfThisStack",
                    principals=[iam.ServicePrincipal("events.amazonaws.com")],
                    actions=[INVOKE],
                    resources=[function_arn],
                    conditions={"ArnEquals": {"aws:SourceArn": rules}},
                )
            )
        statements.append(
            # The qualified ARNs too (":$LATEST", a version, an alias): Lambda matches a policy's resources literally.
            deny_all_but(
                "OnlyThisStackAndOperatorsInvoke",
                [INVOKE],
                [function_arn, f"{function_arn}:*"],
                principals=callers,
                sources=rules,
            )
        )
        self.resource_policy = lambda_.CfnResourcePolicy(
            self,
            "InvokePolicy",
            resource_arn=function_arn,
            policy_document=iam.PolicyDocument(statements=statements),
        )
        return self.resource_policy

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
        if self._invokers_final:
            raise RuntimeError(f"{self.node.path}: rule {rule.node.id} added after the invoke permissions were written")
        rule.add_target(_DeliverToFunction(self, rule))
        self._invoking_rules.append(rule)
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
