"""Down SQL is parsed at load time, from a commented block or a rollback file, without touching the up SQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MigrationDir

from migrations_tasks.errors import MigrationFileError, SqlSyntaxError
from migrations_tasks.history.down import split_down_block
from migrations_tasks.history.migrations import load
from migrations_tasks.sql import same_statements


def test_a_migrate_down_block_is_cut_off_and_parsed_with_file_positions(migrations: MigrationDir) -> None:
    migrations.write(
        "1_a.sql", "create table a (id int);\n\n-- migrate:down\n-- drop table a;\n--   drop\n--   table b;\n"
    )
    (migration,) = load(migrations.path).migrations
    assert migration.texts == ["create table a (id int)"]
    assert migration.down is not None and migration.down.origin == "block"
    assert migration.down.texts == ["drop table a", "drop\n  table b"]
    assert [(s.line, s.column) for s in migration.down.statements] == [(4, 4), (5, 6)]


def test_the_down_block_does_not_change_what_the_ledger_records_for_the_file(migrations: MigrationDir) -> None:
    migrations.write("1_a.sql", "create table a (id int)")
    before = load(migrations.path).migrations[0].texts
    migrations.write("1_a.sql", "create table a (id int)\n-- migrate:down\n-- drop table a;\n")
    after = load(migrations.path).migrations[0]
    assert after.texts == before
    assert same_statements(after.texts, before)


def test_a_syntax_error_in_down_sql_names_the_file_line_and_column(migrations: MigrationDir) -> None:
    migrations.write("2_b.sql", "create table b (id int);\n-- migrate:down\n-- drop tabel b;\n")
    with pytest.raises(SqlSyntaxError) as caught:
        load(migrations.path)
    assert caught.value.message.endswith('2_b.sql:3:9: syntax error at or near "tabel" (in down SQL)')


def test_an_uncommented_line_after_the_marker_is_refused_because_db_push_would_run_it(
    migrations: MigrationDir,
) -> None:
    migrations.write("1_a.sql", "create table a (id int);\n-- migrate:down\n-- drop table a;\ndrop table a;\n")
    with pytest.raises(MigrationFileError, match=r"1_a.sql:4:1: .*not commented.*supabase db push"):
        load(migrations.path)


def test_a_marker_inside_a_string_or_a_block_comment_is_not_a_marker() -> None:
    text = "select $$\n-- migrate:down\n$$;\n/*\n-- migrate:down\n*/ select 1;\n"
    assert split_down_block(text, Path("x.sql")) == (text, None, {})


def test_down_sql_that_cannot_run_in_a_transaction_is_refused(migrations: MigrationDir) -> None:
    migrations.write("1_a.sql", "create index i on t (c);\n-- migrate:down\n-- drop index concurrently i;\n")
    with pytest.raises(MigrationFileError, match="DROP INDEX CONCURRENTLY cannot run in down SQL"):
        load(migrations.path)


def test_a_wrapping_begin_commit_in_down_sql_is_merged(migrations: MigrationDir) -> None:
    migrations.write("1_a.sql", "create table a (id int);\n-- migrate:down\n-- begin;\n-- drop table a;\n-- commit;\n")
    down = load(migrations.path).migrations[0].down
    assert down is not None and down.texts == ["drop table a"]


def test_a_rollback_file_supplies_down_sql_and_both_sources_at_once_are_an_error(
    migrations: MigrationDir, tmp_path: Path
) -> None:
    rollbacks = tmp_path / "supabase" / "rollbacks"
    rollbacks.mkdir(parents=True)
    migrations.write("7_seven.sql", "create table seven (id int);")
    (rollbacks / "7_seven.sql").write_text("drop table seven;\n")
    (rollbacks / "8_orphan.sql").write_text("select 1;\n")
    local = load(migrations.path)
    down = local.migrations[0].down
    assert down is not None and down.origin == "file" and down.texts == ["drop table seven"]
    assert down.path == rollbacks / "7_seven.sql"
    assert any("8_orphan.sql" in w and "unused" in w for w in local.warnings)
    migrations.write("7_seven.sql", "create table seven (id int);\n-- migrate:down\n-- drop table seven;\n")
    with pytest.raises(MigrationFileError, match="down SQL is written twice"):
        load(migrations.path)


def test_the_example_migrations_all_have_down_sql() -> None:
    examples = Path(__file__).resolve().parents[2] / "supabase" / "migrations"
    local = load(examples)
    assert local.migrations and all(m.down is not None and m.down.statements for m in local.migrations)


def test_an_empty_down_block_is_no_down_sql_so_a_rollback_file_may_supply_it(
    migrations: MigrationDir, tmp_path: Path
) -> None:
    """db.new writes an empty block to fill: until it is, rolling back must refuse, not just drop the row."""
    migrations.write("7_seven.sql", "create table seven (id int);\n-- migrate:down\n-- -- write the undo here\n")
    assert load(migrations.path).migrations[0].down is None
    rollbacks = tmp_path / "supabase" / "rollbacks"
    rollbacks.mkdir(parents=True)
    (rollbacks / "7_seven.sql").write_text("drop table seven;\n")
    down = load(migrations.path).migrations[0].down
    assert down is not None and down.origin == "file" and down.texts == ["drop table seven"]
