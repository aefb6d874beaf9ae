"""nox -s migrations_pr's runner: a sandbox gets the base branch's migrations, then lint + plan of the rest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import leaked, user_project

from migrations_tasks.rehearsal.pull_request import base_migrations, main

BASE = (
    "create table public.todos (id bigint primary key, title text);\n"
    "alter table public.todos enable row level security;\n"
)


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_only_the_pull_requests_migrations_are_linted_and_rehearsed_and_each_finding_annotated_once(
    tmp_path: Path,
) -> None:
    cwd = user_project(tmp_path)
    migrations = cwd / "supabase" / "migrations"
    migrations.mkdir(parents=True)
    (migrations / "1_todos.sql").write_text(BASE)
    git(cwd, "init", "-q", "-b", "main")
    git(cwd, "add", ".")
    git(cwd, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base")
    (migrations / "2_index.sql").write_text("create index todos_title_idx on public.todos (title);\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPABASE_", "MIGRATIONS_", "GITHUB_"))}
    env.update(GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"))
    result = subprocess.run(
        [sys.executable, "-m", "migrations_tasks.rehearsal.pull_request", "--base", "main"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert not leaked(result.stdout, result.stderr)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "The sandbox gets 1 migration of main first." in result.stdout
    assert "supabase/migrations/2_index.sql:1:1: warn require-concurrent-index-creation" in result.stdout
    assert "in 1 file (pending migrations" in result.stdout
    assert "ShareLock on public.todos" in result.stdout
    assert "db.plan: safe (exit 0); 1 pending migration rehearsed" in result.stdout
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::warning ")]
    assert [a.split("title=")[1].split("::")[0] for a in annotations] == [
        "db.plan%3A require-concurrent-index-creation",
        "db.plan%3A down-sql-missing",
    ]
    assert "### db.plan: safe (exit 0)" in (tmp_path / "summary.md").read_text()


def committed(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base")
    return tmp_path


def test_a_base_without_the_migrations_folder_gives_the_sandbox_no_migrations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(committed(tmp_path / "repo", {"README.md": "first pull request adds supabase/\n"}))
    assert base_migrations("main", "supabase/migrations", tmp_path / "out") == 0


def test_the_base_gives_only_its_own_sql_files_of_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"supabase/migrations/1_a.sql": "select 1;\n", "supabase/migrations/old/2_b.sql": "select 2;\n"}
    monkeypatch.chdir(committed(tmp_path / "repo", files))
    assert base_migrations("main", "supabase/migrations/", tmp_path / "out") == 1
    assert (tmp_path / "out" / "1_a.sql").read_text() == "select 1;\n"


def test_an_unknown_base_ref_stops_with_gits_one_line_reason_before_any_sandbox_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(committed(tmp_path / "repo", {"README.md": "x\n"}))
    assert main(["--base", "origin/nowhere"]) == 3
    err = capsys.readouterr().err
    assert "error: cannot read the migrations of origin/nowhere: git says fatal:" in err and "Traceback" not in err


def test_the_pull_request_workflow_installs_only_pinned_hashed_packages_and_uses_no_secrets() -> None:
    root = Path(__file__).resolve().parents[2]
    workflow = (root / ".github" / "workflows" / "migrations-pr.yml").read_text()
    installs = [line.strip() for line in workflow.splitlines() if "pip install" in line]
    assert installs == ["run: python -m pip install --require-hashes --no-deps -r .github/requirements/nox.txt"]
    assert "secrets." not in workflow
    noxfile = (root / "noxfile.py").read_text()
    session = noxfile[noxfile.index("def migrations_pr(") :]
    assert '"--require-hashes", "--no-deps", "-r", STAGING_GATE_REQUIREMENTS' in session
    assert 'session.install("--no-deps", "--no-build-isolation", ".")' in session
