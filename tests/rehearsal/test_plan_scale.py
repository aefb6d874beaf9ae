"""db.plan on migrations of any size: no generated SQL grows into a server limit with the input."""

from __future__ import annotations

import time
from typing import Any

import pytest
from conftest import MigrationDir, Project

from migrations_tasks.engine import Engine
from migrations_tasks.history.migrations import load
from migrations_tasks.rehearsal.results import PlanResult, Rehearsed
from migrations_tasks.rehearsal.run import plan
from migrations_tasks.transport.connect import connect

TABLES = 160


def _base() -> str:
    tables = "".join(f"create table public.t{n} (id bigint primary key, note text);\n" for n in range(TABLES))
    return tables


def _mixed(count: int) -> str:
    """Return ``count`` statements: comments, grants and policies over the base tables."""
    kinds = (
        lambda n: f"comment on table public.t{n % TABLES} is 'note {n}';",
        lambda n: f"grant select on public.t{n % TABLES} to authenticated;",
        lambda n: f"create policy p{n} on public.t{n % TABLES} for select using (true);",
    )
    return "\n".join(kinds[n % 3](n) for n in range(count)) + "\n"


def _plan(project: Project, migrations: MigrationDir, verify_settings: Any) -> PlanResult:
    settings = verify_settings(migrations.path)
    live = connect(settings.target, settings)
    try:
        return plan(live, load(migrations.path), settings)
    finally:
        live.close()


@pytest.fixture
def tables(project: Project, migrations: MigrationDir, verify_settings: Any) -> MigrationDir:
    """Apply 160 tables to the project and return the migrations directory."""
    migrations.write("20250101000000_tables.sql", _base())
    settings = verify_settings(migrations.path)
    db = connect(settings.target, settings)
    try:
        Engine(db, settings).apply(load(migrations.path))
    finally:
        db.close()
    return migrations


@pytest.mark.parametrize("count", [51, 1000, 5000])
def test_a_migration_of_many_statements_plans_and_every_statement_is_watched(
    count: int, tables: MigrationDir, project: Project, verify_settings: Any
) -> None:
    tables.write("20250102000000_many.sql", _mixed(count))
    started = time.perf_counter()
    result = _plan(project, tables, verify_settings)
    print(f"plan of {count} statements: {time.perf_counter() - started:.2f}s")
    report = result.migrations[0]
    assert report.status is Rehearsed.OK, report.failure
    assert len(report.statements) == count
    policy = report.statements[2]
    assert [lock.strongest for lock in policy.locks if lock.relation == "public.t2"] == ["AccessExclusiveLock"]


def test_one_lock_table_over_160_tables_plans_and_names_every_table(
    tables: MigrationDir, project: Project, verify_settings: Any
) -> None:
    names = ", ".join(f"public.t{n}" for n in range(TABLES))
    tables.write("20250102000000_lock.sql", f"lock table {names} in share mode;\n")
    result = _plan(project, tables, verify_settings)
    report = result.migrations[0]
    assert report.status is Rehearsed.OK, report.failure
    locked = {lock.relation for lock in report.statements[0].locks if lock.strongest == "ShareLock"}
    assert locked == {f"public.t{n}" for n in range(TABLES)}
    assert {f"public.t{n}" for n in range(TABLES)} <= set(result.estimates)
    assert result.requests == 1
