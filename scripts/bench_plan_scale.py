"""Benchmark rows: ``inv db.plan`` of one large pending migration, and of many data checks on a table of
200,000 rows written out of band (not by migrations).

Imported by scripts/benchmark.py (``--only planscale``). The migrations are those of
tests/rehearsal/test_plan_scale.py: COMMENT / GRANT / CREATE POLICY over 160 tables, one LOCK TABLE of all of
them; then SET NOT NULL and CHECK statements, each a read-only data check on the live rows.
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

from bench_rows import TASKS_PY, Row, ms

from migrations_tasks.sandbox import Sandbox

TABLES = 160
ROWS = 200_000


def _base() -> str:
    return "".join(
        f"create table public.t{n} (id bigint primary key, note text, qty int);\n"
        f"alter table public.t{n} enable row level security;\n"
        for n in range(TABLES)
    )


def _mixed(count: int) -> str:
    kinds = (
        lambda n: f"comment on table public.t{n % TABLES} is 'note {n}';",
        lambda n: f"grant select on public.t{n % TABLES} to authenticated;",
        lambda n: f"create policy p{n} on public.t{n % TABLES} for select using (true);",
    )
    return "\n".join(kinds[n % 3](n) for n in range(count)) + "\n"


def _checked(count: int) -> str:
    """Return ``count`` row-dependent statements on public.t0 (ROWS rows): each gets a data check."""
    return "".join(
        f"alter table public.t0 add constraint c{n} check (qty < {n + 10});\n"
        if n % 2
        else "alter table public.t0 alter column note set not null;\n"
        for n in range(count)
    )


def workloads() -> list[tuple[str, str]]:
    """Return (name, migration text) of each measured pending migration."""
    every = ", ".join(f"public.t{n}" for n in range(TABLES))
    return [
        ("51 statements (COMMENT/GRANT/CREATE POLICY)", _mixed(51)),
        ("1,000 statements (COMMENT/GRANT/CREATE POLICY)", _mixed(1000)),
        ("5,000 statements (COMMENT/GRANT/CREATE POLICY)", _mixed(5000)),
        (f"one LOCK TABLE of {TABLES} tables", f"lock table {every} in share mode;\n"),
        (f"200 data checks on {ROWS:,} live rows (SET NOT NULL, CHECK)", _checked(200)),
    ]


def plan_scale_rows() -> list[Row]:
    """Plan each workload as the one pending migration of a project with 160 tables."""
    directory = Path(tempfile.mkdtemp(prefix="mt-bench-planscale-"))
    (directory / "tasks.py").write_text(TASKS_PY)
    migrations = directory / "supabase" / "migrations"
    migrations.mkdir(parents=True)
    (migrations / "20250101000000_tables.sql").write_text(_base())
    rows = []
    with Sandbox() as sandbox:
        project = sandbox.create_project()
        env = dict(os.environ, SUPABASE_API_URL=sandbox.api_url, SUPABASE_PROJECT_REF=project["ref"])
        env.update(SUPABASE_ACCESS_TOKEN=sandbox.state["token"], MIGRATIONS_DRIFT_DB_URL=sandbox.env["SANDBOX_DB_URL"])
        inv = [sys.executable, "-m", "invoke"]
        subprocess.run([*inv, "db.apply"], cwd=directory, env=env, capture_output=True, check=True)
        with sandbox.admin(f"p_{project['ref']}") as conn:
            conn.execute(f"insert into public.t0 select g, 'n', 1 from generate_series(1, {ROWS}) g; analyze public.t0")
        for name, text in workloads():
            pending = migrations / "20250102000000_pending.sql"
            pending.write_text(text)
            before = sandbox.api.stats["by_project"].get(project["ref"], 0) if sandbox.api else 0
            started = time.perf_counter()
            result = subprocess.run([*inv, "db.plan", "--json"], cwd=directory, env=env, capture_output=True, text=True)
            wall = time.perf_counter() - started
            sent = (sandbox.api.stats["by_project"].get(project["ref"], 0) if sandbox.api else 0) - before
            doc = json.loads(result.stdout)
            [migration] = doc["migrations"]
            checks = sum(len(st["data_checks"]) for st in migration["statements"])
            note = (
                f"{doc['status']} (exit {doc['exit_code']}); rehearsal {migration['status']}; "
                f"{checks} data checks; {doc['throwaway']['requests']} requests to the throwaway database"
            )
            rows.append(Row(f"db.plan of one pending migration: {name}", str(sent), ms(wall), note=note))
            pending.unlink()
    shutil.rmtree(directory, ignore_errors=True)
    return rows


def plan_scale_group(groups: set[str], quick: bool, step: Callable[[str], None]) -> list[Row]:
    """The plan-scale rows, when that group is asked for (not part of the default run: --only planscale)."""
    if "planscale" not in groups:
        return []
    step("db.plan of large migrations")
    return plan_scale_rows()
