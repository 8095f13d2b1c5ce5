"""Baseline a training dataset: CSV (with or without a header) or JSON Lines -> statistics.json, constraints.json."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any

from data_quality.capture import _csv_row
from data_quality.constraints import MonitoringConfig
from data_quality.fields import FRACTIONAL, INTEGRAL, NULL, split_and_type
from data_quality.runs import baseline_files


def dataset_rows(
    lines: Iterable[bytes], *, header: str = "auto", json_lines: bool | None = None
) -> tuple[list[str], Iterator[str]]:
    """(feature names, CSV rows) of a dataset's lines. Without a header, names are Spark's ``_c0``, ``_c1``, ..."""
    iterator = (line.decode("utf-8").rstrip("\r") for line in lines if line.strip())
    first = next(iterator, None)
    if first is None:
        return [], iter(())
    if json_lines or (json_lines is None and first.lstrip().startswith("{")):
        return _json_lines(chain([first], iterator))
    second = next(iterator, None)
    rest = chain([second] if second is not None else [], iterator)
    if header == "true" or (header == "auto" and _looks_like_header(first, second)):
        return [name.strip().strip('"') for name in first.split(",")], rest
    width = len(first.split(","))
    return [f"_c{i}" for i in range(width)], chain([first], rest)


def _looks_like_header(first: str, second: str | None) -> bool:
    """A header names columns that hold numbers in the next row (all-text datasets need header=true)."""
    if second is None:
        return False
    table = split_and_type([first, second])
    numeric = {INTEGRAL, FRACTIONAL}
    return any(
        int(table.kind[0, c]) not in numeric | {NULL} and int(table.kind[1, c]) in numeric for c in range(table.width)
    )


def _json_lines(lines: Iterator[str]) -> tuple[list[str], Iterator[str]]:
    records = (json.loads(line) for line in lines)
    first = next(records)
    names = list(first)

    def rows() -> Iterator[str]:
        for record in chain([first], records):
            yield _csv_row([record.get(name) for name in names])

    return names, rows()


def baseline_of(
    lines: Iterable[bytes], *, header: str = "auto", config: MonitoringConfig | None = None
) -> dict[str, Any]:
    names, rows = dataset_rows(lines, header=header)
    return baseline_files(rows, names, config)
