"""Batched apply against the real sandbox: several migrations per request, each still its own transaction.

Most tests run with and without the statement-timeout prefix postgres-meta may put before a query
(``--statement-timeout-prefix``). Answers a local server cannot give on cue (a 408 after the SQL committed,
a connection lost after half a batch committed, a server refusing transaction blocks) come from
``api_interposer``: the request really reaches the database, only the answer is chosen.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from api_interposer import (
    Interposer,
    answer,
    batches,
    blocks,
    engine_through,
    failure,
    first_blocks,
    writes_of,
)
from conftest import MigrationDir, Project, SandboxFactory, SandboxProcess, fresh_project

from migrations_tasks.engine import Engine, Event
from migrations_tasks.errors import MigrationFailed, MigrationFileError, MigrationsTasksError
from migrations_tasks.history.ledger import TABLE
from migrations_tasks.history.migrations import load
from migrations_tasks.sandbox import workload
from migrations_tasks.transport.connect import connect


@pytest.fixture
def prefixed(sandbox_factory: SandboxFactory) -> SandboxProcess:
    """A sandbox that prefixes every query with postgres-meta's statement and idle-session timeouts."""
    return sandbox_factory("--statement-timeout-prefix", "30")


@pytest.fixture
def small_body(sandbox_factory: SandboxFactory) -> SandboxProcess:
    """A sandbox whose API refuses bodies over 9,000 bytes with 413, as fastify's bodyLimit does."""
    return sandbox_factory("--max-body", "9000")


@pytest.fixture(params=["plain", "prefixed"])
def server(request: pytest.FixtureRequest, sandbox: SandboxProcess, prefixed: SandboxProcess) -> SandboxProcess:
    """The session sandbox, then the one with the prefix: every ``project`` here is made on both.

    (A parametrized override of ``sandbox`` itself would give the session fixture a new cache key at each
    switch, restarting the session sandbox for every test.)
    """
    return sandbox if request.param == "plain" else prefixed


@pytest.fixture
def project(server: SandboxProcess) -> Iterator[Project]:
    """A fresh project on ``server`` for one test."""
    yield from fresh_project(server)


@pytest.fixture
def interposer(project: Project) -> Iterator[Interposer]:
    found = Interposer(project.sandbox.api_url, project.sandbox.token)
    yield found
    found.close()


def engine_for(project: Project, directory: Path, transport: str = "api", **config: object) -> Engine:
    settings = project.settings(directory, transport, **config)
    return Engine(connect(settings.target, settings), settings)


def versions(project: Project) -> list[str]:
    exists = project.sql(f"SELECT to_regclass('{TABLE}') IS NOT NULL")[0][0]
    return [r[0] for r in project.sql(f"SELECT version FROM {TABLE} ORDER BY version::bigint")] if exists else []


def tables(project: Project, *names: str) -> list[bool]:
    return [bool(project.sql(f"SELECT to_regclass('{n}') IS NOT NULL")[0][0]) for n in names]


def audit(project: Project, count: int) -> workload.Audit:
    with psycopg.connect(project.db_url, autocommit=True) as conn:
        return workload.audit(conn, count)


def write_five(migrations: MigrationDir, failing: int | None = None) -> None:
    for n, name in enumerate("abcde", 1):
        if n == failing:
            migrations.write(
                f"{n}_{name}.sql", f"create table {name} (id int);\n\ninsert into\n  missing values (1);\n"
            )
        else:
            migrations.write(f"{n}_{name}.sql", f"create table {name} (id int);\ninsert into {name} values ({n});\n")


def test_one_request_carries_every_migration_each_with_its_ledger_row(
    project: Project, migrations: MigrationDir
) -> None:
    write_five(migrations)
    engine = engine_for(project, migrations.path)
    result = engine.apply(load(migrations.path))
    assert [o.status for o in result.outcomes] == ["applied"] * 5
    assert result.requests == 3  # the ledger read, its creation, one request for the five migrations
    assert project.requests() == 3
    assert versions(project) == ["1", "2", "3", "4", "5"]
    assert project.sql("SELECT count(*) FROM e") == [(1,)]


@pytest.mark.parametrize("transport", ["api", "postgres"])
def test_a_failing_migration_mid_batch_leaves_earlier_ones_committed_it_absent_and_later_ones_unsent(
    project: Project, migrations: MigrationDir, transport: str
) -> None:
    write_five(migrations, failing=3)
    engine = engine_for(project, migrations.path, transport)
    with pytest.raises(MigrationFailed) as caught:
        engine.apply(load(migrations.path))
    error = caught.value
    assert error.version == "3" and error.line == 4  # "missing" is on line 4 of 3_c.sql
    assert error.sql_error is not None and error.sql_error.sqlstate == "42P01"
    assert "3_c.sql" in error.message and "statement 2 of 2" in error.message
    assert versions(project) == ["1", "2"]
    assert project.sql("SELECT id FROM a UNION ALL SELECT id FROM b ORDER BY 1") == [(1,), (2,)]
    assert tables(project, "c", "d", "e") == [False, False, False]
    assert engine.result is not None and [o.version for o in engine.result.applied] == ["1", "2"]
    assert engine.db.requests == 3  # the position named the statement: no extra request


def test_a_runtime_error_without_a_position_mid_batch_is_found_through_the_ledger(
    project: Project, migrations: MigrationDir
) -> None:
    migrations.write("1_ok.sql", "create table ok (id int);")
    migrations.write(
        "2_dup.sql", "create table t (id int primary key);\ninsert into t values (1);\ninsert into t values (1);\n"
    )
    migrations.write("3_later.sql", "create table later (id int);")
    engine = engine_for(project, migrations.path)
    with pytest.raises(MigrationFailed) as caught:
        engine.apply(load(migrations.path))
    assert caught.value.version == "2" and caught.value.line == 3
    assert "23505" in caught.value.message and "diagnostic requests" in caught.value.message
    assert versions(project) == ["1"]
    assert tables(project, "ok", "t", "later") == [True, False, False]


def test_a_migration_another_run_applied_mid_batch_is_skipped_after_one_ledger_read(
    project: Project, migrations: MigrationDir
) -> None:
    write_five(migrations)
    events: list[Event] = []

    def another_run_applies_3(event: Event) -> None:
        events.append(event)
        if "in one request" in event.message and len(versions(project)) == 0:
            project.sql(f"create table c (id int); insert into {TABLE} (version, name) values ('3', 'c')")

    settings = project.settings(migrations.path)
    engine = Engine(connect(settings.target, settings), settings, on_event=another_run_applies_3)
    result = engine.apply(load(migrations.path))
    assert [(o.version, o.status) for o in result.outcomes] == [
        ("1", "applied"),
        ("2", "applied"),
        ("3", "already-applied"),
        ("4", "applied"),
        ("5", "applied"),
    ]
    # read, create, the batch (stopped by 3's guard), one ledger read, the batch of 4 and 5
    assert result.requests == 5
    assert versions(project) == ["1", "2", "3", "4", "5"]
    assert project.sql("SELECT count(*) FROM c") == [(0,)]  # 3's SQL ran once, by the other run


@pytest.mark.parametrize("batch_size", [1, 50])
@pytest.mark.parametrize("transport", ["api", "postgres"])
def test_each_migration_starts_from_the_session_the_request_started_with_whatever_the_one_before_set(
    project: Project, migrations: MigrationDir, transport: str, batch_size: int
) -> None:
    """In a batch of one request (api) and on the one connection every request shares (postgres)."""
    migrations.write(
        "1_setup.sql",
        "create table parent (id int primary key);\ncreate table child (parent_id int references parent);\n"
        "create schema elsewhere;\n",
    )
    migrations.write(
        "2_leaky.sql",
        "set session_replication_role = replica;\nset search_path = elsewhere;\nset statement_timeout = '17s';\n",
    )
    migrations.write("3_where.sql", "create table lands_here as select current_setting('statement_timeout') as st;\n")
    migrations.write("4_orphan.sql", "insert into child values (42);\n")
    if transport == "api":  # what a request of its own sees: the endpoint's timeout (30s with the prefix)
        status, answer = project.sandbox.call(
            "POST", f"/v1/projects/{project.ref}/database/query", {"query": "SHOW statement_timeout"}
        )
        assert status == 201
        alone = answer[0]["statement_timeout"]
    else:  # what a connection of its own sees
        alone = project.sql("SHOW statement_timeout")[0][0]
    engine = engine_for(project, migrations.path, transport, batch_size=batch_size)
    with pytest.raises(MigrationFailed) as caught:
        engine.apply(load(migrations.path))
    # migration 2's replica role did not switch off migration 4's foreign key, nor its search_path move 3
    assert caught.value.version == "4" and caught.value.sql_error is not None
    assert caught.value.sql_error.sqlstate == "23503" and "23503" in caught.value.message
    assert tables(project, "public.lands_here", "elsewhere.lands_here") == [True, False]
    assert project.sql("SELECT st FROM lands_here") == [(alone,)]  # nor its statement_timeout reach 3
    assert versions(project) == ["1", "2", "3"]


@pytest.mark.parametrize("transport", ["api", "postgres"])
def test_a_temp_table_of_one_migration_in_a_batch_never_shadows_the_next_one_s_table(
    project: Project, migrations: MigrationDir, transport: str
) -> None:
    migrations.write("1_settings.sql", "create table public.settings (k text primary key, v text);\n")
    migrations.write(
        "2_stage.sql",
        "create temp table settings (k text, v text);\ninsert into settings values ('theme', 'dark');\n"
        "insert into public.settings select * from settings;\n",
    )
    migrations.write("3_lang.sql", "insert into settings values ('lang', 'en');\n")
    result = engine_for(project, migrations.path, transport).apply(load(migrations.path))
    assert [o.status for o in result.outcomes] == ["applied"] * 3
    assert result.requests == 3  # read, create the ledger, one batch
    assert project.sql("SELECT k FROM public.settings ORDER BY k") == [("lang",), ("theme",)]


@pytest.mark.parametrize("transport", ["api", "postgres"])
def test_migrations_in_one_batch_may_each_create_the_same_temp_table_prepared_statement_and_cursor(
    project: Project, migrations: MigrationDir, transport: str
) -> None:
    for n in (1, 2):
        migrations.write(
            f"{n}_stage.sql",
            "create temp table staging (id int);\nprepare ins(int) as insert into staging values ($1);\n"
            "execute ins(1);\ndeclare c cursor with hold for select 1;\nlisten channel;\n"
            f"select pg_advisory_lock(4242);\ncreate table kept_{n} as select count(*) as n from staging;\n",
        )
    result = engine_for(project, migrations.path, transport).apply(load(migrations.path))
    assert [o.status for o in result.outcomes] == ["applied"] * 2 and result.requests == 3
    assert project.sql("SELECT n FROM kept_1 UNION ALL SELECT n FROM kept_2") == [(1,), (1,)]
    assert versions(project) == ["1", "2"]


def test_a_dropped_connection_after_half_a_batch_committed_is_settled_and_nothing_is_applied_twice(
    project: Project, interposer: Interposer, tmp_path: Path
) -> None:
    workload.generate(tmp_path, 6)
    cut = {"done": False}

    def lose_mid_batch(query: str, forward: object) -> httpx.Response:
        assert callable(forward)
        if blocks(query) == 6 and not cut["done"]:
            cut["done"] = True
            forward(first_blocks(query, 3))  # three migrations commit, then the connection drops
            raise httpx.ReadError("connection reset by peer")
        return forward(query)  # type: ignore[no-any-return]

    interposer.rule = lose_mid_batch
    events: list[Event] = []
    result = engine_through(interposer, project, tmp_path, events).apply(load(tmp_path))
    assert len(result.applied) == 6
    found = audit(project, 6)
    assert found.consistent and len(found.applied) == 6 and not found.double_applied
    warnings = [e.message for e in events if e.kind == "warning"]
    assert any("was lost" in w and "sending it again" in w for w in warnings)
    assert any("3 migrations already done" in w and "shows it committed" in w for w in warnings)


def apply_all_through(
    interposer: Interposer, project: Project, directory: Path, count: int, **config: object
) -> list[str]:
    """Apply ``count`` generated migrations through ``interposer``; check each is there once; return the messages."""
    workload.generate(directory, count)
    events: list[Event] = []
    result = engine_through(interposer, project, directory, events, **config).apply(load(directory))
    assert len(result.applied) == count
    found = audit(project, count)
    assert found.consistent and len(found.applied) == count
    return [e.message for e in events]


def test_a_408_after_a_batch_committed_is_settled_through_the_ledger_without_resending(
    project: Project, interposer: Interposer, tmp_path: Path
) -> None:
    interposer.rule = answer(408, "Query read timeout", batches, runs=True)
    said = apply_all_through(interposer, project, tmp_path, 4)
    assert sum(map(batches, interposer.queries)) == 1  # never resent
    assert any("shows 4 committed" in s for s in said)


def wait_until_sleeping(project: Project) -> None:
    """Wait (by polling the server, not the clock) until a request sleeps in pg_sleep on ``project``'s database."""
    query = "select count(*) from pg_stat_activity where datname = current_database() and wait_event = 'PgSleep'"
    for _ in range(6000):
        if project.sql(query) != [(0,)]:
            return
        time.sleep(0.01)
    raise AssertionError("no request ever reached a migration's pg_sleep")


def test_a_408_while_the_batch_still_runs_waits_for_all_of_it_and_calls_nothing_another_run_s(
    project: Project, interposer: Interposer, migrations: MigrationDir
) -> None:
    for n in range(1, 5):  # the lock is free between blocks: a settle that only took it would see a part
        migrations.write(f"{n}_slow.sql", f"create table slow_{n} (id int);\nselect pg_sleep(0.4);\n")
    running: list[threading.Thread] = []

    def answer_before_it_finishes(query: str, forward: Callable[[str], httpx.Response]) -> httpx.Response:
        if not batches(query) or running:
            return forward(query)
        running.append(threading.Thread(target=forward, args=(query,)))
        running[0].start()
        wait_until_sleeping(project)  # the batch is on the server, in its first migration
        return failure(408, "Query read timeout")

    interposer.rule = answer_before_it_finishes
    events: list[Event] = []
    try:
        result = engine_through(interposer, project, migrations.path, events).apply(load(migrations.path))
    finally:
        for thread in running:
            thread.join()
    assert [o.status for o in result.outcomes] == ["applied"] * 4
    assert any("shows 4 committed" in e.message for e in events)
    assert sum(map(batches, interposer.queries)) == 1


def test_a_408_sends_the_rest_in_smaller_requests_down_to_one_migration(
    project: Project, interposer: Interposer, tmp_path: Path
) -> None:
    interposer.rule = answer(408, "Query read timeout", batches, runs=False)
    said = apply_all_through(interposer, project, tmp_path, 8)
    assert [blocks(q) for q in interposer.queries if batches(q)] == [8, 4, 2]
    smaller = [s.rsplit("sending the rest ", 1)[1] for s in said if "per request" in s]
    assert smaller == ["4 per request.", "2 per request.", "1 per request."]


def test_a_413_for_a_batch_sends_it_in_smaller_requests_down_to_one_migration(
    small_body: SandboxProcess, migrations: MigrationDir
) -> None:
    project = small_body.new_project()
    for n in range(1, 5):  # each alone is about 3.5 KB: one fits, two do not
        migrations.write(f"{n}_t{n}.sql", f"create table t{n} (id int);\ncomment on table t{n} is '{'x' * 1500}';\n")
    events: list[Event] = []
    settings = project.settings(migrations.path)
    try:
        result = Engine(connect(settings.target, settings), settings, on_event=events.append).apply(
            load(migrations.path)
        )
        assert len(result.applied) == 4 and versions(project) == ["1", "2", "3", "4"]
    finally:
        project.close()
    said = [e.message for e in events if e.kind == "warning"]
    assert [s.rsplit("sending them ", 1)[1] for s in said] == ["2 per request.", "1 per request."]
    assert all("as too large (413); nothing ran" in s for s in said)


def test_a_408_on_a_migration_alone_that_did_not_commit_stops_naming_the_limit_and_the_ways_out(
    project: Project, interposer: Interposer, tmp_path: Path
) -> None:
    workload.generate(tmp_path, 2)
    interposer.rule = answer(408, "Query read timeout", writes_of("w_2"), runs=False)
    engine = engine_through(interposer, project, tmp_path, batch_size=1)
    with pytest.raises(MigrationsTasksError) as caught:
        engine.apply(load(tmp_path))
    text = str(caught.value)
    assert "Migration 20250101000002 was not applied" in text and "55 seconds" in text
    assert "did not commit" in text and "--transport postgres" in text and "split" in text
    assert sum(map(writes_of("w_2"), interposer.queries)) == 1  # not resent in a loop
    assert len(audit(project, 2).applied) == 1


def test_a_408_on_a_migration_alone_that_committed_is_applied(
    project: Project, interposer: Interposer, tmp_path: Path
) -> None:
    interposer.rule = answer(408, "Query read timeout", writes_of("w_2"), runs=True)
    said = apply_all_through(interposer, project, tmp_path, 2, batch_size=1)
    assert any("shows it committed" in s for s in said)


@pytest.mark.parametrize("batch_size", [1, 50])
def test_a_400_without_a_sqlstate_after_a_write_is_settled_not_reported_as_a_failure(
    project: Project, interposer: Interposer, tmp_path: Path, batch_size: int
) -> None:
    terminated = "Failed to run sql query: Connection terminated unexpectedly"
    interposer.rule = answer(400, terminated, writes_of("w_1"), runs=True, times=1)
    said = apply_all_through(interposer, project, tmp_path, 3, batch_size=batch_size)
    assert any("answered 400" in s and "sending it again" in s for s in said)


def test_a_server_that_refuses_transaction_blocks_gets_one_migration_per_request_said_once(
    project: Project, interposer: Interposer, tmp_path: Path
) -> None:
    refusal = "Failed to run sql query: ERROR:  2D000: invalid transaction termination\n"
    interposer.rule = answer(400, refusal, batches, runs=False)
    said = apply_all_through(interposer, project, tmp_path, 5)
    refused = [s for s in said if "refused several migrations" in s]
    assert len(refused) == 1 and "one migration per request for the rest of this run" in refused[0]
    assert sum(map(batches, interposer.queries)) == 1


def test_batches_stay_under_the_request_size_limit(project: Project, interposer: Interposer, tmp_path: Path) -> None:
    apply_all_through(interposer, project, tmp_path, 10, request_max_bytes=6000)
    sizes = [len(httpx.Request("POST", "/", json={"query": q}).content) for q in interposer.queries]
    assert max(sizes) <= 6000
    assert sum(blocks(q) for q in interposer.queries) == 10 and sum(map(batches, interposer.queries)) >= 2


def test_a_file_over_the_request_size_limit_is_refused_before_anything_is_written(
    project: Project, interposer: Interposer, migrations: MigrationDir
) -> None:
    migrations.write("1_small.sql", "create table small (id int);")
    big = migrations.write("2_big.sql", "".join(f"create table big_{n} (id int);\n" for n in range(200)))
    engine = engine_through(interposer, project, migrations.path, request_max_bytes=4096)
    with pytest.raises(MigrationFileError) as caught:
        engine.apply(load(migrations.path))
    text = str(caught.value)
    assert "2_big.sql" in text and f"{big.stat().st_size:,} bytes" in text and "4,096-byte limit" in text
    assert "--transport postgres" in text and "split" in text
    assert len(interposer.queries) == 1  # the ledger read: nothing was written
    assert versions(project) == [] and tables(project, "small") == [False]


def test_create_index_concurrently_through_an_endpoint_with_a_prefix_names_the_cause_and_the_way_out(
    prefixed: SandboxProcess, migrations: MigrationDir
) -> None:
    project = prefixed.new_project()
    migrations.write("1_idx.sql", "create index concurrently users_idx on auth.users (email);\n")
    try:
        with pytest.raises(MigrationFailed) as caught:
            engine_for(project, migrations.path).apply(load(migrations.path))
        assert project.sql("SELECT to_regclass('auth.users_idx') IS NULL") == [(True,)]
    finally:
        project.close()
    message, hint = caught.value.message, caught.value.hint or ""
    assert "25001" in message and "the endpoint runs every request in a transaction block" in message
    assert "nothing of it ran" in hint and "Editing the file cannot fix this" in hint
    assert "--transport postgres" in hint and "db.repair --status applied 1" in hint
    assert "lines none" not in hint and "Finish by hand" not in hint


def test_the_sandbox_prefix_behaves_as_postgres_meta_s(prefixed: SandboxProcess, server: SandboxProcess) -> None:
    def query(sql: str) -> tuple[int, object]:
        return server.call("POST", f"/v1/projects/{server.ref}/database/query", {"query": sql})

    status, body = query("DO $$ BEGIN COMMIT; END $$")
    if server is prefixed:  # the user's SQL runs in an implicit transaction block
        assert status == 400 and "2D000" in str(body)
        assert query("SHOW statement_timeout") == (201, [{"statement_timeout": "30s"}])
    else:
        assert status == 201
    status, body = query("select 1;\nselect frm where;")
    assert status == 400 and "LINE 2: select frm where;" in str(body)  # positions corrected for the prefix
