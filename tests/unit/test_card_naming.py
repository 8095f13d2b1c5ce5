import re

import pytest

from model_governance.cards.naming import MAX_NAME_LENGTH, NAME_PATTERN, card_name_for


def test_short_group_names_read_naturally():
    assert card_name_for("churn-model", 2) == "churn-model-v2"


@pytest.mark.parametrize("version", [1, 9, 10, 999, 123456])
def test_63_character_group_gives_valid_unique_names_per_version(version):
    group = "g" * 63
    name = card_name_for(group, version)
    assert len(name) <= MAX_NAME_LENGTH
    assert NAME_PATTERN.match(name)
    assert name.endswith(f"-v{version}")


def test_long_groups_sharing_a_prefix_get_different_names():
    first, second = "a" * 60 + "xyz", "a" * 60 + "xyw"
    assert card_name_for(first, 1) != card_name_for(second, 1)


def test_names_are_deterministic():
    assert card_name_for("b" * 63, 7) == card_name_for("b" * 63, 7)


def test_a_cut_ending_in_hyphens_still_matches_the_aws_pattern():
    group = "a" * 50 + "-" * 5 + "b" * 8
    name = card_name_for(group, 42)
    assert NAME_PATTERN.match(name) and len(name) <= 63


@pytest.mark.parametrize(("group", "version"), [("-bad", 1), ("ok", 0), ("", 1), ("has_underscore", 1)])
def test_invalid_inputs_are_refused(group, version):
    with pytest.raises(ValueError):
        card_name_for(group, version)


def _cut_name_as_group(group: str, version: int) -> str:
    """A group named exactly like the cut card name of ``group`` without its version suffix: the squatter."""
    name = card_name_for(group, version)
    return name[: -len(f"-v{version}")].rstrip("-")


def test_a_group_named_like_anothers_cut_name_cannot_take_that_card_name():
    # given a long group, and a short group whose name is the long group's cut card name minus "-v1"
    long_group = "a" * 63
    squatter = _cut_name_as_group(long_group, 1)
    assert NAME_PATTERN.match(squatter)
    # then the two never share a card name
    assert card_name_for(squatter, 1) != card_name_for(long_group, 1)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("a-b", "a--b"),
        ("x" * 50 + "a-b" + "c" * 10, "x" * 50 + "a--b" + "c" * 9),  # differ only by a hyphen, after the cut
        ("x" * 40 + "-" + "y" * 22, "x" * 40 + "--" + "y" * 21),  # cut lands in the hyphen run
        ("p" * 60 + "abc", "p" * 60 + "abd"),  # long groups that share a 60-character prefix
        ("model-v1", "model"),  # "model-v1-v2" vs "model-v1-v2"? the version digits tell them apart
    ],
)
def test_lookalike_groups_get_different_names(first, second):
    for version in (1, 2, 12, 123):
        assert card_name_for(first, version) != card_name_for(second, version)


def test_a_generated_set_of_groups_and_versions_maps_one_to_one():
    # given groups built to collide: shared long prefixes, hyphen runs where the cut falls, version-like tails,
    # and, for every long group, a short group named like its cut card name
    stems = ["a", "a-b", "a--b", "model-v1", "m-v1-v2", "x9"]
    groups = set(stems)
    for stem in stems:
        for length in (40, 50, 52, 53, 54, 55, 58, 60, 61, 62, 63):
            for filler in ("a", "-a", "a-", "1"):
                group = (stem + filler * 63)[:length].rstrip("-")
                if NAME_PATTERN.match(group):
                    groups.add(group)
                    groups.add(group[:-1] + ("b" if group[-1] != "b" else "c"))
    versions = (1, 2, 9, 10, 11, 99, 100, 1000, 123456)
    for group in list(groups):
        for version in (1, 10, 1000):
            squatter = _cut_name_as_group(group, version)
            if squatter != group and NAME_PATTERN.match(squatter):
                groups.add(squatter)
    pairs = [(group, version) for group in sorted(groups) for version in versions]
    # when every pair is named
    names = {}
    for group, version in pairs:
        name = card_name_for(group, version)
        assert len(name) <= MAX_NAME_LENGTH and NAME_PATTERN.match(name), name
        names.setdefault(name, []).append((group, version))
    # then no two pairs share a name
    assert len(pairs) > 2000
    assert {name: owners for name, owners in names.items() if len(owners) > 1} == {}


def test_a_fallback_name_is_valid_random_and_never_a_deterministic_name() -> None:
    from model_governance.cards.naming import NAME_PATTERN, fallback_card_name, new_fallback_token

    tokens = {new_fallback_token() for _ in range(50)}
    assert len(tokens) == 50  # drawn at random: nobody can take the name ahead
    for group in ("fraud", "g" * 63, "a-b"):
        name = fallback_card_name(group, 12, next(iter(tokens)))
        assert NAME_PATTERN.match(name) and len(name) <= 63
        assert name != card_name_for(group, 12) and not re.search(r"-v\d+$", name)
    assert fallback_card_name("fraud", 2, "abc") == "fraud-v2-rabc"
    with pytest.raises(ValueError):
        fallback_card_name("fraud", 2, "Not-A-Token")
