"""SageMaker model registry and model card calls, translated to the domain's typed records."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from model_governance.cards import content as card_content
from model_governance.cards.records import (
    UNPARSEABLE_CONTENT_KEY,
    CardRecord,
    Container,
    EmbeddedCard,
    ExportJob,
    LifeCycle,
    PackageFacts,
    kms_key_arn,
    life_cycle,
)
from model_governance.errors import CardKeyNotGrantedError, MissingResourceError

# Search returns at most 100 records a page; one page of the group's most recently modified cards is read.
SEARCH_PAGE_SIZE = 100


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _is_not_found(error: ClientError) -> bool:
    code = error_code(error)
    message = str(error.response.get("Error", {}).get("Message", "")).lower()
    return code in {"ResourceNotFound", "ResourceNotFoundException"} or (
        code == "ValidationException" and ("does not exist" in message or "not found" in message)
    )


# What SageMaker answers when the caller may not use a card's KMS key is not documented (aws-facts.md 7): KMS's
# own codes come back as "KMS.<Code>" or as AccessDenied; a ValidationException only when it speaks of KMS.
# A match is then confirmed by reading the card without content: only an encrypted card counts.
_ACCESS_DENIED = {"AccessDeniedException", "AccessDenied", "UnauthorizedOperation"}


def is_kms_denial(error: ClientError) -> bool:
    code = error_code(error)
    message = str(error.response.get("Error", {}).get("Message", "")).lower()
    return (
        code.startswith("KMS")
        or code in _ACCESS_DENIED
        or (code == "ValidationException" and ("kms" in message or "key management" in message))
    )


class ModelRegistry:
    """The SageMaker calls of the model card features. Takes the client so tests can hand it moto or a Stubber."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def describe_package(self, arn: str) -> PackageFacts:
        try:
            response = self._client.describe_model_package(ModelPackageName=arn)
        except ClientError as error:
            if _is_not_found(error):
                raise MissingResourceError(f"model package {arn} does not exist (deleted after the event?)") from error
            if is_kms_denial(error) and (key_error := self._package_key_error(arn)) is not None:
                raise key_error from error
            raise
        return package_facts(response)

    def describe_card(self, name: str, version: int | None = None) -> CardRecord | None:
        """The card (latest version unless ``version``), or None when no card has that name."""
        request: dict[str, Any] = {"ModelCardName": name}
        if version is not None:
            request["ModelCardVersion"] = version
        try:
            response = self._client.describe_model_card(**request)
        except ClientError as error:
            if _is_not_found(error):
                return None
            if is_kms_denial(error) and (key_error := self._card_key_error(name, version)) is not None:
                raise key_error from error
            raise
        return card_record(response)

    def _card_key_error(self, name: str, version: int | None = None) -> CardKeyNotGrantedError | None:
        """The key error for an encrypted card, or None when the card is not encrypted (then the denial was
        something else). MetadataOnly needs no kms:Decrypt and still returns SecurityConfig."""
        request: dict[str, Any] = {"ModelCardName": name, "IncludedData": "MetadataOnly"}
        if version is not None:
            request["ModelCardVersion"] = version
        metadata = card_record(self._client.describe_model_card(**request))
        if not metadata.kms_key_id:
            return None
        return CardKeyNotGrantedError(metadata.name, kms_key_arn(metadata.kms_key_id, metadata.arn), metadata)

    def _package_key_error(self, arn: str) -> CardKeyNotGrantedError | None:
        response = self._client.describe_model_package(ModelPackageName=arn, IncludedData="MetadataOnly")
        key = (response.get("SecurityConfig") or {}).get("KmsKeyId")
        return CardKeyNotGrantedError(f"the card of model package {arn}", kms_key_arn(key, arn)) if key else None

    def search_group_cards(self, group: str) -> list[CardRecord]:
        """Cards of a model package group, most recently modified first (one Search call, one page)."""
        response = self._client.search(
            Resource="ModelCard",
            SearchExpression={"Filters": [{"Name": "ModelPackageGroupName", "Operator": "Equals", "Value": group}]},
            SortBy="LastModifiedTime",
            SortOrder="Descending",
            MaxResults=SEARCH_PAGE_SIZE,
        )
        records = []
        for result in response.get("Results", []):
            card = result.get("ModelCard")
            if card and card.get("ModelCardName"):
                records.append(card_record(card))
        return records

    def create_card(
        self, name: str, content: dict[str, Any], status: str = "Draft", kms_key_id: str | None = None
    ) -> str | None:
        """Create the card (encrypted with ``kms_key_id`` when given; without it SageMaker uses an AWS-owned key):
        its ARN; None when a card of that name already exists (another delivery won the race, or someone else)."""
        request: dict[str, Any] = {
            "ModelCardName": name,
            "Content": card_content.serialize(content),
            "ModelCardStatus": status,
        }
        if kms_key_id:
            request["SecurityConfig"] = {"KmsKeyId": kms_key_id}
        try:
            response = self._client.create_model_card(**request)
        except ClientError as error:
            if error_code(error) == "ConflictException":
                return None
            if kms_key_id and is_kms_denial(error):
                raise CardKeyNotGrantedError(name, kms_key_id) from error
            raise
        return str(response["ModelCardArn"])

    def update_package_card_content(self, package_arn: str, content: dict[str, Any]) -> None:
        """Replace the embedded card's content (content only: AWS rejects content and status in one update)."""
        try:
            self._client.update_model_package(
                ModelPackageArn=package_arn, ModelCard={"ModelCardContent": card_content.serialize(content)}
            )
        except ClientError as error:
            if is_kms_denial(error) and (key_error := self._package_key_error(package_arn)) is not None:
                raise key_error from error
            raise

    # Review workflow and approval gate ------------------------------------------------------------------
    def previous_card_version(self, name: str, version: int) -> int | None:
        """The highest version of the card below ``version`` (ListModelCardVersions), or None for the first."""
        request: dict[str, Any] = {"ModelCardName": name, "SortBy": "Version", "SortOrder": "Descending"}
        best: int | None = None
        while True:
            response = self._client.list_model_card_versions(**request)
            for summary in response.get("ModelCardVersionSummaryList", []):
                number = int(summary["ModelCardVersion"])
                if number < version and (best is None or number > best):
                    best = number
            if best is not None or not response.get("NextToken"):
                return best
            request["NextToken"] = response["NextToken"]

    def update_package_card_status(self, package_arn: str, status: str) -> None:
        """Set the embedded card's status (status only: AWS rejects content and status in one update)."""
        self._client.update_model_package(ModelPackageArn=package_arn, ModelCard={"ModelCardStatus": status})

    def update_package_approval(self, package_arn: str, status: str, description: str) -> None:
        """Change only the approval status and its description; nothing else about the package."""
        self._client.update_model_package(
            ModelPackageArn=package_arn, ModelApprovalStatus=status, ApprovalDescription=description
        )

    def update_package_stage(self, package_arn: str, stage: LifeCycle) -> None:
        """Change only the version's ModelLifeCycle (stage, status and its description); nothing else."""
        value = {"Stage": stage.stage, "StageStatus": stage.status}
        if stage.description:
            value["StageDescription"] = stage.description
        self._client.update_model_package(ModelPackageArn=package_arn, ModelLifeCycle=value)

    def create_card_export_job(self, name: str, version: int, job_name: str, s3_output_path: str) -> str | None:
        """Start a PDF export of one card version; the job's ARN, or None when a job of that name exists (which
        may have failed: read it with ``describe_card_export_job``)."""
        try:
            response = self._client.create_model_card_export_job(
                ModelCardName=name,
                ModelCardVersion=version,
                ModelCardExportJobName=job_name,
                OutputConfig={"S3OutputPath": s3_output_path},
            )
        except ClientError as error:
            message = str(error.response.get("Error", {}).get("Message", "")).lower()
            if error_code(error) == "ConflictException" or "already exist" in message:
                return None
            if is_kms_denial(error) and (key_error := self._card_key_error(name, version)) is not None:
                raise key_error from error
            raise
        return str(response["ModelCardExportJobArn"])

    def describe_card_export_job(self, arn: str) -> ExportJob | None:
        """The export job (status, the PDF's S3 URI once Completed, the reason once Failed), or None if unknown."""
        try:
            response = self._client.describe_model_card_export_job(ModelCardExportJobArn=arn)
        except ClientError as error:
            if _is_not_found(error):
                return None
            raise
        return export_job(response)


def card_record(response: dict[str, Any]) -> CardRecord:
    name = response["ModelCardName"]
    try:
        parsed = card_content.parse(response.get("Content"), what=f"content of model card {name}")
    except ValueError:
        parsed = {UNPARSEABLE_CONTENT_KEY: response.get("Content")}
    who = response.get("LastModifiedBy") or {}
    creator = response.get("CreatedBy") or {}
    return CardRecord(
        name=name,
        version=int(response.get("ModelCardVersion") or 1),
        status=str(response.get("ModelCardStatus") or "Draft"),
        content=parsed,
        arn=response.get("ModelCardArn"),
        # A version never modified since it was created has no LastModifiedTime: its creation is its last change.
        last_modified=response.get("LastModifiedTime") or response.get("CreationTime"),
        last_modified_by=_user(who) or _user(creator),
        kms_key_id=(response.get("SecurityConfig") or {}).get("KmsKeyId") or None,
        created=response.get("CreationTime"),
        created_by=_user(creator),
    )


def _user(context: dict[str, Any]) -> str | None:
    """Who, from a SageMaker UserContext: the user profile, else the IAM identity."""
    return context.get("UserProfileName") or (context.get("IamIdentity") or {}).get("Arn") or None


def export_job(response: dict[str, Any]) -> ExportJob:
    return ExportJob(
        name=response["ModelCardExportJobName"],
        arn=response["ModelCardExportJobArn"],
        status=response["Status"],
        card=response["ModelCardName"],
        card_version=int(response["ModelCardVersion"]),
        s3_output_path=(response.get("OutputConfig") or {}).get("S3OutputPath"),
        artifact=(response.get("ExportArtifacts") or {}).get("S3ExportArtifacts"),
        failure_reason=response.get("FailureReason"),
        modified=response.get("LastModifiedAt"),
    )


def package_facts(response: dict[str, Any]) -> PackageFacts:
    containers = tuple(
        Container(image=c["Image"], model_data_url=c.get("ModelDataUrl"))
        for c in (response.get("InferenceSpecification") or {}).get("Containers", [])
        if c.get("Image")
    )
    metrics = []
    for kind, reports in (response.get("ModelMetrics") or {}).items():
        for report, source in (reports or {}).items():
            if isinstance(source, dict) and source.get("S3Uri"):
                metrics.append((kind, report, source["S3Uri"]))
    embedded = response.get("ModelCard")
    embedded_card = None
    if embedded:
        arn = response.get("ModelPackageArn", "")
        embedded_card = EmbeddedCard(
            content=card_content.parse(embedded.get("ModelCardContent"), what=f"embedded card of {arn}"),
            status=embedded.get("ModelCardStatus"),
        )
    creator = response.get("CreatedBy") or {}
    return PackageFacts(
        arn=response["ModelPackageArn"],
        group=response.get("ModelPackageGroupName", ""),
        version=int(response.get("ModelPackageVersion") or 0),
        status=response.get("ModelPackageStatus", ""),
        approval_status=response.get("ModelApprovalStatus"),
        description=response.get("ModelPackageDescription"),
        approval_description=response.get("ApprovalDescription"),
        created_by=creator.get("UserProfileName") or (creator.get("IamIdentity") or {}).get("Arn"),
        domain=response.get("Domain"),
        task=response.get("Task"),
        containers=containers,
        metrics=tuple(metrics),
        embedded_card=embedded_card,
        creation_time=response.get("CreationTime"),
        customer_metadata=dict(response.get("CustomerMetadataProperties") or {}),
        life_cycle=life_cycle(response.get("ModelLifeCycle")),
        last_modified=response.get("LastModifiedTime"),
        kms_key_id=(response.get("SecurityConfig") or {}).get("KmsKeyId") or None,
    )
