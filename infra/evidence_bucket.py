"""The bucket the stack owns for governance evidence: approved card exports and sweep reports."""

from __future__ import annotations

from aws_cdk import DefaultStackSynthesizer, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.resource_policies import deny_all_but, role_arns

# What would rewrite, remove or unlock evidence: nobody of the account may do it, whatever their identity policy.
REWRITES = (
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:BypassGovernanceRetention",
    "s3:PutObjectAcl",
    "s3:PutObjectVersionAcl",
    "s3:ReplicateDelete",  # a replication role adds delete markers without s3:DeleteObject
)
# Writes that are not s3:PutObject: replication adds objects with its own action.
OTHER_WRITES = ("s3:ReplicateObject",)
# Bucket settings that change what evidence is kept or shown: only deploys change them.
LOCK_CONFIGURATION = "s3:PutBucketObjectLockConfiguration"
DEPLOY_ONLY = (LOCK_CONFIGURATION, "s3:PutLifecycleConfiguration", "s3:PutReplicationConfiguration")

_LOCK_RETENTION = {"governance": s3.ObjectLockRetention.governance, "compliance": s3.ObjectLockRetention.compliance}


class EvidenceBucket(Construct):
    """Versioned, encrypted, private, TLS-only, and write-once: S3 Object Lock keeps every object version for
    ``retention_days`` from when it was written, whoever holds s3:DeleteObjectVersion.

    ``lock_mode`` governance: the bucket policy denies s3:BypassGovernanceRetention to everyone, so shortening a
    lock first takes a change of the bucket policy (a deploy, or the account root), which CloudTrail records.
    compliance: nobody can, not even the account root. Lifecycle rules expire versions no earlier than the lock
    ends, so they never fight it.
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
        self._writers: list[iam.IRole] = []
        self.writers_restricted = False

    def grant_put(self, writer: iam.IRole, prefix: str) -> str:
        """s3:PutObject under ``prefix`` only, for a role the bucket policy then lets write. Returns the objects'
        ARN pattern (for the cdk-nag acknowledgment of its wildcard)."""
        if self.writers_restricted:
            raise RuntimeError(f"{self.node.path}: a writer added after the bucket policy was written")
        objects = self.bucket.arn_for_objects(f"{prefix}*")
        writer.add_to_principal_policy(iam.PolicyStatement(actions=["s3:PutObject"], resources=[objects]))
        self._writers.append(writer)
        return objects

    def restrict_writers(self) -> None:
        """The bucket policy, read as S3 evaluates it (an explicit Deny wins over any identity Allow, the account
        root's included, except for the bucket policy actions themselves):

        - ``OnlyTheWritersPutEvidence``: s3:PutObject by the roles given ``grant_put`` only (a PDF export job
          writes with its caller's credentials, so its principal is the card review's role);
        - ``NobodyRewritesEvidence``: no delete, retention, legal hold, governance bypass or ACL change on any
          object, for anyone: the writers never need them;
        - ``OnlyDeploysChangeTheLock``: the default retention, the lifecycle and replication rules change only
          through the stack (CloudFormation's execution role), so a deploy of ``evidenceRetentionDays`` still works;
        - replication's own writes (``s3:ReplicateObject``, ``s3:ReplicateDelete``) are denied to everyone.
        Bucket-level configuration and the policy stay with CloudFormation and the administrators.
        """
        self.writers_restricted = True
        objects = self.bucket.arn_for_objects("*")
        self.bucket.add_to_resource_policy(
            deny_all_but("OnlyTheWritersPutEvidence", ["s3:PutObject"], [objects], principals=role_arns(self._writers))
        )
        self.bucket.add_to_resource_policy(
            deny_all_but("NobodyRewritesEvidence", [*REWRITES, *OTHER_WRITES], [objects])
        )
        synthesizer = Stack.of(self).synthesizer
        deployer = (
            [Fn.sub(synthesizer.cloud_formation_execution_role_arn)]
            if isinstance(synthesizer, DefaultStackSynthesizer)
            else []  # another synthesizer: nobody; the account root can still change the bucket policy
        )
        self.bucket.add_to_resource_policy(
            deny_all_but("OnlyDeploysChangeTheLock", list(DEPLOY_ONLY), [self.bucket.bucket_arn], principals=deployer)
        )
