"""Given two versions of a card's content, when diffed, then reviewers see what changed, section by section."""

from __future__ import annotations

from model_governance.review.diff import changed_sections, diff_content, render_diff


def test_sections_come_in_schema_order_and_unchanged_ones_are_left_out() -> None:
    before = {
        "model_overview": {"model_owner": "alice"},
        "business_details": {"line_of_business": "Payments"},
        "intended_uses": {"risk_rating": "Low"},
    }
    after = {
        "model_overview": {"model_owner": "alice"},
        "business_details": {"line_of_business": "Cards"},
        "intended_uses": {"risk_rating": "High"},
    }

    diffs = diff_content(before, after)

    assert changed_sections(diffs) == ["intended_uses", "business_details"]
    assert diffs[0].changes[0].path == "risk_rating"
    assert (diffs[0].changes[0].before, diffs[0].changes[0].after) == ("Low", "High")


def test_fields_added_removed_and_nested_are_named_by_path() -> None:
    before = {"additional_information": {"caveats_and_recommendations": "none", "custom_details": {"team": "a"}}}
    after = {"additional_information": {"custom_details": {"team": "b", "ticket": "GOV-1"}}}

    (diff,) = diff_content(before, after)

    assert {(c.path, c.kind) for c in diff.changes} == {
        ("caveats_and_recommendations", "removed"),
        ("custom_details.team", "changed"),
        ("custom_details.ticket", "added"),
    }


def test_whole_sections_added_or_removed_and_lists_compared_as_one_value() -> None:
    before = {"evaluation_details": [{"name": "a"}], "training_details": {"training_observations": "x"}}
    after = {"evaluation_details": [{"name": "b"}], "business_details": {"business_problem": "fraud"}}

    kinds = {d.section: d.kind for d in diff_content(before, after)}

    assert kinds == {"business_details": "added", "training_details": "removed", "evaluation_details": "changed"}
    evaluation = next(d for d in diff_content(before, after) if d.section == "evaluation_details")
    assert [c.path for c in evaluation.changes] == ["(whole section)"]


def test_rendering_is_readable_and_says_when_only_the_status_changed() -> None:
    lines = render_diff(
        diff_content({"intended_uses": {"risk_rating": "Low"}}, {"intended_uses": {"risk_rating": "High"}})
    )

    assert lines == ["  intended_uses (changed):", '    ~ risk_rating: "Low" -> "High"']
    assert "only the status changed" in render_diff([])[0]


def test_long_values_are_cut() -> None:
    (line,) = [
        text for text in render_diff(diff_content({}, {"intended_uses": {"intended_uses": "x" * 500}})) if "+" in text
    ]

    assert len(line) < 200 and line.endswith("... (+377 chars)")
