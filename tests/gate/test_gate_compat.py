"""The compatibility check: the previous release's verify scripts, read from git, run after the expand phase."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import Project

from migrations_tasks.engine import Engine
from migrations_tasks.gate import compat
from migrations_tasks.gate.options import MigrationsPolicy
from migrations_tasks.gate.record import RunRecord, now
from migrations_tasks.gate.steps import GateRun, StepFailed
from migrations_tasks.history.migrations import load
from migrations_tasks.transport.connect import connect


def git(repo: Path, *args: str) -> str:
    command = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def test_the_previous_releases_verify_scripts_from_git_must_pass_after_the_expand_phase(
    project: Project, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    (repo / "supabase" / "migrations").mkdir(parents=True)
    (repo / "supabase" / "verify").mkdir()
    (repo / "supabase" / "migrations" / "1_people.sql").write_text(
        "create table public.people (id int primary key, fullname text);\n"
    )
    script = repo / "supabase" / "verify" / "01_fullname.sql"
    script.write_text("select fullname from public.people limit 1;\n")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "release 1")
    revision = git(repo, "rev-parse", "--short", "HEAD")
    script.unlink()  # the new release dropped the script: the check reads the previous release's from git
    records = tmp_path / "records"
    records.mkdir()
    previous = {"env": "test", "status": "ok", "release": f"20260101-000000.000-{revision}"}
    (records / "test-20260101T000000Z.json").write_text(json.dumps(previous))
    (records / "test-20260102T000000Z.json").write_text(json.dumps({"env": "test", "status": "failed"}))

    settings = project.settings(repo / "supabase" / "migrations", verify={"drift": "off"})
    db = connect(settings.target, settings)
    Engine(db, settings).apply(load(settings.migrations_dir))
    run = GateRun(RunRecord("test", MigrationsPolicy.APPLY, now()), lambda line: None, settings, db)
    compat.check(run, records, ())
    assert run.record.steps[-1].status == "ok"
    assert run.record.steps[-1].detail == f"1 verify script(s) of {revision} pass after the expand phase"

    project.sql("alter table public.people drop column fullname")  # an "expand" the previous release cannot run on
    with pytest.raises(StepFailed, match=f"the previous release \\({revision}\\) would fail") as caught:
        compat.check(run, records, ())
    assert "01_fullname.sql" in caught.value.message and run.record.steps[-1].status == "failed"

    (records / "test-20260103T000000Z.json").write_text(json.dumps({**previous, "release": "20260103-000000.000"}))
    compat.check(run, records, ())
    assert run.record.steps[-1].status == "skipped" and "names no git revision" in run.record.steps[-1].detail
