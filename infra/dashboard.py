"""One CloudWatch dashboard of the governance system: the functions, their queues, what they report."""

from __future__ import annotations

from collections.abc import Sequence

import jsii
from aws_cdk import Aspects, Duration, IAspect, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct, IConstruct

from infra.governed_function import GovernedFunction
from model_governance import constants

PERIOD = Duration.minutes(5)
WIDTH = 24  # a dashboard row is 24 units wide


def _governance_metric(name: str, label: str, period: Duration = PERIOD) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=constants.METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map={"service": constants.SERVICE_NAME},
        period=period,
        statistic="Sum",
        label=label,
    )


@jsii.implements(IAspect)
class _FillAtSynth:
    """Adds the widgets when synthesis visits the dashboard: every function of the stack exists by then,
    whichever line of the stack created the dashboard."""

    def __init__(self, dashboard: GovernanceDashboard) -> None:
        self._dashboard = dashboard
        self._done = False

    def visit(self, node: IConstruct) -> None:
        if node is self._dashboard and not self._done:
            self._done = True
            stack = Stack.of(node)
            self._dashboard.fill([c for c in stack.node.find_all() if isinstance(c, GovernedFunction)])


class GovernanceDashboard(Construct):
    """Without ``functions`` it shows every GovernedFunction the stack holds at synthesis."""

    def __init__(
        self, scope: Construct, construct_id: str, *, functions: Sequence[GovernedFunction] | None = None
    ) -> None:
        super().__init__(scope, construct_id)
        self.dashboard = cloudwatch.Dashboard(
            self, "Dashboard", default_interval=Duration.days(7), period_override=cloudwatch.PeriodOverride.AUTO
        )
        if functions is None:
            Aspects.of(self).add(_FillAtSynth(self))
        else:
            self.fill(functions)

    def fill(self, functions: Sequence[GovernedFunction]) -> None:
        names = [fn.node.scope.node.id if fn.node.scope else fn.node.id for fn in functions]
        self.dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown="# Model governance\nFunctions, dead-letter queues, Model Monitor alerts and model card"
                " carry-forward. Every alarm notifies the ops topic.",
                width=WIDTH,
                height=2,
            )
        )
        self.dashboard.add_widgets(
            self._graph(
                "Invocations",
                [
                    fn.function.metric_invocations(period=PERIOD, label=n)
                    for fn, n in zip(functions, names, strict=True)
                ],
            ),
            self._graph(
                "Errors",
                [fn.function.metric_errors(period=PERIOD, label=n) for fn, n in zip(functions, names, strict=True)],
            ),
            self._graph(
                "Throttles",
                [fn.function.metric_throttles(period=PERIOD, label=n) for fn, n in zip(functions, names, strict=True)],
            ),
        )
        self.dashboard.add_widgets(
            self._graph(
                "Duration p99 (ms)",
                [
                    fn.function.metric_duration(period=PERIOD, statistic="p99", label=n)
                    for fn, n in zip(functions, names, strict=True)
                ],
            ),
            self._graph(
                "Dead-letter queue depth",
                [
                    fn.dead_letter_queue.metric_approximate_number_of_messages_visible(
                        period=PERIOD, statistic="Maximum", label=n
                    )
                    for fn, n in zip(functions, names, strict=True)
                ],
            ),
            cloudwatch.AlarmStatusWidget(
                title="Alarms",
                alarms=[a for a in Stack.of(self).node.find_all() if isinstance(a, cloudwatch.Alarm)][:100],
                width=8,
                height=6,
            ),
        )
        self.dashboard.add_widgets(
            self._graph(
                "Model Monitor executions",
                [
                    _governance_metric(constants.METRIC_MONITOR_EXECUTIONS_WITH_VIOLATIONS, "with violations"),
                    _governance_metric(constants.METRIC_MONITOR_FAILURES, "failed or stopped"),
                    _governance_metric(constants.METRIC_MONITOR_REPORTS_UNREADABLE, "report unreadable"),
                ],
            ),
            self._graph(
                "Violation alerts",
                [
                    _governance_metric(constants.METRIC_VIOLATION_ALERTS_SENT, "emails sent"),
                    _governance_metric(constants.METRIC_VIOLATION_ALERTS_SUPPRESSED, "suppressed (cooldown)"),
                    _governance_metric(constants.METRIC_MONITOR_VIOLATIONS, "violations"),
                ],
            ),
            cloudwatch.GraphWidget(
                title="Violations by check type and by schedule",
                left=[
                    cloudwatch.MathExpression(
                        expression=(
                            f"SEARCH('{{{constants.METRICS_NAMESPACE},service,MonitoringSchedule,CheckType}} "
                            f"MetricName=\"{constants.METRIC_MONITOR_VIOLATIONS_BY_CHECK_TYPE}\"', 'Sum', 300)"
                        ),
                        label="",
                        period=PERIOD,
                    ),
                    cloudwatch.MathExpression(
                        expression=(
                            f"SEARCH('{{{constants.METRICS_NAMESPACE},service,MonitoringSchedule,Endpoint}} "
                            f"MetricName=\"{constants.METRIC_MONITOR_VIOLATIONS}\"', 'Sum', 300)"
                        ),
                        label="",
                        period=PERIOD,
                    ),
                ],
                width=8,
                height=6,
            ),
        )
        self.dashboard.add_widgets(
            self._graph(
                "Model cards carried forward",
                [
                    _governance_metric("ModelCardsCarriedForward", "cards carried forward", Duration.hours(1)),
                    _governance_metric("EmbeddedCardsFilled", "embedded cards filled", Duration.hours(1)),
                ],
                width=WIDTH,
            )
        )

    @staticmethod
    def _graph(title: str, metrics: list[cloudwatch.IMetric], width: int = 8) -> cloudwatch.GraphWidget:
        return cloudwatch.GraphWidget(
            title=title, left=metrics, width=width, height=6, left_y_axis=cloudwatch.YAxisProps(min=0)
        )
