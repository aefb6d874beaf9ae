"""Faults between and inside the parts of a migration that runs outside one transaction: SIGKILL, 408."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import SandboxFactory, SandboxProcess, run_inv, user_project
from test_faults import start_apply

from migrations_tasks.engine import Engine, Event
from migrations_tasks.errors import MigrationsTasksError
from migrations_tasks.history import lease
from migrations_tasks.history.ledger import TABLE
from migrations_tasks.history.migrations import load
from migrations_tasks.transport.connect import connect

#: An advisory lock the test holds while the third part of migration 2 asks for it.
GATE_KEY = 4343

PARTS = (
    "begin;\ninsert into audit values (1);\ncommit;\n"
    "create index concurrently audit_id on audit (id);\n"
    f"begin;\nselect pg_advisory_xact_lock({GATE_KEY});\ninsert into audit values (2);\ncommit;\n"
    "begin;\ninsert into audit values (3);\ncommit;\n"
)


def waiter(conn: psycopg.Connection[Any]) -> int:
    """Return the backend waiting for the gate (polling the database, not the clock); 0 when none."""
    row = conn.execute(
        "select pid from pg_locks where locktype = 'advisory' and objid = %s and not granted"
        " and database = (select oid from pg_database where datname = current_database())",  # the cluster's view
        (GATE_KEY,),
    ).fetchone()
    return int(row[0]) if row else 0


def until(check: Any, what: str) -> Any:
    """Poll ``check`` until it returns something true (at most 60 s)."""
    for _ in range(6000):
        found = check()
        if found:
            return found
        time.sleep(0.01)
    raise AssertionError(f"never: {what}")


@pytest.mark.parametrize("in_flight", ["commits", "never-commits"])
def test_sigkill_between_the_parts_of_a_migration_then_a_rerun_completes_it_exactly_once(
    sandbox: SandboxProcess, tmp_path: Path, in_flight: str
) -> None:
    project = sandbox.new_project()
    cwd = user_project(tmp_path)
    migrations = cwd / "supabase" / "migrations"
    migrations.mkdir(parents=True)
    (migrations / "1_audit.sql").write_text("create table audit (id int);\n")
    (migrations / "2_parts.sql").write_text(PARTS)
    (migrations / "3_last.sql").write_text("create table last_one (id int);\n")
    with psycopg.connect(project.db_url, autocommit=True) as holder:
        holder.execute("select pg_advisory_lock(%s)", (GATE_KEY,))
        process = start_apply(sandbox, project.ref, cwd)
        pid = until(lambda: process.poll() is None and waiter(holder), "db.apply reached the third part")
        process.send_signal(signal.SIGKILL)  # parts 1 and 2 (the index) committed; part 3 is in flight
        process.communicate(timeout=60)
        assert process.returncode == -signal.SIGKILL
        if in_flight == "commits":
            holder.execute("select pg_advisory_unlock(%s)", (GATE_KEY,))
            until(lambda: holder.execute("select count(*) from audit where id = 2").fetchone() == (1,), "part 3")
        else:
            holder.execute("select pg_terminate_backend(%s)", (pid,))
            until(lambda: not waiter(holder), "part 3 ended")
            holder.execute("select pg_advisory_unlock(%s)", (GATE_KEY,))
        committed = [(1,), (2,)] if in_flight == "commits" else [(1,)]
        assert holder.execute("select id from audit order by id").fetchall() == committed
        assert holder.execute("select indisvalid from pg_index where indexrelid = 'audit_id'::regclass").fetchall() == [
            (True,)
        ]
        assert holder.execute(f"select count(*) from {lease.TABLE}").fetchone() == (1,)  # the killed run's
        # the lease expires 30 s after its last renewal; the test does not wait for the clock
        holder.execute(f"update {lease.TABLE} set expires_at = now() - interval '1 second'")
    env = {
        "SUPABASE_API_URL": sandbox.api_url,
        "SUPABASE_PROJECT_REF": project.ref,
        "SUPABASE_ACCESS_TOKEN": sandbox.token,
    }
    rerun = run_inv("db.apply", cwd=cwd, env=env)
    assert rerun.returncode == 0, rerun.stderr
    output = rerun.stdout + rerun.stderr
    assert "the run that was applying it stopped before it finished" in output
    part = "3" if in_flight == "commits" else "1"
    assert f"going on after its part {part} (the parts before committed)" in output
    if in_flight == "never-commits":  # the index part is checked in the catalog, not built again
        assert "the catalog shows `create index concurrently audit_id on audit (id)` done" in output
    assert project.sql("SELECT id FROM audit ORDER BY id") == [(1,), (2,), (3,)]
    assert project.sql(f"SELECT version FROM {TABLE} ORDER BY version") == [("1",), ("2",), ("3",)]
    assert project.sql(f"SELECT count(*) FROM {lease.TABLE}") == [(0,)]
    assert project.sql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'audit_id'::regclass") == [(True,)]


@pytest.fixture
def short_limit(sandbox_factory: SandboxFactory) -> SandboxProcess:
    return sandbox_factory("--query-timeout", "0.5")  # the API's ~55 s limit, scaled down to a large table


def test_a_408_on_a_large_table_leaves_no_invalid_index_and_a_direct_rerun_builds_it_once(
    short_limit: SandboxProcess, tmp_path: Path
) -> None:
    project = short_limit.new_project()
    project.sql("create table big (id int, v text)")
    project.sql("insert into big select i, md5(i::text) from generate_series(1, 1000000) i")
    (tmp_path / "1_index.sql").write_text("create index concurrently big_v on big (v);\n")
    said: list[Event] = []
    settings = project.settings(tmp_path)
    with pytest.raises(MigrationsTasksError) as caught:
        Engine(connect(settings.target, settings), settings, on_event=said.append).apply(load(tmp_path))
    text = str(caught.value)
    assert caught.value.exit_code == 3 and "ran past the API's time limit twice" in text
    assert "the INVALID index big_v it left was dropped" in text and "--transport postgres" in text
    assert any("left index big_v INVALID: dropping it and building it again" in e.message for e in said)
    assert project.sql("SELECT to_regclass('big_v')") == [(None,)]
    assert project.sql("SELECT count(*) FROM pg_index WHERE NOT indisvalid") == [(0,)]
    assert project.sql(f"SELECT count(*) FROM {TABLE}") == [(0,)]
    assert project.sql(f"SELECT count(*) FROM {lease.TABLE}") == [(0,)]
    direct = project.settings(tmp_path, "postgres")
    result = Engine(connect(direct.target, direct), direct).apply(load(tmp_path))
    assert [o.status for o in result.outcomes] == ["applied"]
    assert project.sql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_v'::regclass") == [(True,)]
    assert project.sql(f"SELECT count(*) FROM {TABLE}") == [(1,)]
