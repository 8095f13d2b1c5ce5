"""report.html of a data-quality run: the drifting features charted against the baseline, every feature's checks,
offline (no script, no fetch), names from the data escaped, linked from the alert; loaded in a real headless browser."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from data_quality.checks import Violation
from data_quality.constraints import read_baseline
from data_quality.report_html import render_report
from data_quality.runs import baseline_files, profile_rows
from local.scenarios import data_quality as scenario
from tests.dq.churn import rows
from tests.integration.test_dq_flow import HOUR

DRIFTING = {"State_AL", "Eve Mins", "CustServ Calls"}
BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")


class Page(HTMLParser):
    """What the page holds: sections per feature, charts, table rows, and anything that would run or fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.features: list[str] = []
        self.charts = 0
        self.rows = 0
        self.scripts = 0
        self.fetches: list[str] = []
        self.policy = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section" and found.get("data-feature"):
            self.features.append(str(found["data-feature"]))
        self.charts += tag == "svg"
        self.rows += tag == "tr"
        self.scripts += tag == "script"
        for name in ("src", "href"):
            if found.get(name):
                self.fetches.append(str(found[name]))
        if tag == "meta" and found.get("http-equiv") == "Content-Security-Policy":
            self.policy = str(found.get("content"))


def drifting_report(world_and_s3: tuple[Any, Any]) -> tuple[str, Any]:
    world, s3 = world_and_s3
    drifting = HOUR + timedelta(hours=1)
    scenario.capture_hour(s3, drifting, rows(1000, seed=3, shifted=True, fractional_state_al=0.2))
    outcome = scenario.check(world, drifting)
    bucket, key = outcome["output_uri"].removeprefix("s3://").split("/", 1)
    page = s3.get_object(Bucket=bucket, Key=f"{key}/report.html")
    assert page["ContentType"].startswith("text/html")
    return page["Body"].read().decode(), world


@pytest.fixture
def report(dq_world: Any) -> tuple[str, Any]:
    return drifting_report(dq_world)


def test_each_drifting_feature_is_charted_and_every_feature_checked(report: tuple[str, Any]) -> None:
    html, world = report
    page = Page()
    page.feed(html)
    assert set(page.features) == DRIFTING
    assert page.charts == 3
    assert page.rows == 1 + 7  # the header and the churn dataset's seven features
    assert "Numerical distance" in html and "exceeds threshold" in html
    assert page.scripts == 0 and page.fetches == []
    assert "default-src 'none'" in page.policy
    [email] = world.inbox("AlertsOps")
    assert 'Charts (HTML): "s3://' in email.body and '/report.html"' in email.body


def test_names_from_the_data_are_data() -> None:
    hostile = '<script>alert("x")</script>'
    names = [hostile, "b"]
    data = [f"{i % 7},{'x' if i % 2 else 'y'}" for i in range(200)]
    files = baseline_files(iter(data), names)
    baseline = read_baseline(
        json.dumps(files["constraints.json"]).encode(),
        json.dumps(files["statistics.json"]).encode(),
    )
    current = profile_rows(iter(f"{i % 3 + 10},z" for i in range(200)), names)
    html = render_report(
        baseline,
        current,
        [Violation(hostile, "baseline_drift_check", "Numerical distance: 1 exceeds numerical threshold: 0.1")],
        title=f"monitor {hostile}",
        period="2026-11-23 09:00 to 2026-11-23 10:00 UTC",
    )
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def load_in_browser(html: str, tmp_path: Path) -> tuple[str, list[str], Path]:
    """(the DOM the browser built, its console and CSP messages, a screenshot) of ``html`` opened as a file."""
    page = tmp_path / "report.html"
    page.write_text(html)
    profile = tmp_path / "profile"
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
    ]
    shot = tmp_path / "report.png"
    dom = subprocess.run(
        [str(BROWSER), *flags, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Refused to" in line]
    subprocess.run(
        [str(BROWSER), *flags, f"--screenshot={shot}", "--window-size=1000,1600", page.as_uri()],
        capture_output=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    if os.environ.get("KEEP_REPORT") and shot.exists():
        shutil.copy(shot, os.environ["KEEP_REPORT"])
    return dom.stdout, console, shot


needs_browser = pytest.mark.skipif(
    BROWSER is None, reason="no Chromium: `make browser` installs it (Debian's chromium)"
)


@needs_browser
def test_the_report_loads_in_a_headless_browser_without_errors(report: tuple[str, Any], tmp_path: Path) -> None:
    html, _ = report
    dom, console, shot = load_in_browser(html, tmp_path)
    rendered = Page()
    rendered.feed(dom)
    assert set(rendered.features) == DRIFTING  # what the browser built, not the file we wrote
    assert rendered.charts == 3
    assert console == [], console
    assert shot.exists() and shot.stat().st_size > 20_000  # a page drawn, not a blank one


@pytest.fixture
def mq_report() -> Iterator[str]:
    """report.html of a degraded model-quality hour, as the monitor's run writes it (with the baseline's
    statistics read back from S3), on moto's S3 only: no stack needed."""
    from data_quality.mq_run import check_window
    from data_quality.storage import S3Files
    from local.scenarios import model_quality as mq_scenario
    from model_governance.monitoring.mq_monitors import parse_model_quality_monitors

    [monitor] = parse_model_quality_monitors(mq_scenario.CONTEXT["modelQualityMonitors"])
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=mq_scenario.BUCKET)
        mq_scenario.put_baseline(s3)
        mq_scenario.serve_hour(s3, HOUR, seed=3, degraded=True)
        outcome = check_window(S3Files(s3), monitor, HOUR + timedelta(hours=2, minutes=5))
        assert (outcome.status, outcome.violations) == ("Completed", 5)
        key = f"{outcome.output_uri.removeprefix(f's3://{mq_scenario.BUCKET}/')}/report.html"
        yield s3.get_object(Bucket=mq_scenario.BUCKET, Key=key)["Body"].read().decode()


class ModelQualityPage(HTMLParser):
    """The charts and series a model-quality page holds, and anything that would run or fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: list[str] = []
        self.series: list[str] = []
        self.violated_rows = 0
        self.forbidden: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "svg":
            assert found.get("role") == "img" and found.get("aria-label"), found
            self.charts.append(str(found.get("class")))
        if tag == "polyline" and found.get("data-series"):
            self.series.append(str(found["data-series"]))
        self.violated_rows += tag == "tr" and found.get("class") == "bad"
        if tag in {"script", "img", "iframe", "object"} or any(
            n in {"src", "href"} or n.startswith("on") for n in found
        ):
            self.forbidden.append(tag)


def test_the_model_quality_report_states_its_curves_beside_the_baseline(mq_report: str) -> None:
    page = ModelQualityPage()
    page.feed(mq_report)
    assert page.violated_rows == 5 and page.forbidden == []
    assert page.charts.count("curve") == 2
    assert sorted(page.series) == ["baseline", "baseline", "this run", "this run"]  # ROC and PR, each both
    assert "default-src 'none'" in mq_report and len(mq_report.encode()) < 200_000


@needs_browser
def test_the_model_quality_report_loads_in_a_headless_browser_without_errors(mq_report: str, tmp_path: Path) -> None:
    dom, console, shot = load_in_browser(mq_report, tmp_path)
    rendered = ModelQualityPage()
    rendered.feed(dom)  # what the browser built under the page's Content-Security-Policy
    assert rendered.charts.count("curve") == 2 and rendered.charts.count("gauge") >= 5
    assert sorted(rendered.series) == ["baseline", "baseline", "this run", "this run"]
    assert rendered.violated_rows == 5 and rendered.forbidden == []
    assert console == [], console
    assert shot.exists() and shot.stat().st_size > 20_000
