"""The vectorised typing and float parse against the definition: Deequ's regexes and float(), field by field."""

from __future__ import annotations

import math
import random
import re

import numpy as np
import pytest

from data_quality.fields import FRACTIONAL, INTEGRAL, NULL, STRING, split_and_type

# Deequ's StatefulDataType regexes, Java's ASCII \d written as [0-9].
INTEGRAL_REGEX = re.compile(r"^(-|\+)? ?[0-9]+$")
FRACTIONAL_REGEX = re.compile(r"^(-|\+)? ?[0-9]+((\.[0-9]+)|((?:\.[0-9]+)?[Ee][-+]?[0-9]+))$")
PIECES = ["0", "7", "42", "9" * 8, "-", "+", ".", " ", "e", "E", "x", "é", "٣", "-0", "0.0", "1e5", "\r"]


def expected(field: str) -> tuple[int, float]:
    if field == "":
        return NULL, math.nan
    if INTEGRAL_REGEX.match(field) and "\n" not in field:
        return INTEGRAL, float(field.replace(" ", ""))
    if FRACTIONAL_REGEX.match(field) and "\n" not in field:
        return FRACTIONAL, float(field.replace(" ", ""))
    return STRING, math.nan


def random_field(rng: random.Random) -> str:
    if rng.random() < 0.5:  # plain numbers of every width, sign and dot position, up to 19 digits
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 19)))
        dot = rng.randint(0, len(digits))
        number = digits[:dot] + "." + digits[dot:] if 0 < dot < len(digits) and rng.random() < 0.6 else digits
        return ("-" if rng.random() < 0.3 else "") + number
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 4)))


@pytest.mark.parametrize("seed", range(6))
def test_every_field_is_typed_and_valued_as_the_regexes_and_float_say(seed):
    rng = random.Random(seed)
    ragged = seed % 2 == 1
    width = 6
    rows = [",".join(random_field(rng) for _ in range(rng.randint(1, width) if ragged else width)) for _ in range(3000)]

    table = split_and_type(rows)

    for r, row in enumerate(rows):
        fields = row.split(",")
        for c in range(table.width):
            kind, value = expected(fields[c]) if c < len(fields) else (NULL, math.nan)
            assert (int(table.kind[r, c]), row) == (kind, row)
            got = float(table.values[r, c])
            assert (math.isnan(got) and math.isnan(value)) or (
                got == value and math.copysign(1, got) == math.copysign(1, value)
            ), (fields[c], got)
        strings = [f for f in fields if expected(f)[0] == STRING]
        assert all(s in table.strings.get(fields.index(s), []) for s in strings)


def test_string_cells_keep_their_text_per_column():
    table = split_and_type(["a,1,é", "b,2.5,", "-,x,-1"])
    assert table.strings == {0: ["a", "b", "-"], 1: ["x"], 2: ["é"]}
    assert table.kind.tolist() == [[STRING, INTEGRAL, STRING], [STRING, FRACTIONAL, NULL], [STRING, STRING, INTEGRAL]]
    assert np.array_equal(table.values[:, 1], [1.0, 2.5, np.nan], equal_nan=True)


def test_exactly_rounded_like_float_at_the_edge_of_the_fast_path():
    fields = [
        "0.1",
        "-0.0",
        "123456789012345",
        "1234567890123456",
        "99999999999999.9",
        "0.000000000000001",
        "1.7976931348623157",
    ]
    table = split_and_type([",".join(fields)])
    assert [float(v) for v in table.values[0]] == [float(f) for f in fields]
    assert math.copysign(1, table.values[0, 1]) == -1
