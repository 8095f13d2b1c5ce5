"""Split CSV rows into fields and type every field the way Deequ does, vectorised over the raw bytes.

Deequ (``StatefulDataType.scala``, aws-facts 2.7) types each non-null value by regex:
Integral ``^(-|\\+)? ?\\d+$``, Fractional ``^(-|\\+)? ?\\d+((\\.\\d+)|((?:\\.\\d+)?[Ee][-+]?\\d+))$``, else String.
Running two regexes and ``float()`` per value in Python costs about 1 us each. Here a block of rows is one byte
array: fields made only of digits, ``-`` and ``.`` (nearly every numeric payload) are typed by where their
``-`` and ``.`` sit, and their values are computed from the digits with integer arithmetic (Clinger's exact
fast path: at most 15 digits, so the result is the correctly rounded double ``float()`` gives). The rare
numeric-looking fields with ``+``, a space or an exponent go through the regexes one by one; any other byte
makes a field a String.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# Field kinds (codes in FieldTable.kind).
NULL, INTEGRAL, FRACTIONAL, STRING = 0, 1, 2, 3

_COMMA, _NEWLINE, _MINUS, _DOT, _ZERO = b",\n-.0"
_SIMPLE = b"0123456789.-,\n"  # the bytes of plain numbers and separators
_NUMBER_ALPHABET = _SIMPLE + b"+eE "  # every byte Deequ's numeric regexes can match
_OUTSIDE_SIMPLE = np.ones(256, dtype=np.bool_)
_OUTSIDE_SIMPLE[list(_SIMPLE)] = False
_OUTSIDE_NUMBERS = np.ones(256, dtype=np.bool_)
_OUTSIDE_NUMBERS[list(_NUMBER_ALPHABET)] = False
_INTEGRAL = re.compile(r"(-|\+)? ?[0-9]+")  # Java's \d is ASCII only: [0-9]
_FRACTIONAL = re.compile(r"(-|\+)? ?[0-9]+((\.[0-9]+)|((?:\.[0-9]+)?[Ee][-+]?[0-9]+))")
_EXACT_DIGITS = 15  # below 2^53: the integer and its power of ten are exact doubles, one division rounds once
_WIDEST_EXACT = _EXACT_DIGITS + 2  # with a sign and a dot
_POWERS = 10 ** np.arange(_EXACT_DIGITS + 1, dtype=np.int64)


@dataclass(frozen=True)
class FieldTable:
    """A block of CSV rows as two dense (rows x width) matrices: each cell's kind and its numeric value.

    Short rows are padded with nulls; ``strings`` keeps the text of String cells per column (the only text
    the profile needs: numeric cells are profiled from ``values``).
    """

    rows: int
    width: int  # the most fields any row has
    kind: npt.NDArray[np.int8]  # (rows, width): NULL | INTEGRAL | FRACTIONAL | STRING
    values: npt.NDArray[np.float64]  # (rows, width): the number, NaN where the cell is not numeric
    strings: dict[int, list[str]]  # column -> text of its String cells

    def counts(self, column: int) -> tuple[int, int, int, int]:
        """(nulls, integral, fractional, string) cells of a column."""
        kinds = np.bincount(self.kind[:, column], minlength=4)
        return int(kinds[NULL]), int(kinds[INTEGRAL]), int(kinds[FRACTIONAL]), int(kinds[STRING])

    def numeric_values(self, column: int) -> npt.NDArray[np.float64]:
        """The numeric (Integral or Fractional) values of one column."""
        cells = self.values[:, column]
        return cells[~np.isnan(cells)] if self.width else cells

    def numbers(self, column: int, numeric: int) -> npt.NDArray[np.float64]:
        """``numeric_values`` of a column with ``numeric`` numeric cells, without a copy when all are."""
        return self.values[:, column] if numeric == self.rows else self.numeric_values(column)


def unquote_rows(rows: list[str]) -> list[str]:
    """Rows with quoted fields rewritten without quotes (the typing below reads bare fields).

    A comma inside a quoted field would split it: such payloads are not tabular feature vectors.
    """
    return [",".join(next(csv.reader(io.StringIO(row)))) if '"' in row else row for row in rows]


def split_and_type(rows: list[str]) -> FieldTable:
    """Fields of ``rows`` (one CSV row each, no newline inside), typed per Deequ's regexes."""
    if not rows:
        return FieldTable(0, 0, np.zeros((0, 0), np.int8), np.zeros((0, 0)), {})
    text = "\n".join(rows) + "\n"
    if '"' in text:
        text = "\n".join(unquote_rows(rows)) + "\n"
    encoded = text.encode()
    data = np.frombuffer(encoded, dtype=np.uint8)
    ends = np.flatnonzero((data == _COMMA) | (data == _NEWLINE))  # one separator after every field
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    row_ends = np.flatnonzero(data[ends] == _NEWLINE)  # index of each row's last field
    row_widths = np.diff(row_ends, prepend=-1)
    width = int(row_widths.max())
    field_kind, field_values = _type_fields(encoded, data, starts, ends)

    string_fields = np.flatnonzero(field_kind == STRING)
    if len(ends) == len(rows) * width:  # every row equally wide: the fields are the cells, in order
        kind, values, columns = field_kind, field_values, string_fields % width
    else:
        row_of_field = np.repeat(np.arange(len(rows)), row_widths)
        first_of_row = np.repeat(np.concatenate(([0], row_ends[:-1] + 1)), row_widths)
        cell = row_of_field * width + (np.arange(len(ends)) - first_of_row)
        kind = np.full(len(rows) * width, NULL, dtype=np.int8)
        kind[cell] = field_kind
        values = np.full(len(rows) * width, np.nan)
        values[cell] = field_values
        columns = cell[string_fields] % width
    strings: dict[int, list[str]] = {}
    for column, string in zip(columns.tolist(), _texts(text, encoded, starts, ends, string_fields), strict=True):
        strings.setdefault(column, []).append(string)
    # column-major: the profile reads one column at a time, each then one contiguous run
    kind_matrix = np.asfortranarray(kind.reshape(len(rows), width))
    values_matrix = np.asfortranarray(values.reshape(len(rows), width))
    return FieldTable(len(rows), width, kind_matrix, values_matrix, strings)


def short_decimals(values: npt.NDArray[np.bytes_]) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    """Which of ``values`` (a fixed-width bytes array) are plain decimals (``-?\\d+(\\.\\d+)?``) of at most 8 bytes,
    and their numbers (NaN for the rest), each value read as one 64-bit word: the dot taken out, the digits turned
    into an integer by simdjson's eight-digit multiply-and-shift, one division by a power of ten rounding it once,
    exactly as float() does (Clinger's fast path: fewer than 16 digits)."""
    width = values.dtype.itemsize
    if width % 8:  # whole words (``record_layout.Found.strings`` gives them)
        values = values.astype(f"S{width + 8 - width % 8}")
    words = np.ascontiguousarray(values).view("<u8").reshape(len(values), -1)
    word = words[:, 0]
    plain = ~words[:, 1:].any(axis=1)  # nothing past the first 8 bytes
    with np.errstate(over="ignore"):
        signed = (word & _U64(0xFF)) == _MINUS
        word = np.where(signed, word >> _U64(8), word)
        length = _bytes_before_nul(word)
        plain &= np.where(
            length >= 8, True, (word >> (_U64(8) * length.clip(0, 7).astype(np.uint64))) == 0
        )  # no NUL inside
        dots = _match_bytes(word, _DOT) & _below(length)
        dot_at = _lowest_byte(dots)
        one_dot = (dots & (dots - _U64(1))) == 0
        has_dot = dots != 0
        low = word & _below(dot_at)
        digits = np.where(
            has_dot,
            low | ((word >> (_U64(8) * (dot_at + 1).astype(np.uint64))) << (_U64(8) * dot_at.astype(np.uint64))),
            word,
        )
        count_digits = length - has_dot
        mask = _below(count_digits)
        zeros = _U64(0x3030303030303030) & mask
        plain &= (
            one_dot
            & (count_digits >= 1)
            & (~has_dot | ((dot_at >= 1) & (dot_at < length - 1)))
            & ((digits & _U64(0xF0F0F0F0F0F0F0F0) & mask) == zeros)
            & (((digits + _U64(0x0606060606060606)) & _U64(0xF0F0F0F0F0F0F0F0) & mask) == zeros)
        )
        value = (digits - zeros) << (_U64(8) * (8 - count_digits).clip(0, 7).astype(np.uint64))
        value = np.where(count_digits >= 8, digits - zeros, value)
        value = value * _U64(10) + (value >> _U64(8))
        value = (
            (value & _U64(0x000000FF000000FF)) * _U64(100 + (1000000 << 32))
            + ((value >> _U64(16)) & _U64(0x000000FF000000FF)) * _U64(1 + (10000 << 32))
        ) >> _U64(32)
    decimals = np.where(has_dot, length - 1 - dot_at, 0).clip(0, 7)
    numbers = value.astype(np.float64) / _TEN_POWERS[decimals]
    return plain, np.where(plain, np.where(signed, -numbers, numbers), np.nan)


_U64 = np.uint64
_TEN_POWERS = 10.0 ** np.arange(16)
_LOW7 = np.uint64(0x7F7F7F7F7F7F7F7F)


def _match_bytes(word: npt.NDArray[np.uint64], byte: int) -> npt.NDArray[np.uint64]:
    """0x80 in each byte of ``word`` equal to ``byte`` (exact: no borrow between bytes)."""
    x = word ^ (_U64(0x0101010101010101) * _U64(byte))
    return ~(((x & _LOW7) + _LOW7) | x | _LOW7)


def _below(count: npt.NDArray[np.int64]) -> npt.NDArray[np.uint64]:
    """A mask of each word's first ``count`` bytes (0 to 8)."""
    shift = (_U64(8) * count.clip(0, 8).astype(np.uint64)) & _U64(63)
    return np.where(count >= 8, ~_U64(0), (_U64(1) << shift) - _U64(1))


def _lowest_byte(flags: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
    """The index of the lowest byte flagged 0x80 (8 when none)."""
    lowest = flags & (~flags + _U64(1))
    index = np.full(len(flags), 8, dtype=np.int64)
    some = lowest != 0
    index[some] = np.log2(lowest[some].astype(np.float64)).astype(np.int64) // 8
    return index


def _bytes_before_nul(word: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
    return _lowest_byte(_match_bytes(word, 0))


def _texts(
    text: str, encoded: bytes, starts: npt.NDArray[np.intp], ends: npt.NDArray[np.intp], which: npt.NDArray[np.intp]
) -> list[str]:
    if len(which) * 8 > len(ends):  # many: one split is cheaper than slicing each (UTF-8 never hides a , or \n)
        fields = text.replace("\n", ",").split(",")
        return [fields[i] for i in which.tolist()]
    return [encoded[s:e].decode() for s, e in zip(starts[which].tolist(), ends[which].tolist(), strict=True)]


def _type_fields(
    encoded: bytes, data: npt.NDArray[np.uint8], starts: npt.NDArray[np.intp], ends: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float64]]:
    """Each field's kind and value (NaN unless Integral or Fractional)."""
    length = ends - starts
    broken = np.zeros(len(ends), dtype=np.bool_)  # a plain field whose - or . breaks the grammar
    signed = np.zeros(len(ends), dtype=np.bool_)
    dot_at = np.full(len(ends), -1, dtype=np.int64)  # offset of a plain field's dot

    minus = np.flatnonzero(data == _MINUS)
    if len(minus):  # a sign opens the field and precedes a digit (the separator after a field is never out of range)
        field = np.searchsorted(ends, minus)
        valid = (minus == starts[field]) & (data[minus + 1] - _ZERO < 10)
        signed[field[valid]] = True
        broken[field[~valid]] = True
    dots = np.flatnonzero(data == _DOT)
    if len(dots):  # a dot sits between digits, once per field
        field = np.searchsorted(ends, dots)
        before = data[np.maximum(dots - 1, 0)]
        valid = (dots > starts[field]) & (before - _ZERO < 10) & (data[dots + 1] - _ZERO < 10)
        twice = np.flatnonzero(field[1:] == field[:-1])
        valid[twice] = valid[twice + 1] = False
        dot_at[field[valid]] = dots[valid] - starts[field[valid]]
        broken[field[~valid]] = True

    kind = np.where(dot_at >= 0, FRACTIONAL, INTEGRAL).astype(np.int8)
    kind[broken] = STRING
    kind[length == 0] = NULL
    values = np.full(len(ends), np.nan)
    numeric = (kind == INTEGRAL) | (kind == FRACTIONAL)
    if encoded.translate(None, _SIMPLE):  # some fields have other bytes: numeric-looking ones by regex, else String
        unusual = np.zeros(len(ends), dtype=np.bool_)
        unusual[np.searchsorted(ends, np.flatnonzero(_OUTSIDE_SIMPLE[data]))] = True
        wordy = np.zeros(len(ends), dtype=np.bool_)
        wordy[np.searchsorted(ends, np.flatnonzero(_OUTSIDE_NUMBERS[data]))] = True
        numeric[unusual] = False
        kind[unusual] = STRING
        for index in np.flatnonzero(unusual & ~wordy).tolist():
            field_text = encoded[starts[index] : ends[index]].decode("ascii")
            if _INTEGRAL.fullmatch(field_text) or _FRACTIONAL.fullmatch(field_text):
                kind[index] = INTEGRAL if _INTEGRAL.fullmatch(field_text) else FRACTIONAL
                values[index] = float(field_text.replace(" ", ""))  # "+ 5" is Deequ's, float() wants "+5"
    _plain_values(data, starts, ends, numeric, signed, dot_at, values)
    return kind, values


def _plain_values(
    data: npt.NDArray[np.uint8],
    starts: npt.NDArray[np.intp],
    ends: npt.NDArray[np.intp],
    numeric: npt.NDArray[np.bool_],
    signed: npt.NDArray[np.bool_],
    dot_at: npt.NDArray[np.int64],
    values: npt.NDArray[np.float64],
) -> None:
    """Values of plain numbers (``-?\\d+(\\.\\d+)?``). Fields of one layout (width, dot offset, sign) are an
    (n x width) byte matrix: their integers are a sum of its digit columns times that layout's powers of ten,
    and one division by the power of the decimals rounds each once, exactly as ``float()`` does."""
    length = ends - starts
    dotted = dot_at >= 0
    exact = numeric & (length - signed - dotted <= _EXACT_DIGITS)
    for index in np.flatnonzero(numeric & ~exact).tolist():  # more digits than a double holds exactly
        values[index] = float(data[starts[index] : ends[index]].tobytes())
    layout = np.where(exact, (length * (_WIDEST_EXACT + 1) + dot_at + 1) * 2 + signed, 0).astype(np.uint16)
    order = np.argsort(layout, kind="stable")  # a radix sort on 16 bits: the fields of each layout together
    sizes = np.bincount(layout)
    bounds = np.cumsum(sizes)
    padded = np.concatenate((data, np.zeros(3 * 8, dtype=np.uint8)))
    words = np.ndarray((len(data), 3), dtype=np.uint64, buffer=padded, strides=(1, 8))  # 24 bytes from each byte
    for key in np.flatnonzero(sizes[1:]).tolist():
        key += 1
        group = order[bounds[key] - sizes[key] : bounds[key]]
        width, dot, sign = key // 2 // (_WIDEST_EXACT + 1), key // 2 % (_WIDEST_EXACT + 1) - 1, key % 2
        if width == 1:  # one digit (flags, one-hot columns, counts): its value
            whole = (data[starts[group]] - _ZERO).astype(np.float64)
        else:  # one matrix product; integers below 2^53 (15 digits): every product and sum is exact
            raw = words[starts[group], : (width + 7) // 8].view(np.uint8)[:, :width]
            whole = (raw.astype(np.float64) - _ZERO) @ _layout_weights(width, dot, bool(sign))
        scale = float(10 ** (width - 1 - dot if dot >= 0 else 0))
        values[group] = whole / (-scale if sign else scale)


def _layout_weights(width: int, dot: int, signed: bool) -> npt.NDArray[np.float64]:
    """Each byte's power of ten in a plain number of this layout; the sign and the dot weigh nothing."""
    weights = np.zeros(width)
    power = 1.0
    for position in range(width - 1, -1, -1):
        if position != dot and not (signed and position == 0):
            weights[position] = power
            power *= 10
    return weights
