"""Rollback and repair against real PostgreSQL, through the sandbox's API and over a direct connection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import MigrationDir, Project, run_inv, run_together, user_project

from migrations_tasks.engine import Engine
from migrations_tasks.errors import ConfigError, Refused, RollbackFailed, SqlSyntaxError
from migrations_tasks.history.ledger import CREATE_STATEMENTS, TABLE
from migrations_tasks.history.migrations import load
from migrations_tasks.transport.connect import connect


@pytest.fixture(params=["api", "postgres"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def engine_for(project: Project, migrations: MigrationDir, transport: str = "api", **config: Any) -> Engine:
    settings = project.settings(migrations.path, transport, **config)
    return Engine(connect(settings.target, settings), settings)


def versions(project: Project) -> list[str]:
    return [r[0] for r in project.sql(f"SELECT version FROM {TABLE} ORDER BY version::numeric")]


def tables(project: Project) -> set[str]:
    return {r[0] for r in project.sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def write_chain(migrations: MigrationDir, count: int = 4) -> None:
    """Migrations 1..count, each creating table tN, with down SQL that fails if run twice."""
    for n in range(1, count + 1):
        migrations.write(f"{n}_t{n}.sql", f"create table t{n} (id int);\n-- migrate:down\n-- drop table t{n};\n")


def test_rollback_undoes_the_newest_migration_and_deletes_its_row_in_one_request(
    project: Project, migrations: MigrationDir, transport: str
) -> None:
    write_chain(migrations, 3)
    engine = engine_for(project, migrations, transport)
    local = load(migrations.path)
    engine.apply(local)
    before = engine.db.requests
    result = engine.rollback(local)
    assert engine.db.requests - before == 2  # read the ledger, then one request for the rollback
    assert [(o.version, o.status) for o in result.outcomes] == [("3", "rolled-back")]
    assert tables(project) == {"t1", "t2"}
    assert versions(project) == ["1", "2"]
    assert {e.status.value for e in engine.check(local).entries} == {"applied", "pending"}


def test_rollback_of_n_steps_and_to_a_version_reverts_schema_and_ledger_together(
    project: Project, migrations: MigrationDir
) -> None:
    write_chain(migrations, 5)
    engine = engine_for(project, migrations)
    local = load(migrations.path)
    engine.apply(local)
    result = engine.rollback(local, steps=2)
    assert [o.version for o in result.outcomes] == ["5", "4"]
    assert tables(project) == {"t1", "t2", "t3"} and versions(project) == ["1", "2", "3"]
    result = engine.rollback(local, to="1")
    assert [o.version for o in result.outcomes] == ["3", "2"]
    assert tables(project) == {"t1"} and versions(project) == ["1"]
    engine.apply(local)
    engine.rollback(local, to="0")
    assert tables(project) == set() and versions(project) == []


@pytest.mark.parametrize("batch_size", [1, 50])
def test_rollback_of_several_steps_goes_newest_first_in_one_request_or_one_each(
    project: Project, migrations: MigrationDir, transport: str, batch_size: int
) -> None:
    write_chain(migrations, 4)
    engine = engine_for(project, migrations, transport, batch_size=batch_size)
    local = load(migrations.path)
    engine.apply(local)
    before = engine.db.requests
    result = engine.rollback(local, to="1")
    assert [(o.version, o.status) for o in result.outcomes] == [
        ("4", "rolled-back"),
        ("3", "rolled-back"),
        ("2", "rolled-back"),
    ]
    assert engine.db.requests - before == 1 + (3 if batch_size == 1 else 1)
    assert tables(project) == {"t1"} and versions(project) == ["1"]


def test_a_failing_step_mid_batch_leaves_newer_steps_rolled_back_it_intact_and_older_ones_untouched(
    project: Project, migrations: MigrationDir, transport: str
) -> None:
    write_chain(migrations, 4)
    migrations.write("3_t3.sql", "create table t3 (id int);\n-- migrate:down\n-- drop table t3;\n-- select 1/0;\n")
    engine = engine_for(project, migrations, transport)
    local = load(migrations.path)
    engine.apply(local)
    with pytest.raises(RollbackFailed) as caught:
        engine.rollback(local, to="0")
    assert caught.value.version == "3" and "3_t3.sql:4" in caught.value.message and "22012" in caught.value.message
    assert engine.rollback_result is not None and [o.version for o in engine.rollback_result.done] == ["4"]
    assert tables(project) == {"t1", "t2", "t3"} and versions(project) == ["1", "2", "3"]


def test_rolling_back_one_version_with_newer_ones_applied_needs_force(
    project: Project, migrations: MigrationDir
) -> None:
    write_chain(migrations, 3)
    engine = engine_for(project, migrations)
    local = load(migrations.path)
    engine.apply(local)
    with pytest.raises(Refused) as caught:
        engine.rollback(local, version="2")
    assert "3" in caught.value.message and "--force" in (caught.value.hint or "")
    assert tables(project) == {"t1", "t2", "t3"}
    result = engine.rollback(local, version="2", force=True)
    assert any("newer migrations are applied after it: 3" in w for w in result.warnings)
    assert tables(project) == {"t1", "t3"} and versions(project) == ["1", "3"]


def test_a_failing_down_statement_leaves_schema_and_ledger_untouched(
    project: Project, migrations: MigrationDir, transport: str
) -> None:
    migrations.write("1_a.sql", "create table a (id int);\n-- migrate:down\n-- drop table a;\n")
    migrations.write(
        "2_b.sql",
        "create table b (id int);\ninsert into b values (1);\n-- migrate:down\n-- drop table b;\n-- select 1/0;\n",
    )
    engine = engine_for(project, migrations, transport)
    local = load(migrations.path)
    engine.apply(local)
    with pytest.raises(RollbackFailed) as caught:
        engine.rollback(local, steps=2)
    error = caught.value
    assert error.version == "2" and error.exit_code == 1
    assert error.line == 5 and "2_b.sql:5" in error.message and "22012" in error.message
    assert "unchanged" in (error.hint or "")
    assert tables(project) == {"a", "b"}
    assert project.sql("SELECT count(*) FROM b") == [(1,)]
    assert versions(project) == ["1", "2"]


def test_without_down_sql_rollback_refuses_and_says_how_to_add_it(project: Project, migrations: MigrationDir) -> None:
    migrations.write("1_a.sql", "create table a (id int);")
    engine = engine_for(project, migrations)
    local = load(migrations.path)
    engine.apply(local)
    before = engine.db.requests
    with pytest.raises(Refused) as caught:
        engine.rollback(local)
    assert "No down SQL for 1 (1_a.sql)" in caught.value.message
    assert "-- migrate:down" in (caught.value.hint or "") and "--record-only" in (caught.value.hint or "")
    assert engine.db.requests - before == 1  # only the ledger was read
    assert versions(project) == ["1"]


def test_record_only_deletes_just_the_ledger_row(project: Project, migrations: MigrationDir) -> None:
    migrations.write("1_a.sql", "create table a (id int);")
    engine = engine_for(project, migrations)
    local = load(migrations.path)
    engine.apply(local)
    result = engine.rollback(local, record_only=True)
    assert [o.status for o in result.outcomes] == ["record-removed"]
    assert tables(project) == {"a"} and versions(project) == []


def test_down_sql_stored_in_the_rollback_column_is_used_when_the_file_has_none(
    project: Project, migrations: MigrationDir, transport: str
) -> None:
    project.sql(
        "create schema supabase_migrations; create table supabase_migrations.schema_migrations "
        "(version text primary key, statements text[], name text, created_by text, "
        "idempotency_key text unique, rollback text[])"
    )
    path = migrations.write("1_a.sql", "create table a (id int);\n-- migrate:down\n-- drop table a;\n")
    engine = engine_for(project, migrations, transport)
    engine.apply(load(migrations.path))
    assert project.sql(f"SELECT rollback FROM {TABLE}") == [(["drop table a"],)]
    path.write_text("create table a (id int);\n")  # the down block is gone from the file
    result = engine.rollback(load(migrations.path))
    assert [o.status for o in result.outcomes] == ["rolled-back"]
    assert result.steps[0].down is not None and result.steps[0].down.origin == "ledger"
    assert tables(project) == set() and versions(project) == []


def test_down_sql_from_the_ledger_is_parsed_before_anything_is_sent(project: Project, migrations: MigrationDir) -> None:
    project.sql(
        "create schema supabase_migrations; create table supabase_migrations.schema_migrations "
        "(version text primary key, statements text[], name text, rollback text[])"
    )
    project.sql(f"insert into {TABLE} values ('1', '{{}}', 'a', ARRAY['drop tabel a'])")
    engine = engine_for(project, migrations)
    with pytest.raises(SqlSyntaxError, match="rollback SQL of 1"):
        engine.rollback(load(migrations.path))
    assert versions(project) == ["1"]


def test_concurrent_rollbacks_never_undo_a_migration_twice(
    project: Project, migrations: MigrationDir, transport: str
) -> None:
    write_chain(migrations, 6)
    local = load(migrations.path)
    engine_for(project, migrations, transport).apply(local)
    results = run_together(lambda: engine_for(project, migrations, transport).rollback(local, to="2"))
    undone = [o.version for r in results for o in r.outcomes if o.status == "rolled-back"]
    assert sorted(undone) == ["3", "4", "5", "6"]  # each exactly once; a second drop table would have failed
    assert tables(project) == {"t1", "t2"} and versions(project) == ["1", "2"]


def test_dry_run_prints_the_request_and_changes_nothing(project: Project, migrations: MigrationDir) -> None:
    write_chain(migrations, 1)
    engine = engine_for(project, migrations)
    local = load(migrations.path)
    engine.apply(local)
    result = engine.rollback(local, dry_run=True)
    assert [o.status for o in result.outcomes] == ["would-roll-back"]
    sql = result.steps[0].request.sql
    assert "pg_advisory_xact_lock" in sql and "drop table t1" in sql and f"DELETE FROM {TABLE}" in sql
    assert tables(project) == {"t1"} and versions(project) == ["1"]


def test_conflicting_rollback_targets_are_a_settings_error(project: Project, migrations: MigrationDir) -> None:
    engine = engine_for(project, migrations)
    with pytest.raises(ConfigError, match="at most one of"):
        engine.rollback(load(migrations.path), steps=1, to="0")


def test_repair_applied_records_rows_from_the_files_and_reverted_deletes_them(
    project: Project, migrations: MigrationDir, transport: str
) -> None:
    write_chain(migrations, 2)
    engine = engine_for(project, migrations, transport)
    local = load(migrations.path)
    result = engine.repair(local, "applied", ["1", "2"])
    assert [o.status for o in result.outcomes] == ["recorded", "recorded"]
    assert tables(project) == set()  # no migration SQL ran
    assert project.sql(f"SELECT version, name, statements FROM {TABLE} ORDER BY 1") == [
        ("1", "t1", ["create table t1 (id int)"]),
        ("2", "t2", ["create table t2 (id int)"]),
    ]
    assert {e.status.value for e in engine.check(local).entries} == {"applied"}
    result = engine.repair(local, "reverted", ["2", "9"])
    assert [o.status for o in result.outcomes] == ["removed", "not-recorded"]
    assert versions(project) == ["1"]
    with pytest.raises(Refused, match="No local migration file for 9"):
        engine.repair(local, "applied", ["9"])


def test_the_rollback_and_repair_tasks_work_from_the_command_line(
    project: Project, migrations: MigrationDir, tmp_path: Path
) -> None:
    write_chain(migrations, 2)
    cwd = user_project(tmp_path)
    assert run_inv("db.apply", cwd=cwd, env=project.env).returncode == 0
    refused = run_inv("db.rollback", "--version", "1", cwd=cwd, env=project.env)
    assert refused.returncode == 2 and "--force" in refused.stderr
    done = run_inv("db.rollback", "--steps", "2", "--json", cwd=cwd, env=project.env)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["status"] == "rolled-back" and [m["version"] for m in doc["migrations"]] == ["2", "1"]
    assert doc["requests"] == 2  # the ledger read, then both steps in one request
    repaired = run_inv("db.repair", "--status", "applied", "1,2", cwd=cwd, env=project.env)
    assert repaired.returncode == 0, repaired.stderr
    assert "Repaired 2 ledger rows" in repaired.stdout
    only_rows = run_inv("db.rollback", "--record-only", "--to", "0", cwd=cwd, env=project.env)
    assert only_rows.returncode == 0, only_rows.stderr
    assert "schema is UNCHANGED" in only_rows.stderr
    assert versions(project) == []
    nothing = run_inv("db.rollback", cwd=cwd, env=project.env)
    assert nothing.returncode == 0 and "Nothing to roll back" in nothing.stdout


def test_the_example_migrations_roll_back_completely(project: Project) -> None:
    examples = Path(__file__).resolve().parents[2] / "supabase" / "migrations"
    settings = project.settings(examples)
    engine = Engine(connect(settings.target, settings), settings)
    local = load(examples)
    engine.apply(local)
    result = engine.rollback(local, to="0")
    assert len(result.done) == len(local.migrations)
    assert tables(project) == set() and versions(project) == []
    assert project.sql("SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace") == [(0,)]
    assert project.sql(
        "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'auth.users'::regclass AND tgname = 'on_auth_user_created'"
    ) == [(0,)]
    engine.apply(local)  # and they apply again cleanly
    assert {e.status.value for e in engine.check(local).entries} == {"applied"}


def test_a_syntax_error_in_down_sql_exits_3_before_any_request(
    project: Project, migrations: MigrationDir, tmp_path: Path
) -> None:
    migrations.write("1_a.sql", "create table a (id int);\n-- migrate:down\n-- drop tabel a;\n")
    result = run_inv("db.rollback", cwd=user_project(tmp_path), env=project.env)
    assert result.returncode == 3
    assert '1_a.sql:3:9: syntax error at or near "tabel" (in down SQL)' in result.stderr
    assert project.requests() == 0


def test_a_ledger_without_the_rollback_column_gains_it_and_an_older_checkout_rolls_back_with_the_stored_copy(
    project: Project, migrations: MigrationDir
) -> None:
    project.sql(";".join(CREATE_STATEMENTS[1:]))  # the CLI's ledger: version, statements, name
    migrations.write("1_a.sql", "create table a (id int);\n-- migrate:down\n-- drop table a;\n")
    path = migrations.write("2_b.sql", "create table b (id int);\n")
    down = migrations.path.parent / "rollbacks" / "2_b.sql"
    down.parent.mkdir()
    down.write_text("drop table b;\n")
    infos: list[str] = []
    settings = project.settings(migrations.path)
    engine = Engine(connect(settings.target, settings), settings, on_event=lambda e: infos.append(e.message or ""))
    engine.apply(load(migrations.path))
    assert any("Adding the column rollback text[]" in m for m in infos)
    assert project.sql(f"SELECT version, rollback FROM {TABLE} ORDER BY 1") == [
        ("1", ["drop table a"]),
        ("2", ["drop table b"]),
    ]
    down.write_text("drop table if exists b;\n")
    warned = engine.rollback(load(migrations.path), dry_run=True).warnings
    assert any("differs from the copy the ledger stored when it was applied; using the local one" in w for w in warned)
    path.unlink()  # the release rolled back to: its checkout has neither migration 2 nor its down file
    down.unlink()
    result = engine.rollback(load(migrations.path), version="2")
    assert [o.status for o in result.outcomes] == ["rolled-back"] and result.steps[0].down is not None
    assert result.steps[0].down.origin == "ledger"
    assert tables(project) == {"a"} and versions(project) == ["1"]
