"""The last run of each of our data-quality monitors, in the state table (pk ``SCHEDULE#<monitor>``,
sk ``DQ_LAST_RUN``, next to the alert workflow's dedup state of the same monitor), and the sweep's view of them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from model_governance.adapters.state import from_item, to_item
from model_governance.monitoring.dq_monitors import MONITORING_TYPE, DataQualityMonitor
from model_governance.monitoring.mq_monitors import MONITORING_TYPE as MODEL_QUALITY_TYPE
from model_governance.monitoring.mq_monitors import ModelQualityMonitor
from model_governance.sweep.inventory import MonitorSchedule

SORT_KEY = "DQ_LAST_RUN"


class MonitorRuns:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self.table_name = table_name

    def record(
        self,
        monitor: str,
        *,
        status: str,
        at: datetime,
        failure: str | None,
        output_uri: str,
        event: dict[str, Any] | None = None,
    ) -> None:
        """Last writer wins: runs of one monitor fire an hour apart. ``event``: the execution event the run hands
        the violation workflow, kept so that the sweep can replay it if the alert never happened."""
        self._client.put_item(
            TableName=self.table_name,
            Item=to_item(
                {
                    "pk": f"SCHEDULE#{monitor}",
                    "sk": SORT_KEY,
                    "status": status,
                    "at": at.isoformat(),
                    "failure": failure,
                    "output_uri": output_uri,
                    "job_arn": (event or {}).get("detail", {}).get("ProcessingJobArn"),
                    "event": json.dumps(event) if event else None,
                }
            ),
        )

    def last(self, monitor: str) -> dict[str, Any] | None:
        item = self._client.get_item(
            TableName=self.table_name, Key=to_item({"pk": f"SCHEDULE#{monitor}", "sk": SORT_KEY})
        ).get("Item")
        return from_item(item) if item else None


def as_schedules(
    monitors: tuple[DataQualityMonitor | ModelQualityMonitor, ...], runs: MonitorRuns, endpoints: set[str]
) -> list[MonitorSchedule]:
    """Our monitors of in-service endpoints, shaped like Model Monitor schedules for the sweep's rules."""
    schedules = []
    for monitor in monitors:
        if monitor.endpoint not in endpoints:
            continue
        last = runs.last(monitor.name) or {}
        schedules.append(
            MonitorSchedule(
                name=monitor.name,
                endpoint=monitor.endpoint,
                status="Scheduled",
                monitoring_type=MODEL_QUALITY_TYPE if isinstance(monitor, ModelQualityMonitor) else MONITORING_TYPE,
                expression=monitor.schedule,
                last_execution_status=last.get("status"),
                last_execution_time=datetime.fromisoformat(last["at"]) if last.get("at") else None,
                last_execution_failure=last.get("failure"),
                last_execution_job_arn=last.get("job_arn"),
            )
        )
    return schedules


class WithDataQualityMonitors:
    """The sweep's inventory reader, with our data-quality and model-quality monitors listed beside Model
    Monitor's schedules."""

    def __init__(
        self,
        reader: Any,
        monitors: tuple[DataQualityMonitor, ...],
        runs: MonitorRuns,
        model_quality: tuple[ModelQualityMonitor, ...] = (),
    ) -> None:
        self._reader = reader
        self._monitors: tuple[DataQualityMonitor | ModelQualityMonitor, ...] = (*monitors, *model_quality)
        self._runs = runs

    def __getattr__(self, name: str) -> Any:  # package_versions, cards, endpoints_in_service, total_calls
        return getattr(self._reader, name)

    def schedules(self, endpoints: set[str]) -> list[MonitorSchedule]:
        return [*self._reader.schedules(endpoints), *as_schedules(self._monitors, self._runs, endpoints)]
