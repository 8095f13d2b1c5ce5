"""Alert ops on Model Monitor violations and failed monitors; alarms on the metrics it publishes."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from infra import event_patterns
from infra.governed_function import GovernedFunction
from infra.shared import SharedResources
from model_governance import constants


def governance_metric(name: str, *, period: Duration | None = None) -> cloudwatch.Metric:
    """A service-level metric of the functions (Powertools adds the ``service`` dimension)."""
    return cloudwatch.Metric(
        namespace=constants.METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map={"service": constants.SERVICE_NAME},
        period=period or Duration.minutes(5),
        statistic="Sum",
    )


class ViolationAlerts(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, shared: SharedResources) -> None:
        super().__init__(scope, construct_id)
        config = shared.config
        self.handler = GovernedFunction(
            self,
            "Handler",
            handler_dir="violation_alert",
            description="Reads Model Monitor violation reports and alerts ops (deduplicated), and on failed monitors",
            shared=shared,
            memory_size=512,  # reports of thousands of features are parsed in memory
            environment={
                constants.ENV_STATE_TABLE: shared.state.table.table_name,
                constants.ENV_OPS_TOPIC: shared.topics.ops.topic_arn,
                constants.ENV_VIOLATION_COOLDOWN_HOURS: str(config.violation_cooldown_hours),
            },
        )
        self.handler.trigger_on(
            "MonitoringExecutionFinished",
            description="A processing job (the handler keeps Model Monitor executions) reached a terminal status",
            event_pattern=event_patterns.processing_job_finished(),
        )
        fn = self.handler
        fn.allow(
            ["sagemaker:DescribeProcessingJob"],
            [fn.sagemaker_arn("processing-job/*")],
            wildcard_reason="monitoring executions are processing jobs with generated names (model-monitoring-<time>-<hash>)",
        )
        grant_model_tracing(fn)
        fn.use_card_keys(config.model_card_kms_key_arns)
        self._grant_reports(fn, config.monitoring_output_buckets, config.monitoring_output_kms_key_arns)

        fn.alarm(
            "ExecutionsWithViolations",
            governance_metric(constants.METRIC_MONITOR_EXECUTIONS_WITH_VIOLATIONS),
            "A Model Monitor execution found constraint violations (the alert email names them)",
        )
        fn.alarm(
            "MonitorFailures",
            governance_metric(constants.METRIC_MONITOR_FAILURES),
            "A Model Monitor execution failed or was stopped: that period was not checked",
        )
        fn.alarm(
            "ReportsUnreadable",
            governance_metric(constants.METRIC_MONITOR_REPORTS_UNREADABLE),
            "A Model Monitor violations report could not be read (permissions, KMS, or a malformed file)",
        )

    @staticmethod
    def _grant_reports(fn: GovernedFunction, buckets: tuple[str, ...], kms_keys: tuple[str, ...]) -> None:
        """Read the violations reports only: GetObject on ``*constraint_violations.json`` keys, ListBucket so a
        missing report reads as 404 (not 403). With no buckets configured: the SageMaker SDK's default bucket
        ``sagemaker-<region>-<account>``, where Model Monitor writes unless told otherwise."""
        stack = Stack.of(fn)
        names = list(buckets) or [f"sagemaker-{stack.region}-{stack.account}"]
        bucket_arns = [f"arn:{stack.partition}:s3:::{name}" for name in names]
        fn.allow(
            ["s3:GetObject"],
            [f"{arn}/*{constants.VIOLATIONS_REPORT_FILE}" for arn in bucket_arns],
            wildcard_reason="report keys contain the endpoint, schedule and date; only the violations files are readable",
        )
        fn.allow(["s3:ListBucket"], bucket_arns)
        if kms_keys:
            fn.allow(
                ["kms:Decrypt"],
                list(kms_keys),
                StringEquals={"kms:ViaService": f"s3.{stack.region}.amazonaws.com"},
            )


def grant_model_tracing(fn: GovernedFunction) -> None:
    """What the violation workflow reads to name the model and card in an alert (both alerting functions)."""
    fn.allow(
        ["sagemaker:DescribeMonitoringSchedule"],
        [fn.sagemaker_arn("monitoring-schedule/*")],
        wildcard_reason="any monitoring schedule of the account may run an execution; read only, to find its endpoint",
    )
    fn.allow(
        ["sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig", "sagemaker:DescribeModel"],
        [fn.sagemaker_arn("endpoint/*"), fn.sagemaker_arn("endpoint-config/*"), fn.sagemaker_arn("model/*")],
        wildcard_reason="traces any monitored endpoint to its model (read only) to name the model card in alerts",
    )
    fn.allow(
        ["sagemaker:DescribeModelPackage"],
        [fn.sagemaker_arn("model-package/*")],
        wildcard_reason="the endpoint's model may come from any package of the account (versioned or not)",
    )
    fn.allow(
        ["sagemaker:DescribeModelCard"],
        [fn.sagemaker_arn("model-card/*")],
        wildcard_reason="reads the owner and risk rating of the card linked to the monitored model",
    )
