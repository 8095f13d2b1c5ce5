"""Outside values in emails, rendered as data: one line, escaped, length-capped, never a line of our own.

Card content, owners, feature names, check types, failure reasons and the like come from people and other
systems. Left as they are, a value holding ``"\\nSeverity: Low"`` or ``"\\nOpen the card: https://..."``
would add lines that look like the email's own. Every builder therefore puts outside values through one of:

- ``value``: free text (owners, descriptions, reasons, card field values), always in double quotes;
- ``name``: identifiers (card, group, endpoint and schedule names, ARNs): as they are when they are one plain
  token of the characters AWS names and ARNs use, else quoted like ``value``;
- ``one_line``: a sentence of ours that embeds values another module already rendered (a trust verdict's
  reasons, a sweep finding): made one line and capped, without quotes of its own;
- ``shell_word``: a value inside a command printed for the reader to paste;
- ``url_part``: a name inside a link of ours;
- ``chat``: text (an email's line, a subject) inside a Slack or Microsoft Teams message through AWS Chatbot,
  whose client markdown would otherwise turn ``<!channel>``, ``@here``, ``<url|label>``, ``[label](url)`` or a
  backtick into a ping, a link or a code block of someone else's choosing.

Each of them collapses every line break and other white space (``\\r``, ``\\n``, ``\\v``, ``\\f``, ``\\x85``,
U+2028, U+2029, tabs) into one space, and shows control and format characters (zero-width, bidi overrides, lone
surrogates) as escapes such as ``\\u202e``, so nothing is hidden and nothing can begin a line.
"""

from __future__ import annotations

import re
import shlex
import unicodedata
from urllib.parse import quote

VALUE_LIMIT = 200  # characters of one rendered value, quotes and cut note included
NAME_LIMIT = 120
LINE_LIMIT = 600
SUBJECT_NAME_LIMIT = 64  # an outside value in a subject (any valid SageMaker name fits): our words stay visible
MIN_LIMIT = 24  # room for a few characters and the cut note
URL_NAME_LIMIT = 128  # characters of a name inside a link: twice SageMaker's longest

# One token of what AWS names and ARNs are made of; "//" is left out so no bare value reads like a URL.
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+=,-]*")
_HIDDEN = {"Cc", "Cf", "Cs"}  # control, format (zero-width, bidi), surrogate: shown as escapes


def value(text: object, limit: int = VALUE_LIMIT) -> str:
    """``text`` as one double-quoted line, ``\\`` and ``"`` escaped, at most ``limit`` characters in all."""
    clean = _collapse(str(text))
    pieces = [_QUOTED.get(ch, ch) for ch in _pieces(clean[:limit])]  # no character past ``limit`` can fit
    return _fit(pieces, len(clean), limit, '"', '"')


def name(text: object, limit: int = NAME_LIMIT) -> str:
    """An identifier as it is when it is one plain token that fits ``limit``; otherwise ``value(text)``."""
    raw = str(text)
    if len(raw) <= limit and _PLAIN.fullmatch(raw) and "//" not in raw:
        return raw
    return value(raw, limit)


def one_line(text: str, limit: int = LINE_LIMIT) -> str:
    """Text of ours that embeds already-rendered values: one line, escapes for hidden characters, capped."""
    clean = _collapse(text)
    return _fit(_pieces(clean[:limit]), len(clean), limit, "", "")


def shell_word(text: str, limit: int = LINE_LIMIT) -> str:
    """A value inside a command the reader may paste: one line, one shell word (a plain token stays as it is)."""
    return shlex.quote(one_line(text, limit))


def url_part(text: str, *, safe: str = "", limit: int = URL_NAME_LIMIT) -> str:
    """A name inside a link of ours, URL-encoded: it cannot end the path, add a query or break the line.

    Only its first ``limit`` characters count: no real name is longer (SageMaker names have at most 63, S3 keys
    1,024 bytes), and an impossible one must not blow up the email (each character may take 12 encoded)."""
    return quote(text[:limit], safe=safe, errors="backslashreplace")


# Chat markdown (Slack mrkdwn, Teams markdown) gives these characters structure: each becomes a look-alike
# that has none, so the reader still sees what the value holds. "<" ">" "&" open Slack's control sequences
# (<!channel>, <@U123>, <https://x|label>, &lt;); "@" starts a mention; "`" opens or closes code (an outside
# value could end the code block its line sits in); "[" "]" make a Teams link; "|" a Slack link label.
_CHAT = str.maketrans(
    {
        "<": "\u2039",  # single left-pointing angle quotation mark
        ">": "\u203a",
        "&": "\uff06",  # fullwidth ampersand
        "@": "\uff20",  # fullwidth commercial at
        "`": "\u02cb",  # modifier letter grave accent
        "[": "\uff3b",
        "]": "\uff3d",
        "|": "\u2223",  # divides
    }
)
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*):(?=//)")  # "https://": a chat client would make it a link


def chat(text: str, limit: int = LINE_LIMIT) -> str:
    """``text`` for a chat message: one line (as ``one_line``), without a character that chat markdown reads
    as a mention, a link, a control sequence or code, and without a scheme (``https://``) a client would link.

    For text that is not a link of ours: our links are put in a chat message on their own (chat/notifications)."""
    return _SCHEME.sub(lambda m: m.group(1) + "\uff1a", one_line(text, limit).translate(_CHAT))


def _collapse(text: str) -> str:
    # str.split() splits on every Unicode white space and line break: \r \n \v \f \x1c-\x1f \x85 U+2028 U+2029
    return " ".join(text.split())


def _pieces(text: str) -> list[str]:
    """One rendered piece per character: itself, or an escape when it is a control or format character."""
    if text.isprintable():  # the common case, checked in C: no control, format or surrogate character
        return list(text)
    return [_escape(ch) if unicodedata.category(ch) in _HIDDEN else ch for ch in text]


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


_QUOTED = {"\\": "\\\\", '"': '\\"'}


def _fit(pieces: list[str], total: int, limit: int, opening: str, closing: str) -> str:
    """The pieces (of the first characters of a ``total``-character text) between ``opening`` and ``closing``;
    cut when longer than ``limit``, saying how many characters were cut."""
    if limit < MIN_LIMIT:
        raise ValueError(f"limit must be at least {MIN_LIMIT}, got {limit}")
    if len(pieces) == total:
        whole = opening + "".join(pieces) + closing
        if len(whole) <= limit:
            return whole
    room = limit - len(opening) - len(closing) - len(_cut_note(total))  # the largest note this text can need
    kept, used = 0, 0
    for piece in pieces:
        if used + len(piece) > room:
            break
        kept, used = kept + 1, used + len(piece)
    while kept and pieces[kept - 1] == " ":
        kept -= 1
    return opening + "".join(pieces[:kept]) + closing + _cut_note(total - kept)


def _cut_note(cut: int) -> str:
    return f"... (+{cut} chars)"
