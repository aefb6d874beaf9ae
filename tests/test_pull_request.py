"""nox -s migrations_pr's runner: a sandbox gets the base branch's migrations, then lint + plan of the rest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import leaked, user_project

BASE = (
    "create table public.todos (id bigint primary key, title text);\n"
    "alter table public.todos enable row level security;\n"
)


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_only_the_pull_requests_migrations_are_linted_and_rehearsed_on_top_of_the_base(tmp_path: Path) -> None:
    cwd = user_project(tmp_path)
    migrations = cwd / "supabase" / "migrations"
    migrations.mkdir(parents=True)
    (migrations / "1_todos.sql").write_text(BASE)
    git(cwd, "init", "-q", "-b", "main")
    git(cwd, "add", ".")
    git(cwd, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base")
    (migrations / "2_index.sql").write_text("create index todos_title_idx on public.todos (title);\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPABASE_", "MIGRATIONS_", "GITHUB_"))}
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
