"""REINDEX CONCURRENTLY, DETACH PARTITION CONCURRENTLY and ADD VALUE sent alone settle a lost answer or a 408."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator

import httpx
import psycopg
import pytest
from api_interposer import Interposer, answer, engine_through, failure
from conftest import MigrationDir, Project, run_together

from migrations_tasks.engine import Engine, Event
from migrations_tasks.errors import MigrationFileError
from migrations_tasks.history import lease
from migrations_tasks.history.ledger import TABLE
from migrations_tasks.history.migrations import LocalMigrations, Unit, load
from migrations_tasks.transport.connect import connect


@pytest.fixture
def interposer(project: Project) -> Iterator[Interposer]:
    found = Interposer(project.sandbox.api_url, project.sandbox.token)
    yield found
    found.close()


def alone(fragment: str) -> Callable[[str], bool]:
    """Pick the request that sends, alone, the statement containing ``fragment`` (not a catalog read)."""
    return lambda query: fragment in query and "pg_advisory_xact_lock" not in query and "SELECT" not in query


def said(events: list[Event], text: str) -> bool:
    return any(text in e.message for e in events)


def applied_once(project: Project, count: int) -> None:
    assert project.sql(f"SELECT count(*) FROM {TABLE}") == [(count,)]
    assert project.sql(f"SELECT count(*) FROM {lease.TABLE}") == [(0,)]
    assert project.sql("SELECT count(*) FROM pg_index WHERE NOT indisvalid") == [(0,)]


REINDEX_SETUP = (
    "create table flags (on_ int);\n"
    "create function f(int) returns int language plpgsql immutable as $$ begin "
    "if exists (select 1 from public.flags) then raise 'boom'; end if; return $1; end $$;\n"
    "create table t (id int);\ninsert into t select generate_series(1, 100);\n"
    "create index t_f on t ((f(id)));\n"
)


@pytest.mark.parametrize(("status", "message"), [(503, "Service Unavailable"), (408, "Query read timeout")])
def test_a_reindex_concurrently_whose_lost_attempt_failed_has_its_leftover_dropped_and_runs_again(
    project: Project, interposer: Interposer, migrations: MigrationDir, status: int, message: str
) -> None:
    migrations.write("1_t.sql", REINDEX_SETUP)
    migrations.write("2_reindex.sql", "reindex index concurrently t_f;\n")
    given: list[str] = []

    def fails_midway(query: str, forward: Callable[[str], httpx.Response]) -> httpx.Response:
        if alone("reindex index concurrently t_f")(query) and not given:
            given.append(query)
            project.sql("insert into flags values (1)")  # the new index's build fails: t_f_ccnew stays INVALID
            forward(query)
            project.sql("delete from flags")
            return failure(status, message)
        return forward(query)

    interposer.rule = fails_midway
    events: list[Event] = []
    result = engine_through(interposer, project, migrations.path, events).apply(load(migrations.path))
    assert [o.status for o in result.outcomes] == ["applied", "applied"]
    assert said(events, "index public.t_f_ccnew is an INVALID leftover of a REINDEX that failed; dropping it")
    assert len([q for q in interposer.queries if alone("reindex index concurrently t_f")(q)]) == 2
    assert project.sql("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_f'::regclass") == [(True,)]
    applied_once(project, 2)


PARTITIONS = (
    "create table p (id int) partition by range (id);\n"
    "create table c partition of p for values from (0) to (10);\ninsert into p values (1);\n"
)


@pytest.mark.parametrize("runs", [True, False], ids=["lost-after-it-ran", "lost-before-it-ran"])
def test_a_detach_partition_concurrently_whose_answer_was_lost_is_done_once(
    project: Project, interposer: Interposer, migrations: MigrationDir, runs: bool
) -> None:
    migrations.write("1_p.sql", PARTITIONS)
    migrations.write("2_detach.sql", "alter table p detach partition c concurrently;\n")
    interposer.rule = answer(503, "Service Unavailable", alone("detach partition c"), runs=runs, times=1)
    events: list[Event] = []
    result = engine_through(interposer, project, migrations.path, events).apply(load(migrations.path))
    assert [o.status for o in result.outcomes] == ["applied", "applied"]
    expected = "done (detached); not sent again" if runs else "not done; sending it again"
    assert said(events, expected)
    assert project.sql("SELECT count(*) FROM pg_inherits WHERE inhrelid = 'c'::regclass") == [(0,)]
    assert project.sql("SELECT count(*) FROM c") == [(1,)]
    applied_once(project, 2)


def leave_detach_pending(project: Project) -> None:
    """Interrupt a DETACH ... CONCURRENTLY after its first transaction, as a lost or cancelled one may be."""
    with psycopg.connect(project.db_url) as reader, psycopg.connect(project.db_url, autocommit=True) as detacher:
        reader.execute("select count(*) from p")  # an open transaction that sees the partition
        pid = detacher.info.backend_pid
        failed: list[BaseException] = []

        def detach() -> None:
            try:
                detacher.execute("alter table p detach partition c concurrently")
            except psycopg.Error as exc:
                failed.append(exc)

        worker = threading.Thread(target=detach)
        worker.start()
        waiting = "select count(*) from pg_stat_activity where pid = %s and wait_event_type = 'Lock'"
        with psycopg.connect(project.db_url, autocommit=True) as watcher:
            for _ in range(3000):
                if watcher.execute(waiting, (pid,)).fetchone() == (1,):
                    break
                worker.join(0.01)
            watcher.execute("select pg_cancel_backend(%s)", (pid,))
        worker.join(30)
        reader.rollback()
    assert failed and isinstance(failed[0], psycopg.errors.QueryCanceled)
    assert project.sql("SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = 'c'::regclass") == [(True,)]


def test_a_pending_detach_an_interrupted_attempt_left_is_finalized(
    project: Project, interposer: Interposer, migrations: MigrationDir
) -> None:
    migrations.write("1_p.sql", PARTITIONS)
    engine_through(interposer, project, migrations.path).apply(load(migrations.path))
    leave_detach_pending(project)
    migrations.write("2_detach.sql", "alter table p detach partition c concurrently;\n")
    events: list[Event] = []
    result = engine_through(interposer, project, migrations.path, events).apply(load(migrations.path))
    assert [o.status for o in result.outcomes] == ["applied"]
    assert said(events, "the detach of c is pending (interrupted); finalizing it")
    assert any("DETACH PARTITION c FINALIZE" in q for q in interposer.queries)
    assert project.sql("SELECT count(*) FROM pg_inherits WHERE inhrelid = 'c'::regclass") == [(0,)]
    applied_once(project, 2)


def sent_alone(local: LocalMigrations, version: str) -> LocalMigrations:
    """Return ``local`` with migration ``version``'s one statement sent alone, outside a transaction."""
    changed = [
        dataclasses.replace(m, units=(Unit(m.statements, False),)) if m.version == version else m
        for m in local.migrations
    ]
    return dataclasses.replace(local, migrations=tuple(changed))


@pytest.mark.parametrize("runs", [True, False], ids=["lost-after-it-ran", "lost-before-it-ran"])
def test_an_add_value_sent_alone_whose_answer_was_lost_asks_pg_enum(
    project: Project, interposer: Interposer, migrations: MigrationDir, runs: bool
) -> None:
    migrations.write("1_mood.sql", "create type mood as enum ('sad');\n")
    migrations.write("2_value.sql", "alter type mood add value 'happy';\n")
    interposer.rule = answer(503, "Service Unavailable", alone("add value 'happy'"), runs=runs, times=1)
    events: list[Event] = []
    local = sent_alone(load(migrations.path), "2")
    result = engine_through(interposer, project, migrations.path, events).apply(local)
    assert [o.status for o in result.outcomes] == ["applied", "applied"]
    assert said(events, "done (present); not sent again" if runs else "not done; sending it again")
    assert project.sql("SELECT enum_range(null::mood)::text") == [("{sad,happy}",)]
    applied_once(project, 2)


def test_a_create_index_concurrently_without_a_name_is_refused_when_the_file_is_read(
    migrations: MigrationDir,
) -> None:
    migrations.write("1_t.sql", "create table t (id int);\ncreate index concurrently on t (id);\n")
    with pytest.raises(MigrationFileError) as caught:
        load(migrations.path)
    assert "1_t.sql:2:1: CREATE INDEX CONCURRENTLY without an index name" in str(caught.value)
    assert "Name the index" in (caught.value.hint or "")


def test_four_concurrent_runs_apply_reindex_and_detach_concurrently_each_once(
    project: Project, migrations: MigrationDir
) -> None:
    migrations.write("1_setup.sql", REINDEX_SETUP + PARTITIONS)
    migrations.write("2_reindex.sql", "reindex table concurrently t;\n")
    migrations.write("3_detach.sql", "alter table p detach partition c concurrently;\n")  # fails if run twice
    migrations.write("4_more.sql", "create table after_them (id int);\n")
    local = load(migrations.path)
    settings = project.settings(migrations.path)
    results = run_together(lambda: Engine(connect(settings.target, settings), settings).apply(local))
    applied = sorted(o.version for r in results for o in r.outcomes if o.status == "applied")
    assert applied == ["1", "2", "3", "4"]
    assert project.sql("SELECT count(*) FROM pg_inherits WHERE inhrelid = 'c'::regclass") == [(0,)]
    applied_once(project, 4)
