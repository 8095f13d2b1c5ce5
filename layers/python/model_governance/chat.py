"""Alerts and notices as AWS Chatbot custom notifications (Slack, Microsoft Teams): one rendering for every email.

Every builder (monitoring/render.py, sweep/digest.py, the review, gate, carry-forward and key notices) writes
one plain-text email whose outside values are already data (model_governance.text). The chat message is derived
from that email, so it holds the same facts and links and no builder renders twice:

- the title is the subject;
- the description is the email's lines in a code block, so the aligned columns stay readable and nothing in them
  becomes a mention, a link or formatting; each line also goes through ``text.chat``, so no value can end the
  code block or reach Slack's control sequences;
- our links (AWS console URLs the builders made, names URL-encoded) become the next steps, clickable;
- keywords and metadata carry only our own literals (severity, event type): Chatbot custom actions can read
  metadata, and an outside value must not reach a command.

Chatbot's schema: https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html (version "1.0",
source "custom", textType "client-markdown").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from model_governance import text

SEVERITIES = ("High", "Medium", "Low", "Unknown")
TITLE_LIMIT = 250  # characters of the title
DESCRIPTION_LIMIT = 3000  # characters of the description: one Slack section block, a short Teams card
LINE_WIDTH = 1200  # characters of one email line in the chat (a report URI line is the longest)
MAX_NEXT_STEPS = 6
FENCE = "```"

# A line of ours that ends in one of our links: "Open the card: https://...", "  Report:    https://...". Its
# label is our words only (letters, spaces, brackets), and the URL is an AWS console URL with no quote in it:
# an outside value never starts a line and is quoted when it holds "//" (text.py), so it cannot match.
_OUR_LINK = re.compile(
    r"^\s*(?P<label>[A-Za-z][A-Za-z ()]*?)\s*:?\s+"
    r"(?P<url>https://(?:[a-z0-9-]+\.)*(?:console\.aws\.amazon\.com|console\.amazonaws\.cn)/[^\s\"'`<>|]*)$"
)


def severity_of(attributes: Mapping[str, Any]) -> str:
    """The message's severity for chat and filter policies: its ``severity`` attribute, else the model card's
    risk rating, else Unknown (always one of SEVERITIES)."""
    for key in ("severity", "risk_rating"):
        candidate = attributes.get(key)
        if isinstance(candidate, str) and candidate in SEVERITIES:
            return candidate
    return "Unknown"


def our_links(body: str) -> list[tuple[str, str]]:
    """(label, URL) of each line of ours that ends in one of our console links, in the email's order."""
    links = []
    for line in body.splitlines():
        match = _OUR_LINK.match(line)
        if match:
            links.append((match["label"].strip(), match["url"]))
    return links


def chat_notification(subject: str, body: str, attributes: Mapping[str, Any], *, facts: bool = True) -> dict[str, Any]:
    """The custom notification for ``subject`` and ``body`` (an email of ours). ``facts=False`` leaves the
    description to one line pointing at the email: for a message too large for SNS with the facts in it."""
    severity = severity_of(attributes)
    event_type = str(attributes.get("event_type") or "notice")
    links = our_links(body)
    steps = [f"{label}: {url}" for label, url in links[:MAX_NEXT_STEPS]]
    description = _described(body) if facts else "The email to this topic has the details."
    return {
        "version": "1.0",
        "source": "custom",
        "content": {
            "textType": "client-markdown",
            "title": text.chat(subject, TITLE_LIMIT),
            "description": description,
            "nextSteps": steps,
            "keywords": [severity, _keyword(event_type)],
        },
        "metadata": {
            "eventType": _keyword(event_type),
            "additionalContext": {"severity": severity, "event_type": _keyword(event_type)},
        },
    }


def _described(body: str) -> str:
    """The email's lines in a code block (lines ending in a link shown as a next step left out), cut to
    DESCRIPTION_LIMIT with a line saying how many lines the email has beyond it."""
    lines = [line for line in body.splitlines() if not _OUR_LINK.match(line)]
    while lines and not lines[-1].strip():
        lines.pop()
    rendered: list[str] = []
    used = len(FENCE) * 2 + 2
    for index, line in enumerate(lines):
        indent = line[: len(line) - len(line.lstrip(" "))][:8]
        shown = indent + text.chat(line.strip(), LINE_WIDTH) if line.strip() else ""
        note = f"... {len(lines) - index} more lines: the email has the full text"
        if used + len(shown) + 1 > DESCRIPTION_LIMIT - len(note) - 1:
            rendered.append(note)
            break
        rendered.append(shown)
        used += len(shown) + 1
    return "\n".join([FENCE, *rendered, FENCE])


def _keyword(event_type: str) -> str:
    """Event types are our literals; anything else is cut to the characters they use."""
    return re.sub(r"[^a-z0-9_]", "", event_type.lower())[:64] or "notice"
