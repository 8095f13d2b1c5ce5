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
