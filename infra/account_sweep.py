"""The scheduled account sweep (digest, report, findings metrics and alarms) and the on-demand backfill."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from constructs import Construct

from infra.governed_function import GovernedFunction
from infra.nag import acknowledge
from infra.package_conditions import embedded_card_only
from infra.shared import SharedResources
from model_governance import constants
from model_governance.monitoring.dq_monitors import monitors_json
from model_governance.sweep.rules import KINDS
from model_governance.sweep.schedule import schedule_period
from model_governance.workflows.account_sweep import METRIC_COMPLETED

# A sweep of 10,000 versions and 1,000 monitored endpoints makes about 1,200 SageMaker calls (bench/account_sweep.py).
SWEEP_TIMEOUT_SECONDS = 900
MAX_ALARM_PERIOD = timedelta(days=1)
MAX_EVALUATION_RANGE = timedelta(days=7)  # PutMetricAlarm: period x evaluation periods, periods of 1 h or more


def alarm_windows(sweep_schedule: str) -> tuple[Duration, int]:
    """(alarm period, staleness evaluation periods) for a sweep schedule.

    The findings alarms look at one sweep's value per period. The staleness alarm fires when no sweep completed
    for about two sweep periods (all its periods empty), within CloudWatch's evaluation limits.
    """
    period = min(max(schedule_period(sweep_schedule), timedelta(minutes=5)), MAX_ALARM_PERIOD)
    seconds = int(period.total_seconds()) // 60 * 60
    wanted = -(-2 * schedule_period(sweep_schedule) // period)  # ceil(2 sweep periods / alarm period)
    limit = MAX_EVALUATION_RANGE if period >= timedelta(hours=1) else timedelta(days=1)
    evaluations = max(2, min(int(wanted), int(limit // period)))
    return Duration.seconds(seconds), evaluations


def sweep_metric(name: str, period: Duration, statistic: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=constants.METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map={"service": constants.SERVICE_NAME},  # Powertools' service dimension
        period=period,
        statistic=statistic,
    )


class AccountSweep(Construct):
    """``handlers``: the functions whose lost events the sweep replays (sweep/reconcile.py), by handler name."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        shared: SharedResources,
        handlers: Mapping[str, GovernedFunction],
    ) -> None:
        super().__init__(scope, construct_id)
        config = shared.config
        bucket = shared.evidence.bucket
        self.handler = GovernedFunction(
            self,
            "Handler",
            handler_dir="account_sweep",
            description="Sweeps the account like the Model Dashboard and sends ops a digest of what needs attention",
            shared=shared,
            timeout_seconds=SWEEP_TIMEOUT_SECONDS,
            memory_size=1024,  # Search pages carry whole card contents
            # sweepReservedConcurrency 1: a long sweep and the next schedule (or a retry) never run at once. 0 (the
            # default): the effect leases keep overlapping runs from acting twice.
            reserved_concurrency=config.sweep_reserved_concurrency,
            environment={
                constants.ENV_STATE_TABLE: shared.state.table.table_name,
                constants.ENV_OPS_TOPIC: shared.topics.ops.topic_arn,
                constants.ENV_EVIDENCE_BUCKET: bucket.bucket_name,
                constants.ENV_PENDING_REVIEW_MAX_DAYS: str(config.pending_review_max_days),
                constants.ENV_SEND_ALL_CLEAR: str(config.send_all_clear).lower(),
                constants.ENV_GATED_STAGES: ",".join(config.gated_stages),
                constants.ENV_DQ_MONITORS: monitors_json(config.data_quality_monitors),
                constants.ENV_MQ_MONITORS: monitors_json(config.model_quality_monitors),
                constants.ENV_RECONCILE: str(config.reconcile).lower(),
                constants.ENV_RECONCILE_LOOKBACK_HOURS: str(config.reconcile_lookback_hours),
                constants.ENV_APPROVAL_GATE: config.approval_gate,
                constants.ENV_RECONCILE_FUNCTIONS: json.dumps(
                    {name: handler.function.function_name for name, handler in sorted(handlers.items())}
                ),
            },
        )
        sweep = self.handler
        if config.reconcile:
            # Replays go to the handlers' own functions, asynchronously: their roles, retries and dead-letter
            # queues apply as for the lost event. Only these functions, unqualified (no version or alias); each
            # one's resource policy names the sweep's role.
            for _, replayed in sorted(handlers.items()):
                replayed.grant_invoke(sweep.role)
        sweep.run_on_schedule(
            "Schedule",
            description="Scheduled account sweep (context sweepSchedule)",
            schedule=events.Schedule.expression(config.sweep_schedule),
        )
        sweep.allow(
            ["sagemaker:ListModelPackages", "sagemaker:ListEndpoints", "sagemaker:ListMonitoringSchedules"],
            ["*"],
            wildcard_reason="List actions across the whole account (the sweep's purpose); IAM scopes them to no resource",
        )
        sweep.allow(
            ["sagemaker:Search"],
            ["*"],
            wildcard_reason="sagemaker:Search has no resource type in IAM; paginated passes read every card's status and link "
            "and every package's card confirmation (CustomerMetadataProperties)",
        )
        sweep.allow(
            ["sagemaker:DescribeMonitoringSchedule"],
            [sweep.sagemaker_arn("monitoring-schedule/*")],
            wildcard_reason="every schedule of the account is judged (its expression and last execution), read only",
        )
        sweep.allow(
            ["sagemaker:DescribeModelCard"],
            [sweep.sagemaker_arn("model-card/*")],
            wildcard_reason="a card the system linked but Search has not indexed yet is read by name, read only",
        )
        sweep.use_card_keys(config.model_card_kms_key_arns)
        sweep.allow(
            ["sagemaker:DescribeModelPackage"],
            [sweep.sagemaker_arn("model-package/*/*")],
            wildcard_reason="a judged version the system did not link is read for the card its metadata confirms, read only",
        )
        shared.evidence.grant_put(sweep.role, constants.SWEEP_REPORT_PREFIX)
        stack = Stack.of(self)
        bucket_id = stack.resolve(stack.get_logical_id(bucket.node.default_child))  # type: ignore[arg-type]
        acknowledge(
            sweep.role,
            f"IAM5[Resource::<{bucket_id}.Arn>/{constants.SWEEP_REPORT_PREFIX}*]",
            "sweep reports only: keys sweeps/<date>/<run id>.json are named per run",
        )
        self._alarms(config.sweep_schedule, shared)

        self.backfill = GovernedFunction(
            self,
            "Backfill",
            handler_dir="backfill",
            description='On demand: carries cards forward onto latest versions without one ({"dry_run": true} plans)',
            shared=shared,
            timeout_seconds=SWEEP_TIMEOUT_SECONDS,
            memory_size=1024,
            reserved_concurrency=config.sweep_reserved_concurrency,  # 1: two backfills never plan at once
            environment={
                constants.ENV_STATE_TABLE: shared.state.table.table_name,
                constants.ENV_NOTICES_TOPIC: shared.topics.notices.topic_arn,
                constants.ENV_OPS_TOPIC: shared.topics.ops.topic_arn,
                constants.ENV_CREATE_CARD_WITHOUT_PREDECESSOR: str(config.create_card_without_predecessor).lower(),
            },
        )
        backfill = self.backfill
        backfill.allow(
            ["sagemaker:ListModelPackages"],
            ["*"],
            wildcard_reason="lists every versioned package of the account to find latest versions without a card",
        )
        backfill.allow(
            ["sagemaker:Search"],
            ["*"],
            wildcard_reason="sagemaker:Search has no resource type in IAM; reads every card's link and every package's card "
            "confirmation, then a group's cards",
        )
        backfill.allow(
            ["sagemaker:DescribeModelPackage"],
            [backfill.sagemaker_arn("model-package/*/*")],
            wildcard_reason="any group of the account may lack a card; versioned packages only (<group>/<n>)",
        )
        # Carry-forward writes only the embedded card: an approval, a stage or a confirmation is refused.
        backfill.allow(
            ["sagemaker:UpdateModelPackage"],
            [backfill.sagemaker_arn("model-package/*/*")],
            wildcard_reason="fills the embedded card of any group's latest version; versioned packages only",
            **embedded_card_only(),
        )
        backfill.allow(
            ["sagemaker:DescribeModelCard", "sagemaker:CreateModelCard"],
            [backfill.sagemaker_arn("model-card/*")],
            wildcard_reason="source cards may have any name; new card names derive from group names",
        )
        backfill.use_card_keys(config.model_card_kms_key_arns, write=True)
        output = CfnOutput(
            self,
            "BackfillFunctionName",
            value=backfill.function.function_name,
            description="Backfill function (python -m ops.backfill --dry-run | --apply)",
        )
        output.override_logical_id(constants.BACKFILL_FUNCTION_OUTPUT)

    def _alarms(self, sweep_schedule: str, shared: SharedResources) -> None:
        """One alarm per finding kind (the sweep's last value), and one for sweeps that stopped completing."""
        action = cw_actions.SnsAction(shared.topics.ops)
        period, stale_evaluations = alarm_windows(sweep_schedule)
        for kind in KINDS:
            alarm = cloudwatch.Alarm(
                self,
                f"{kind.metric}Alarm",
                metric=sweep_metric(kind.metric, period, "Maximum"),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                # Between sweeps there is no data: keep the last state rather than flapping to OK and back.
                treat_missing_data=cloudwatch.TreatMissingData.IGNORE,
                alarm_description=f"Account sweep: {kind.title.lower()} (the digest email lists them)",
            )
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
        stale = cloudwatch.Alarm(
            self,
            "SweepNotCompletingAlarm",
            metric=sweep_metric(METRIC_COMPLETED, period, "Sum"),
            threshold=1,
            evaluation_periods=stale_evaluations,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
            alarm_description="No account sweep completed for about two sweep periods: the digest has stopped",
        )
        stale.add_alarm_action(action)
        stale.add_ok_action(action)
