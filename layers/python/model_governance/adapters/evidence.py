"""Read an exported PDF back from the evidence bucket and pin the exact object version it is."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from model_governance.cards.records import EvidenceObject
from model_governance.monitoring.execution import split_s3_uri

_CHUNK = 1024 * 1024


class EvidenceObjects:
    def __init__(self, s3: Any) -> None:
        self._s3 = s3

    def pin(self, uri: str) -> EvidenceObject:
        """The object's current version (HeadObject with ChecksumMode=ENABLED): its VersionId, ETag, size and
        SHA-256. S3's ChecksumSHA256 is used when it is of the whole object; SageMaker's export may write none
        (and a multipart upload's is a checksum of checksums), so the SHA-256 is then computed by streaming that
        same version (GetObject with its VersionId: a write in between cannot swap the bytes)."""
        bucket, key = split_s3_uri(uri)
        head = self._s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        version_id = str(head.get("VersionId") or "null")  # "null": the bucket is not versioned
        checksum = full_object_sha256(head)
        if checksum is None:
            checksum, source = self._hash(bucket, key, version_id), "computed"
        else:
            source = "s3-checksum"
        return EvidenceObject(
            uri=uri,
            version_id=version_id,
            etag=str(head.get("ETag", "")).strip('"'),
            content_length=int(head.get("ContentLength", 0)),
            sha256=checksum,
            sha256_from=source,
        )

    def _hash(self, bucket: str, key: str, version_id: str) -> str:
        body = self._s3.get_object(Bucket=bucket, Key=key, VersionId=version_id)["Body"]
        digest = hashlib.sha256()
        for chunk in iter(lambda: body.read(_CHUNK), b""):
            digest.update(chunk)
        return digest.hexdigest()


def full_object_sha256(head: dict[str, Any]) -> str | None:
    """S3's ChecksumSHA256 as hex, when it is the SHA-256 of the whole object (not a multipart composite)."""
    value = head.get("ChecksumSHA256")
    if not value or head.get("ChecksumType") == "COMPOSITE" or "-" in str(value):
        return None
    return base64.b64decode(str(value)).hex()
