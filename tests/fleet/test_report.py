"""The fleet's report: the table, one JSON document, the exit code, GitHub's summary and annotations."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from migrations_tasks.fleet.report import render_fleet, render_line
from migrations_tasks.fleet.results import RunStatus, TargetRun
from migrations_tasks.output.reporter import Reporter

RUNS = [
    TargetRun(name="eu", status=RunStatus.OK, done=3, requests=2, seconds=0.5),
    TargetRun(
        name="us",
        status=RunStatus.FAILED,
        exit_code=1,
        done=1,
        pending=2,
        error='relation "<img src=x>|pwn" already exists',
        migration="20260101000002",
    ),
    TargetRun(name="ap", status=RunStatus.STOPPED, exit_code=143, done=1, pending=1, stopped_at="20260101000001"),
    TargetRun(name="sa", status=RunStatus.NOT_STARTED, reason="a target us failed"),
]


def test_the_table_names_each_target_its_counts_and_first_error_and_the_highest_exit_code_wins() -> None:
    out, err = io.StringIO(), io.StringIO()
    reporter = Reporter(out=out, err=err)
    assert render_fleet(reporter, RUNS, task="db.apply") == 143
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["TARGET", "STATUS", "APPLIED/PENDING", "REQUESTS", "TIME", "FIRST", "ERROR"]
    assert lines[3].startswith("us") and '20260101000002: relation "<img src=x>|pwn" already exists' in lines[3]
    assert "stopped at a migration boundary after 20260101000001" in lines[4]
    assert lines[5].endswith("a target us failed")
    render_line(reporter, RUNS[1], "applied")
    assert err.getvalue().startswith("[FAILED] us: 1 applied, 2 pending, 0 requests, 0.0s; 20260101000002: relation")


def test_json_is_one_document_listing_every_target() -> None:
    out = io.StringIO()
    render_fleet(Reporter(out=out, err=io.StringIO(), json=True), RUNS, task="db.apply")
    document = json.loads(out.getvalue())
    assert (document["status"], document["exit_code"]) == ("failed", 143)
    assert [(t["target"], t["status"], t["applied"]) for t in document["targets"]] == [
        ("eu", "ok", 3),
        ("us", "failed", 1),
        ("ap", "stopped", 1),
        ("sa", "not-started", 0),
    ]


def test_github_gets_the_table_with_target_text_escaped_and_annotations_prefixed_with_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    err = io.StringIO()
    render_fleet(Reporter(out=io.StringIO(), err=err, json=True), RUNS, task="db.apply")
    text = summary.read_text()
    assert "| us | failed | 1/2 |" in text and "<img" not in text and "\\|pwn" in text
    assert "::error title=db.apply us::us: 20260101000002: relation" in err.getvalue()
    assert "title=db.apply ap::ap: stopped at a migration boundary" in err.getvalue()
