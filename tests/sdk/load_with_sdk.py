"""Loads model card content with the SageMaker Python SDK v2's own loader, ``ModelCard.load``.

Run by the SDK's interpreter (``.venv-bench``, see bench/requirements-sdk.txt), never imported by the test suite:
it imports nothing of ours. Reads ``[{"name": ..., "content": {...}}, ...]`` as JSON on stdin and prints one
result per card: ``{"name", "loaded", "error", "content"}``, where ``content`` is what the SDK would write back
(``ModelCard._create_request_args``), so a test can see what survived the round trip.

The SageMaker client is real (botocore's service model), answered by a ``Stubber``: DescribeModelCard returns the
content, and the Search calls the loader makes when ``model_package_details`` is set (training job discovery,
the group's latest card) find nothing. The Stubber checks every request the loader makes and every response
we give against the service model.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.stub import Stubber

ACCOUNT_ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-card/"
# Enough empty Search answers for every discovery the loader may run; leftovers are never asserted.
SEARCH_ANSWERS = 3


def load(name: str, content: dict[str, Any]) -> dict[str, Any]:
    from sagemaker.model_card import ModelCard
    from sagemaker.session import Session

    boto_session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1")
    client = boto_session.client("sagemaker")
    stubber = Stubber(client)
    now = datetime(2026, 11, 22, tzinfo=UTC)
    stubber.add_response(
        "describe_model_card",
        {
            "ModelCardArn": ACCOUNT_ARN + name,
            "ModelCardName": name,
            "ModelCardVersion": 1,
            "Content": json.dumps(content, ensure_ascii=False, separators=(",", ":")),
            "ModelCardStatus": "Draft",
            "CreationTime": now,
            "CreatedBy": {},
            "LastModifiedTime": now,
            "LastModifiedBy": {},
        },
        {"ModelCardName": name},
    )
    for _ in range(SEARCH_ANSWERS):
        stubber.add_response("search", {"Results": []})
    stubber.activate()
    session = Session(boto_session=boto_session, sagemaker_client=client)
    try:
        card = ModelCard.load(name, sagemaker_session=session)
        written = json.loads(card._create_request_args()["Content"])
    except Exception as error:  # the point is to report what the SDK raises, whatever it is
        return {"name": name, "loaded": False, "error": f"{type(error).__name__}: {error}", "content": None}
    return {"name": name, "loaded": True, "error": None, "content": written}


def main() -> None:
    cards = json.load(sys.stdin)
    answer = sys.stdout
    sys.stdout = sys.stderr  # the SDK prints its config notices to stdout: keep the answer clean
    json.dump([load(card["name"], card["content"]) for card in cards], answer)


if __name__ == "__main__":
    main()
