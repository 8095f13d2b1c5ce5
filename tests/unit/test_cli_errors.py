"""Every command a user runs answers bad input with one line on stderr and a non-zero exit, never a traceback,
and changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from ops import backfill, baseline, ledger, redrive, smoke
from ops.cli import run

ROOT = Path(__file__).resolve().parents[2]
Main = Callable[[Sequence[str] | None], int]


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A machine with no AWS credentials and no region configured."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def one_line_failure(main: Main, argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = run(main, argv)
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert code != 0
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in captured.err + captured.out
    return code, lines[0]


@pytest.fixture
def datasets(tmp_path: Path) -> Path:
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "ragged.csv").write_text("age,income\n31,5000\n42,7000,extra\n")
    (tmp_path / "header_only.csv").write_text("age,income,segment\n")
    (tmp_path / "binary.csv").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "not_json.jsonl").write_text('{"age": 31}\nnot json\n')
    (tmp_path / "good.csv").write_text("age,segment\n31,a\n42,b\n,a\n")
    (tmp_path / "taken").write_text("a file where OUTPUT should be a folder")
    (tmp_path / "a_folder").mkdir()
    return tmp_path


@pytest.mark.parametrize(
    ("dataset", "output", "says"),
    [
        ("", "", "DATASET and OUTPUT are required"),
        ("empty.csv", "out", "is empty"),
        ("ragged.csv", "out", "line 3 has 3 columns, the header has 2"),
        ("header_only.csv", "out", "needs at least 2 rows"),
        ("binary.csv", "out", "not a text file"),
        ("not_json.jsonl", "out", "not JSON"),
        ("missing.csv", "out", "no such file"),
        ("a_folder", "out", "is a directory"),
        ("good.csv", "taken", "is a file"),
        ("s3://x/k.csv", "out", "not an s3://bucket/prefix URI"),
    ],
)
def test_baseline_refuses_bad_input_in_one_line_and_writes_nothing(
    datasets: Path, dataset: str, output: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "--dataset",
        str(datasets / dataset) if dataset and "://" not in dataset else dataset,
        "--output",
        str(datasets / output) if output else "",
    ]
    _, line = one_line_failure(baseline.main, argv, capsys)
    assert says in line
    assert not (datasets / "out").exists()


def test_baseline_without_credentials_says_so(datasets: Path, no_aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    _, line = one_line_failure(baseline.main, ["--dataset", "s3://bucket-x/train.csv", "--output", "out"], capsys)
    assert "no AWS credentials" in line


def test_baseline_summarises_each_column(datasets: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(baseline.main, ["--dataset", str(datasets / "good.csv"), "--output", str(datasets / "out")]) == 0
    out = capsys.readouterr().out
    assert "2 columns from 3 rows:" in out
    assert "'age': Integral, 66.7% complete, range 31 to 42" in out
    assert "'segment': String, 100.0% complete, domain {'a', 'b'}" in out
    statistics = json.loads((datasets / "out" / "statistics.json").read_text())
    assert [f["name"] for f in statistics["features"]] == ["age", "segment"]


@pytest.mark.parametrize(
    ("main", "argv", "says"),
    [
        (ledger.main, [], "GROUP is required"),
        (ledger.main, ["--group", "churn"], "no AWS"),
        (ledger.main, ["--group", "churn", "--bogus"], "unrecognized arguments"),
        (backfill.main, ["--dry-run"], "no AWS"),
        (backfill.main, ["--limit", "0"], "--limit must be 1-1000"),
        (backfill.main, ["--limit", "many"], "invalid int value"),
        (smoke.main, [], "no AWS"),
        (smoke.main, ["--bogus"], "unrecognized arguments"),
        (redrive.main, [], "no AWS"),
    ],
)
def test_the_aws_commands_fail_in_one_line_without_aws(
    main: Main, argv: list[str], says: str, no_aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    _, line = one_line_failure(main, argv, capsys)
    assert says in line


def test_aws_region_chooses_the_region(monkeypatch: pytest.MonkeyPatch, no_aws: None) -> None:
    from ops.cli import session

    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    assert session().region_name == "eu-west-3"


@pytest.mark.parametrize("module", ["ops.baseline", "ops.ledger", "ops.backfill", "ops.smoke", "ops.redrive"])
def test_the_commands_as_make_runs_them_print_one_line(module: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": "layers/python:layers/dq/python:.",
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION"):
        env.pop(name, None)
    argv = {"ops.baseline": [], "ops.ledger": ["--group", "churn"], "ops.backfill": ["--dry-run"]}.get(module, [])
    result = subprocess.run(
        [sys.executable, "-m", module, *argv], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )
    assert result.returncode != 0
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
