"""The digest: grouped by finding, counts first, worst first, short enough for email; silent when all is well."""

from datetime import UTC, datetime, timedelta

from model_governance.adapters.notifications import SUBJECT_LIMIT
from model_governance.sweep.digest import ITEMS_PER_KIND, SweepRun, build_report, render_digest, report_key
from model_governance.sweep.inventory import Endpoint, Inventory, PackageVersion
from model_governance.sweep.rules import SweepSettings, find_problems

NOW = datetime(2024, 5, 6, 6, 0, tzinfo=UTC)
RUN = SweepRun("20240506T060000Z-89d1a02d", NOW, "us-east-1", "123456789012", "s3://evidence/sweeps/2024-05-06/r.json")
SCANNED = {"groups": 3, "versions": 7, "cards": 4, "endpoints_in_service": 2, "schedules": 1}


def findings(groups=2, endpoints=1, approved=0):
    packages = [
        PackageVersion(
            f"g{i}",
            1,
            f"arn:aws:sagemaker:us-east-1:123456789012:model-package/g{i}/1",
            "Completed",
            "Approved" if i < approved else "PendingManualApproval",
            NOW - timedelta(days=i),
        )
        for i in range(groups)
    ]
    inventory = Inventory(
        packages=tuple(packages), endpoints=tuple(Endpoint(f"e{i}", "arn", "InService") for i in range(endpoints))
    )
    return find_problems(inventory, now=NOW, settings=SweepSettings())


def test_the_digest_opens_with_what_was_scanned_and_the_counts_then_one_section_per_finding():
    message = render_digest(
        findings(groups=2, endpoints=1, approved=1), run=RUN, scanned=SCANNED, settings=SweepSettings()
    )
    assert message is not None
    body = message.body
    assert body.splitlines()[0] == (
        "Model governance sweep of account 123456789012 in us-east-1, 2024-05-06 06:00 UTC (run 20240506T060000Z-89d1a02d)."
    )
    assert (
        "Scanned: 3 model package groups (7 versions), 4 model cards, 2 in-service endpoints, 1 monitoring schedules."
        in body
    )
    assert "3 findings:\n  1  Approved model versions without an approved model card\n  1  In-service endpoints" in body
    # The most serious kind comes first, each with what to do
    assert (
        body.index("== Approved model versions") < body.index("== In-service endpoints") < body.index("== Latest model")
    )
    assert "What to do: Run `make backfill`" in body
    assert "  - g0 v1: Approved; no model card documents this version" in body
    assert body.rstrip().endswith("Run id: 20240506T060000Z-89d1a02d")
    assert "Full report: s3://evidence/sweeps/2024-05-06/r.json" in body
    assert (
        message.subject
        == "Governance sweep 2024-05-06: 3 findings (1 approved w/o approved card, 1 unmonitored, 1 no card)"
    )
    assert message.attributes == {"event_type": "account_sweep_digest", "findings": "3", "severity": "High"}


def test_long_lists_are_cut_in_the_email_and_the_subject_fits_sns():
    many = findings(groups=ITEMS_PER_KIND + 10, endpoints=40, approved=30)
    message = render_digest(many, run=RUN, scanned=SCANNED, settings=SweepSettings())
    assert message is not None
    assert "  ... and 5 more (see the full report)" in message.body
    assert "  ... and 15 more (see the full report)" in message.body
    assert len(message.subject) <= SUBJECT_LIMIT
    assert message.subject.startswith("Governance sweep 2024-05-06: 75 findings (30 approved w/o approved card")


def test_nothing_is_sent_when_nothing_is_found_unless_an_all_clear_is_wanted():
    assert render_digest([], run=RUN, scanned=SCANNED, settings=SweepSettings(send_all_clear=False)) is None
    message = render_digest([], run=RUN, scanned=SCANNED, settings=SweepSettings(send_all_clear=True))
    assert message is not None
    assert message.subject == "Governance sweep 2024-05-06: all clear"
    assert "All clear: no model, card or monitor needs attention." in message.body


def test_the_report_holds_every_finding_and_is_keyed_by_date_and_run():
    report = build_report(findings(groups=30, endpoints=0), run=RUN, scanned=SCANNED, settings=SweepSettings())
    assert len(report["findings"]) == 30 and report["counts"]["model_without_card"] == 30
    assert report["findings"][0] == {
        "kind": "model_without_card",
        "subject": "g29 v1",
        "detail": "latest version (PendingManualApproval) has no model card",
        "group": "g29",
        "version": 1,
        "since": (NOW - timedelta(days=29)).isoformat(),
    }
    assert report_key(RUN) == "sweeps/2024-05-06/20240506T060000Z-89d1a02d.json"
