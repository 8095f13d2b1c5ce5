"""AWS's published model card JSON schemas (tests/schemas, copied from ../shared/reference/schemas), an outside oracle.

The package flavour is the SageMaker SDK's model-package card schema as published. The standalone flavour is
the Developer Guide's 2023 schema plus the two sections it predates, taken from the same sources the
reference cites: ``business_details`` from the SDK schema and ``model_package_details`` from the
CloudFormation ``AWS::SageMaker::ModelCard`` content schema (aws-facts.md 3.4).
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMAS = Path(__file__).resolve().parent / "schemas"


@cache
def package_schema() -> dict[str, Any]:
    return json.loads((SCHEMAS / "model_package_model_card_schema.sagemaker-core.json").read_text())


@cache
def standalone_schema() -> dict[str, Any]:
    schema = copy.deepcopy(json.loads((SCHEMAS / "model_card_schema_devguide_2023.json").read_text()))
    schema["properties"]["business_details"] = package_schema()["properties"]["business_details"]
    schema["properties"]["model_package_details"] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "model_package_arn": {"type": "string", "maxLength": 2048},
            "model_package_description": {"type": "string", "maxLength": 1024},
            "model_package_status": {"enum": ["Pending", "InProgress", "Completed", "Failed", "Deleting"]},
            "model_approval_status": {"enum": ["Approved", "Rejected", "PendingManualApproval"]},
            "approval_description": {"type": "string", "maxLength": 1024},
            "model_package_group_name": {"type": "string", "maxLength": 63},
            "model_package_name": {"type": "string", "maxLength": 63},
            "model_package_version": {"type": "number", "minimum": 1},
            "domain": {"type": "string"},
            "task": {"type": "string"},
            "created_by": {"type": "object"},
            "source_algorithms": {"type": "array"},
            "inference_specification": package_schema()["definitions"]["inference_specification"],
        },
    }
    schema.setdefault("definitions", {}).update(
        {k: v for k, v in package_schema()["definitions"].items() if k not in schema["definitions"]}
    )
    return schema


def _fix_refs(schema: dict[str, Any]) -> dict[str, Any]:
    # The 2023 schema writes "#definitions/x" (no slash); normalise so the validator resolves it.
    return json.loads(json.dumps(schema).replace('"#definitions/', '"#/definitions/'))


def oracle_errors(content: dict[str, Any], *, package: bool = False) -> list[str]:
    schema = _fix_refs(package_schema() if package else standalone_schema())
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(content)]
