"""`make baseline DATASET=s3://... OUTPUT=s3://...`: Model Monitor's statistics.json and constraints.json of a
training dataset (CSV with or without a header, JSON Lines). Local paths work too (no AWS needed).

A dataset that would make a monitor that never alerts (empty, a header without rows, rows of unequal width, not
text) is refused with one line naming the problem; nothing is written. On success it prints what each column is.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from data_quality.baseline import dataset_rows
from data_quality.runs import baseline_files
from ops.cli import CommandError, OneLineParser, UsageError, run, session
from ops.model_quality_baseline import USAGE as MQ_USAGE
from ops.model_quality_baseline import Columns, model_quality_documents
from ops.model_quality_baseline import summary as model_quality_summary

USAGE = "make baseline DATASET=<s3://bucket/key or path> OUTPUT=<s3://bucket/prefix or folder> [HEADER=auto|true|false]"
MIN_ROWS = 2  # one row has no spread: every numeric feature's distance would be undefined


def _lines(source: str) -> Iterator[bytes]:
    if source.startswith("s3://"):
        from data_quality.storage import S3Files
        from model_governance.monitoring.dq_monitors import bucket_and_key

        try:
            bucket, key = bucket_and_key(source)
        except ValueError as error:
            raise UsageError(str(error)) from None
        yield from S3Files(session().client("s3")).lines(bucket, key)
        return
    path = Path(source)
    if path.is_dir():
        raise UsageError(f"DATASET {source} is a directory: name one CSV or JSON Lines file")
    with path.open("rb") as handle:
        for line in handle:
            if b"\x00" in line:
                raise UsageError(
                    f"DATASET {source} is not a text file (it holds NUL bytes): CSV or JSON Lines expected"
                )
            yield line.rstrip(b"\n")


def _width(row: str) -> int:
    return len(next(csv.reader([row]))) if '"' in row else row.count(",") + 1


def checked_rows(names: Sequence[str], rows: Iterator[str], *, header_line: bool) -> Iterator[str]:
    """The rows, refusing one whose width differs from the header's (it would silently become a new column)."""
    first_data_line = 2 if header_line else 1
    for number, row in enumerate(rows, start=first_data_line):
        if (width := _width(row)) != len(names):
            raise CommandError(
                f"line {number} has {width} columns, the {'header' if header_line else 'first row'} has "
                f"{len(names)}: every row needs the same columns"
            )
        yield row


def _count(rows: Iterator[str], counter: list[int]) -> Iterator[str]:
    for row in rows:
        counter[0] += 1
        yield row


def baseline_documents(dataset: str, *, header: str) -> dict[str, Any]:
    """statistics.json and constraints.json of ``dataset``, or CommandError naming why it cannot be a baseline."""
    try:
        names, rows = dataset_rows(_lines(dataset), header=header)
    except json.JSONDecodeError as error:
        raise CommandError(f"DATASET {dataset} line 1 is not JSON: {error.msg}") from None
    if not names:
        raise CommandError(f"DATASET {dataset} is empty: a baseline needs rows")
    header_line = names != [f"_c{i}" for i in range(len(names))]  # Spark's names: the file had no header
    counted = [0]
    try:
        documents = baseline_files(_count(checked_rows(names, rows, header_line=header_line), counted), names)
    except json.JSONDecodeError as error:
        raise CommandError(f"DATASET {dataset} has a line that is not JSON: {error.msg}") from None
    if counted[0] < MIN_ROWS:
        what = "a header and no rows" if header_line and counted[0] == 0 else f"{counted[0]} row(s)"
        raise CommandError(
            f"DATASET {dataset} has {what}: a baseline needs at least {MIN_ROWS} rows "
            "(a header-only file, or HEADER=true on a one-line file?)"
        )
    return documents


def column_summary(statistics: Mapping[str, Any], constraints: Mapping[str, Any]) -> list[str]:
    """One line per column: type, completeness, and its range (numbers) or domain (text)."""
    limits = {feature["name"]: feature for feature in constraints.get("features", [])}
    lines = []
    for feature in statistics.get("features", []):
        name, kind = feature["name"], feature.get("inferred_type", "?")
        numbers, strings = feature.get("numerical_statistics"), feature.get("string_statistics")
        common = (numbers or strings or {}).get("common", {})
        present, missing = common.get("num_present", 0), common.get("num_missing", 0)
        completeness = present / (present + missing) if present + missing else 0.0
        if numbers:
            shape = f"range {numbers.get('min'):g} to {numbers.get('max'):g}" if present else "no values"
        else:
            domain = limits.get(name, {}).get("string_constraints", {}).get("domains", [])
            shown = ", ".join(repr(value) for value in domain[:5]) + (", ..." if len(domain) > 5 else "")
            shape = (
                f"domain {{{shown}}}" if domain else f"{strings.get('distinct_count', 0) if strings else 0:g} distinct"
            )
        lines.append(f"  {name!r}: {kind}, {completeness:.1%} complete, {shape}")
    return lines


def _write(output: str, name: str, document: Mapping[str, Any]) -> str:
    target = f"{output.rstrip('/')}/{name}"
    if target.startswith("s3://"):
        from data_quality.storage import S3Files

        S3Files(session().client("s3")).write_json(target, dict(document))
    else:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        Path(target).write_text(json.dumps(document, indent=2))
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = OneLineParser(prog="make baseline", description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="")
    parser.add_argument("--output", default="")
    parser.add_argument("--header", choices=("auto", "true", "false"), default="auto")
    parser.add_argument("--monitor", choices=("data-quality", "model-quality"), default="data-quality")
    parser.add_argument("--problem-type", default="")
    parser.add_argument("--label", default="")
    parser.add_argument("--prediction", default="")
    parser.add_argument("--probability", default="")
    args = parser.parse_args(argv)
    if not args.dataset or not args.output:
        raise UsageError(f"DATASET and OUTPUT are required: {USAGE if args.monitor == 'data-quality' else MQ_USAGE}")
    if not args.output.startswith("s3://") and Path(args.output).is_file():
        raise UsageError(f"OUTPUT {args.output} is a file: name a folder (or an s3:// prefix) for the two files")
    if args.monitor == "model-quality":
        return _model_quality(args)
    documents = baseline_documents(args.dataset, header=args.header)  # read and checked whole before any write
    for name, document in documents.items():
        print(f"wrote {_write(args.output, name, document)}")
    statistics, constraints = documents["statistics.json"], documents["constraints.json"]
    rows = statistics.get("dataset", {}).get("item_count")
    print(f"{len(statistics['features'])} columns" + (f" from {rows} rows" if rows else "") + ":")
    print("\n".join(column_summary(statistics, constraints)))
    return 0


def _model_quality(args: Any) -> int:
    if not args.problem_type or not args.label or not args.prediction:
        raise UsageError(f"PROBLEM_TYPE, LABEL and PREDICTION are required: {MQ_USAGE}")
    columns = Columns(args.label, args.prediction, args.probability or None)
    documents = model_quality_documents(  # read and checked whole before any write
        _lines(args.dataset), dataset=args.dataset, problem_type=args.problem_type, columns=columns, header=args.header
    )
    for name, document in documents.items():
        print(f"wrote {_write(args.output, name, document)}")
    print("\n".join(model_quality_summary(documents, args.problem_type)))
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
