"""`make baseline DATASET=s3://... OUTPUT=s3://...`: Model Monitor's statistics.json and constraints.json of a
training dataset (CSV with or without a header, JSON Lines). Local paths work too (no AWS needed)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from data_quality.baseline import baseline_of


def _lines(source: str) -> Iterator[bytes]:
    if source.startswith("s3://"):
        import boto3

        from data_quality.storage import S3Files
        from model_governance.monitoring.dq_monitors import bucket_and_key

        bucket, key = bucket_and_key(source)
        yield from S3Files(boto3.client("s3")).lines(bucket, key)
    else:
        with Path(source).open("rb") as handle:
            for line in handle:
                yield line.rstrip(b"\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--header", choices=("auto", "true", "false"), default="auto")
    args = parser.parse_args(argv)
    documents = baseline_of(_lines(args.dataset), header=args.header)
    for name, document in documents.items():
        target = f"{args.output.rstrip('/')}/{name}"
        if target.startswith("s3://"):
            import boto3

            from data_quality.storage import S3Files

            S3Files(boto3.client("s3")).write_json(target, document)
        else:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            Path(target).write_text(json.dumps(document, indent=2))
        features = len(document["features"])
        print(f"wrote {target} ({features} features)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
