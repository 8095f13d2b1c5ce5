"""Logger and Metrics, created once and imported by every handler and adapter.

Tracing: the functions run with Lambda active tracing (one X-Ray segment per invocation) but without the
Powertools Tracer, whose X-Ray SDK import costs about 500 ms of cold start (toolchain-notes.md); the
handlers make a handful of AWS calls each, and their structured logs carry the correlation keys instead.
"""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from model_governance.constants import METRICS_NAMESPACE, SERVICE_NAME

logger = Logger(service=SERVICE_NAME)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE_NAME)


def publish_metrics_now() -> None:
    """Print the metrics added so far (their EMF record) now, not when the handler returns. A step that adds
    metrics in its act calls it before the step is marked done: Lambda kills a timed-out function without running
    the handler's flush, and the retry finds the step done and does not add them again, so they would be lost."""
    if metrics.metric_set:
        metrics.flush_metrics()


__all__ = ["MetricUnit", "logger", "metrics", "publish_metrics_now"]
