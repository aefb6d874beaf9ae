"""Reliability under faults: lost answers, 503s and rate limits never half-apply or double-apply."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import stamina
from conftest import SandboxFactory, SandboxProcess, run_inv, user_project

from migrations_tasks.authoring.pull.record import record
from migrations_tasks.config.settings import load_settings
from migrations_tasks.engine import Engine, Event
from migrations_tasks.history.migrations import load
from migrations_tasks.sandbox import workload
from migrations_tasks.transport.connect import connect


def engine_on(
    sandbox: SandboxProcess,
    ref: str,
    directory: Path,
    events: list[Event] | None = None,
    waits: list[str] | None = None,
    batch_size: int = 50,
) -> Engine:
    env = {"SUPABASE_API_URL": sandbox.api_url, "SUPABASE_PROJECT_REF": ref, "SUPABASE_ACCESS_TOKEN": sandbox.token}
    settings = load_settings(
        {"migrations": {"retry_deadline": 60, "batch_size": batch_size}},
        flags={"migrations_dir": str(directory)},
        environ=env,
        dotenv_path=None,
    )
    db = connect(settings.target, settings, on_wait=(waits.append if waits is not None else None))
    return Engine(db, settings, on_event=(events.append if events is not None else None))


@pytest.fixture
def dropping(sandbox_factory: SandboxFactory) -> SandboxProcess:
    return sandbox_factory("--drop-every", "3")


@pytest.fixture
def failing(sandbox_factory: SandboxFactory) -> SandboxProcess:
    return sandbox_factory("--fail-every", "4")


@pytest.fixture
def limited(sandbox_factory: SandboxFactory) -> SandboxProcess:
    return sandbox_factory("--rate-limit", "6", "--rate-window", "2")


@pytest.fixture
def no_backoff() -> Iterator[None]:
    """stamina's test mode: every retry still happens (up to 20 a request), without its backoff's waits.

    For the tests whose claim is the outcome (each migration applied once); the pacing and 429 tests keep the
    real waits, which are what they check.
    """
    with stamina.set_testing(True, attempts=20):
        yield


def audit(db_url: str, count: int) -> workload.Audit:
    with psycopg.connect(db_url, autocommit=True) as conn:
        return workload.audit(conn, count)


@pytest.mark.usefixtures("no_backoff")
@pytest.mark.parametrize("batch_size", [1, 4])
def test_lost_answers_are_settled_through_the_ledger_and_nothing_is_applied_twice(
    dropping: SandboxProcess, tmp_path: Path, batch_size: int
) -> None:
    project = dropping.new_project()
    workload.generate(tmp_path, 12)
    events: list[Event] = []
    engine = engine_on(dropping, project.ref, tmp_path, events, batch_size=batch_size)
    result = engine.apply(load(tmp_path))
    assert len(result.applied) == 12
    warnings = [e.message for e in events if e.kind == "warning"]
    assert any("was lost" in w for w in warnings), "the sandbox dropped answers, the engine must have noticed"
    assert any("shows it committed" in w for w in warnings)
    found = audit(project.db_url, 12)
    assert found.consistent and len(found.applied) == 12
    # and a check (a read) goes through dropped answers by retrying
    plan = engine.check(load(tmp_path))
    assert all(e.status.value == "applied" for e in plan.entries)


@pytest.mark.usefixtures("no_backoff")
def test_a_lost_answer_while_db_pull_records_its_migration_is_settled_not_reported(
    dropping: SandboxProcess, tmp_path: Path
) -> None:
    project = dropping.new_project()
    workload.generate(tmp_path, 3)
    engine = engine_on(dropping, project.ref, tmp_path)
    engine.create_ledger()
    history = engine.read_ledger()
    for migration in load(tmp_path).migrations:  # three writes in a row: the sandbox drops one of every three answers
        record(engine.db, engine.ctx.settings, history, migration)
    with psycopg.connect(project.db_url, autocommit=True) as conn:
        rows = conn.execute("select version from supabase_migrations.schema_migrations order by 1").fetchall()
    assert [r[0] for r in rows] == [m.version for m in load(tmp_path).migrations]


@pytest.mark.usefixtures("no_backoff")
@pytest.mark.parametrize("batch_size", [1, 4])
def test_503s_on_writes_are_settled_by_resending_and_on_reads_retried(
    failing: SandboxProcess, tmp_path: Path, batch_size: int
) -> None:
    project = failing.new_project()
    workload.generate(tmp_path, 12)
    waits: list[str] = []
    events: list[Event] = []
    engine = engine_on(failing, project.ref, tmp_path, events, waits, batch_size=batch_size)
    result = engine.apply(load(tmp_path))
    assert len(result.applied) == 12
    assert any("sending it again (its guard makes a repeat harmless)" in e.message for e in events)
    found = audit(project.db_url, 12)
    assert found.consistent and len(found.applied) == 12


def test_pacing_keeps_under_the_rate_limit_and_says_how_long_it_waits(limited: SandboxProcess, tmp_path: Path) -> None:
    project = limited.new_project()
    workload.generate(tmp_path, 10)
    waits: list[str] = []
    engine = engine_on(limited, project.ref, tmp_path, waits=waits, batch_size=1)
    result = engine.apply(load(tmp_path))
    assert len(result.applied) == 10
    assert any("waiting" in w and "s for the window to reset" in w for w in waits)
    _, stats = limited.call("GET", "/_sandbox/stats")
    assert stats["rate_limited"] == 0, "pacing should avoid every 429"
    assert audit(project.db_url, 10).consistent


def test_pacing_keeps_under_the_rate_limit_with_several_migrations_per_request(
    limited: SandboxProcess, tmp_path: Path
) -> None:
    project = limited.new_project()
    workload.generate(tmp_path, 20)
    waits: list[str] = []
    _, before = limited.call("GET", "/_sandbox/stats")
    engine = engine_on(limited, project.ref, tmp_path, waits=waits, batch_size=2)
    result = engine.apply(load(tmp_path))
    assert len(result.applied) == 20
    assert any("waiting" in w and "s for the window to reset" in w for w in waits)
    _, stats = limited.call("GET", "/_sandbox/stats")
    # only the first request can meet a 429 (an earlier test spent the window); pacing avoids the rest
    met = stats["rate_limited"] - before["rate_limited"]
    assert met <= 1 and result.requests == 12 + met  # read, create, ten requests of two: twice the window's 6
    assert audit(project.db_url, 20).consistent


def test_a_429_from_someone_else_spending_the_budget_is_waited_out(limited: SandboxProcess, tmp_path: Path) -> None:
    project = limited.new_project()
    workload.generate(tmp_path, 2)
    # another client spends the whole budget of the window
    statuses = [
        limited.call("POST", f"/v1/projects/{project.ref}/database/query", {"query": "select 1"})[0] for _ in range(8)
    ]
    assert 429 in statuses
    waits: list[str] = []
    engine = engine_on(limited, project.ref, tmp_path, waits=waits)
    assert len(engine.apply(load(tmp_path)).applied) == 2
    assert any("Rate limited (429)" in w for w in waits)


@pytest.fixture
def slow(sandbox_factory: SandboxFactory) -> SandboxProcess:
    return sandbox_factory("--latency-ms", "40")


def start_apply(sandbox: SandboxProcess, ref: str, cwd: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPABASE_")}
    env.update(
        {"SUPABASE_API_URL": sandbox.api_url, "SUPABASE_PROJECT_REF": ref, "SUPABASE_ACCESS_TOKEN": sandbox.token}
    )
    return subprocess.Popen(
        [sys.executable, "-m", "invoke", "db.apply", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


#: An advisory lock the test holds while migration 10 asks for it: the run is in that request until released.
GATE_KEY = 4242


def wait_until_blocked(process: subprocess.Popen[str], conn: psycopg.Connection[Any]) -> None:
    """Wait (by polling the database, not the clock) until a migration waits for the test's lock."""
    query = (  # pg_locks is the cluster's: only this project's database counts
        "select count(*) from pg_locks where locktype = 'advisory' and objid = %s and not granted"
        " and database = (select oid from pg_database where datname = current_database())"
    )
    for _ in range(6000):
        assert process.poll() is None, "db.apply ended before it reached migration 10"
        if conn.execute(query, (GATE_KEY,)).fetchone() != (0,):
            return
        time.sleep(0.01)
    raise AssertionError("no migration ever waited for the test's lock")


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_apply_at_a_migration_boundary_and_says_what_was_applied(
    slow: SandboxProcess, tmp_path: Path, signum: int, code: int
) -> None:
    project = slow.new_project()
    cwd = user_project(tmp_path)
    files = workload.generate(cwd / "supabase" / "migrations", 30)
    with files[9].open("a") as tenth:  # the signal comes while the request holding 10, 11 and 12 is in flight
        tenth.write(f"select pg_advisory_xact_lock({GATE_KEY});\n")
    with psycopg.connect(project.db_url, autocommit=True) as holder:
        holder.execute("select pg_advisory_lock(%s)", (GATE_KEY,))
        process = start_apply(slow, project.ref, cwd, "--batch-size", "3")  # stops between requests of 3
        wait_until_blocked(process, holder)
        process.send_signal(signum)
        assert process.stderr is not None
        for line in process.stderr:  # the run took the signal: now let the request in flight finish
            if "received" in line:
                break
        holder.execute("select pg_advisory_unlock(%s)", (GATE_KEY,))
        out, err = process.communicate(timeout=120)
    assert process.returncode == code, err
    assert "Traceback" not in err
    assert "stopping after the request in flight" in line + err
    assert "the database is at a migration boundary" in err
    found = audit(project.db_url, 30)
    assert found.consistent
    assert len(found.applied) == 12  # the requests of 1-3, 4-6, 7-9, and the one in flight: 10-12
    assert "Applied 12 migration" in out
    rerun = run_inv(
        "db.apply",
        cwd=cwd,
        env={
            "SUPABASE_API_URL": slow.api_url,
            "SUPABASE_PROJECT_REF": project.ref,
            "SUPABASE_ACCESS_TOKEN": slow.token,
        },
    )
    assert rerun.returncode == 0
    assert len(audit(project.db_url, 30).applied) == 30


def test_sigkill_at_random_moments_leaves_a_migration_boundary_and_a_rerun_completes(
    slow: SandboxProcess, tmp_path: Path
) -> None:
    project = slow.new_project()
    cwd = user_project(tmp_path)
    workload.generate(cwd / "supabase" / "migrations", 12)
    rng = random.Random(7)
    for _ in range(3):
        process = start_apply(slow, project.ref, cwd)
        time.sleep(rng.uniform(0.3, 1.2))
        process.kill()
        process.communicate(timeout=60)
        assert audit(project.db_url, 12).consistent
    env = {"SUPABASE_API_URL": slow.api_url, "SUPABASE_PROJECT_REF": project.ref, "SUPABASE_ACCESS_TOKEN": slow.token}
    assert run_inv("db.apply", cwd=cwd, env=env).returncode == 0
    found = audit(project.db_url, 12)
    assert found.consistent and len(found.applied) == 12


@pytest.fixture
def alternating(sandbox_factory: SandboxFactory) -> SandboxProcess:
    return sandbox_factory("--fail-every", "2")


def apply_each_once(sandbox: SandboxProcess, directory: Path, count: int, batch_size: int) -> None:
    """Apply ``count`` generated migrations to a new project of ``sandbox``; check each is there once."""
    project = sandbox.new_project()
    workload.generate(directory, count)
    result = engine_on(sandbox, project.ref, directory, batch_size=batch_size).apply(load(directory))
    assert len(result.applied) == count
    found = audit(project.db_url, count)
    assert found.consistent and len(found.applied) == count


@pytest.mark.usefixtures("no_backoff")
@pytest.mark.parametrize(("batch_size", "count"), [(1, 6), (50, 10)])
def test_503s_on_every_other_request_do_not_lock_writes_into_the_failing_slots(
    alternating: SandboxProcess, tmp_path: Path, batch_size: int, count: int
) -> None:
    apply_each_once(alternating, tmp_path, count, batch_size)


@pytest.fixture
def random_503s(sandbox_factory: SandboxFactory) -> SandboxProcess:
    return sandbox_factory("--fail-rate", "0.5", "--seed", "178")  # a seed without long runs of 503s


@pytest.mark.usefixtures("no_backoff")
@pytest.mark.parametrize(("batch_size", "count"), [(1, 4), (5, 15)])
def test_random_503s_at_half_of_all_requests_still_apply_everything_once(
    random_503s: SandboxProcess, tmp_path: Path, batch_size: int, count: int
) -> None:
    apply_each_once(random_503s, tmp_path, count, batch_size)
    _, stats = random_503s.call("GET", "/_sandbox/stats")
    assert stats["failed"] > 0


def test_the_same_seed_fails_the_same_requests() -> None:
    from migrations_tasks.sandbox import Faults

    first, second = Faults(fail_rate=0.5, seed=3), Faults(fail_rate=0.5, seed=3)
    assert [first.random_failure() for _ in range(40)] == [second.random_failure() for _ in range(40)]
    assert not any(Faults(fail_rate=0.0, seed=3).random_failure() for _ in range(40))


@pytest.mark.parametrize(("flag", "value"), [("--fail-rate", "1.5"), ("--fail-rate", "-0.1"), ("--seed", "x")])
def test_the_sandbox_refuses_a_fail_rate_outside_zero_to_one(flag: str, value: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "migrations_tasks.sandbox", flag, value], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2 and flag in done.stderr
