"""report.html of a data-quality run: the drifting features charted against the baseline, every feature's checks,
offline (no script, no fetch), names from the data escaped, linked from the alert; loaded in a real headless browser."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

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


@pytest.mark.skipif(BROWSER is None, reason="no Chromium: `make test-browser` installs it (Debian's chromium)")
def test_the_report_loads_in_a_headless_browser_without_errors(report: tuple[str, Any], tmp_path: Path) -> None:
    html, _ = report
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
    rendered = Page()
    rendered.feed(dom.stdout)
    assert set(rendered.features) == DRIFTING  # what the browser built, not the file we wrote
    assert rendered.charts == 3
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Refused to" in line]
    assert console == [], console
    subprocess.run(
        [str(BROWSER), *flags, f"--screenshot={shot}", "--window-size=1000,1600", page.as_uri()],
        capture_output=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert shot.exists() and shot.stat().st_size > 20_000  # a page drawn, not a blank one
    if os.environ.get("KEEP_REPORT"):
        shutil.copy(shot, os.environ["KEEP_REPORT"])
