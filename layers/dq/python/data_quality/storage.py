"""S3: capture objects of a period, baseline and dataset files, and the run's output files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from data_quality.capture import capped_blocks, capped_lines
from model_governance.monitoring.dq_monitors import bucket_and_key

READ_CHUNK = 8 * 1024 * 1024


class StorageAccessError(PermissionError):
    """S3 or KMS refused: the message says which grant is missing."""


@dataclass(frozen=True)
class CaptureObject:
    bucket: str
    key: str
    size: int


class S3Files:
    def __init__(self, s3: Any) -> None:
        self._s3 = s3

    def list_objects(self, uri_prefixes: list[str]) -> list[CaptureObject]:
        found = []
        paginator = self._s3.get_paginator("list_objects_v2")
        for uri in uri_prefixes:
            bucket, prefix = bucket_and_key(uri)
            try:
                for page in paginator.paginate(Bucket=bucket, Prefix=prefix.rstrip("/") + "/"):
                    found += [CaptureObject(bucket, o["Key"], int(o["Size"])) for o in page.get("Contents", [])]
            except ClientError as error:
                raise _access(error, f"listing s3://{bucket}/{prefix}") from error
        return found

    def lines(self, bucket: str, key: str) -> Iterator[bytes]:
        """The object's lines, streamed (memory: one chunk and at most one capped line, not the object)."""
        return capped_lines(self._chunks(bucket, key))

    def blocks(self, bucket: str, key: str) -> Iterator[bytes]:
        """The object's whole lines, a chunk's worth at a time (memory: one chunk and at most one capped line)."""
        return capped_blocks(self._chunks(bucket, key))

    def _chunks(self, bucket: str, key: str) -> Iterator[bytes]:
        try:
            body = self._s3.get_object(Bucket=bucket, Key=key)["Body"]
        except ClientError as error:
            raise _access(error, f"reading s3://{bucket}/{key}") from error
        yield from body.iter_chunks(chunk_size=READ_CHUNK)

    def read(self, uri: str) -> bytes | None:
        bucket, key = bucket_and_key(uri)
        try:
            return bytes(self._s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404", "NotFound"}:
                return None
            raise _access(error, f"reading {uri}") from error

    def list_uris(self, uri_prefix: str) -> list[str]:
        return [f"s3://{o.bucket}/{o.key}" for o in self.list_objects([uri_prefix])]

    def write_json_list(self, uri: str, items: list[dict[str, Any]]) -> str:
        """A JSON array (the Distributed Map's S3 JSON item reader reads one)."""
        return self._put(uri, json.dumps(items).encode())

    def write_json(self, uri: str, document: dict[str, Any]) -> str:
        return self._put(uri, json.dumps(document).encode())

    def write_bytes(self, uri: str, body: bytes) -> str:
        return self._put(uri, body, content_type="application/octet-stream")

    def write_html(self, uri: str, page: str) -> str:
        return self._put(uri, page.encode(), content_type="text/html; charset=utf-8")

    def _put(self, uri: str, body: bytes, *, content_type: str = "application/json") -> str:
        bucket, key = bucket_and_key(uri)
        try:
            self._s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)
        except ClientError as error:
            raise _access(error, f"writing {uri}") from error
        return uri


def _access(error: ClientError, doing: str) -> Exception:
    code = str(error.response.get("Error", {}).get("Code", ""))
    if code in {"AccessDenied", "AccessDeniedException", "AllAccessDisabled"} or code.startswith("KMS"):
        return StorageAccessError(
            f"{code} {doing}: grant the monitor function access to that prefix (cdk.json dataQualityMonitors:"
            " capturePrefix, baselinePrefix, outputPrefix) and kms:Decrypt on its key (kmsKeyArns)"
        )
    if code in {"NoSuchBucket"}:
        return StorageAccessError(f"{code} {doing}: the bucket does not exist")
    return error
