"""The bucket the stack owns for governance evidence: approved card exports and sweep reports."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

_LOCK_RETENTION = {"governance": s3.ObjectLockRetention.governance, "compliance": s3.ObjectLockRetention.compliance}


class EvidenceBucket(Construct):
    """Versioned, encrypted, private, TLS-only, and write-once: S3 Object Lock keeps every object version for
    ``retention_days`` from when it was written, whoever holds s3:DeleteObjectVersion.

    ``lock_mode`` governance: only a principal granted s3:BypassGovernanceRetention (none of this stack's roles)
    can shorten it, and must say so in the request. compliance: nobody can, not even the account root.
    Lifecycle rules expire versions no earlier than the lock ends, so they never fight it.
    """

    def __init__(self, scope: Construct, construct_id: str, *, retention_days: int, lock_mode: str) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(365))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        retention = Duration.days(retention_days)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            versioned=True,
            object_lock_enabled=True,
            object_lock_default_retention=_LOCK_RETENTION[lock_mode](retention),
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="evidence/",
            lifecycle_rules=[
                # A current version becomes noncurrent (a delete marker) after the retention; a noncurrent
                # version goes the retention after that, so never before its own lock has ended.
                s3.LifecycleRule(expiration=retention, noncurrent_version_expiration=retention)
            ],
            # The bucket outlives the stack: `cdk destroy` leaves it, and its locked versions, in place.
            removal_policy=RemovalPolicy.RETAIN,
        )
