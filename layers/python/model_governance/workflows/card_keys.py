"""A card encrypted with a KMS key the deployment was not given: one ops alert, a ledger record, no retry loop.

Retrying cannot help (only a deploy with the key in ``modelCardKmsKeyArns`` can), so every workflow that meets
``CardKeyNotGrantedError`` ends normally after this instead of sending the event to its dead-letter queue.
"""

from __future__ import annotations

from collections.abc import Callable

from model_governance import text
from model_governance.adapters.notifications import Message
from model_governance.errors import CardKeyNotGrantedError
from model_governance.observability import MetricUnit, logger, metrics
from model_governance.workflows.effects import Effects, Origin
from model_governance.workflows.ports import Publisher, publish_once

METRIC_CARD_KEY_NOT_GRANTED = "CardKeyNotGranted"


def report_key_not_granted(
    error: CardKeyNotGrantedError,
    *,
    effects: Effects,
    origin: Origin,
    ops: Publisher,
    record: Callable[..., None],
    skipped: str,
) -> bool:
    """Alert ops once per card and key (later events of the card send nothing), and record what was skipped.
    True when this call sent the alert."""
    sent = publish_once(effects, f"card-key#{error.card}#{error.key_arn}", origin, ops, key_alert(error, skipped))
    metrics.add_metric(name=METRIC_CARD_KEY_NOT_GRANTED, unit=MetricUnit.Count, value=1)
    logger.info("card key not granted", extra={"card": error.card, "key_arn": error.key_arn, "alerted": sent})
    record(
        "card_key_not_granted",
        details={"key_arn": error.key_arn, "setting": error.SETTING, "skipped": skipped, "alert_sent": sent},
    )
    return sent


def key_alert(error: CardKeyNotGrantedError, skipped: str) -> Message:
    lines = [
        f"Model card {text.name(error.card)} is encrypted with a customer-managed KMS key that model governance "
        "may not use.",
        "",
        f"KMS key:  {text.name(error.key_arn)}",
        f"Skipped:  {text.one_line(skipped)}",
        "",
        "To fix:",
        f"  1. Add the key ARN to the {error.SETTING} setting (cdk.json context, or",
        f"     cdk deploy -c {error.SETTING}=<arn>[,<arn>...]) and deploy again.",
        "  2. If the key policy does not delegate to IAM (no statement for the account root), also allow the",
        "     functions' roles kms:Decrypt and kms:GenerateDataKey in the key policy.",
        "  3. Then run the backfill (make backfill DRY_RUN=false) for carry-forward, or change the card again:",
        "     the next event is handled in full.",
        "",
        "This alert is sent once per card and key; later events of this card are recorded in the ledger only.",
    ]
    return Message(
        subject=f"KMS key not granted ({error.SETTING}): model card {text.name(error.card, text.SUBJECT_NAME_LIMIT)}",
        body="\n".join(lines),
        attributes={"event_type": "model_card_key_not_granted", "kms_key_arn": error.key_arn, "severity": "High"},
    )
