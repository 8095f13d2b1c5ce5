"""Given hostile outside values, when any email is built, then each value stays data: inside one line, quoted.

Every builder is run twice with the same shape of input: once with a plain value, once with a hostile one in
every place an outside value goes (names, owners, risk ratings, card fields, features, check types, failure
reasons, report URIs, ARNs taken from content). The hostile email must have the same lines of our own
structure, as many lines in all, every hostile fragment inside double quotes, and no hidden characters.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import shlex
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from model_governance import constants
from model_governance.adapters.notifications import MESSAGE_LIMIT_BYTES, Message, fit_subject
from model_governance.cards.carry_forward import plan_new_card
from model_governance.cards.records import CardLink, CardRecord, ExportJob, PackageFacts
from model_governance.cards.trust import CARD_METADATA_KEY, judge_link
from model_governance.errors import CardKeyNotGrantedError
from model_governance.events import parse_model_card_state_change
from model_governance.monitoring.dedup import Reason, ScheduleState, decide
from model_governance.monitoring.execution import MonitoringExecution
from model_governance.monitoring.render import (
    ModelContext,
    failure_alert,
    resolved_alert,
    unreadable_alert,
    violations_alert,
)
from model_governance.monitoring.report import Violation, parse_violations
from model_governance.review.decisions import gate_decision
from model_governance.review.diff import diff_content, render_diff
from model_governance.sweep.digest import SweepRun, render_digest
from model_governance.sweep.inventory import CardSummary, Endpoint, Inventory, MonitorSchedule, PackageVersion
from model_governance.sweep.rules import SweepSettings, find_problems
from model_governance.text import SUBJECT_NAME_LIMIT, name, one_line, shell_word, value
from model_governance.workflows.approval_gate import gate_messages
from model_governance.workflows.card_export import export_failed_alert
from model_governance.workflows.card_keys import key_alert
from model_governance.workflows.card_review import ClaimedPackage, link_refused_notice, review_notice
from model_governance.workflows.carry_forward import _card_created_notice, _no_predecessor_notice
from tests.conftest import read_event

PLAIN = "plain-value"
MARK = "EVIL"  # every hostile value carries it where a forged line would begin
BREAKS = ["\n", "\r\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
HOSTILE = [
    *(f"x{brk}{MARK} Severity: Low" for brk in BREAKS),
    f"x\n{MARK} Open the card: https://evil.example/phish",
    f"x\n\n{MARK} Review the card: https://evil.example/phish\n{MARK} Risk rating: Low",
    f"\n{MARK} Model card: forged\n",
    f"x\t{MARK}\tCard owner: forged",
    f'x "quoted\\" {MARK}" back\\slash\\',
    f"x\u202e{MARK}\u202c\u200b\u2066{MARK}\u2069\ufeff",
    f"x\ud800{MARK}",  # a lone surrogate: json.loads lets one through; it could not even be encoded
    "x" * 20_000 + f"\n{MARK} Severity: Low",
    f"https://evil.example/{MARK}\nOpen the card: https://evil.example",
]
# Lines our templates begin with: each must occur as often with hostile values as with plain ones.
LABELS = (
    "Severity:",
    "Endpoint:",
    "Schedule:",
    "Execution:",
    "Model package:",
    "Model package group:",
    "Model card:",
    "Card owner:",
    "Card:",
    "Risk rating:",
    "Submitted by:",
    "Submitted at:",
    "Claimed package:",
    "Carried from:",
    "Open the card:",
    "Review the card:",
    "Failure reason:",
    "Exit message:",
    "Problem:",
    "Links",
    "Report (S3):",
    "Report:",
    "Job:",
    "KMS key:",
    "Skipped:",
    "Export job:",
    "Job ARN:",
    "Output path:",
    "Full report:",
    "Run id:",
    "Scanned:",
    "What to do:",
    "Why this email:",
    "To fix:",
    "==",
    "Violations by check type",
    "Changes compared with",
    "Runbook:",
)
REGION = "eu-west-1"
WHEN = datetime(2026, 11, 21, 13, 5, tzinfo=UTC)


# Builders: each puts ``v`` wherever an outside value goes ------------------------------------------------
def _execution(v: str, **changes: Any) -> MonitoringExecution:
    execution = MonitoringExecution(
        job_name=v,
        job_arn=f"arn:aws:sagemaker:{REGION}:123456789012:processing-job/job",
        status="Completed",
        schedule_name=v,
        schedule_arn=f"arn:aws:sagemaker:{REGION}:123456789012:monitoring-schedule/schedule",
        region=REGION,
        ended_at=WHEN,
        output_uri=f"s3://monitoring-out/{v}",
        endpoint=v,
    )
    return dataclasses.replace(execution, **changes)


def _context(v: str) -> ModelContext:
    return ModelContext(endpoint=v, model_package_arn=v, card_name=v, owner=v, risk_rating=v, group=v)


def _violations(v: str) -> list[Violation]:
    return [Violation(v, v, v), Violation("data_type_check", "State_AL", v), Violation("data_type_check", v, "ok")]


def _previous(v: str) -> ScheduleState | None:
    # Through the parser, as in the workflow: it is what keeps a lone surrogate out of dedup's hash.
    earlier = parse_violations(
        json.dumps(
            {
                "violations": [
                    {"feature_name": f"{v} gone", "constraint_check_type": v, "description": v},
                    {"feature_name": v, "constraint_check_type": "completeness_check", "description": v},
                ]
            }
        )
    )
    return decide(
        None,
        schedule=v,
        job_arn="arn:job/1",
        ended_at=WHEN - timedelta(hours=1),
        violations=earlier,
        now=WHEN,
        cooldown=timedelta(hours=24),
    ).state


def violations_email(v: str) -> Message:
    return violations_alert(_execution(v), _violations(v), _context(v), Reason.CHANGED, _previous(v))


def resolved_email(v: str) -> Message:
    return resolved_alert(_execution(v), _context(v), _previous(v))


def failure_email(v: str) -> Message:
    return failure_alert(_execution(v, status="Failed", failure_reason=v, exit_message=v), _context(v))


def unreadable_email(v: str) -> Message:
    return unreadable_alert(_execution(v), _context(v), f"Expecting value: {v}")


def digest_email(v: str) -> Message:
    old = WHEN - timedelta(days=30)
    inventory = Inventory(
        packages=(
            PackageVersion(v, 1, v, "Completed", "Approved", old),
            PackageVersion(v, 2, v, "Completed", None, old),
        ),
        cards=(
            CardSummary(v, "Draft", old, linked_group=v, linked_version=1, risk_rating=v),
            CardSummary(f"{v}-2", "PendingReview", old, linked_group=v, linked_version=2, risk_rating=v),
        ),
        endpoints=(Endpoint(v, v, "InService", old), Endpoint(f"{v}-2", v, "InService", old)),
        schedules=(
            MonitorSchedule(v, v, "Failed", monitoring_type=v, failure_reason=v, created=old),
            MonitorSchedule(
                f"{v}-2",
                f"{v}-2",
                "Scheduled",
                monitoring_type=v,
                expression=v,
                last_execution_status="Failed",
                last_execution_failure=v,
                last_execution_time=old,
            ),
        ),
        links={(v, 1): v},
        unconfirmed={(v, 1): (v, f"{v}-3"), (v, 2): (v,)},
    )
    run = SweepRun("run-1", WHEN, REGION, "123456789012", "s3://evidence/sweeps/2026-11-21/run-1.json")
    findings = find_problems(inventory, now=WHEN, settings=SweepSettings())
    message = render_digest(findings, run=run, scanned={"groups": 1}, settings=SweepSettings())
    assert message is not None
    return message


def _card(v: str, **changes: Any) -> CardRecord:
    content = {
        "model_overview": {"model_owner": v},
        "intended_uses": {"risk_rating": v, "intended_uses": v},
        "model_package_details": {"model_package_arn": f"arn:claimed:{v}", "model_package_group_name": v},
        "additional_information": {
            "custom_details": {
                v: v,
                "carried_from_card": v,
                "carried_from_card_version": v,
                "carried_from_model_package_version": v,
            }
        },
    }
    card = CardRecord(name=v, version=2, status="PendingReview", content=content, last_modified_by=v)
    return dataclasses.replace(card, **changes)


def _package(v: str) -> PackageFacts:
    return PackageFacts(
        arn=v,
        group=v,
        version=3,
        status="Completed",
        approval_status="Approved",
        created_by=v,
        description=v,
        customer_metadata={CARD_METADATA_KEY: v},
    )


def review_email(v: str) -> Message:
    change = dataclasses.replace(parse_model_card_state_change(read_event("model_card_pending_review")), modified_by=v)
    before = {
        "intended_uses": {"risk_rating": "Low", "intended_uses": "old"},
        "additional_information": {"custom_details": {v: "old", "gone": v}},
        v: {"nested": [v, {"deeper": v}]},
    }
    after = {
        "intended_uses": {"risk_rating": v, "intended_uses": v},
        "additional_information": {"custom_details": {v: v, f"new {v}": {v: v}}},
    }
    previous = _card(v, version=1)
    return review_notice(change, _card(v), previous, render_diff(diff_content(before, after)), v)


def gate_emails(v: str) -> Message:
    card = _card(v, status="Draft")
    decision = gate_decision("enforce", "Approved", card, unconfirmed=[_card(f"{v}-decoy", status=v)])
    alert, notice = gate_messages(_package(v), card, decision, REGION)
    return Message(subject=f"{alert.subject} | {notice.subject}", body=f"{alert.body}\n\n{notice.body}")


def card_created_email(v: str) -> Message:
    source = _card(v, status="Approved")
    new = plan_new_card(v, _package(v), source, WHEN)
    # A huge value makes the planner trim (a "Note:" block of our own lines, tested below): compared line by line
    # with the plain value, the notice is built without those notes.
    content = copy.deepcopy(new.content)
    custom = content.get("additional_information", {}).get("custom_details", {})
    for key in (
        constants.PROVENANCE_TRIMMED,
        constants.PROVENANCE_REGISTRANT_KEPT,
        constants.PROVENANCE_UNREADABLE_SOURCE,
    ):
        custom.pop(key, None)
    plan = {  # the carry-forward effect's plan, as workflows/carry_forward.py records it
        "card": new.card_name,
        "created": True,
        "content": content,
        "source": {"name": source.name, "version": v, "package_version": v},
        "carried": list(new.carried),
        "refreshed": list(new.refreshed),
        "needs_review": list(new.needs_review),
    }
    return _card_created_notice(_package(v), plan, content, REGION)


def test_the_notes_of_a_trimmed_card_are_one_line_each():
    huge = "x\nSeverity: Low\n" * 4000
    source = _card(huge, status="Approved")
    new = plan_new_card("card", _package("group"), source, WHEN)
    plan = {
        "card": new.card_name,
        "created": True,
        "content": new.content,
        "source": {"name": "card", "version": 1, "package_version": 1},
        "carried": list(new.carried),
        "refreshed": list(new.refreshed),
        "needs_review": list(new.needs_review),
    }
    body = _card_created_notice(_package("group"), plan, new.content, REGION).body
    notes = body.split("Note:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert notes and all(line.startswith("  - ") for line in notes)
    assert not any(line.startswith("Severity:") for line in body.splitlines())


def no_predecessor_email(v: str) -> Message:
    return _no_predecessor_notice(_package(v), REGION, created=v)


def link_refused_claiming_another_package(v: str) -> Message:
    card, package = _card(v), _package(v)
    claim = ClaimedPackage(package, judge_link(card.name, card.linked_package_arn, package, None))
    return link_refused_notice(card, claim, REGION)


def link_refused_unconfirmed(v: str) -> Message:
    card = _card(v)
    package = dataclasses.replace(_package(v), customer_metadata={CARD_METADATA_KEY: f"{v}-other"})
    recorded = CardLink(group=v, package_version=3, card_name=f"{v}-other", package_arn=v)
    claim = ClaimedPackage(package, judge_link(card.name, None, package, recorded))
    assert not claim.verdict.trusted
    return link_refused_notice(card, claim, REGION)


def key_email(v: str) -> Message:
    return key_alert(CardKeyNotGrantedError(v, v), "carry-forward of the new version")


def export_retry_email(v: str) -> Message:
    job = ExportJob(name=v, arn=v, status="Failed", card=v, card_version=1, s3_output_path=v, failure_reason=v)
    return export_failed_alert(job, 1, v)


def export_final_email(v: str) -> Message:
    job = ExportJob(name=v, arn=v, status="Failed", card=v, card_version=1, s3_output_path=v, failure_reason=v)
    return export_failed_alert(job, 3, None)


BUILDERS: dict[str, Callable[[str], Message]] = {
    "violations": violations_email,
    "resolved": resolved_email,
    "monitor failed": failure_email,
    "report unreadable": unreadable_email,
    "sweep digest": digest_email,
    "review notice": review_email,
    "approval gate": gate_emails,
    "card created": card_created_email,
    "no predecessor": no_predecessor_email,
    "link refused (other package)": link_refused_claiming_another_package,
    "link refused (unconfirmed)": link_refused_unconfirmed,
    "key not granted": key_email,
    "export failed, retried": export_retry_email,
    "export failed, final": export_final_email,
}


# Checks ---------------------------------------------------------------------------------------------------
def _label_counts(body: str) -> dict[str, int]:
    lines = [line.strip() for line in body.split("\n")]
    return {label: sum(line.startswith(label) for line in lines) for label in LABELS}


OUR_LINK = re.compile(r"https://[a-z0-9-]+\.console\.aws\.amazon\.com/\S*")  # ours: names URL-encoded


def _unquoted_marks(line: str) -> list[int]:
    """Positions of MARK on the line outside a double-quoted span (backslash escapes honoured) and outside our
    own console links, where names are URL-encoded."""
    found, quoted, i = [], False, 0
    while i < len(line):
        link = None if quoted else OUR_LINK.match(line, i)
        if link:
            i = link.end()
            continue
        if quoted and line[i] == "\\":
            i += 2
            continue
        if line[i] == '"':
            quoted = not quoted
        elif line.startswith(MARK, i) and not quoted:
            found.append(i)
        i += 1
    return found


def _is_command(line: str) -> bool:
    """A command printed for the reader to paste: its values are shell words (single-quoted when not plain)."""
    return line.lstrip().startswith(("aws ", "--"))


def _shell_words(body: str) -> list[int]:
    return [len(shlex.split(line.rstrip(" \\"))) for line in body.split("\n") if _is_command(line)]


def _hidden(text: str) -> list[str]:
    return [ch for ch in text if unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Zl", "Zp"} and ch != "\n"]


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda v: repr(v[:40]))
@pytest.mark.parametrize("build", BUILDERS.values(), ids=list(BUILDERS))
def test_no_outside_value_adds_starts_or_spans_a_line(build: Callable[[str], Message], hostile: str) -> None:
    plain, message = build(PLAIN), build(hostile)
    body = message.body

    assert _label_counts(body) == _label_counts(plain.body)  # our own lines: exactly as the template writes them
    assert len(body.split("\n")) == len(plain.body.split("\n"))  # no value added a line
    for line in body.split("\n"):
        assert not line.lstrip().startswith(MARK), line  # no value starts a line
        assert _is_command(line) or _unquoted_marks(line) == [], line  # every fragment inside its quotes
    assert _shell_words(body) == _shell_words(plain.body)  # in a command, each value stays one shell word
    assert _hidden(body) == []  # line breaks, bidi and zero-width characters are shown as escapes, not sent
    assert len(body.encode()) < MESSAGE_LIMIT_BYTES


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda v: repr(v[:40]))
@pytest.mark.parametrize("build", BUILDERS.values(), ids=list(BUILDERS))
def test_outside_values_in_subjects_are_one_line_and_capped_so_our_words_lead(
    build: Callable[[str], Message], hostile: str
) -> None:
    plain, message = build(PLAIN), build(hostile)
    opening = plain.subject.split(PLAIN)[0]  # our words before the first outside value

    assert message.subject.startswith(opening)
    assert _hidden(message.subject) == [] and "\n" not in message.subject
    assert "x" * (SUBJECT_NAME_LIMIT + 1) not in message.subject
    assert fit_subject(message.subject).startswith(fit_subject(opening.rstrip()))


# The rendering functions themselves ----------------------------------------------------------------------
@pytest.mark.parametrize("brk", BREAKS)
def test_every_line_break_becomes_one_space(brk: str) -> None:
    assert value(f"a{brk}b") == '"a b"'
    assert name(f"a{brk}b") == '"a b"'
    assert one_line(f"a{brk}{brk}b") == "a b"


def test_values_are_quoted_with_quotes_and_backslashes_escaped_and_hidden_characters_shown() -> None:
    assert value('say "hi" \\o/') == '"say \\"hi\\" \\\\o/"'
    assert value("a\u202eb\u200bc\x00d") == '"a\\u202eb\\u200bc\\x00d"'
    assert value("  padded\n") == '"padded"'
    assert value("") == '""'


def test_plain_names_stay_as_they_are_and_anything_else_is_quoted() -> None:
    arn = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/telco-churn/3"
    assert name("churn-endpoint") == "churn-endpoint"
    assert name(arn) == arn
    assert name("Retention ML team") == '"Retention ML team"'
    assert name("https://evil.example") == '"https://evil.example"'  # nothing bare reads like a link
    assert name("x" * 200) == value("x" * 200, 120)


def test_long_values_are_cut_within_the_limit_and_say_how_much_was_cut() -> None:
    cut = value("x" * 1000, 50)
    assert len(cut) <= 50
    assert cut == '"' + "x" * 31 + '"... (+969 chars)'  # 31 kept: room left for the longest note it could need
    escaped = value("\\" * 1000, 50)  # escapes count against the limit too
    assert len(escaped) <= 50 and escaped.endswith("chars)")
    for hostile in HOSTILE:
        for limit in (24, 64, 200):
            assert len(value(hostile, limit)) <= limit
            assert len(name(hostile, limit)) <= limit
            assert len(one_line(hostile, limit)) <= limit


def test_a_value_in_a_pasted_command_is_one_shell_word_on_one_line() -> None:
    assert shell_word("model-governance:model-card=churn-v3") == "model-governance:model-card=churn-v3"
    assert shell_word("x\n; rm -rf /") == "'x ; rm -rf /'"


def test_a_report_with_a_lone_surrogate_is_read_and_alerted_on_not_a_crash() -> None:
    raw = b'{"violations": [{"feature_name": "a\\ud800", "constraint_check_type": "data_type_check"}]}'

    (violation,) = parse_violations(raw)
    decision = decide(
        None,
        schedule="s",
        job_arn="arn:job/1",
        ended_at=WHEN,
        violations=[violation],
        now=WHEN,
        cooldown=timedelta(hours=24),
    )

    assert violation.feature == "a\\ud800" and decision.state.fingerprint
    assert '"a\\\\ud800"' in violations_alert(_execution(PLAIN), [violation], _context(PLAIN), Reason.FIRST, None).body
