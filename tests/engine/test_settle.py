"""A lost answer of a statement that runs outside a transaction is settled through the catalog, not by stopping."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import psycopg
import pytest
import stamina
from api_interposer import Interposer, answer, engine_through, failure
from conftest import MigrationDir, Project, SandboxFactory, SandboxProcess
from test_lease import write_set

from migrations_tasks.engine import Engine, Event
from migrations_tasks.engine.settle import Question, question
from migrations_tasks.errors import MigrationFailed, MigrationsTasksError
from migrations_tasks.history import lease
from migrations_tasks.history.ledger import TABLE
from migrations_tasks.history.migrations import load
from migrations_tasks.transport.connect import connect


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("create unique index concurrently if not exists i on s.t (x)", Question("create index", "i", "s.t")),
        ("CREATE INDEX CONCURRENTLY items_v ON items (v)", Question("create index", "items_v", "items")),
        ("drop index concurrently if exists s.i", Question("drop index", "s.i")),
        ("vacuum analyze t", Question("repeat")),
        ("analyze", Question("repeat")),
        ("create index concurrently on t (x)", None),  # no name to ask about (refused when the file is read)
        ("reindex index concurrently i", Question("reindex", target="i", value="index")),
        ("reindex (verbose) table concurrently s.t", Question("reindex", target="s.t", value="table")),
        ("reindex schema public", None),  # not concurrently: no question
        ("alter table p detach partition s.c concurrently", Question("detach", table="p", target="s.c")),
        ("alter type s.mood add value 'x' before 'a'", Question("enum", target="s.mood", value="x")),
        ("alter type mood rename value 'a' to 'b'", None),
    ],
)
def test_each_kind_of_statement_gets_its_catalog_question_or_none(text: str, asked: Question | None) -> None:
    assert question(text) == asked


@pytest.fixture
def no_backoff() -> Iterator[None]:
    with stamina.set_testing(True, attempts=20):
        yield


@pytest.fixture(
    params=[("--drop-every", "3"), ("--fail-every", "2"), ("--fail-rate", "0.5", "--seed", "178")],
    ids=["every-third-answer-lost", "every-second-request-503", "half-of-requests-503"],
)
def faulty(request: pytest.FixtureRequest, sandbox_factory: SandboxFactory) -> SandboxProcess:
    return sandbox_factory(*request.param)


@pytest.mark.usefixtures("no_backoff")
def test_migrations_outside_a_transaction_complete_through_lost_answers_and_503s_each_once(
    faulty: SandboxProcess, migrations: MigrationDir
) -> None:
    write_set(migrations)
    project = faulty.new_project()
    said: list[Event] = []
    settings = project.settings(migrations.path)
    try:
        result = Engine(connect(settings.target, settings), settings, on_event=said.append).apply(load(migrations.path))
        assert sorted(o.version for o in result.applied) == ["1", "2", "3", "4", "5"]
        assert project.sql("SELECT id FROM audit ORDER BY id") == [(1,), (2,), (3,), (4,)]
        assert project.sql(f"SELECT count(*) FROM {TABLE}") == [(5,)]
        assert project.sql(f"SELECT count(*) FROM {lease.TABLE}") == [(0,)]
        assert project.sql("SELECT count(*) FROM pg_index WHERE NOT indisvalid") == [(0,)]
        assert project.sql("SELECT count(*) FROM pg_indexes WHERE indexname IN ('items_v', 'audit_id')") == [(2,)]
    finally:
        project.close()


@pytest.fixture
def interposer(project: Project) -> Iterator[Interposer]:
    found = Interposer(project.sandbox.api_url, project.sandbox.token)
    yield found
    found.close()


def alone(fragment: str) -> Callable[[str], bool]:
    """Pick the request that sends, alone, the statement containing ``fragment`` (first attempt only)."""
    return lambda query: fragment in query and "pg_advisory_xact_lock" not in query and "IF NOT EXISTS" not in query


def test_a_lost_answer_of_a_kind_the_catalog_cannot_settle_stops_naming_why(
    project: Project, interposer: Interposer, migrations: MigrationDir
) -> None:
    migrations.write("1_t.sql", "create table t (id int);\nreindex schema public;\n")
    interposer.rule = answer(503, "Service Unavailable", alone("reindex schema"), runs=True, times=1)
    with pytest.raises(MigrationsTasksError) as caught:
        engine_through(interposer, project, migrations.path).apply(load(migrations.path))
    assert caught.value.exit_code == 3
    assert "cannot be settled: it is a kind of statement whose outcome the catalog cannot tell yet" in str(caught.value)
    assert "db.repair --status applied 1" in str(caught.value)


@pytest.mark.parametrize(("status", "message"), [(408, "Query read timeout"), (503, "Service Unavailable")])
def test_a_create_index_concurrently_whose_answer_was_lost_is_sent_again_if_not_exists_and_applied(
    project: Project, interposer: Interposer, migrations: MigrationDir, status: int, message: str
) -> None:
    migrations.write("1_t.sql", "create table t (id int);\ncreate index concurrently t_id on t (id);\n")
    interposer.rule = answer(status, message, alone("t_id on t"), runs=True, times=1)
    said: list[Event] = []
    result = engine_through(interposer, project, migrations.path, said).apply(load(migrations.path))
    assert [o.status for o in result.outcomes] == ["applied"]
    assert any(
        "sending it again as `CREATE INDEX CONCURRENTLY IF NOT EXISTS t_id ON t (id)`" in e.message for e in said
    )
    assert project.sql("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_id'::regclass") == [(True,)]


def test_an_index_a_lost_attempt_left_invalid_is_dropped_and_built_again(
    project: Project, interposer: Interposer, migrations: MigrationDir
) -> None:
    migrations.write(
        "1_t.sql",
        "create table t (id int);\ninsert into t values (1), (2);\n"
        "create function boom(int) returns int language plpgsql immutable as $$ begin raise 'boom'; end $$;\n",
    )
    migrations.write("2_idx.sql", "create index concurrently t_id on t (id);\n")

    def left_invalid(query: str, forward: Callable[[str], httpx.Response]) -> httpx.Response:
        if alone("t_id on t")(query) and not project.sql("SELECT to_regclass('t_id') IS NOT NULL")[0][0]:
            forward(query.replace("on t (id)", "on t ((boom(id)))"))  # the build fails: t_id stays INVALID
            return failure(503, "Service Unavailable")
        return forward(query)

    interposer.rule = left_invalid
    said: list[Event] = []
    result = engine_through(interposer, project, migrations.path, said).apply(load(migrations.path))
    assert [o.status for o in result.outcomes] == ["applied", "applied"]
    assert any("left index t_id INVALID: dropping it and building it again" in e.message for e in said)
    assert project.sql(
        "SELECT indisvalid, pg_get_indexdef(indexrelid) LIKE '%(id)' FROM pg_index WHERE indexrelid = 't_id'::regclass"
    ) == [(True, True)]


def test_a_create_index_that_times_out_again_stops_and_leaves_no_invalid_index(
    project: Project, interposer: Interposer, migrations: MigrationDir
) -> None:
    migrations.write(
        "1_t.sql",
        "create table t (id int);\ninsert into t values (1);\n"
        "create function boom(int) returns int language plpgsql immutable as $$ begin raise 'boom'; end $$;\n",
    )
    migrations.write("2_idx.sql", "create index concurrently t_id on t (id);\n")

    def too_slow(query: str, forward: Callable[[str], httpx.Response]) -> httpx.Response:
        if "t_id ON t" in query.replace("on t", "ON t") and "pg_advisory_xact_lock" not in query:
            forward(query.replace("(id)", "((boom(id)))"))  # cancelled mid-build, as the API's limit would
            return failure(408, "Query read timeout")
        return forward(query)

    interposer.rule = too_slow
    with pytest.raises(MigrationsTasksError) as caught:
        engine_through(interposer, project, migrations.path).apply(load(migrations.path))
    text = str(caught.value)
    assert caught.value.exit_code == 3 and "ran past the API's time limit twice" in text
    assert "the INVALID index t_id it left was dropped" in text and "--transport postgres" in text
    assert project.sql("SELECT to_regclass('t_id')") == [(None,)]
    assert project.sql(f"SELECT version FROM {TABLE}") == [("1",)]
    assert project.sql(f"SELECT count(*) FROM {lease.TABLE}") == [(0,)]  # given back: a rerun need not wait


UNIQUE_EMAIL = "create unique index concurrently if not exists users_email on people (email);\n"


def test_a_failed_unique_index_build_leaves_no_invalid_index_and_the_fixed_rerun_enforces_it(
    project: Project, migrations: MigrationDir
) -> None:
    project.sql("create table people (id int, email text); insert into people values (1, 'a'), (2, 'a')")
    migrations.write("1_unique.sql", UNIQUE_EMAIL)
    settings = project.settings(migrations.path)
    with pytest.raises(MigrationFailed) as caught:
        Engine(connect(settings.target, settings), settings).apply(load(migrations.path))
    assert caught.value.sql_error is not None and caught.value.sql_error.sqlstate == "23505"
    assert "(the INVALID index public.users_email it left was dropped)" in caught.value.message
    assert project.sql("SELECT to_regclass('users_email')") == [(None,)]
    project.sql("delete from people where id = 2")
    result = Engine(connect(settings.target, settings), settings).apply(load(migrations.path))
    assert [o.status for o in result.outcomes] == ["applied"]
    with pytest.raises(psycopg.errors.UniqueViolation):
        project.sql("insert into people values (3, 'a')")


def test_an_invalid_index_an_earlier_failure_left_is_dropped_and_built_again_not_skipped(
    project: Project, migrations: MigrationDir
) -> None:
    project.sql("create table people (id int, email text); insert into people values (1, 'a'), (2, 'a')")
    with pytest.raises(psycopg.errors.UniqueViolation):  # a build that failed by hand, before this tool ran
        project.sql(UNIQUE_EMAIL)
    project.sql("delete from people where id = 2")
    assert project.sql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email'::regclass") == [(False,)]
    migrations.write("1_unique.sql", UNIQUE_EMAIL)
    said: list[Event] = []
    settings = project.settings(migrations.path)
    result = Engine(connect(settings.target, settings), settings, on_event=said.append).apply(load(migrations.path))
    assert [o.status for o in result.outcomes] == ["applied"]
    assert any("index public.users_email was INVALID" in e.message and "building it again" in e.message for e in said)
    assert project.sql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email'::regclass") == [(True,)]
    with pytest.raises(psycopg.errors.UniqueViolation):
        project.sql("insert into people values (3, 'a')")
