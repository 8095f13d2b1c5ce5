"""What the sweep replays (sweep/reconcile.py): only unhandled changes, inside the window, oldest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from model_governance.cards.records import LifeCycle, PackageFacts
from model_governance.events import (
    RECONCILED_KEY,
    model_package_state_changes,
    parse_model_card_state_change,
    parse_model_package_state_change,
)
from model_governance.monitoring.dq_monitors import MONITORING_TYPE
from model_governance.sweep.digest import SweepRun, render_digest
from model_governance.sweep.inventory import CardSummary, Inventory, MonitorSchedule, PackageVersion
from model_governance.sweep.reconcile import (
    CardMark,
    Export,
    Marks,
    ReconcileSettings,
    actions,
    carry_forward_key,
    execution_key,
    gate_check,
    wanted,
)
from model_governance.sweep.rules import SweepSettings

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
RUN = SweepRun("20261123T120000Z-abc", NOW, "us-east-1", "123456789012")
SETTINGS = ReconcileSettings()
NOTHING_HANDLED = Marks()
ARN = "arn:aws:sagemaker:us-east-1:123456789012"


def version(group: str, n: int, hours_ago: float = 2, approval: str | None = None) -> PackageVersion:
    return PackageVersion(
        group, n, f"{ARN}:model-package/{group}/{n}", "Completed", approval, NOW - timedelta(hours=hours_ago)
    )


def card(name: str, status: str, hours_ago: float = 2, v: int = 1, by: str | None = None) -> CardSummary:
    return CardSummary(
        name, status, NOW - timedelta(hours=hours_ago), arn=f"{ARN}:model-card/{name}", version=v, modified_by=by
    )


def plan(
    inventory: Inventory,
    marks: Marks = NOTHING_HANDLED,
    settings: ReconcileSettings = SETTINGS,
    gate=None,
    documented: frozenset[str] = frozenset(),
):
    return actions(inventory, marks, run=RUN, now=NOW, settings=settings, gate=gate or {}, documented=documented)


def described(package: PackageVersion, changed: datetime, stage: LifeCycle | None = None) -> PackageFacts:
    """DescribeModelPackage of ``package``, last changed at ``changed``."""
    return PackageFacts(
        package.arn,
        package.group,
        package.version,
        package.status,
        package.approval_status,
        creation_time=package.created,
        life_cycle=stage,
        last_modified=changed,
    )


def test_an_unhandled_registration_is_replayed_as_the_event_carry_forward_reads():
    [action] = plan(Inventory(packages=(version("churn", 2),))).actions
    assert action.handler == "carry_forward"
    change = parse_model_package_state_change(action.event)
    assert (change.package_arn, change.version, change.updated_fields) == (f"{ARN}:model-package/churn/2", 2, None)
    assert change.envelope.reconciled is not None and change.envelope.reconciled.run_id == RUN.run_id
    assert action.event[RECONCILED_KEY]["reason"] == "churn v2 was registered; carry-forward never saw it"


def test_handled_too_young_too_old_or_unfinished_registrations_are_left_alone():
    inventory = Inventory(
        packages=(
            version("done", 1),
            version("young", 1, hours_ago=0.1),  # its event may still be on the way
            version("old", 1, hours_ago=24 * 4),  # older than the lookback: the backfill's business
            PackageVersion(
                "pending", 1, f"{ARN}:model-package/pending/1", "InProgress", None, NOW - timedelta(hours=2)
            ),
        )
    )
    marks = Marks(effects_done=frozenset({carry_forward_key(f"{ARN}:model-package/done/1")}))
    assert plan(inventory, marks).actions == ()


def test_a_groups_lost_versions_are_one_replay_in_version_order():
    result = plan(Inventory(packages=(version("churn", 3), version("churn", 2), version("fraud", 5))))
    assert [a.subject.rsplit("/", 2)[-2:] for a in result.actions] == [["churn", "2"], ["fraud", "5"]]
    assert result.waiting == 0
    churn = result.actions[0]
    changes = model_package_state_changes(churn.event)
    assert [(c.group_name, c.version) for c in changes] == [("churn", 2), ("churn", 3)]
    assert all(c.envelope.reconciled is not None for c in changes)
    assert len({c.envelope.id for c in changes}) == 2  # each version keeps its own replayed event
    assert churn.reason == "churn v2, v3 were registered; carry-forward never saw them (replayed in this order)"
    assert parse_model_package_state_change(result.actions[1].event).version == 5  # one version: the plain event


def test_versions_with_a_card_that_counts_are_not_replayed():
    by_hand, lost = version("churn", 1), version("churn", 2)
    result = plan(Inventory(packages=(by_hand, lost)), documented=frozenset({by_hand.arn}))
    [action] = result.actions
    assert [(c.group_name, c.version) for c in model_package_state_changes(action.event)] == [("churn", 2)]


def test_one_replay_carries_at_most_the_versions_one_event_may_hold():
    from model_governance.events import MAX_ORDERED_REPLAYS

    many = tuple(version("busy", n) for n in range(1, MAX_ORDERED_REPLAYS + 3))
    result = plan(Inventory(packages=many))
    [action] = result.actions
    assert len(model_package_state_changes(action.event)) == MAX_ORDERED_REPLAYS and result.waiting == 2


def test_versions_behind_one_its_handler_has_not_finished_wait():
    begun = version("churn", 1)
    stuck = Marks(effects_begun=frozenset({carry_forward_key(begun.arn)}))
    result = plan(Inventory(packages=(begun, version("churn", 2), version("churn", 3))), stuck)
    assert result.actions == () and result.waiting == 2


def test_card_changes_the_review_never_marked_are_replayed_and_marked_ones_not():
    inventory = Inventory(
        cards=(
            card("new-draft", "Draft"),  # first seen in Draft: nothing for the review to do
            card("submitted", "PendingReview", by="alice"),
            card("reviewed", "Approved"),
            card("approved-again", "Approved", v=2),
        )
    )
    marks = Marks(
        card_marks={
            # the mark keeps the event's time, a fraction of a second apart from Search's
            "reviewed": CardMark(1, NOW - timedelta(hours=2, microseconds=400_000)),
            "approved-again": CardMark(1, NOW - timedelta(hours=3)),
        }
    )
    result = plan(inventory, marks)
    assert [a.card for a in result.actions] == ["approved-again", "submitted"]
    change = parse_model_card_state_change(result.actions[1].event)
    assert (change.card_name, change.card_version, change.status, change.modified_by) == (
        "submitted",
        1,
        "PendingReview",
        "alice",
    )


def test_an_export_that_never_reported_back_is_replayed_after_the_settle_time():
    job = f"{ARN}:model-card/ok/export-job/ok-v1-pdf"
    inventory = Inventory(cards=(card("ok", "Approved"), card("running", "Approved"), card("done", "Approved")))
    marks = Marks(
        card_marks={n: CardMark(1, NOW - timedelta(hours=2)) for n in ("ok", "running", "done")},
        exports={
            ("ok", 1): Export("requested", job, NOW - timedelta(hours=2)),
            ("running", 1): Export("requested", job.replace("ok", "running"), NOW - timedelta(minutes=5)),
            ("done", 1): Export("completed", job.replace("ok", "done"), NOW - timedelta(hours=2)),
        },
    )
    [action] = plan(inventory, marks).actions
    assert action.event["detail-type"] == "SageMaker Model Card Export Job State Change"
    assert action.event["detail"] == {"ModelCardExportJobArn": job}


def test_a_state_the_gate_never_judged_is_replayed_unless_the_gate_is_off():
    # Registered two weeks ago, approved two hours ago: the approval's time decides, not the registration's.
    approved = version("credit", 1, hours_ago=24 * 14, approval="Approved")
    approval_time = NOW - timedelta(hours=2, microseconds=123_000)
    inventory = Inventory(packages=(approved,))
    check = gate_check(described(approved, approval_time))
    assert check.keys == (f"approval-gate#{approved.arn}#Approved#{approval_time.isoformat()}",)
    [action] = plan(inventory, gate={approved.arn: check}).actions
    assert action.handler == "approval_gate"
    assert parse_model_package_state_change(action.event).package_arn == approved.arn  # the gate reads the rest
    # Judged, approved again later and that approval's event lost: another state, replayed again.
    judged = Marks(effects_done=frozenset(check.keys))
    assert plan(inventory, judged, gate={approved.arn: check}).actions == ()
    again = gate_check(described(approved, approval_time + timedelta(minutes=30)))
    assert len(plan(inventory, judged, gate={approved.arn: again}).actions) == 1
    old = gate_check(described(approved, NOW - timedelta(days=10)))  # before the window: the backfill era
    assert plan(inventory, gate={approved.arn: old}).actions == ()
    off = ReconcileSettings(gate_mode="off")
    assert plan(inventory, settings=off, gate={approved.arn: check}).actions == ()


def test_a_stage_entry_the_gate_never_judged_is_replayed_and_one_it_began_is_stuck():
    staged = version("pricing", 1, hours_ago=24 * 5)  # registered before the window: only the stage is replayed
    check = gate_check(described(staged, NOW - timedelta(hours=1), LifeCycle("Production", "Approved")))
    assert check.keys == (f"stage-gate#{staged.arn}#Production/Approved#{(NOW - timedelta(hours=1)).isoformat()}",)
    [action] = plan(Inventory(packages=(staged,)), gate={staged.arn: check}).actions
    assert (action.handler, action.subject) == ("approval_gate", staged.arn)
    assert "in stage Production/Approved" in action.reason
    begun = Marks(effects_begun=frozenset(check.keys))
    result = plan(Inventory(packages=(staged,)), begun, gate={staged.arn: check})
    assert result.actions == () and result.stuck == ("the gate's judgement of pricing v1",)


def test_what_a_handler_began_and_did_not_finish_is_reported_as_stuck_not_replayed():
    package = version("churn", 2)
    stuck = Marks(effects_begun=frozenset({carry_forward_key(package.arn)}))
    result = plan(Inventory(packages=(package, version("churn", 3))), stuck)
    assert result.actions == () and result.stuck == ("carry-forward of churn v2",) and result.waiting == 1
    digest = render_digest([], run=RUN, scanned={}, settings=SweepSettings(), reconciliation=result)
    assert digest is not None and "== Begun but not finished: 1 (not replayed) ==" in digest.body


def test_alerts_go_first_then_approvals_reviews_and_carries_oldest_first():
    job = f"{ARN}:processing-job/late"
    schedule = MonitorSchedule("zz-monitor", "ep", "Scheduled", "DataQuality", last_execution_status="Failed",
                               last_execution_time=NOW - timedelta(hours=3), last_execution_job_arn=job)  # fmt: skip
    approved = version("mid", 1, approval="Approved")
    inventory = Inventory(
        packages=(version("b-young", 1, hours_ago=1), version("a-old", 1, hours_ago=5), approved),
        cards=(card("c", "PendingReview"),),
        schedules=(schedule,),
    )
    marks = Marks(effects_done=frozenset({carry_forward_key(approved.arn)}))
    gate = {approved.arn: gate_check(described(approved, NOW - timedelta(hours=1)))}
    result = plan(inventory, marks, ReconcileSettings(max_actions=4), gate=gate)
    assert [a.handler for a in result.actions] == ["violation_alert", "approval_gate", "card_review", "carry_forward"]
    assert result.actions[-1].group == "a-old" and result.waiting == 1


def test_the_last_execution_of_each_monitor_is_replayed_when_no_alert_workflow_handled_it():
    job = f"{ARN}:processing-job/model-monitoring-1"
    ours = f"{ARN}:processing-job/dq-churn-1"
    schedules = (
        MonitorSchedule("mm", "ep", "Scheduled", "DataQuality", last_execution_status="CompletedWithViolations",
                        last_execution_time=NOW - timedelta(hours=2), last_execution_job_arn=job),
        MonitorSchedule("dq", "ep", "Scheduled", MONITORING_TYPE, last_execution_status="Failed",
                        last_execution_time=NOW - timedelta(hours=2), last_execution_job_arn=ours),
        MonitorSchedule("running", "ep", "Scheduled", "DataQuality", last_execution_status="InProgress",
                        last_execution_time=NOW - timedelta(hours=1), last_execution_job_arn=job + "x"),
    )  # fmt: skip
    result = plan(Inventory(schedules=schedules))
    assert sorted((a.handler, a.subject) for a in result.actions) == [("dq_monitor", ours), ("violation_alert", job)]
    by_handler = {a.handler: a for a in result.actions}
    assert by_handler["dq_monitor"].event["action"] == "alert"
    assert by_handler["violation_alert"].event["detail"]["ProcessingJobStatus"] == "Completed"
    handled = Marks(effects_done=frozenset({execution_key(job), execution_key(ours)}))
    assert plan(Inventory(schedules=schedules), handled).actions == ()


def test_reads_are_only_for_changes_inside_the_window():
    inventory = Inventory(packages=(version("a", 1), version("b", 1, hours_ago=100)), cards=(card("c", "Approved"),))
    reads = wanted(inventory, now=NOW, settings=SETTINGS, gate={})
    assert reads.effect_keys == (carry_forward_key(f"{ARN}:model-package/a/1"),)
    assert reads.cards == ("c",) and reads.exports == (("c", 1),)


def test_at_most_max_actions_per_sweep_and_off_means_reported_not_applied():
    inventory = Inventory(packages=tuple(version(f"g{i}", 1) for i in range(7)))
    capped = plan(inventory, settings=ReconcileSettings(max_actions=5))
    assert len(capped.actions) == 5 and capped.waiting == 2
    off = plan(inventory, settings=ReconcileSettings(enabled=False))
    assert not off.applied and len(off.actions) == 7
    digest = render_digest([], run=RUN, scanned={}, settings=SweepSettings(), reconciliation=off)
    assert digest is not None and "Not reconciled (reconciliation is off): 7 changes" in digest.body


def test_outside_values_in_a_reason_stay_on_one_quoted_line_of_the_digest():
    hostile = CardSummary("x\n== Fake section ==", "PendingReview", NOW - timedelta(hours=2), version=1)
    result = plan(Inventory(cards=(hostile,)))
    digest = render_digest([], run=RUN, scanned={}, settings=SweepSettings(), reconciliation=result)
    assert digest is not None
    assert "\n== Fake section ==" not in digest.body


def test_a_replay_lambda_refuses_does_not_stop_the_others_and_the_retry_hands_the_same_plan_over():
    import pytest

    from bench.account_sweep import NOW as BENCH_NOW
    from bench.account_sweep import FakeSageMaker, _Links, _Nothing
    from model_governance.adapters.inventory import AccountInventory
    from model_governance.sweep.reconcile import Action
    from model_governance.workflows.account_sweep import Reconciler, run_sweep
    from tests.fakes import MemoryEffects

    class Refusing:
        """Lambda refuses the first replay once (throttled), accepts everything else."""

        def __init__(self) -> None:
            self.handed: list[Action] = []
            self.refused: list[Action] = []

        def read(self, wanted):  # nothing was handled
            return Marks()

        def hand_over(self, action: Action) -> None:
            if not self.refused:
                self.refused.append(action)
                raise RuntimeError("TooManyRequestsException")
            self.handed.append(action)

    class Ledger:
        def __init__(self) -> None:
            self.records: list = []

        def append(self, record) -> bool:
            self.records.append(record)
            return True

    fake = FakeSageMaker(20, 2, 0)
    sink, ledger, handlers, effects = _Nothing(fake.calls), Ledger(), Refusing(), MemoryEffects()

    def sweep():
        return run_sweep(
            SweepRun("refused", BENCH_NOW, "us-east-1", "123456789012"),
            reader=AccountInventory(fake),
            links=_Links(fake),
            cards=sink,
            reports=sink,
            effects=effects,
            ops=sink,
            audit=ledger,
            settings=SweepSettings(),
            reconciler=Reconciler(marks=handlers, handlers=handlers, settings=ReconcileSettings()),
            now=lambda: BENCH_NOW,
        )

    with pytest.raises(RuntimeError, match="TooManyRequests"):
        sweep()
    [refused] = handlers.refused
    first = list(handlers.handed)
    assert first and refused not in first  # the others went (every version has its card: two reviews to replay)
    outcome = sweep()  # Lambda's retry of the sweep: the same plan, handed over again
    assert refused in handlers.handed[len(first) :]
    assert set(a.event_id for a in outcome.reconciliation.actions) == {a.event_id for a in [*first, refused]}
    assert {r.source_event_id for r in ledger.records if r.action == "reconciled"} == {
        a.event_id for a in outcome.reconciliation.actions
    }


def test_an_ordered_replay_that_is_not_a_list_of_events_is_refused_in_one_line():
    import pytest

    from model_governance.errors import InvalidEventError
    from model_governance.events import ORDERED_REPLAYS_KEY

    for body in ({ORDERED_REPLAYS_KEY: "v1"}, {ORDERED_REPLAYS_KEY: []}, {ORDERED_REPLAYS_KEY: [{"id": "x"}]}):
        with pytest.raises(InvalidEventError):
            model_package_state_changes(body)
