"""The database tasks over a fleet: twelve projects of one sandbox, named in invoke.yaml, in one command.

One sandbox (the session's) and twelve projects serve the whole module; the scenario runs in the order a
team meets it: check all, a failing canary that stops the rest, an apply that goes on past a failure.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from conftest import MigrationDir, Project, SandboxProcess, run_inv, user_project

from migrations_tasks.sandbox import workload

MIGRATIONS = 30


@pytest.fixture(scope="module")
def fleet(sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[Project]]]:
    """A user's project whose invoke.yaml names twelve sandbox projects t01..t12, grouped as `fleet`."""
    projects = [sandbox.new_project() for _ in range(12)]
    root = user_project(tmp_path_factory.mktemp("fleet"))
    migrations = MigrationDir(root / "supabase" / "migrations")
    for n in range(1, MIGRATIONS + 1):
        migrations.write(f"202601010000{n:02d}_t{n}.sql", f"create table public.t{n} (id bigint primary key);\n")
    names = [f"t{i:02d}" for i in range(1, 13)]
    targets = "\n".join(f"    {name}: {{project_ref: {p.ref}}}" for name, p in zip(names, projects))
    (root / "invoke.yaml").write_text(
        f"migrations:\n  targets:\n{targets}\n  target_groups:\n    fleet: [{', '.join(names)}]\n", encoding="utf-8"
    )
    (root / ".env").write_text(
        f"SUPABASE_ACCESS_TOKEN={sandbox.token}\nSUPABASE_API_URL={sandbox.api_url}\n", encoding="utf-8"
    )
    yield root, projects
    for project in projects:
        project.close()
        sandbox.call("DELETE", f"/_sandbox/projects/{project.ref}")


def requests_by_project(sandbox: SandboxProcess) -> dict[str, int]:
    _, stats = sandbox.call("GET", "/_sandbox/stats")
    return dict(stats["by_project"])


def test_a_fleet_is_checked_as_one_document_a_failing_canary_stops_the_rest_and_continue_goes_past_a_failure(
    fleet: tuple[Path, list[Project]], sandbox: SandboxProcess
) -> None:
    root, projects = fleet
    checked = run_inv("db.check", "--target", "fleet", "--json", cwd=root)
    document = json.loads(checked.stdout)
    assert checked.returncode == 1 and document["exit_code"] == 1
    assert [t["target"] for t in document["targets"]] == [f"t{i:02d}" for i in range(1, 13)]
    assert {(t["status"], t["pending"]) for t in document["targets"]} == {("pending", MIGRATIONS)}

    projects[0].sql("create table public.t7 (id int)")  # t01 conflicts with the seventh migration
    before = requests_by_project(sandbox)
    canary = run_inv("db.apply", "--target", "fleet", "--canary", "1", cwd=root)
    after = requests_by_project(sandbox)
    assert canary.returncode == 1, canary.stderr
    assert [p.ref for p in projects if after.get(p.ref, 0) != before.get(p.ref, 0)] == [projects[0].ref]
    assert "not-started" in canary.stdout and "the canary t01 failed" in canary.stdout

    applied = run_inv("db.apply", "--target", "fleet", "--parallel", "6", "--on-error", "continue", cwd=root)
    final = requests_by_project(sandbox)
    assert applied.returncode == 1, applied.stderr
    rows = {line.split()[0]: line for line in applied.stdout.splitlines() if line.startswith("t")}
    assert "failed" in rows["t01"] and "20260101000007" in rows["t01"] and "already exists" in rows["t01"]
    assert all(rows[f"t{i:02d}"].split()[1:3] == ["ok", f"{MIGRATIONS}/0"] for i in range(2, 13)), applied.stdout
    assert max(final[p.ref] - after.get(p.ref, 0) for p in projects[1:]) <= 3
    assert "db.apply on 12 targets: 1 failed, 11 ok (exit 1)." in applied.stdout


#: An advisory lock the test holds while migration 10 asks for it, on each project: both are mid-request.
GATE_KEY = 4243


def test_a_signal_stops_every_target_at_a_migration_boundary_and_the_table_says_where(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    projects = [sandbox.new_project(), sandbox.new_project()]
    root = user_project(tmp_path)
    files = workload.generate(root / "supabase" / "migrations", 30)
    with files[9].open("a") as tenth:  # the signal comes while each request holding 10, 11 and 12 is in flight
        tenth.write(f"select pg_advisory_xact_lock({GATE_KEY});\n")
    env = {"SUPABASE_API_URL": sandbox.api_url, "SUPABASE_ACCESS_TOKEN": sandbox.token}
    holders = [psycopg.connect(p.db_url, autocommit=True) for p in projects]
    for holder in holders:
        holder.execute("select pg_advisory_lock(%s)", (GATE_KEY,))
    spec = ",".join(p.ref for p in projects)
    process = subprocess.Popen(
        [sys.executable, "-m", "invoke", "db.apply", "--target", spec, "--batch-size", "3"],
        cwd=root,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("SUPABASE_")}, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    waiting = (  # pg_locks is the cluster's: only this project's database counts
        "select count(*) from pg_locks where locktype = 'advisory' and objid = %s and not granted"
        " and database = (select oid from pg_database where datname = current_database())"
    )
    for holder in holders:  # polls the databases, not the clock
        while holder.execute(waiting, (GATE_KEY,)).fetchone() == (0,):
            assert process.poll() is None, process.communicate()
            time.sleep(0.01)  # between polls of the database, as tests/engine/test_faults.py waits
    process.send_signal(signal.SIGTERM)
    assert process.stderr is not None
    for line in process.stderr:
        if "SIGTERM received: stopping every target" in line:
            break
    for holder in holders:
        holder.execute("select pg_advisory_unlock(%s)", (GATE_KEY,))
        holder.close()
    out, err = process.communicate(timeout=120)
    assert process.returncode == 143, err
    twelfth = workload.version_of(12)
    for project in projects:
        row = next(line for line in out.splitlines() if line.startswith(project.ref))
        assert "stopped" in row and "12/18" in row and f"after {twelfth}" in row and "stopped by a signal" in row
        project.close()
        sandbox.call("DELETE", f"/_sandbox/projects/{project.ref}")
