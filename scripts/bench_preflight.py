"""Benchmark rows: ``inv db.lint --all`` and ``inv db.plan`` of pending migrations on top of an applied set.

Imported by scripts/benchmark.py (``--only preflight``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_rows import TASKS_PY, Row, median, ms

from migrations_tasks.sandbox import Sandbox, workload


def pending_sql(number: int) -> str:
    """Return a pending migration that changes the Nth generated table, with its down SQL."""
    return (
        f"create index w_{number}_id_label_idx on public.w_{number} (id, label);\n"
        f"alter table public.w_{number} add column note text;\n"
        f"-- migrate:down\n-- alter table public.w_{number} drop column note;\n"
        f"-- drop index public.w_{number}_id_label_idx;\n"
    )


def timed_inv(directory: Path, env: dict[str, str], *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    t = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "invoke", *args], cwd=directory, env=env, capture_output=True, text=True, check=False
    )
    return time.perf_counter() - t, result


def preflight_rows(applied: int, pending: int, runs: int) -> list[Row]:
    """db.lint of the applied set's files, and db.plan of ``pending`` migrations on top of them."""
    directory = Path(tempfile.mkdtemp(prefix="mt-bench-preflight-"))
    (directory / "tasks.py").write_text(TASKS_PY)
    migrations = directory / "supabase" / "migrations"
    workload.generate(migrations, applied)
    rows = []
    with Sandbox() as sandbox:
        project = sandbox.create_project()
        env = dict(os.environ, SUPABASE_API_URL=sandbox.api_url, SUPABASE_PROJECT_REF=project["ref"])
        env.update(SUPABASE_ACCESS_TOKEN=sandbox.state["token"], MIGRATIONS_DRIFT_DB_URL=sandbox.env["SANDBOX_DB_URL"])
        timed_inv(directory, env, "db.apply")
        lint = [timed_inv(directory, env, "db.lint", "--all", "--json") for _ in range(runs)]
        doc = json.loads(lint[-1][1].stdout)
        note = f"{len(doc['findings'])} findings (exit {doc['exit_code']}); squawk + our rules; nothing sent"
        rows.append(Row(f"db.lint --all, {applied} files", "0", ms(median([w for w, _ in lint])), note=note))
        for number in range(1, pending + 1):
            version = workload.version_of(applied + number)
            (migrations / f"{version}_change_{number}.sql").write_text(pending_sql(number), encoding="utf-8")
        walls, requests = [], []
        for _ in range(runs):
            before = sandbox.api.stats["by_project"].get(project["ref"], 0) if sandbox.api else 0
            wall, result = timed_inv(directory, env, "db.plan", "--json")
            walls.append(wall)
            requests.append((sandbox.api.stats["by_project"].get(project["ref"], 0) if sandbox.api else 0) - before)
        doc = json.loads(result.stdout)
        note = (
            f"exit {doc['exit_code']}; {doc['throwaway']['requests']} requests to the throwaway database "
            f"({applied} applied + rehearsal + rollback proofs), whose server is reused"
        )
        rows.append(
            Row(f"db.plan, {pending} pending on {applied} applied", str(max(requests)), ms(median(walls)), note=note)
        )
    shutil.rmtree(directory, ignore_errors=True)
    return rows


def preflight_group(groups: set[str], quick: bool, step: Callable[[str], None]) -> list[Row]:
    """The preflight rows, when that group is asked for."""
    if "preflight" not in groups:
        return []
    step("db.lint and db.plan")
    return preflight_rows(100 if quick else 350, 5 if quick else 10, 1 if quick else 3)
