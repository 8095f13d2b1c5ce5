"""The state table's key space and access profiles (adapters/keys.py), and the run ids that become keys."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime

import pytest

from model_governance.adapters import keys
from model_governance.adapters.keys import AccessProfile
from model_governance.adapters.ledger import LedgerRecord
from model_governance.errors import InvalidEventError
from model_governance.sweep.digest import SweepRun, checked_run_id, report_key
from model_governance.workflows.account_sweep import run_for

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
FUNCTION_PROFILES = {
    "carry_forward": keys.CARRY_FORWARD,
    "backfill": keys.BACKFILL,
    "card_review": keys.CARD_REVIEW,
    "approval_gate": keys.APPROVAL_GATE,
    "violation_alert": keys.VIOLATION_ALERT,
    "account_sweep": keys.ACCOUNT_SWEEP,
}


def test_ledger_records_have_partitions_no_other_record_shares():
    about_group = LedgerRecord("card_created", T0, "e1", "model-governance", group="fraud", card="fraud-v2")
    about_endpoint = LedgerRecord("alert_sent", T0, "e2", "model-governance", subject="endpoint/churn")
    about_card = LedgerRecord("card_status_changed", T0, "e3", "someone", card="hand-made")
    assert about_group.partition == "AUDIT#GROUP#fraud"
    assert about_endpoint.partition == "AUDIT#SUBJECT#endpoint/churn"
    assert about_card.partition == "AUDIT#SUBJECT#hand-made"
    other_prefixes = (keys.LINKS, keys.EFFECTS, keys.CARDS, keys.SCHEDULES)
    assert not any(keys.AUDIT.startswith(p) or p.startswith(keys.AUDIT) for p in other_prefixes)


@pytest.mark.parametrize("name", sorted(FUNCTION_PROFILES))
def test_functions_may_only_append_to_the_ledger(name):
    profile = FUNCTION_PROFILES[name]
    # The one write is a conditional PutItem. The one read: the approval gate, a version's stage history (the
    # sweep finds what the gates judged in their effects, not in the ledger).
    reads = {"Query"} if name == "approval_gate" else set()
    assert profile.items[keys.AUDIT] == {"PutItem"} | reads
    assert profile.index == {}  # no function reads through the secondary index


def test_no_profile_grants_batch_writes_deletes_or_scans():
    every = [p for p in vars(keys).values() if isinstance(p, AccessProfile)]
    assert len(every) >= 10
    for profile in every:
        for actions in [*profile.items.values(), *profile.index.values()]:
            assert actions <= {"GetItem", "BatchGetItem", "PutItem", "UpdateItem", "Query"}, (
                profile
            )  # reads in batches only
        assert set(profile.index.get(keys.BY_CARD, {"Query"})) == {"Query"}


def test_only_effect_leases_and_export_records_may_be_updated_and_nothing_deleted():
    for name, profile in FUNCTION_PROFILES.items():
        updatable = {prefix for prefix, actions in profile.items.items() if "UpdateItem" in actions}
        assert updatable <= {keys.EFFECTS, keys.CARDS}, name
        assert not any("DeleteItem" in actions for actions in profile.items.values()), name


def test_profiles_combine_action_by_action():
    combined = keys.READ_LINK | keys.RECORD_LINK | keys.APPEND_LEDGER
    assert combined.items == {keys.LINKS: {"GetItem", "PutItem"}, keys.AUDIT: {"PutItem"}}
    assert [f.name for f in fields(AccessProfile)] == ["items", "index"]


@pytest.mark.parametrize("run_id", ["20240501T120000Z-89d1a02d", "rerun_2", "5f0c7b9e-8a4d-4c1e-9d3a-0b1c2d3e4f50"])
def test_well_formed_run_ids_pass(run_id):
    assert checked_run_id(run_id) == run_id


@pytest.mark.parametrize("run_id", ["../x", "a/b", "a.json", "", "-x", "x" * 101, "a\nb", None, 12])
def test_malformed_run_ids_are_refused(run_id):
    with pytest.raises(InvalidEventError, match="run_id must be"):
        checked_run_id(run_id)


def test_a_hand_supplied_run_id_is_checked_before_it_names_a_report():
    arn = "arn:aws:lambda:us-east-1:123456789012:function:sweep"
    with pytest.raises(InvalidEventError):
        run_for({"run_id": "../../model-cards/x"}, request_id="r", function_arn=arn, region="us-east-1", now=T0)
    run = run_for({"run_id": "rerun-1"}, request_id="r", function_arn=arn, region="us-east-1", now=T0)
    assert report_key(run) == "sweeps/2024-05-01/rerun-1.json"
    generated = run_for({}, request_id="abcdef1234", function_arn=arn, region="us-east-1", now=T0)
    retried = run_for({}, request_id="abcdef1234", function_arn=arn, region="us-east-1", now=T0.replace(minute=2))
    assert generated.run_id == retried.run_id == "manual-abcdef1234"  # Lambda's retry is the same run


def test_the_report_key_itself_refuses_a_malformed_run_id():
    with pytest.raises(InvalidEventError):
        report_key(SweepRun(run_id="../evidence", started=T0, region="us-east-1", account="123456789012"))
