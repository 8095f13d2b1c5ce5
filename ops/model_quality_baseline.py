"""`make baseline MONITOR=model-quality ...`: Model Monitor's model-quality statistics.json and constraints.json of
a validation dataset holding each row's true label and the model's prediction (and, binary, its probability).

Every problem is refused with one line before anything is written: an empty dataset, an unknown column, a label
the problem type cannot use (text for regression, a 2 for binary), a probability that is not a number."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from data_quality import model_quality as mq
from data_quality.baseline import dataset_rows
from ops.cli import CommandError, UsageError

USAGE = (
    "make baseline MONITOR=model-quality PROBLEM_TYPE=BinaryClassification|MulticlassClassification|Regression"
    " DATASET=<s3 or path> LABEL=<column> PREDICTION=<column> [PROBABILITY=<column>] OUTPUT=<s3 or folder>"
)
MIN_ROWS = 2


@dataclass(frozen=True)
class Columns:
    label: str
    prediction: str
    probability: str | None = None
    probability_threshold: float = 0.5


def _fields(row: str) -> list[str]:
    return next(csv.reader([row])) if '"' in row else row.split(",")


def _index(names: list[str], column: str, what: str, dataset: str) -> int:
    if column in names:
        return names.index(column)
    if column.isdigit() and int(column) < len(names):  # a header-less file: a column's position
        return int(column)
    raise CommandError(f"{what} column {column!r} is not in DATASET {dataset} (columns: {', '.join(names)})")


def model_quality_documents(
    lines: Iterator[bytes], *, dataset: str, problem_type: str, columns: Columns, header: str = "auto"
) -> dict[str, Any]:
    """{"statistics.json", "constraints.json"} of the dataset, or CommandError naming why it cannot be a baseline."""
    if problem_type not in mq.PROBLEM_TYPES:
        raise UsageError(f"PROBLEM_TYPE must be one of {', '.join(mq.PROBLEM_TYPES)}, got {problem_type!r}")
    if columns.probability and problem_type != mq.BINARY:
        raise UsageError("PROBABILITY applies to BinaryClassification only")
    try:
        names, rows = dataset_rows(lines, header=header)
    except json.JSONDecodeError as error:
        raise CommandError(f"DATASET {dataset} line 1 is not JSON: {error.msg}") from None
    if not names:
        raise CommandError(f"DATASET {dataset} is empty: a baseline needs rows")
    label = _index(names, columns.label, "LABEL", dataset)
    prediction = _index(names, columns.prediction, "PREDICTION", dataset)
    probability = _index(names, columns.probability, "PROBABILITY", dataset) if columns.probability else None
    labels, predictions, probabilities = [], [], []
    for number, row in enumerate(rows, start=1):
        fields = _fields(row)
        if len(fields) != len(names):
            raise CommandError(f"row {number} of DATASET {dataset} has {len(fields)} columns, not {len(names)}")
        labels.append(fields[label])
        predictions.append(fields[prediction])
        if probability is not None:
            try:
                probabilities.append(float(fields[probability]))
            except ValueError:
                raise CommandError(
                    f"row {number} of DATASET {dataset}: PROBABILITY {fields[probability]!r} is not a number"
                ) from None
    if len(labels) < MIN_ROWS:
        raise CommandError(f"DATASET {dataset} has {len(labels)} row(s): a baseline needs at least {MIN_ROWS}")
    scores = np.asarray(probabilities, dtype=np.float64) if probability is not None else None
    pairs = mq.Pairs(problem_type, labels, predictions, scores)
    try:
        statistics = mq.statistics_document(pairs)
    except mq.MetricsError as error:
        raise CommandError(f"DATASET {dataset}: {error}") from None
    return {"statistics.json": statistics, "constraints.json": mq.suggest_constraints(statistics, problem_type)}


def summary(documents: dict[str, Any], problem_type: str) -> list[str]:
    """One line per constrained metric: its baseline value and the threshold a run must keep."""
    statistics, constraints = documents["statistics.json"], documents["constraints.json"]
    section = statistics[mq.SECTION[problem_type]]
    lines = [f"{problem_type} baseline of {statistics['dataset']['item_count']} rows:"]
    for name, constraint in constraints[mq.CONSTRAINTS[problem_type]].items():
        operator = constraint["comparison_operator"]
        lines.append(
            f"  {name} = {section[name]['value']:.4f}: a run violates when {operator} {constraint['threshold']:.4f}"
        )
    return lines
