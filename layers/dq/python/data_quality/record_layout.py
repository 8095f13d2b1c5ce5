"""Read a block of JSON Lines whose records share one layout, a whole block at a time, with numpy.

A million capture records parsed one by one (orjson, then a dict walk) cost about 3 us each: most of a model-quality
run. But SageMaker writes every record of an endpoint in one compact layout, and the merge needs only a few short
string values of it (the output, the eventId, the inferenceTime). A ``Layout`` spells that layout: literal bytes and
named string values, left to right. ``read_layout`` checks every line of a block against it at once, right to left
from each line's end: each literal is compared as little-endian 64-bit words, and each value is found by its opening
quote (the nearest quote to its left: a JSON string value holds no bare quote). Only the bytes near the values are
touched, however long the rest of the record (the captured request) is.

A value is read here only when it is plain: printable ASCII, no backslash (no escape to decode), at most
``Value.longest`` bytes. Any line that differs from the layout in any byte the layout spells, or has a value that
is not plain, is left unmatched: the caller parses those lines one by one, so they get exactly the verdict they
always had. A layout may start with ``Skip``: bytes the merge does not need (the captured request), between the
line's opening literal and the rest, that are not checked beyond the literal that opens and closes them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Positions = npt.NDArray[np.int64]
Words = npt.NDArray[np.uint64]

_QUOTE, _BACKSLASH, _NEWLINE = 0x22, 0x5C, 0x0A
_LOW7 = np.uint64(0x7F7F7F7F7F7F7F7F)
_ONES = np.uint64(0x0101010101010101)


@dataclass(frozen=True)
class Value:
    """A JSON string value the reader extracts (its bytes between the quotes)."""

    name: str
    longest: int = 128
    shortest: int = 0


@dataclass(frozen=True)
class Skip:
    """Bytes left unread: empty, or opening with ``opens`` and closing with ``closes``."""

    opens: bytes
    closes: bytes


@dataclass(frozen=True)
class Layout:
    """A line: an opening literal, optionally a Skip, then literals and Values, ending with a literal."""

    head: bytes
    pieces: tuple[bytes | Value, ...]
    skip: Skip | None = None


@dataclass(frozen=True)
class Lines:
    """A block's lines: where each starts and ends (the end excludes the newline), and the block as ``words``:
    words[i] is the 8 bytes from block[i] as one little-endian integer (zeros past the end)."""

    block: bytes
    starts: Positions
    ends: Positions
    words: Words

    @classmethod
    def of(cls, block: bytes) -> Lines:
        data = np.frombuffer(block, dtype=np.uint8)
        ends = np.flatnonzero(data == _NEWLINE)
        if not block.endswith(b"\n") and block:
            ends = np.append(ends, len(block))
        starts = np.empty_like(ends)
        if len(ends):
            starts[0] = 0
            starts[1:] = ends[:-1] + 1
        words = np.ndarray((len(block) + 1,), dtype="<u8", buffer=block + bytes(8), strides=(1,))
        return cls(block, starts.astype(np.int64), ends.astype(np.int64), words)

    def __len__(self) -> int:
        return len(self.ends)

    def text(self, line: int) -> bytes:
        return self.block[self.starts[line] : self.ends[line]]


@dataclass(frozen=True)
class Found:
    """The lines a layout matched (line numbers in the block) and each value's [start, end) in the block."""

    lines: Positions
    values: dict[str, tuple[Positions, Positions]]

    def distinct(self, lines: Lines, name: str) -> tuple[npt.NDArray[np.bytes_], Positions]:
        """The distinct values of the named value, and each matched line's index into them."""
        return distinct(self.strings(lines, name))

    def strings(self, lines: Lines, name: str) -> npt.NDArray[np.bytes_]:
        """The named value of each matched line as a fixed-width bytes array (NUL-padded, as numpy pads)."""
        if not len(self.lines):
            return np.zeros(0, dtype="S8")
        starts, ends = self.values[name]
        lengths = ends - starts
        count = max(-(-int(lengths.max()) // 8), 1) if len(lengths) else 1
        offsets = 8 * np.arange(count)
        cells = lines.words[np.minimum(starts[:, None] + offsets, len(lines.words) - 1)]  # 8 bytes a cell
        left = np.clip(lengths[:, None] - offsets, 0, 8).astype(np.uint64)  # bytes of the value in each cell
        cells &= np.where(left == 8, ~np.uint64(0), (np.uint64(1) << (np.uint64(8) * left)) - np.uint64(1))
        return np.ascontiguousarray(cells).view(f"S{8 * count}").ravel()


def distinct(values: npt.NDArray[np.bytes_]) -> tuple[npt.NDArray[np.bytes_], Positions]:
    """Groups of equal values: their values (one per group; a value may head two groups) and each value's group.

    Consecutive equal values (capture times, in order) are one group, when such runs are few; otherwise the groups
    are the distinct values, found by sorting a hash of each (integers, not strings) and checked byte for byte."""
    if not len(values):
        return values, np.zeros(0, dtype=np.int64)
    hashes = value_hashes(values)
    starts = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1]])
    if len(starts) * 8 <= len(values):
        group = np.cumsum(np.r_[True, hashes[1:] != hashes[:-1]]) - 1
        heads = values[starts]
    else:
        _, first, group = np.unique(hashes, return_index=True, return_inverse=True)
        group = group.ravel()
        heads = values[first]
    if np.any(heads[group] != values):  # two values, one hash: sort the strings themselves
        heads, group = np.unique(values, return_inverse=True)
        group = group.ravel()
    return heads, group.astype(np.int64)


def value_hashes(values: npt.NDArray[np.bytes_]) -> npt.NDArray[np.uint64]:
    """A 64-bit hash of each value, the same whatever the array's width (NUL padding adds nothing)."""
    width = values.dtype.itemsize
    if width % 8:  # widen to whole 8-byte words (``strings`` already gives whole words)
        padded = np.zeros((len(values), width + 8 - width % 8), dtype=np.uint8)
        padded[:, :width] = values.view(np.uint8).reshape(len(values), width)
        values = padded.view(f"S{padded.shape[1]}").ravel()
    words = np.ascontiguousarray(values).view("<u8").reshape(len(values), values.dtype.itemsize // 8)
    hashes = np.zeros(len(values), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in range(words.shape[1]):
            mixed = words[:, column] * np.uint64(0x9E3779B97F4A7C15 + 2 * column)
            hashes ^= mixed ^ (mixed >> np.uint64(29))
        hashes *= np.uint64(0xBF58476D1CE4E5B9)
        hashes ^= hashes >> np.uint64(32)
    return hashes


def read_layout(lines: Lines, layout: Layout, among: Positions | None = None) -> Found:
    """The lines (all, or those in ``among``) that match ``layout``, with their values."""
    rows = np.arange(len(lines), dtype=np.int64) if among is None else among
    words = lines.words
    starts, pos = lines.starts[rows], lines.ends[rows].copy()
    ok = np.ones(len(rows), dtype=np.bool_)
    values: dict[str, tuple[Positions, Positions]] = {}
    for piece in reversed(layout.pieces):
        if isinstance(piece, bytes):
            pos -= len(piece)
            ok &= (pos >= starts) & _literal_at(words, np.maximum(pos, 0), piece)
        else:
            found, start = _value_start(words, pos, piece.longest)
            ok &= found & (start > starts) & (pos - start >= piece.shortest)
            values[piece.name] = (start, pos.copy())
            pos = start.copy()
    head = starts + len(layout.head)
    ok &= _literal_at(words, starts, layout.head)
    if layout.skip is None:
        ok &= pos == head
    else:
        opens, closes = layout.skip.opens, layout.skip.closes
        skipped = pos > head
        long_enough = pos - len(closes) >= head + len(opens)
        ok &= (pos == head) | (
            skipped
            & long_enough
            & _literal_at(words, head, opens)
            & _literal_at(words, np.maximum(pos - len(closes), 0), closes)
        )
    kept = np.flatnonzero(ok)
    return Found(rows[kept], {name: (s[kept], e[kept]) for name, (s, e) in values.items()})


def _literal_at(words: Words, pos: Positions, literal: bytes) -> npt.NDArray[np.bool_]:
    """Whether ``literal`` is at each position, compared 8 bytes at a time."""
    last = len(words) - 1 - 8 * ((len(literal) - 1) // 8)  # the last position all its words can be read from
    if last < 0:
        return np.zeros(len(pos), dtype=np.bool_)
    ok = pos <= last
    pos = np.minimum(pos, last)
    for offset in range(0, len(literal), 8):
        chunk = literal[offset : offset + 8]
        expected = np.uint64(int.from_bytes(chunk, "little"))
        if len(chunk) == 8:
            ok &= words[pos + offset] == expected
        else:
            ok &= (words[pos + offset] & np.uint64((1 << (8 * len(chunk))) - 1)) == expected
    return ok


def _zero_bytes(x: Words) -> Words:
    """0x80 in each byte of x that is zero, nothing elsewhere (exact: no borrow between bytes)."""
    return ~(((x & _LOW7) + _LOW7) | x | _LOW7)


def _value_start(words: Words, end: Positions, longest: int) -> tuple[npt.NDArray[np.bool_], Positions]:
    """Where the plain string value that ends at ``end`` (its closing quote) starts: one past the nearest quote to
    its left, within ``longest`` bytes, with no backslash, control byte or non-ASCII byte in between.

    Values of one field often share a length (eventIds, times): when the first lines' values do, that length is
    tried for all at once, and only the lines it does not fit are searched word by word."""
    found = np.zeros(len(end), dtype=np.bool_)
    start = np.zeros(len(end), dtype=np.int64)
    if not len(end):
        return found, start
    sample_found, sample_start = _search(words, end[:16], longest)
    lengths = (end[:16] - sample_start)[sample_found]
    if len(lengths) and np.all(lengths == lengths[0]):
        length = int(lengths[0])
        found = (end - length - 1 >= 0) & _plain(words, end - length, length) & _quote_at(words, end - length - 1)
        start[found] = end[found] - length
    rest = np.flatnonzero(~found)
    found[rest], start[rest] = _search(words, end[rest], longest)
    return found, start


def _plain(words: Words, start: Positions, length: int) -> npt.NDArray[np.bool_]:
    """Whether [start, start + length) holds no quote, backslash, control or non-ASCII byte."""
    ok = np.ones(len(start), dtype=np.bool_)
    for offset in range(0, length, 8):
        word = words[np.maximum(start + offset, 0)]
        bad = _bad(word)
        if length - offset < 8:
            bad &= np.uint64((1 << (8 * (length - offset))) - 1)
        ok &= bad == 0
    return ok


def _quote_at(words: Words, at: Positions) -> npt.NDArray[np.bool_]:
    return (words[np.maximum(at, 0)] & np.uint64(0xFF)) == np.uint64(_QUOTE)


def _bad(word: Words) -> Words:
    """0x80 (or more) in each byte of ``word`` that may not be in a plain value: a quote, a backslash, a byte
    below 0x20 or of 0x80 and more."""
    return (
        _zero_bytes(word ^ (_ONES * np.uint64(_QUOTE)))
        | _zero_bytes(word ^ (_ONES * np.uint64(_BACKSLASH)))
        | _zero_bytes(word & (_ONES * np.uint64(0xE0)))
        | (word & (_ONES * np.uint64(0x80)))
    )


def _search(words: Words, end: Positions, longest: int) -> tuple[npt.NDArray[np.bool_], Positions]:
    """The nearest quote left of each ``end``, 8 bytes at a time."""
    found = np.zeros(len(end), dtype=np.bool_)
    start = np.zeros(len(end), dtype=np.int64)
    pending = np.arange(len(end))
    for step in range(1, (longest + 7) // 8 + 2):  # the value and its opening quote fit in these words
        if not len(pending):
            break
        at = end[pending] - 8 * step  # the 8 bytes just left of the part already searched
        word = words[np.maximum(at, 0)]
        quotes = _zero_bytes(word ^ (_ONES * np.uint64(_QUOTE)))
        bad = (
            _zero_bytes(word ^ (_ONES * np.uint64(_BACKSLASH)))
            | _zero_bytes(word & (_ONES * np.uint64(0xE0)))  # a byte below 0x20
            | (word & (_ONES * np.uint64(0x80)))  # a byte of 0x80 or more
        )
        has_quote = (quotes != 0) & (at >= 0)
        highest = np.zeros(len(pending), dtype=np.int64)  # the byte (0-7) of the nearest quote, when there is one
        highest[has_quote] = (np.log2(quotes[has_quote].astype(np.float64)).astype(np.int64)) // 8
        above = np.where(has_quote, highest + 1, 0)  # bytes of the value in this word start here
        keep = np.where(above >= 8, np.uint64(0), ~np.uint64(0) << (np.uint64(8) * above.astype(np.uint64)))
        clean = (bad & keep) == 0
        done = has_quote & clean
        found[pending[done]] = True
        start[pending[done]] = at[done] + above[done]
        pending = pending[~has_quote & clean & (at > 0)]
    found &= end - start <= longest
    return found, start
