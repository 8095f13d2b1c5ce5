"""A day whose events were all lost: one sweep repairs every lost registration, in order, and nothing more.

Two groups, every registration event lost:
- "pair": versions 1 and 2 registered, neither with a card. One sweep cards both, version 1 first, and version 2's
  card is carried from version 1's (as the events would have done), not from nothing and not a day later.
- "churn": version 1 documented by hand (a card its package names: it counts, and carry-forward would leave it as
  it is), version 2 registered. Version 1 is not replayed; version 2 is carried from the hand-made card.
A second sweep replays nothing. The cards are those the account would have had with every event delivered.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.moto_cards import model_cards_emulated
from local.moto_gaps import sagemaker_gaps_filled
from local.world import LocalWorld
from model_governance.adapters.clients import reset_clients
from model_governance.cards.naming import card_name_for
from tests.conftest import read_event
from tests.faults import account_state, frozen_clock
from tests.integration.test_exactly_once import _hand_made_card, _register, _registered
from tests.integration.test_reconciliation import _run, _session, _timeless

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
REGION = "us-east-1"


def _story(sm: Any, tick: Any) -> list[dict[str, Any]]:
    events = []
    for group in ("pair", "churn"):
        sm.create_model_package_group(ModelPackageGroupName=group)
    tick()
    v1 = _register(sm, "pair", 1)
    events.append({**_registered("pair", v1, 1), "id": "registered-pair-1"})
    tick()
    churn_v1 = _register(sm, "churn", 1)
    _hand_made_card(sm, "churn-by-hand", churn_v1, "churn")
    events.append({**_registered("churn", churn_v1, 1), "id": "registered-churn-1"})
    tick()
    v2 = _register(sm, "pair", 2)
    events.append({**_registered("pair", v2, 2), "id": "registered-pair-2"})
    tick()
    churn_v2 = _register(sm, "churn", 2)
    events.append({**_registered("churn", churn_v2, 2), "id": "registered-churn-2"})
    return events


def _play(template: dict[str, Any], *, rules: bool) -> tuple[dict[str, Any], list[dict[str, Any]], list[Any]]:
    with mock_aws(), sagemaker_gaps_filled(), model_cards_emulated(), frozen_clock(START) as clock:
        boto3.DEFAULT_SESSION = _session()
        world = LocalWorld(template)
        sm = boto3.client("sagemaker", region_name=REGION)
        slot = itertools.count(1)
        for event in _story(sm, lambda: clock.move_to(START + next(slot) * timedelta(minutes=10))):
            for function, delivered in world.route(event):
                if rules:
                    _run(function, delivered)
        sweeps, replays = [], []
        for number in range(2):
            clock.move_to(START + timedelta(days=1, hours=number))
            sweep = {**read_event("scheduled_event"), "region": REGION, "id": f"sweep-{number}"}
            sweep["time"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            sweeps.append(_run(world.function("account_sweep"), sweep))
            for function, replay in world.invocations():
                replays.append(_run(function, replay))
        state = account_state(world)
    reset_clients()
    return state, sweeps, replays


@pytest.fixture(scope="module")
def lost(template):
    return _play(template, rules=False)


@pytest.fixture(scope="module")
def delivered(template):
    return _play(template, rules=True)


def test_one_sweep_cards_every_lost_version_in_order_and_skips_the_hand_made_one(lost):
    state, sweeps, _replays = lost
    assert sweeps[0]["reconciled"] == [
        "pair v1, v2 were registered; carry-forward never saw them (replayed in this order)",
        "churn v2 was registered; carry-forward never saw it",
    ]
    assert set(state["cards"]) == {
        "churn-by-hand",
        card_name_for("churn", 2),
        card_name_for("pair", 1),
        card_name_for("pair", 2),
    }
    notices = {subject: body for _topic, subject, body in state["messages"] if subject.startswith("Model card ")}
    carried_from = {
        subject.split()[2]: next(line for line in body.splitlines() if line.startswith("Carried from:"))
        for subject, body in notices.items()
    }
    assert f"Carried from:    {card_name_for('pair', 1)} " in carried_from[card_name_for("pair", 2)] + " "
    assert "Carried from:    churn-by-hand " in carried_from[card_name_for("churn", 2)] + " "


def test_the_hand_made_card_is_left_as_it_was(lost):
    state, _sweeps, replays = lost
    assert state["cards"]["churn-by-hand"]["version"] == 1
    replayed_versions = [r.get("package_arn") for r in replays if isinstance(r, dict)]
    replayed_versions += [x["package_arn"] for r in replays if isinstance(r, dict) for x in r.get("results", [])]
    assert not any(str(arn).endswith("/churn/1") for arn in replayed_versions)


def test_a_second_sweep_replays_nothing(lost):
    _state, sweeps, _replays = lost
    assert sweeps[1]["reconciled"] == []


def test_the_cards_are_those_the_delivered_events_make(lost, delivered):
    (repaired, _, _), (expected, sweeps, _) = lost, delivered
    assert sweeps[0]["reconciled"] == []
    assert _timeless(repaired["cards"]) == _timeless(expected["cards"])
