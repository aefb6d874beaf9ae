"""What every task shares about its output: a reader that leaves early (`| head`) costs no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MigrationDir, user_project

from migrations_tasks import namespace
from migrations_tasks.tasks._common import Task

#: 200 tables without row level security: db.lint's output is far larger than a pipe's buffer (64 KiB).
WARN_ONLY = "migrations:\n  lint:\n    rules: {supabase-rls-not-enabled: warn}\n"


def many_findings(migrations: MigrationDir, tmp_path: Path) -> Path:
    for n in range(200):
        migrations.write(f"{20250101000000 + n}_t{n}.sql", f"create table public.t{n} (id int primary key);\n")
    cwd = user_project(tmp_path)
    (cwd / "invoke.yaml").write_text(WARN_ONLY)  # warnings only: exit 0, so a traceback's exit 1 would show
    return cwd


@pytest.mark.parametrize(
    ("args", "merged"), [(["--json"], False), ([], True)], ids=["json-stdout", "text-stdout-and-stderr"]
)
def test_a_reader_that_leaves_early_costs_the_rest_of_the_output_not_a_traceback(
    migrations: MigrationDir, tmp_path: Path, args: list[str], merged: bool
) -> None:
    """`inv db.lint --json | head -c 600` through a real pipe: quiet, and the task's own exit code."""
    cwd = many_findings(migrations, tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPABASE_", "MIGRATIONS_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "invoke", "db.lint", "--all", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merged else subprocess.PIPE,
    )
    assert process.stdout is not None
    head = process.stdout.read(600)
    process.stdout.close()  # as `head -c 600` does once it has read enough
    stderr = process.stderr.read().decode() if process.stderr else ""
    assert process.wait(120) == 0, stderr
    assert len(head) == 600 and head.startswith(b"{" if args else b"supabase/migrations/")
    assert stderr == ""  # no traceback, no "Exception ignored ... BrokenPipeError" at exit


def test_every_task_runs_with_its_output_guarded() -> None:
    ns = namespace()
    tasks = {name: ns[name] for name in ns.task_names}
    assert len(tasks) > 10
    assert [name for name, task in tasks.items() if not isinstance(task, Task)] == []
