"""Errors the domain raises. Each carries a message a person can act on."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from model_governance.cards.records import CardRecord


class GovernanceError(Exception):
    """Base class: the event could not be handled; the message says why."""


class InvalidEventError(GovernanceError, ValueError):
    """The event is not the shape AWS documents: nothing was changed."""


class InvalidCardContentError(GovernanceError, ValueError):
    """Card content breaks AWS's limits or schema: nothing was written."""

    def __init__(self, card: str, problems: list[str]) -> None:
        self.card = card
        self.problems = problems
        listed = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        super().__init__(f"model card content for {card!r} is invalid: {listed}")


class CardNameTakenError(GovernanceError, RuntimeError):
    """The deterministic card name of a version is used by a card that documents something else."""


class MissingResourceError(GovernanceError, LookupError):
    """A resource the event names does not exist (any more)."""


class ConfigurationError(GovernanceError, RuntimeError):
    """The function's environment is missing or malformed: the stack and the function disagree."""


class CardKeyNotGrantedError(GovernanceError, PermissionError):
    """A card (or a package's card) is encrypted with a customer-managed KMS key this system was not given.

    ``metadata`` is what DescribeModelCard returns without the key (IncludedData=MetadataOnly): status, link and
    risk rating, enough for decisions that need no content. The message names the key and the setting.
    """

    SETTING = "modelCardKmsKeyArns"

    def __init__(self, card: str, key_arn: str, metadata: CardRecord | None = None) -> None:
        self.card = card
        self.key_arn = key_arn
        self.metadata = metadata
        super().__init__(
            f"model card {card} is encrypted with KMS key {key_arn}, which this deployment may not use: "
            f"add the key's ARN to the {self.SETTING} setting and deploy again"
        )
