"""The system's own state: links between cards and versions, idempotency claims, dedup state, the audit ledger."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.resource_policies import deny_all_but, role_arns
from model_governance.adapters import keys
from model_governance.adapters.keys import AccessProfile, Grants

# Every API that writes or deletes an item, as IAM names it (TransactWriteItems is authorized per item as these;
# PartiQL's ExecuteStatement and BatchExecuteStatement as the PartiQL actions).
ITEM_WRITES = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
)


def leading_keys(prefix: str) -> dict[str, dict[str, list[str]]]:
    """The IAM condition that limits a statement to the partitions whose key starts with ``prefix``."""
    return {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{prefix}*"]}}


class StateTable(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.TableV2(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=keys.PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=keys.SORT_KEY, type=dynamodb.AttributeType.STRING),
            billing=dynamodb.Billing.on_demand(),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryptionV2.aws_managed_key(),
            time_to_live_attribute=keys.TTL_ATTRIBUTE,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
            global_secondary_indexes=[
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name=keys.INDEX,
                    partition_key=dynamodb.Attribute(name=keys.INDEX_PARTITION_KEY, type=dynamodb.AttributeType.STRING),
                    sort_key=dynamodb.Attribute(name=keys.INDEX_SORT_KEY, type=dynamodb.AttributeType.STRING),
                )
            ],
        )
        # For people who read the ledger (`make ledger`): attach it to their role; no function needs it.
        self.ledger_reader = iam.ManagedPolicy(
            self,
            "LedgerReader",
            description="Read the model governance audit ledger (python -m ops.ledger), nothing else",
            statements=self.statements(keys.LEDGER_READER),
        )
        self._writers: list[iam.IRole] = []
        self.writers_restricted = False

    @property
    def index_arn(self) -> str:
        return f"{self.table.table_arn}/index/{keys.INDEX}"

    def grant(self, grantee: iam.IRole, profile: AccessProfile) -> None:
        """Exactly ``profile``: one statement per partition prefix, its actions only on items whose partition key
        starts with that prefix. Only key-addressed actions exist in profiles (no Scan, no PartiQL), so every
        request carries the partition keys that ``dynamodb:LeadingKeys`` is checked against; a BatchGetItem
        (``ForAllValues``: every key of the batch) addresses one prefix only, so one statement allows it."""
        if self.writers_restricted:
            raise RuntimeError(f"{self.node.path}: a grant after the table's resource policy was written")
        for statement in self.statements(profile):
            grantee.grant_principal.add_to_principal_policy(statement)
        if any(f"dynamodb:{action}" in ITEM_WRITES for actions in profile.items.values() for action in actions):
            self._writers.append(grantee)

    def restrict_writers(self) -> None:
        """The table's resource policy: no item write but by the function roles granted one (``grant``).

        Without it, any principal of the account whose identity policy allows dynamodb:PutItem could forge a
        ``LINK#``/``GROUP#`` record (which the gates trust) or an ``AUDIT#`` record. Reads stay with identity
        policies (the ledger reader's Query). Only item writes are denied: CloudFormation and administrators keep
        every table and policy action. ``*`` is this table and its indexes (a table's own policy cannot name its
        ARN: the table would reference itself).
        """
        self.writers_restricted = True
        self.table.add_to_resource_policy(
            deny_all_but("OnlyTheFunctionsWriteItems", ITEM_WRITES, ["*"], principals=role_arns(self._writers))
        )

    def statements(self, profile: AccessProfile) -> list[iam.PolicyStatement]:
        # dynamodb:LeadingKeys is "the first key attribute of a table - the partition key" (DynamoDB developer
        # guide, "Using IAM policy conditions for fine-grained access control"). A Query on a global secondary
        # index names no table partition key, only the index's: the key condition's value of gsi1pk is what the
        # condition sees. So index grants are separate statements on the index ARN only, keyed on the index's
        # own prefixes (CARD#...), and table grants name the table ARN only: a table grant never reaches the
        # index, and an index grant (Query only) never writes.
        return [
            *self._statements(profile.items, self.table.table_arn),
            *self._statements(profile.index, self.index_arn),
        ]

    @staticmethod
    def _statements(grants: Grants, resource: str) -> list[iam.PolicyStatement]:
        return [
            iam.PolicyStatement(
                actions=[f"dynamodb:{action}" for action in sorted(grants[prefix])],
                resources=[resource],
                conditions=leading_keys(prefix),
            )
            for prefix in sorted(grants)
            if grants[prefix]
        ]
