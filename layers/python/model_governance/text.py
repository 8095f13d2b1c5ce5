"""Outside values in emails, rendered as data: one line, escaped, length-capped, never a line of our own.

Card content, owners, feature names, check types, failure reasons and the like come from people and other
systems. Left as they are, a value holding ``"\\nSeverity: Low"`` or ``"\\nOpen the card: https://..."``
would add lines that look like the email's own. Every builder therefore puts outside values through one of:

- ``value``: free text (owners, descriptions, reasons, card field values), always in double quotes;
- ``name``: identifiers (card, group, endpoint and schedule names, ARNs): as they are when they are one plain
  token of the characters AWS names and ARNs use, else quoted like ``value``;
- ``one_line``: a sentence of ours that embeds values another module already rendered (a trust verdict's
  reasons, a sweep finding): made one line and capped, without quotes of its own;
- ``shell_word``: a value inside a command printed for the reader to paste.

All three collapse every line break and other white space (``\\r``, ``\\n``, ``\\v``, ``\\f``, ``\\x85``,
U+2028, U+2029, tabs) into one space, and show control and format characters (zero-width, bidi overrides, lone
surrogates) as ``\\uXXXX`` escapes, so nothing is hidden and nothing can begin a line.
"""

from __future__ import annotations

import re
import shlex
import unicodedata

VALUE_LIMIT = 200  # characters of one rendered value, quotes and cut note included
NAME_LIMIT = 120
LINE_LIMIT = 600
SUBJECT_NAME_LIMIT = 64  # an outside value in a subject (any valid SageMaker name fits): our words stay visible
MIN_LIMIT = 24  # room for a few characters and the cut note

# One token of what AWS names and ARNs are made of; "//" is left out so no bare value reads like a URL.
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+=,-]*")
_HIDDEN = {"Cc", "Cf", "Cs"}  # control, format (zero-width, bidi), surrogate: shown as escapes


def value(text: object, limit: int = VALUE_LIMIT) -> str:
    """``text`` as one double-quoted line, ``\\`` and ``"`` escaped, at most ``limit`` characters in all."""
    pieces = [_QUOTED.get(ch, ch) for ch in _pieces(_collapse(str(text)))]
    return _fit(pieces, limit, '"', '"')


def name(text: object, limit: int = NAME_LIMIT) -> str:
    """An identifier as it is when it is one plain token that fits ``limit``; otherwise ``value(text)``."""
    raw = str(text)
    if len(raw) <= limit and _PLAIN.fullmatch(raw) and "//" not in raw:
        return raw
    return value(raw, limit)


def one_line(text: str, limit: int = LINE_LIMIT) -> str:
    """Text of ours that embeds already-rendered values: one line, escapes for hidden characters, capped."""
    return _fit(_pieces(_collapse(text)), limit, "", "")


def shell_word(text: str, limit: int = LINE_LIMIT) -> str:
    """A value inside a command the reader may paste: one line, one shell word (a plain token stays as it is)."""
    return shlex.quote(one_line(text, limit))


def _collapse(text: str) -> str:
    # str.split() splits on every Unicode white space and line break: \r \n \v \f \x1c-\x1f \x85 U+2028 U+2029
    return " ".join(text.split())


def _pieces(text: str) -> list[str]:
    """One rendered piece per character: itself, or an escape when it is a control or format character."""
    return [_escape(ch) if unicodedata.category(ch) in _HIDDEN else ch for ch in text]


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


_QUOTED = {"\\": "\\\\", '"': '\\"'}


def _fit(pieces: list[str], limit: int, opening: str, closing: str) -> str:
    """The pieces between ``opening`` and ``closing``; cut when longer than ``limit``, saying how much was cut."""
    if limit < MIN_LIMIT:
        raise ValueError(f"limit must be at least {MIN_LIMIT}, got {limit}")
    whole = opening + "".join(pieces) + closing
    if len(whole) <= limit:
        return whole
    room = limit - len(opening) - len(closing) - len(_cut_note(len(pieces)))  # the largest note this text can need
    kept, used = 0, 0
    for piece in pieces:
        if used + len(piece) > room:
            break
        kept, used = kept + 1, used + len(piece)
    while kept and pieces[kept - 1] == " ":
        kept -= 1
    return opening + "".join(pieces[:kept]) + closing + _cut_note(len(pieces) - kept)


def _cut_note(cut: int) -> str:
    return f"... (+{cut} chars)"
