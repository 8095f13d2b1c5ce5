"""Loads Model Monitor files from S3 with the SageMaker Python SDK v2's own classes: ``Statistics``,
``Constraints`` and ``ConstraintViolations`` (``from_s3_uri``), as a user of the SDK reads a monitor's output.

Run by the SDK's interpreter (``.venv-bench``, see bench/requirements-sdk.txt), never imported by the test suite:
it imports nothing of ours. Reads ``[{"name": ..., "kind": "statistics" | "constraints" | "violations", "uri":
"s3://..."}, ...]`` as JSON on stdin and prints one result per file: ``{"name", "loaded", "error", "class",
"uri", "body", "table"}``, where ``body`` is the loaded object's ``body_dict``, ``uri`` its ``file_s3_uri``, and
``table`` (constraints only) the rows and columns of the SDK guide's own view of suggested constraints,
``pd.DataFrame(body_dict["<problem>_constraints"]).T``.

S3 is whatever ``AWS_ENDPOINT_URL`` names (the test's moto server): the SDK builds its own S3 client from the
boto3 session, exactly as it does against AWS, and botocore sends every call to that endpoint.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import boto3


def load(file: dict[str, str], session: Any) -> dict[str, Any]:
    from sagemaker.model_monitor import Constraints, ConstraintViolations, Statistics

    kind = {"statistics": Statistics, "constraints": Constraints, "violations": ConstraintViolations}[file["kind"]]
    try:
        loaded = kind.from_s3_uri(file["uri"], sagemaker_session=session)
    except Exception as error:  # the point is to report what the SDK raises, whatever it is
        return {"name": file["name"], "loaded": False, "error": f"{type(error).__name__}: {error}"}
    return {
        "name": file["name"],
        "loaded": True,
        "error": None,
        "class": type(loaded).__name__,
        "uri": loaded.file_s3_uri,
        "body": loaded.body_dict,
        "table": constraints_table(loaded.body_dict) if file["kind"] == "constraints" else None,
    }


def constraints_table(body: dict[str, Any]) -> dict[str, list[str]] | str:
    import pandas as pd

    sections = [key for key in body if key.endswith("_constraints")]
    if len(sections) != 1:
        return f"not one <problem>_constraints section: {sections}"
    table = pd.DataFrame(body[sections[0]]).T
    return {"rows": [str(i) for i in table.index], "columns": [str(c) for c in table.columns]}


def main() -> None:
    files = json.load(sys.stdin)
    answer = sys.stdout
    sys.stdout = sys.stderr  # the SDK prints its config notices to stdout on import: keep the answer clean
    from sagemaker.session import Session

    boto_session = boto3.Session(region_name="us-east-1")
    session = Session(boto_session=boto_session, default_bucket="unused-default-bucket")
    json.dump([load(file, session) for file in files], answer)


if __name__ == "__main__":
    main()
