"""Model card review: react to `SageMaker Model Card State Change`.

For every change: record it, keep the linked package's embedded card in step, but only for a link that counts
(cards/trust.py): the card's content is written by anyone who may edit cards, so it may not choose which package
we write. An unconfirmed claim changes nothing; the card's owner and reviewers are told once per card version. PendingReview: tell reviewers
what changed since the previous version. Approved: export the approved version as PDF evidence.

Events arrive late and more than once (aws-facts.md 1.0), so each card keeps a high-water mark (card version,
last modified time): an event at or below the mark changes nothing. Every effect is "make it so": the embedded
card follows the card's latest version, the export job name is deterministic, the notice is claimed once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from model_governance.adapters.notifications import Message
from model_governance.cards import content as card_content
from model_governance.cards.records import CardLink, CardRecord, PackageFacts
from model_governance.cards.trust import CARD_METADATA_KEY, LinkVerdict, judge_link
from model_governance.errors import InvalidCardContentError, MissingResourceError
from model_governance.events import ModelCardStateChange
from model_governance.observability import MetricUnit, logger, metrics
from model_governance.review.decisions import (
    CardMark,
    Freshness,
    card_owner,
    embedded_card_sync,
    export_job_name,
    export_s3_path,
    freshness,
    next_mark,
)
from model_governance.review.diff import changed_sections, diff_content, render_diff
from model_governance.workflows.carry_forward import console_card_url
from model_governance.workflows.ports import Audit, Claims, publish_once, recorder
from model_governance.workflows.ports import Publisher as Notices

MARK_ATTEMPTS = 3
Recorder = Callable[..., None]


class Registry(Protocol):
    def describe_card(self, name: str, version: int | None = None) -> CardRecord | None: ...
    def previous_card_version(self, name: str, version: int) -> int | None: ...
    def describe_package(self, arn: str) -> PackageFacts: ...
    def update_package_card_content(self, package_arn: str, content: dict[str, Any]) -> None: ...
    def update_package_card_status(self, package_arn: str, status: str) -> None: ...
    def create_card_export_job(self, name: str, version: int, job_name: str, s3_output_path: str) -> str | None: ...


class ReviewState(Claims, Protocol):
    def link_for(self, group: str, version: int) -> CardLink | None: ...
    def card_mark(self, card: str) -> CardMark | None: ...
    def advance_card_mark(self, mark: CardMark, expected: CardMark | None) -> bool: ...
    def record_export(self, card: str, version: int, **details: Any) -> bool: ...


@dataclass(frozen=True)
class ReviewSettings:
    evidence_bucket: str


@dataclass
class ReviewResult:
    card: str
    version: int
    status: str
    outcome: str = "skipped"  # acted | duplicate | stale | card-missing
    group: str | None = None
    review_notice_published: bool = False
    export_job_arn: str | None = None
    export_s3_path: str | None = None
    embedded_content_updated: bool = False
    embedded_status_updated: bool = False
    link_refused: bool = False  # the card claims a package that neither the system nor the package confirms
    reason: str = ""


@dataclass(frozen=True)
class ClaimedPackage:
    """The package a card's content names, and whether that claim counts."""

    package: PackageFacts
    verdict: LinkVerdict


def review_card_change(
    change: ModelCardStateChange,
    *,
    registry: Registry,
    state: ReviewState,
    notices: Notices,
    audit: Audit,
    settings: ReviewSettings,
) -> ReviewResult:
    result = ReviewResult(card=change.card_name, version=change.card_version, status=change.status)
    mark, fresh = _advance_mark(change, state)
    if mark is None:
        result.outcome = fresh.value
        result.reason = f"an event at or after version {change.card_version} ({change.last_modified}) was handled"
        metrics.add_metric(name="CardEventsIgnored", unit=MetricUnit.Count, value=1)
        logger.info("card event ignored", extra={"freshness": fresh.value, "card": change.card_name})
        return result

    card = registry.describe_card(change.card_name, change.card_version)
    latest = registry.describe_card(change.card_name)
    if card is None or latest is None:
        result.outcome = "card-missing"
        result.reason = "the card was deleted after the event"
        return result
    result.outcome = "acted"
    claim = _claimed_package(latest, registry, state, result)
    # Only a link that counts files the card's records under a group: a decoy must not write another group's history.
    result.group = claim.package.group if claim is not None and claim.verdict.trusted else None

    # One event's steps share its time; the ledger keeps them in write order.
    record = recorder(audit, change.envelope, group=result.group, card=change.card_name)

    record(
        "card_status_changed",
        actor=change.modified_by or card.last_modified_by or "unknown",
        before={"status": mark.previous_status, "card_version": mark.previous_version},
        after={"status": change.status, "card_version": change.card_version},
        details={"risk_rating": card.risk_rating, "status_now": card.status},
    )

    # Act on the status the version has now: a later change may already have moved it on.
    if change.status == "PendingReview" and card.status == "PendingReview":
        _request_review(change, card, result, registry, state, notices, record)
    elif change.status == "Approved" and card.status == "Approved":
        _export_evidence(change, card, result, registry, state, settings, record)
    elif change.status != card.status:
        result.reason = f"version {card.version} is {card.status} now; the event said {change.status}"

    if claim is not None and claim.verdict.trusted:
        _sync_embedded_card(latest, claim.package, result, registry, record)
    elif claim is not None:
        _refuse_link(change, latest, claim, result, state, notices, record)
    logger.info("card review done", extra={"result": result.__dict__})
    return result


def _advance_mark(change: ModelCardStateChange, state: ReviewState) -> tuple[CardMark | None, Freshness]:
    """The mark this event set (or set before a failed attempt), or None when the event is not the newest."""
    mark = state.card_mark(change.card_name)
    for _ in range(MARK_ATTEMPTS):
        fresh = freshness(mark, version=change.card_version, modified=change.last_modified, event_id=change.envelope.id)
        if fresh in (Freshness.DUPLICATE, Freshness.STALE):
            return None, fresh
        if fresh is Freshness.RETRY and mark is not None:
            return mark, fresh
        new = next_mark(
            mark,
            card=change.card_name,
            version=change.card_version,
            modified=change.last_modified,
            status=change.status,
            event_id=change.envelope.id,
        )
        if state.advance_card_mark(new, mark):
            return new, fresh
        mark = state.card_mark(change.card_name)  # another delivery moved it: decide again
    raise RuntimeError(f"the mark of model card {change.card_name} kept moving; the retry will decide")


def _request_review(
    change: ModelCardStateChange,
    card: CardRecord,
    result: ReviewResult,
    registry: Registry,
    state: ReviewState,
    notices: Notices,
    record: Recorder,
) -> None:
    previous_version = registry.previous_card_version(card.name, card.version)
    previous = registry.describe_card(card.name, previous_version) if previous_version else None
    diffs = diff_content(previous.content if previous else {}, card.content)
    message = review_notice(change, card, previous, render_diff(diffs), result.group)
    key = f"review-notice#{card.name}#{card.version}#{change.last_modified.isoformat()}"
    if not publish_once(state, key, (notices, message)):
        return
    result.review_notice_published = True
    metrics.add_metric(name="ReviewNoticesSent", unit=MetricUnit.Count, value=1)
    record(
        "review_notice_sent",
        details={
            "subject": message.subject,
            "compared_with_version": previous_version,
            "changed_sections": changed_sections(diffs),
        },
    )


def _export_evidence(
    change: ModelCardStateChange,
    card: CardRecord,
    result: ReviewResult,
    registry: Registry,
    state: ReviewState,
    settings: ReviewSettings,
    record: Recorder,
) -> None:
    job_name = export_job_name(card.name, card.version)
    path = export_s3_path(settings.evidence_bucket, card.name, card.version)
    started = registry.create_card_export_job(card.name, card.version, job_name, path)
    job_arn = started or (f"{card.arn}/export-job/{job_name}" if card.arn else None)
    state.record_export(
        card.name,
        card.version,
        job_name=job_name,
        job_arn=job_arn,
        s3_output_path=path,
        requested_at=datetime.now(UTC).isoformat(),
        source_event_id=change.envelope.id,
    )
    result.export_job_arn, result.export_s3_path = job_arn, path
    if started:
        metrics.add_metric(name="CardExportsStarted", unit=MetricUnit.Count, value=1)
    record(
        "export_requested",
        after={"s3_output_path": path, "export_job": job_name},
        details={"export_job_arn": job_arn, "card_version": card.version, "new_job": started is not None},
    )


def _claimed_package(
    card: CardRecord, registry: Registry, state: ReviewState, result: ReviewResult
) -> ClaimedPackage | None:
    """The package the card's content names, judged by the trust rule; None when it names none (or it is gone)."""
    arn = card.linked_package_arn
    if not arn:
        return None
    try:
        package = registry.describe_package(arn)
    except MissingResourceError:
        result.reason = (result.reason + "; " if result.reason else "") + f"linked package {arn} no longer exists"
        return None
    recorded = state.link_for(package.group, package.version) if package.group and package.version else None
    return ClaimedPackage(package, judge_link(card.name, arn, package, recorded, card_arn=card.arn))


def _refuse_link(
    change: ModelCardStateChange,
    card: CardRecord,
    claim: ClaimedPackage,
    result: ReviewResult,
    state: ReviewState,
    notices: Notices,
    record: Recorder,
) -> None:
    """Write nothing to the claimed package; tell the card's owner and reviewers once per card version."""
    result.link_refused = True
    why = claim.verdict.explain()
    result.reason = (result.reason + "; " if result.reason else "") + f"link to {claim.package.arn} refused: {why}"
    metrics.add_metric(name="CardLinksRefused", unit=MetricUnit.Count, value=1)
    logger.info("card link refused", extra={"card": card.name, "claimed_package": claim.package.arn, "why": why})
    message = link_refused_notice(card, claim, change.envelope.region)
    noticed = publish_once(state, f"link-refused#{card.name}#{card.version}", (notices, message))
    record(
        "link_refused",
        group=claim.package.group,  # the claimed group's history shows the attempt
        subject=claim.package.arn,
        details={
            "card_version": card.version,
            "card_status": card.status,
            "claimed_package": claim.package.arn,
            "reasons": list(claim.verdict.reasons),
            "notice_sent": noticed,
        },
    )


def _sync_embedded_card(
    card: CardRecord, package: PackageFacts, result: ReviewResult, registry: Registry, record: Recorder
) -> None:
    arn = package.arn  # the package the trust rule accepted, as SageMaker names it
    current = package.embedded_card
    sync = embedded_card_sync(current, card)
    if sync.content is not None:
        problems = card_content.validate_content(sync.content, card_content.Flavour.PACKAGE)
        if problems:
            raise InvalidCardContentError(f"embedded card of {arn}", problems)
        registry.update_package_card_content(arn, sync.content)
        result.embedded_content_updated = True
        record(
            "embedded_card_updated",
            subject=arn,
            before=current.content if current else {},
            after=sync.content,
            details={"from_card_version": card.version},
        )
    if sync.status is not None:
        registry.update_package_card_status(arn, sync.status)
        result.embedded_status_updated = True
        record(
            "embedded_card_status_changed",
            subject=arn,
            before={"status": current.status if current else None},
            after={"status": sync.status},
            details={"from_card_version": card.version},
        )
    if sync.needed:
        metrics.add_metric(name="EmbeddedCardsSynced", unit=MetricUnit.Count, value=1)


def link_refused_notice(card: CardRecord, claim: ClaimedPackage, region: str) -> Message:
    """To the card's owner and its reviewers: the card's claim on a package was not acted on, and how to fix it."""
    package = claim.package
    owner = card_owner(card) or "unknown"
    lines = [
        f"Model card {card.name} (version {card.version}, {card.status}) says it documents {package.group} "
        f"version {package.version}, but that link is not confirmed:",
        *(f"  - {reason}" for reason in claim.verdict.reasons),
        "",
        "Nothing was written to the model package: its embedded card, and the approval gate's view of it, are",
        "unchanged. A card counts for a version when this system created it for that version (carry-forward),",
        "or when the model package names it. If this card should document the version, someone allowed to update",
        "model packages confirms it:",
        f"  aws sagemaker update-model-package --model-package-arn {package.arn} \\",
        f"    --customer-metadata-properties {CARD_METADATA_KEY}={card.name}",
        "Otherwise correct model_package_details in the card.",
        "",
        f"Claimed package: {package.arn}",
        f"Card owner:      {owner}",
        f"Open the card: {console_card_url(region, card.name)}",
    ]
    return Message(
        subject=f"Model card {card.name} v{card.version}: link to {package.group} v{package.version} not confirmed",
        body="\n".join(lines),
        attributes={
            "event_type": "model_card_link_refused",
            "model_package_group": package.group,
            "risk_rating": card.risk_rating,
            "model_owner": owner,
        },
    )


def review_notice(
    change: ModelCardStateChange,
    card: CardRecord,
    previous: CardRecord | None,
    diff_lines: list[str],
    group: str | None,
) -> Message:
    region = change.envelope.region
    compared = f"version {previous.version}" if previous else "nothing (this is the card's first version)"
    claimed = card.linked_package_arn
    package_line = (
        claimed if group and claimed else f"{claimed} (claimed, not confirmed)" if claimed else "(not linked)"
    )
    lines = [
        f"Model card {card.name} (version {card.version}) is waiting for review.",
        "",
        f"Model package group: {group or '(not linked to a model package)'}",
        f"Model package:       {package_line}",
        f"Risk rating:         {card.risk_rating}",
        f"Submitted by:        {change.modified_by or card.last_modified_by or 'unknown'}",
        f"Submitted at:        {change.last_modified.isoformat(timespec='seconds')}",
        "",
        f"Changes compared with {compared}:",
        *diff_lines,
        "",
        f"Review the card: {console_card_url(region, card.name)}",
    ]
    return Message(
        subject=f"Review requested: model card {card.name} v{card.version}",
        body="\n".join(lines),
        attributes={
            "event_type": "model_card_pending_review",
            "model_package_group": group or "",
            "risk_rating": card.risk_rating,
        },
    )
