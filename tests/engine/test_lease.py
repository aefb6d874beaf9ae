"""The lease on a migration that runs outside one transaction: concurrent runs apply it exactly once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import MigrationDir, Project, run_together

from migrations_tasks.engine import Engine, Event
from migrations_tasks.errors import MigrationFailed, MigrationsTasksError
from migrations_tasks.history import lease
from migrations_tasks.history.ledger import TABLE
from migrations_tasks.history.migrations import load
from migrations_tasks.transport.connect import connect


def engine_for(project: Project, directory: Path, transport: str = "api", **config: Any) -> Engine:
    settings = project.settings(directory, transport, **config)
    return Engine(connect(settings.target, settings), settings)


def write_set(migrations: MigrationDir) -> None:
    """Non-idempotent statements outside a transaction: a second run of any part fails (42P07) or doubles a row."""
    migrations.write("1_items.sql", "create table items (id int, v text);\n")
    migrations.write("2_index.sql", "create index concurrently items_v on items (v);\n")
    migrations.write(
        "3_parts.sql",
        "create table audit (id int);\ninsert into audit values (1);\n"
        "create index concurrently audit_id on audit (id);\ninsert into audit values (2);\n",
    )
    migrations.write(
        "4_blocks.sql",
        "begin;\ninsert into audit values (3);\ncommit;\nbegin;\ninsert into audit values (4);\ncommit;\n",
    )
    migrations.write("5_last.sql", "create table last_one (id int);\n")


@pytest.mark.parametrize("transport", ["api", "postgres"])
def test_four_concurrent_runs_apply_migrations_that_run_outside_a_transaction_exactly_once(
    project: Project, migrations: MigrationDir, transport: str
) -> None:
    write_set(migrations)
    local = load(migrations.path)
    assert [m.atomic for m in local.migrations] == [True, False, False, False, True]
    results = run_together(lambda: engine_for(project, migrations.path, transport).apply(local))
    applied = sorted((o.version for r in results for o in r.outcomes if o.status == "applied"), key=int)
    assert applied == ["1", "2", "3", "4", "5"]
    assert project.sql("SELECT id FROM audit ORDER BY id") == [(1,), (2,), (3,), (4,)]
    assert project.sql(f"SELECT count(*) FROM {TABLE}") == [(5,)]
    assert project.sql(f"SELECT count(*) FROM {lease.TABLE}") == [(0,)]  # every lease given back
    assert project.sql("SELECT count(*) FROM pg_index WHERE NOT indisvalid") == [(0,)]


def test_a_run_waits_for_a_live_lease_then_stops_naming_it_and_what_to_do(
    project: Project, migrations: MigrationDir
) -> None:
    write_set(migrations)
    engine_for(project, migrations.path).apply(load(migrations.path))  # creates the lease table
    migrations.write("6_more.sql", "create index concurrently last_one_id on last_one (id);\n")
    project.sql(f"INSERT INTO {lease.TABLE} VALUES ('6', 'otherrun', now() + interval '1 hour')")
    said: list[Event] = []
    settings = project.settings(migrations.path, lock_wait_seconds=1)
    with pytest.raises(MigrationsTasksError) as caught:
        Engine(connect(settings.target, settings), settings, on_event=said.append).apply(load(migrations.path))
    assert type(caught.value) is MigrationsTasksError and caught.value.exit_code == 3
    assert "Migration 6 was not applied: another run is applying migration 6 (lease otherrun)" in caught.value.message
    assert "Another apply or rollback is running" in (caught.value.hint or "")
    assert any("waiting for that run" in e.message for e in said)
    assert project.sql("SELECT to_regclass('last_one_id')") == [(None,)]


def test_an_expired_lease_of_a_run_that_stopped_is_taken_over_with_a_warning(
    project: Project, migrations: MigrationDir
) -> None:
    write_set(migrations)
    engine_for(project, migrations.path).apply(load(migrations.path))
    migrations.write("6_more.sql", "create index concurrently if not exists last_one_id on last_one (id);\n")
    project.sql(f"INSERT INTO {lease.TABLE} VALUES ('6', 'killedrun', now() - interval '1 second')")
    said: list[Event] = []
    settings = project.settings(migrations.path)
    result = Engine(connect(settings.target, settings), settings, on_event=said.append).apply(load(migrations.path))
    assert [o.status for o in result.outcomes] == ["applied"]
    assert any("stopped before it finished" in e.message and "first statement" in e.message for e in said)
    assert project.sql(f"SELECT count(*) FROM {lease.TABLE}") == [(0,)]


def test_a_failed_migration_gives_its_lease_back_so_the_fixed_file_runs_at_once(
    project: Project, migrations: MigrationDir
) -> None:
    migrations.write("1_bad.sql", "create table t (id int);\ncreate index concurrently t_x on t (no_such_column);\n")
    with pytest.raises(MigrationFailed) as caught:
        engine_for(project, migrations.path).apply(load(migrations.path))
    assert caught.value.sql_error is not None and caught.value.sql_error.sqlstate == "42703"
    assert project.sql(f"SELECT count(*) FROM {lease.TABLE}") == [(0,)]
    migrations.write("1_bad.sql", "create table t (id int);\ncreate index concurrently t_x on t (id);\n")
    project.sql("DROP TABLE t")
    result = engine_for(project, migrations.path, lock_wait_seconds=1).apply(load(migrations.path))
    assert [o.status for o in result.outcomes] == ["applied"]


PARTS = (
    "create table audit (id int);\ninsert into audit values (1);\n"
    "create index concurrently audit_id on audit (id);\ninsert into audit values (2);\n"
)


def test_a_run_taking_over_a_killed_run_s_lease_goes_on_after_what_it_committed(
    project: Project, migrations: MigrationDir
) -> None:
    from migrations_tasks.engine.lease import fingerprint

    migrations.write("1_parts.sql", PARTS)
    local = load(migrations.path)
    # what a run killed after the index was built leaves: part 1 committed, the index valid, no ledger row
    project.sql("create table audit (id int); insert into audit values (1)")
    project.sql("create index concurrently audit_id on audit (id)")
    project.sql(
        f"create schema supabase_migrations; {lease.CREATE_SQL}; INSERT INTO {lease.TABLE} VALUES "
        f"('1', 'killedrun', now() - interval '1 second', 1, '{fingerprint(local.migrations[0])}')"
    )
    said: list[Event] = []
    settings = project.settings(migrations.path)
    result = Engine(connect(settings.target, settings), settings, on_event=said.append).apply(local)
    assert [o.status for o in result.outcomes] == ["applied"]
    assert any("going on after its part 1" in e.message for e in said)
    assert any("the catalog shows `create index concurrently audit_id on audit (id)` done" in e.message for e in said)
    assert project.sql("SELECT id FROM audit ORDER BY id") == [(1,), (2,)]  # nothing ran twice
    assert project.sql(f"SELECT count(*) FROM {lease.TABLE}") == [(0,)]


def test_a_takeover_of_a_lease_on_an_edited_file_starts_from_its_first_statement(
    project: Project, migrations: MigrationDir
) -> None:
    migrations.write("1_parts.sql", PARTS.replace("(id)", "(id, id)"))
    project.sql(
        f"create schema supabase_migrations; {lease.CREATE_SQL}; "
        f"INSERT INTO {lease.TABLE} VALUES ('1', 'killedrun', now(), 1, 'another file')"
    )
    project.sql(f"UPDATE {lease.TABLE} SET expires_at = now() - interval '1 second'")
    said: list[Event] = []
    settings = project.settings(migrations.path)
    result = Engine(connect(settings.target, settings), settings, on_event=said.append).apply(load(migrations.path))
    assert [o.status for o in result.outcomes] == ["applied"]
    assert any("applying it again from its first statement" in e.message for e in said)
    assert project.sql("SELECT id FROM audit ORDER BY id") == [(1,), (2,)]
