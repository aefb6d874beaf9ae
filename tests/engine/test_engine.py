"""The engine against real PostgreSQL: through the sandbox's Management API and over a direct connection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import MigrationDir, Project, run_together

from migrations_tasks.engine import Engine
from migrations_tasks.errors import AuthError, HistoryConflict, MigrationFailed, SqlSyntaxError
from migrations_tasks.history.ledger import TABLE
from migrations_tasks.history.migrations import load
from migrations_tasks.history.status import Status
from migrations_tasks.secret import Secret
from migrations_tasks.transport.connect import connect

EXAMPLES = Path(__file__).resolve().parents[2] / "supabase" / "migrations"


@pytest.fixture(params=["api", "postgres"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def engine_for(project: Project, migrations_dir: Path, transport: str = "api", **config: Any) -> Engine:
    settings = project.settings(migrations_dir, transport, **config)
    return Engine(connect(settings.target, settings), settings)


def ledger_rows(project: Project) -> list[tuple[Any, ...]]:
    return project.sql(f"SELECT version, name, statements FROM {TABLE} ORDER BY version")


def table_exists(project: Project, name: str) -> bool:
    return bool(project.sql(f"SELECT to_regclass('{name}') IS NOT NULL")[0][0])


@pytest.mark.parametrize("batch_size", [1, 50])
def test_check_apply_check_cycle_applies_the_examples_in_one_request_or_one_each(
    project: Project, transport: str, batch_size: int
) -> None:
    engine = engine_for(project, EXAMPLES, transport, batch_size=batch_size)
    local = load(EXAMPLES)
    plan = engine.check(local)
    assert [e.status for e in plan.entries] == [Status.PENDING] * len(local.migrations)
    assert engine.db.requests == 1

    before = engine.db.requests
    result = engine.apply(local)
    # one ledger read, one ledger creation, then one request for all (or, --batch-size 1, one per migration)
    assert engine.db.requests - before == 2 + (len(local.migrations) if batch_size == 1 else 1)
    assert [o.status for o in result.outcomes] == ["applied"] * len(local.migrations)

    plan = engine.check(local)
    assert {e.status for e in plan.entries} == {Status.APPLIED}
    rows = ledger_rows(project)
    assert [r[0] for r in rows] == [m.version for m in local.migrations]
    assert rows[0][1] == "create_profiles"
    assert rows[0][2] == local.migrations[0].texts
    assert table_exists(project, "public.migration_system_test")
    # what the example migrations built really works: the trigger creates a profile
    project.sql("INSERT INTO auth.users (id, email) VALUES (gen_random_uuid(), 'ada@example.com')")
    assert project.sql("SELECT display_name FROM public.profiles") == [("ada",)]


def test_a_failure_in_the_second_statement_leaves_nothing_of_that_migration(
    project: Project, migrations: MigrationDir, transport: str
) -> None:
    migrations.write("1_first.sql", "create table first_t (id int);")
    migrations.write("2_second.sql", "create table second_t (id int);\n\ninsert into\n  missing_t values (1);\n")
    migrations.write("3_third.sql", "create table third_t (id int);")
    engine = engine_for(project, migrations.path, transport)
    with pytest.raises(MigrationFailed) as caught:
        engine.apply(load(migrations.path))
    error = caught.value
    assert error.version == "2"
    assert error.line == 4  # "missing_t" is on line 4 of the file
    assert error.sql_error is not None and error.sql_error.sqlstate == "42P01"
    assert "2_second.sql" in error.message and "statement 2 of 2" in error.message
    assert "42P01" in error.message and "missing_t" in error.message
    assert [r[0] for r in ledger_rows(project)] == ["1"]
    assert table_exists(project, "first_t")
    assert not table_exists(project, "second_t")
    assert not table_exists(project, "third_t")


def test_a_runtime_error_without_a_position_is_located_by_rolled_back_probes(
    project: Project, migrations: MigrationDir, transport: str
) -> None:
    migrations.write(
        "1_data.sql",
        "create table t (id int primary key);\ninsert into t values (1);\n"
        "insert into t values (2);\ninsert into t values (1);\ninsert into t values (3);\n",
    )
    engine = engine_for(project, migrations.path, transport)
    with pytest.raises(MigrationFailed) as caught:
        engine.apply(load(migrations.path))
    assert caught.value.line == 4
    assert "23505" in caught.value.message
    assert "DETAIL" in caught.value.message
    assert "diagnostic requests" in caught.value.message
    assert not table_exists(project, "t")
    assert project.sql(f"SELECT count(*) FROM {TABLE}") == [(0,)]


@pytest.mark.parametrize("batch_size", [1, 3, 50])
def test_concurrent_applies_apply_each_migration_exactly_once(
    project: Project, migrations: MigrationDir, transport: str, batch_size: int
) -> None:
    for n in range(1, 9):
        migrations.write(f"{n}_m{n}.sql", f"create table conc_{n} (id int);\ninsert into conc_{n} values ({n});")
    local = load(migrations.path)
    results = run_together(lambda: engine_for(project, migrations.path, transport, batch_size=batch_size).apply(local))
    applied = [o.version for r in results for o in r.outcomes if o.status == "applied"]
    assert sorted(applied, key=int) == [str(n) for n in range(1, 9)]
    assert project.sql(f"SELECT count(*) FROM {TABLE}") == [(8,)]
    for n in range(1, 9):
        assert project.sql(f"SELECT count(*) FROM conc_{n}") == [(1,)]


def test_a_non_transactional_migration_runs_statement_by_statement_then_is_recorded(
    project: Project, migrations: MigrationDir, transport: str
) -> None:
    migrations.write(
        "1_idx.sql",
        "create table big (id int, v text);\n"
        "create index concurrently big_v_idx on big (v);\ninsert into big values (1, 'a');\n",
    )
    engine = engine_for(project, migrations.path, transport)
    local = load(migrations.path)
    assert not local.migrations[0].atomic
    engine.apply(local)
    assert project.sql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_v_idx'::regclass") == [(True,)]
    assert [r[0] for r in ledger_rows(project)] == ["1"]
    assert engine.check(local).entries[0].status is Status.APPLIED


def test_a_failing_non_transactional_migration_says_what_ran_and_how_to_finish(
    project: Project, migrations: MigrationDir
) -> None:
    migrations.write(
        "1_idx.sql",
        "create table big (id int);\ncreate index concurrently big_idx on big (nope);\ninsert into big values (1);\n",
    )
    engine = engine_for(project, migrations.path)
    with pytest.raises(MigrationFailed) as caught:
        engine.apply(load(migrations.path))
    assert caught.value.line == 2
    assert "lines 1 ran and are committed" in (caught.value.hint or "")
    assert "db.repair --status applied 1" in (caught.value.hint or "")
    assert table_exists(project, "big")
    assert project.sql(f"SELECT count(*) FROM {TABLE}") == [(0,)]


def test_a_non_transactional_migration_failing_before_anything_committed_says_so(
    project: Project, migrations: MigrationDir
) -> None:
    migrations.write("1_idx.sql", "create index concurrently gone_idx on missing (id);\ncreate table after (id int);\n")
    with pytest.raises(MigrationFailed) as caught:
        engine_for(project, migrations.path).apply(load(migrations.path))
    hint = caught.value.hint or ""
    assert "nothing of it is committed" in hint and "lines 2 did not run" in hint and "db.apply again" in hint
    assert "lines none" not in hint and not table_exists(project, "after")


def test_a_self_wrapped_file_merges_into_the_migration_transaction(
    project: Project, migrations: MigrationDir, transport: str
) -> None:
    migrations.write("1_ok.sql", "BEGIN;\ncreate table wrapped_ok (id int);\nCOMMIT;\n")
    migrations.write("2_bad.sql", "begin;\ncreate table wrapped_bad (id int);\nselect 1/0;\ncommit;\n")
    engine = engine_for(project, migrations.path, transport)
    with pytest.raises(MigrationFailed) as caught:
        engine.apply(load(migrations.path))
    assert caught.value.version == "2"
    assert table_exists(project, "wrapped_ok")
    assert not table_exists(project, "wrapped_bad")
    assert [r[0] for r in ledger_rows(project)] == ["1"]
    assert ledger_rows(project)[0][2] == ["BEGIN", "create table wrapped_ok (id int)", "COMMIT"]


def test_a_file_with_several_transactions_runs_them_in_order(project: Project, migrations: MigrationDir) -> None:
    migrations.write("1_enum.sql", "create type mood as enum ('sad');\n")
    migrations.write(
        "2_add.sql",
        "begin;\nalter type mood add value 'happy';\ncommit;\n"
        "begin;\ncreate table feelings (m mood default 'happy');\ncommit;\n",
    )
    engine = engine_for(project, migrations.path)
    engine.apply(load(migrations.path))
    assert table_exists(project, "feelings")
    assert [r[0] for r in ledger_rows(project)] == ["1", "2"]


def test_a_ledger_with_only_a_version_column_is_read_and_written_without_assuming_columns(
    project: Project, migrations: MigrationDir, transport: str
) -> None:
    project.sql(
        "create schema supabase_migrations; "
        "create table supabase_migrations.schema_migrations (version text primary key)"
    )
    project.sql("insert into supabase_migrations.schema_migrations values ('1')")
    migrations.write("1_old.sql", "select 1;")
    migrations.write("2_new.sql", "create table newer (id int);")
    engine = engine_for(project, migrations.path, transport)
    local = load(migrations.path)
    assert [e.status for e in engine.check(local).entries] == [Status.APPLIED, Status.PENDING]
    engine.apply(local)
    assert project.sql(f"SELECT version FROM {TABLE} ORDER BY 1") == [("1",), ("2",)]
    assert {e.status for e in engine.check(local).entries} == {Status.APPLIED}


def test_rows_written_by_db_push_and_by_apply_migration_are_not_reported_changed(
    project: Project, migrations: MigrationDir
) -> None:
    migrations.write("1_push.sql", "-- made by hand\ncreate table a (id int);\n\ncreate table b (id int);\n")
    migrations.write("2_tool.sql", "create table c (\n  id int\n);\ncomment on table c is 'x; y';\n")
    project.sql(
        "create schema supabase_migrations; create table supabase_migrations.schema_migrations "
        "(version text primary key, statements text[], name text, created_by text, "
        "idempotency_key text unique, rollback text[])"
    )
    # supabase db push: one element per statement, its own whitespace
    project.sql(
        "insert into supabase_migrations.schema_migrations (version, name, statements) values "
        "('1', 'push', ARRAY['create table a (id int);', 'CREATE TABLE b (id int);'])"
    )
    # Supabase's apply_migration tool: the whole file as one element
    project.sql(
        "insert into supabase_migrations.schema_migrations (version, name, statements) values "
        "('2', 'tool', ARRAY[$f$create table c (id int); comment on table c is 'x; y';$f$])"
    )
    engine = engine_for(project, migrations.path)
    plan = engine.check(load(migrations.path))
    assert [e.status for e in plan.entries] == [Status.APPLIED, Status.APPLIED]


def test_an_edited_applied_file_is_reported_changed_and_apply_refuses(
    project: Project, migrations: MigrationDir
) -> None:
    path = migrations.write("1_a.sql", "create table a (id int default 1);")
    engine = engine_for(project, migrations.path)
    engine.apply(load(migrations.path))
    path.write_text("create table a (id int default 2);")
    migrations.write("2_b.sql", "create table b (id int);")
    local = load(migrations.path)
    assert engine.check(local).entries[0].status is Status.CHANGED
    with pytest.raises(HistoryConflict) as caught:
        engine.apply(local)
    assert "1_a.sql" in caught.value.message
    assert not table_exists(project, "b")


def test_remote_only_and_out_of_order_migrations_are_conflicts(project: Project, migrations: MigrationDir) -> None:
    migrations.write("10_ten.sql", "create table ten (id int);")
    engine = engine_for(project, migrations.path)
    engine.apply(load(migrations.path))
    migrations.write("5_five.sql", "create table five (id int);")
    local = load(migrations.path)
    assert [e.status for e in engine.check(local).entries] == [Status.OUT_OF_ORDER, Status.APPLIED]
    with pytest.raises(HistoryConflict) as caught:
        engine.apply(local)
    assert "inserted before the last migration" in caught.value.message
    assert "--include-all" in (caught.value.hint or "")
    engine.apply(local, include_all=True)
    assert table_exists(project, "five")

    (migrations.path / "10_ten.sql").unlink()
    plan = engine.check(load(migrations.path))
    assert [e.status for e in plan.entries] == [Status.APPLIED, Status.REMOTE_ONLY]
    with pytest.raises(HistoryConflict, match="Remote migration versions not found"):
        engine.apply(load(migrations.path))


def test_a_wrong_token_is_an_auth_error_that_does_not_show_the_token(
    project: Project, migrations: MigrationDir
) -> None:
    from migrations_tasks.config.settings import load_settings

    wrong = "sbp_wrong0123456789abcdef"
    env = dict(project.env, SUPABASE_ACCESS_TOKEN=wrong)
    settings = load_settings(None, flags={"migrations_dir": str(migrations.path)}, environ=env, dotenv_path=None)
    engine = Engine(connect(settings.target, settings), settings)
    with pytest.raises(AuthError) as caught:
        engine.check(load(migrations.path))
    assert caught.value.status == 401
    assert wrong not in str(caught.value)
    assert "SUPABASE_ACCESS_TOKEN" in str(caught.value)


def test_a_syntax_error_is_reported_with_its_position_and_nothing_is_sent(
    project: Project, migrations: MigrationDir
) -> None:
    migrations.write("1_ok.sql", "create table ok (id int);")
    migrations.write("2_bad.sql", "create table bad (id int);\nselect frm where;\n")
    with pytest.raises(SqlSyntaxError) as caught:
        load(migrations.path)
    assert caught.value.message.endswith('2_bad.sql:2:17: syntax error at or near ";"')
    assert project.requests() == 0


def test_dry_run_prints_the_sql_and_writes_nothing(project: Project, migrations: MigrationDir) -> None:
    migrations.write("1_a.sql", "create table dry (id int);")
    engine = engine_for(project, migrations.path)
    result = engine.apply(load(migrations.path), dry_run=True)
    assert result.outcomes[0].status == "would-apply"
    ((_, requests),) = result.sql
    assert "create table dry (id int)" in requests[0]
    assert "pg_advisory_xact_lock" in requests[0] and "INSERT INTO supabase_migrations" in requests[0]
    assert engine.db.requests == 1
    assert not table_exists(project, "dry")
    assert not table_exists(project, TABLE)


def test_an_empty_file_is_recorded_as_applied(project: Project, migrations: MigrationDir) -> None:
    migrations.write("1_empty.sql", "-- nothing yet;\n")
    engine = engine_for(project, migrations.path)
    local = load(migrations.path)
    assert any("no SQL statements" in w for w in local.warnings)
    engine.apply(local)
    assert ledger_rows(project) == [("1", "empty", [])]


def test_a_held_migration_lock_makes_apply_wait_then_stop_with_a_clear_message(
    project: Project, migrations: MigrationDir, transport: str
) -> None:
    import psycopg

    from migrations_tasks.errors import MigrationsTasksError
    from migrations_tasks.history.ledger import LOCK_KEY

    migrations.write("1_a.sql", "create table locked_out (id int);")
    holder = psycopg.connect(project.db_url)  # a transaction holding the lock, like a long apply elsewhere
    holder.execute(f"select pg_advisory_xact_lock({LOCK_KEY})")
    try:
        engine = engine_for(project, migrations.path, transport, lock_wait_seconds=0.3)
        with pytest.raises(MigrationsTasksError, match="another migrations-tasks run has held the migration lock"):
            engine.apply(load(migrations.path))
        assert not table_exists(project, "locked_out")
    finally:
        holder.rollback()
        holder.close()
    engine_for(project, migrations.path, transport).apply(load(migrations.path))
    assert table_exists(project, "locked_out")


def test_ledger_rows_do_not_depend_on_standard_conforming_strings(project: Project, migrations: MigrationDir) -> None:
    migrations.write("1_paths.sql", "create table paths (p text);\ncomment on table paths is 'C:\\temp\\new';\n")
    settings = project.settings(migrations.path, "postgres")
    # a server (or role) whose sessions start with standard_conforming_strings off
    url = project.db_url + "?options=-c%20standard_conforming_strings%3Doff"
    settings = settings.with_overrides(db_url=Secret(url))
    engine = Engine(connect(settings.target, settings), settings)
    local = load(migrations.path)
    engine.apply(local)
    assert ledger_rows(project)[0][2] == local.migrations[0].texts
    assert engine.check(local).entries[0].status is Status.APPLIED
