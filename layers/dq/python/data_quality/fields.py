"""Split CSV rows into fields and type every field the way Deequ does, vectorised over the raw bytes.

Deequ (``StatefulDataType.scala``, aws-facts 2.7) types each non-null value by regex:
Integral ``^(-|\\+)? ?\\d+$``, Fractional ``^(-|\\+)? ?\\d+((\\.\\d+)|((?:\\.\\d+)?[Ee][-+]?\\d+))$``, else String.
Running two regexes per value in Python costs about 1 us each; here the same grammar is checked with
numpy on the byte array (each rule is a test on a character and its neighbours), about 30x faster.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# Field kinds (codes in FieldTable.kind).
NULL, INTEGRAL, FRACTIONAL, STRING = 0, 1, 2, 3

_OTHER, _DIGIT, _DOT, _EXP, _SIGN, _SPACE, _COMMA, _NEWLINE = range(8)
_CLASS = np.full(256, _OTHER, dtype=np.int8)
_CLASS[ord("0") : ord("9") + 1] = _DIGIT
_CLASS[ord(".")] = _DOT
_CLASS[[ord("e"), ord("E")]] = _EXP
_CLASS[[ord("+"), ord("-")]] = _SIGN
_CLASS[ord(" ")] = _SPACE
_CLASS[ord(",")] = _COMMA
_CLASS[ord("\n")] = _NEWLINE


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


def unquote_rows(rows: list[str]) -> list[str]:
    """Rows with quoted fields rewritten without quotes (the typing below reads bare fields).

    A comma inside a quoted field would split it: such payloads are not tabular feature vectors.
    """
    return [",".join(next(csv.reader(io.StringIO(row)))) if '"' in row else row for row in rows]


def split_and_type(rows: list[str]) -> FieldTable:
    """Fields of ``rows`` (one CSV row each, no newline inside), typed per Deequ's regexes."""
    if not rows:
        return FieldTable(0, 0, np.zeros((0, 0), np.int8), np.zeros((0, 0)), {})
    rows = unquote_rows(rows)
    text = "\n".join(rows) + "\n"
    encoded = text.encode()
    data = np.frombuffer(encoded, dtype=np.uint8)
    cls = _CLASS[data]
    ends = np.flatnonzero((cls == _COMMA) | (cls == _NEWLINE))  # one separator after every field
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    row_ends = np.flatnonzero(cls[ends] == _NEWLINE)  # index of each row's last field
    row_widths = np.diff(np.concatenate(([-1], row_ends)))
    width = int(row_widths.max())
    row_of_field = np.repeat(np.arange(len(rows)), row_widths)
    first_of_row = np.repeat(np.concatenate(([0], row_ends[:-1] + 1)), row_widths)
    cell = row_of_field * width + (np.arange(len(ends)) - first_of_row)

    field_kind = _kinds(cls, starts, ends)
    fields = (text.replace("\n", ",").split(",") if len(encoded) == len(text) else _split(rows))[: len(ends)]
    numeric = np.flatnonzero((field_kind == INTEGRAL) | (field_kind == FRACTIONAL))
    field_values = np.full(len(ends), np.nan)
    if len(numeric) == len(ends) and "+ " not in text and "- " not in text:
        field_values = np.fromstring(text.replace("\n", ","), sep=",")[: len(ends)]  # all numeric: one C parse
    elif len(numeric):
        field_values[numeric] = _floats([fields[i] for i in numeric.tolist()])

    kind = np.full(len(rows) * width, NULL, dtype=np.int8)
    kind[cell] = field_kind
    values = np.full(len(rows) * width, np.nan)
    values[cell] = field_values
    strings: dict[int, list[str]] = {}
    string_fields = np.flatnonzero(field_kind == STRING)
    for index, column in zip(string_fields.tolist(), (cell[string_fields] % width).tolist(), strict=True):
        strings.setdefault(column, []).append(fields[index])
    return FieldTable(len(rows), width, kind.reshape(len(rows), width), values.reshape(len(rows), width), strings)


def _split(rows: list[str]) -> list[str]:
    # Non-ASCII text: byte offsets differ from character offsets, so split by characters (same field order).
    return [field for row in rows for field in row.split(",")]


def _floats(texts: list[str]) -> npt.NDArray[np.float64]:
    # "+ 5" matches Deequ's grammar but not float(): drop the space after the sign.
    return np.array([t.replace(" ", "") for t in texts], dtype=np.float64)


def _kinds(cls: npt.NDArray[np.int8], starts: npt.NDArray[np.intp], ends: npt.NDArray[np.intp]) -> npt.NDArray[np.int8]:
    """Deequ's grammar as rules on each character and its neighbours; a field breaking one is a String."""
    n = len(cls)
    prev = np.full(n, _NEWLINE, dtype=np.int8)
    prev[1:] = cls[:-1]
    prev2 = np.full(n, _NEWLINE, dtype=np.int8)
    prev2[2:] = cls[:-2]
    nxt = np.full(n, _NEWLINE, dtype=np.int8)
    nxt[:-1] = cls[1:]
    nxt2 = np.full(n, _NEWLINE, dtype=np.int8)
    nxt2[:-2] = cls[2:]
    opens = (prev == _COMMA) | (prev == _NEWLINE)  # first character of a field

    bad = cls == _OTHER
    # a sign opens the field or follows the exponent
    bad |= (cls == _SIGN) & ~(opens | (prev == _EXP))
    # at most one space: opening the field, or right after an opening sign
    bad |= (cls == _SPACE) & ~(opens | ((prev == _SIGN) & ((prev2 == _COMMA) | (prev2 == _NEWLINE))))
    # a dot sits between digits; an exponent follows a digit and precedes a digit or a signed digit
    bad |= (cls == _DOT) & ~((prev == _DIGIT) & (nxt == _DIGIT))
    bad |= (cls == _EXP) & ~((prev == _DIGIT) & ((nxt == _DIGIT) | ((nxt == _SIGN) & (nxt2 == _DIGIT))))

    index = starts
    position = np.arange(n)

    def per_field(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
        # the separator closing each field is never in a mask below, so reduceat over [start, next start) is exact
        return np.add.reduceat(mask.astype(np.int64), index)

    bad_count = per_field(bad & (cls != _COMMA) & (cls != _NEWLINE))
    dots = per_field(cls == _DOT)
    exps = per_field(cls == _EXP)
    digits = per_field(cls == _DIGIT)
    # "1e5.3": with one dot and one exponent, the dot must come first (global positions compare the same way)
    dot_at = np.add.reduceat(np.where(cls == _DOT, position, 0), index)
    exp_at = np.add.reduceat(np.where(cls == _EXP, position, 0), index)
    numeric = (
        (bad_count == 0) & (digits > 0) & (dots <= 1) & (exps <= 1) & ~((dots == 1) & (exps == 1) & (dot_at > exp_at))
    )
    kind = np.full(len(ends), STRING, dtype=np.int8)
    kind[numeric & (dots == 0) & (exps == 0)] = INTEGRAL
    kind[numeric & ((dots == 1) | (exps == 1))] = FRACTIONAL
    kind[ends == starts] = NULL
    return kind
