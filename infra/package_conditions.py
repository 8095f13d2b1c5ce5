"""IAM condition keys of sagemaker:UpdateModelPackage, spelled as the Service Authorization Reference lists them
(condition key names are not case-sensitive: ``sagemaker:ModelLifeCycle:stage`` is the same key)."""

from __future__ import annotations

from model_governance.cards.trust import CARD_METADATA_KEY

APPROVAL_KEY = "sagemaker:ModelApprovalStatus"
STAGE_KEY = "sagemaker:ModelLifeCycle:Stage"
STAGE_STATUS_KEY = "sagemaker:ModelLifeCycle:StageStatus"
# The package's confirmation of its card (cards/trust.py): set by whoever may update the package, never by us.
TRUST_KEY = f"sagemaker:CustomerMetadataProperties/{CARD_METADATA_KEY}"
METADATA_REMOVAL_KEY = "sagemaker:CustomerMetadataPropertiesToRemove"


def no_card_confirmation() -> dict[str, str]:
    """``Null`` entries refusing a request that sets the card confirmation or removes metadata: a gate's revert
    withdraws an approval or a stage and can never vouch for a card on the way."""
    return {TRUST_KEY: "true", METADATA_REMOVAL_KEY: "true"}


def embedded_card_only() -> dict[str, dict[str, str]]:
    """The condition of an UpdateModelPackage that may write the embedded card and nothing a gate trusts.

    ``Null: "true"`` holds only when the request does not carry the key: a request that sets an approval status,
    a stage or stage status, the card confirmation, or removes metadata is refused, so a role that writes cards
    can neither promote a version nor vouch for its card.
    """
    return {"Null": {APPROVAL_KEY: "true", STAGE_KEY: "true", STAGE_STATUS_KEY: "true", **no_card_confirmation()}}
