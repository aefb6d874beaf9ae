"""db.plan's rehearsal on the sandbox: real locks, rewrites, failures, rollback proofs; the live project untouched."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest import MigrationDir, Project

from migrations_tasks.catalog.core import snapshot_sql
from migrations_tasks.engine import Engine
from migrations_tasks.errors import HistoryConflict
from migrations_tasks.history.migrations import load
from migrations_tasks.rehearsal.render import migration_lines
from migrations_tasks.rehearsal.results import Lock, PlanResult, Proof, Rehearsed
from migrations_tasks.rehearsal.run import plan
from migrations_tasks.transport.connect import connect

BASE = """create table public.todos (
  id bigint generated always as identity primary key,
  user_id uuid references auth.users (id),
  title text not null default ''
);
alter table public.todos enable row level security;
insert into public.todos (title) select 'todo ' || g from generate_series(1, 50) g;
-- migrate:down
-- drop table public.todos;
"""
MOOD_UP = (
    "create type public.mood as enum ('sad', 'ok', 'happy');\nalter table public.todos add column mood public.mood;\n"
)


@pytest.fixture
def rehearse(project: Project, migrations: MigrationDir, verify_settings: Any) -> Callable[..., PlanResult]:
    """Apply the base migration to the project, then return a function that plans what is pending."""
    migrations.write("20250101000000_todos.sql", BASE)
    settings = verify_settings(migrations.path)
    db = connect(settings.target, settings)
    try:
        Engine(db, settings).apply(load(migrations.path))
    finally:
        db.close()

    def run(**config: Any) -> PlanResult:
        s = verify_settings(migrations.path, **config)
        live = connect(s.target, s)
        try:
            return plan(live, load(migrations.path), s)
        finally:
            live.close()

    return run


def locks_of(result: PlanResult, version: str, statement: int) -> list[Lock]:
    report = next(m for m in result.migrations if m.version == version)
    return report.statements[statement - 1].locks


def test_a_non_concurrent_index_on_an_existing_table_takes_share_lock(
    rehearse: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    migrations.write("20250102000000_index.sql", "create index todos_title_idx on public.todos (title);\n")
    result = rehearse()
    report = result.migrations[0]
    assert report.status is Rehearsed.OK
    assert Lock("public.todos", ("ShareLock",), "public.todos") in report.statements[0].locks
    assert report.window is not None and (report.window.table, report.window.mode) == ("public.todos", "ShareLock")
    assert report.rewrites == [] and report.statements[0].scanned == ["public.todos"]
    assert [f.rule for f in report.statements[0].findings] == ["require-concurrent-index-creation"]
    assert report.proof.status is Proof.NO_DOWN_SQL
    assert [f.rule for f in report.findings] == ["down-sql-missing"] and result.exit_code == 0


def test_a_column_type_change_takes_access_exclusive_lock_and_rewrites_the_table(
    rehearse: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    migrations.write(
        "20250102000000_title.sql",
        "alter table public.todos alter column title type varchar(300);\n"
        "-- migrate:down\n-- alter table public.todos alter column title type text;\n",
    )
    result = rehearse()
    report = result.migrations[0]
    assert report.window is not None and report.window.mode == "AccessExclusiveLock"
    assert "public.todos" in report.rewrites and "public.todos_pkey (index on public.todos)" in report.rewrites
    assert "public.todos" in result.estimates
    assert report.proof.status is Proof.PASS, report.proof.differences


def test_locks_are_attributed_to_the_statement_that_first_took_them(
    rehearse: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    migrations.write(
        "20250102000000_many.sql",
        "create table public.tags (id bigint primary key);\nalter table public.tags enable row level security;\n"
        "create index tags_id on public.tags (id);\n"
        "alter table public.todos add constraint todos_user_fk2 foreign key (user_id) references auth.users (id);\n"
        "create index concurrently todos_user_idx on public.todos (user_id);\n",
    )
    result = rehearse()
    assert locks_of(result, "20250102000000", 1) == [] and locks_of(result, "20250102000000", 3) == []
    fk = {lock.relation: lock.strongest for lock in locks_of(result, "20250102000000", 4)}
    assert fk["auth.users"] == "ShareRowExclusiveLock" and fk["public.todos"] == "ShareRowExclusiveLock"
    assert locks_of(result, "20250102000000", 5) == [
        Lock("public.todos", ("ShareUpdateExclusiveLock",), "public.todos", observed=False)
    ]


def test_a_down_sql_that_leaves_an_enum_behind_fails_its_proof_and_names_the_type(
    rehearse: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    migrations.write(
        "20250102000000_mood.sql", MOOD_UP + "-- migrate:down\n-- alter table public.todos drop column mood;\n"
    )
    result = rehearse()
    report = result.migrations[0]
    assert report.proof.status is Proof.FAIL
    assert "left behind by down: enum public.mood" in report.proof.differences
    assert "42710" in report.proof.message
    assert [(f.rule, f.level) for f in report.findings] == [("rollback-proof-failed", "error")]
    assert result.exit_code == 1


def test_an_exact_down_sql_passes_its_proof_and_the_next_migration_is_rehearsed_after_it(
    rehearse: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    migrations.write(
        "20250102000000_mood.sql",
        MOOD_UP + "revoke delete on public.todos from anon;\ncomment on table public.todos is 'with moods';\n"
        "-- migrate:down\n-- comment on table public.todos is null;\n-- grant delete on public.todos to anon;\n"
        "-- alter table public.todos drop column mood;\n-- drop type public.mood;\n",
    )
    migrations.write("20250103000000_more.sql", "alter table public.todos add column note text;\n")
    result = rehearse()
    assert result.migrations[0].proof.differences == []
    assert [m.proof.status for m in result.migrations] == [Proof.PASS, Proof.NO_DOWN_SQL]
    assert [m.status for m in result.migrations] == [Rehearsed.OK, Rehearsed.OK]


def test_a_down_sql_that_forgets_a_privilege_fails_its_proof(
    rehearse: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    migrations.write(
        "20250102000000_revoke.sql", "revoke delete on public.todos from anon;\n-- migrate:down\n-- select 1;\n"
    )
    differences = rehearse().migrations[0].proof.differences
    assert any(d.startswith("not restored: grants table public.todos: anon DELETE before only") for d in differences), (
        differences
    )


def test_a_failing_migration_is_reported_as_db_apply_reports_it_and_ends_the_rehearsal(
    rehearse: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    migrations.write(
        "20250102000000_bad.sql", "alter table public.todos add column a int;\ninsert into nowhere values (1);\n"
    )
    migrations.write("20250103000000_next.sql", "alter table public.todos add column b int;\n")
    result = rehearse()
    bad, after = result.migrations
    assert bad.status is Rehearsed.FAILED and bad.sqlstate == "42P01" and bad.failure_line == 2
    assert "Migration 20250102000000_bad.sql failed at line 2 (statement 2 of 2)" in bad.failure
    assert after.status is Rehearsed.NOT_REHEARSED
    assert result.exit_code == 1


def test_the_live_projects_ledger_and_catalog_are_unchanged_and_it_gets_one_request(
    rehearse: Callable[..., PlanResult], migrations: MigrationDir, project: Project
) -> None:
    migrations.write("20250102000000_mood.sql", MOOD_UP + "-- migrate:down\n-- drop type public.mood cascade;\n")
    ledger = "select version from supabase_migrations.schema_migrations order by 1"
    catalog = f"select {snapshot_sql()}::text"
    before, requests = (project.sql(ledger), project.sql(catalog)), project.requests()
    result = rehearse()
    assert (project.sql(ledger), project.sql(catalog)) == before
    assert project.requests() - requests == 1 and result.requests == 1
    assert result.migrations[0].status is Rehearsed.OK


def test_a_history_conflict_stops_the_plan_as_db_apply_would(
    rehearse: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    migrations.write("20240101000000_older.sql", "select 1;\n")
    with pytest.raises(HistoryConflict) as caught:
        rehearse()
    assert caught.value.exit_code == 2


def test_down_sql_missing_is_an_error_under_a_policy(
    rehearse: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    migrations.write("20250102000000_col.sql", "alter table public.todos add column c text;\n")
    result = rehearse(lint={"rules": {"down-sql-missing": "error"}})
    assert [(f.rule, f.level) for f in result.findings] == [("down-sql-missing", "error")]
    assert result.exit_code == 1


def test_a_down_sql_that_fails_fails_its_proof_and_the_rehearsal_goes_on(
    rehearse: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    broken_down = "-- migrate:down\n-- drop table public.nothing;\n"
    migrations.write("20250102000000_col.sql", f"alter table public.todos add column c text;\n{broken_down}")
    migrations.write("20250103000000_next.sql", "alter table public.todos add column d text;\n")
    first, second = rehearse().migrations
    assert first.proof.status is Proof.FAIL and first.proof.message.startswith("the down SQL failed: line 3: 42P01")
    assert second.status is Rehearsed.OK


def test_the_rehearsal_applies_supabases_privileges_so_dropping_a_trigger_on_auth_users_is_allowed(
    rehearse: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    """supautils lets postgres drop triggers on auth.users; the throwaway database must allow what Supabase does."""
    migrations.write(
        "20250102000000_on_signup.sql",
        "create function public.on_signup() returns trigger language plpgsql as $$ begin return new; end $$;\n"
        "create trigger on_signup after insert on auth.users for each row execute function public.on_signup();\n"
        "-- migrate:down\n-- drop trigger on_signup on auth.users;\n-- drop function public.on_signup();\n",
    )
    result = rehearse()
    assert result.migrations[0].proof.status == Proof.PASS, result.migrations[0].proof.message


def test_a_weaker_lock_under_a_stronger_one_already_held_shows_the_mode_in_force_and_since_when(
    rehearse: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    migrations.write(
        "20250102000000_two.sql",
        "alter table public.todos add column m int;\nalter table public.todos alter column title type varchar(300);\n",
    )
    result = rehearse()
    report = result.migrations[0]
    second = next(lock for lock in report.statements[1].locks if lock.relation == "public.todos")
    assert (second.held, second.since, second.in_force) == ("AccessExclusiveLock", 1, "AccessExclusiveLock")
    text = "\n".join(migration_lines(report, result, verbose=True))
    assert "ShareLock on public.todos (AccessExclusiveLock, held since [1]): blocks reads and writes" in text
    brief = "\n".join(migration_lines(report, result))
    assert "  ->  AccessExclusiveLock on public.todos" in brief and "reads go on" not in brief
    assert "reads go on" not in text


def test_only_a_statement_that_reads_a_table_through_is_said_to_scan_it(
    rehearse: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    migrations.write(
        "20250102000000_meta.sql",
        "grant select on public.todos to anon;\ncomment on table public.todos is 'todos';\n"
        "alter table public.todos add column m int;\ncreate index todos_title_idx on public.todos (title);\n",
    )
    report = rehearse().migrations[0]
    assert [st.scanned for st in report.statements] == [[], [], [], ["public.todos"]]


def test_migrations_after_a_failure_keep_their_lint_and_down_sql_findings_and_say_why_they_were_not_rehearsed(
    rehearse: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    migrations.write("20250102000000_bad.sql", "insert into nowhere values (1);\n-- migrate:down\n-- select 1;\n")
    migrations.write("20250103000000_next.sql", "create index todos_title_idx on public.todos (title);\n")
    result = rehearse(lint={"rules": {"down-sql-missing": "error"}})
    after = result.migrations[1]
    assert after.status is Rehearsed.NOT_REHEARSED and "20250102000000_bad.sql failed" in after.reason
    assert [(f.rule, f.level) for f in after.findings] == [("down-sql-missing", "error")]
    text = "\n".join(migration_lines(after, result))
    assert "not rehearsed: " in text and "20250102000000_bad.sql failed" in text
    assert "warn require-concurrent-index-creation" in text and "error down-sql-missing" in text


def test_a_migration_that_does_not_apply_again_stops_the_rehearsal_and_says_so(
    rehearse: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    migrations.write(
        "20250102000000_mood.sql", MOOD_UP + "-- migrate:down\n-- alter table public.todos drop column mood;\n"
    )
    migrations.write("20250103000000_next.sql", "alter table public.todos add column n int;\n")
    result = rehearse()
    after = result.migrations[1]
    assert after.status is Rehearsed.NOT_REHEARSED and "did not apply again after its down SQL" in after.reason
    assert "did not apply again after its down SQL" in "\n".join(migration_lines(after, result))


def test_a_down_that_makes_a_dropped_column_again_restores_the_shape_not_the_data(
    rehearse: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    migrations.write(
        "20250102000000_drop_title.sql",
        "alter table public.todos drop column title;\n"
        "-- migrate:down\n-- alter table public.todos add column title text not null default '';\n",
    )
    result = rehearse()
    proof = result.migrations[0].proof
    assert proof.status is Proof.SHAPE_ONLY, proof
    assert result.verdict == "review" and result.exit_code == 0
    assert proof.message == (
        "restores the shape, not the data: column public.todos.title is made again by the down SQL, "
        "but its rows are gone"
    )
    assert proof.differences == []
