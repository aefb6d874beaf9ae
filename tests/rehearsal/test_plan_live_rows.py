"""db.plan asks the live rows, read-only, about each row-dependent statement: rows written out of band
(not by migrations) make statements fail that the row-less rehearsal applies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest import MigrationDir, Project

from migrations_tasks.engine import Engine
from migrations_tasks.history.migrations import load
from migrations_tasks.rehearsal.render import migration_lines
from migrations_tasks.rehearsal.results import Data, DataCheck, PlanResult, Rehearsed
from migrations_tasks.rehearsal.run import plan
from migrations_tasks.transport.connect import connect

BASE = """create table public.todos (
  id bigint generated always as identity primary key,
  title text not null,
  note text,
  amount text,
  qty int not null default 1,
  list_id bigint
);
"""
ROWS = 3000
#: Written straight to the live database, as an app would: 3 NULL notes, 3 qty >= 10, 3 amounts that are
#: not numbers, 2 titles used twice, every list_id set.
OUT_OF_BAND = f"""insert into public.todos (title, note, amount, qty, list_id)
select 'todo ' || g, case when g <= 3 then null else 'n' end, case when g <= 3 then 'x' || g else g::text end,
       case when g <= 3 then 10 + g else 1 end, g
  from generate_series(1, {ROWS}) g;
update public.todos set title = 'todo 10' where title in ('todo 11', 'todo 12');
update public.todos set title = 'todo 20' where title = 'todo 21';
analyze public.todos;
"""


@pytest.fixture
def planner(project: Project, migrations: MigrationDir, verify_settings: Any) -> Callable[..., PlanResult]:
    """Apply the base migration, write rows out of band, then return a function that plans what is pending."""
    migrations.write("20250101000000_todos.sql", BASE)
    settings = verify_settings(migrations.path)
    db = connect(settings.target, settings)
    try:
        Engine(db, settings).apply(load(migrations.path))
    finally:
        db.close()
    project.sql(OUT_OF_BAND)

    def run(transport: str = "api", **config: Any) -> PlanResult:
        s = verify_settings(migrations.path, transport=transport, **config)
        live = connect(s.target, s)
        try:
            return plan(live, load(migrations.path), s)
        finally:
            live.close()

    return run


def only_check(result: PlanResult, statement: int = 1, migration: int = 0) -> DataCheck:
    checks = result.migrations[migration].statements[statement - 1].data
    assert len(checks) == 1, checks
    return checks[0]


def test_add_column_not_null_without_default_fails_on_a_table_with_rows(
    planner: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    migrations.write("20250102000000_priority.sql", "alter table public.todos add column priority int not null;\n")
    result = planner()
    assert result.migrations[0].status is Rehearsed.OK  # the throwaway has no rows: it applies there
    check = only_check(result)
    assert (check.status, check.sqlstate, check.rows, check.more) == (Data.FAILS, "23502", 1000, True)
    assert check.text.startswith("fails on live rows: more than 1,000 rows violate NOT NULL on the new column")
    assert result.exit_code == 1


def test_a_unique_index_fails_on_duplicated_values_and_says_how_to_find_them(
    planner: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    migrations.write(
        "20250102000000_unique.sql", "create unique index concurrently todos_title_key on public.todos (title);\n"
    )
    result = planner()
    check = only_check(result)
    assert (check.status, check.sqlstate, check.rows) == (Data.FAILS, "23505", 2)
    assert check.text == "fails on live rows: 2 duplicated values violate todos_title_key (23505)"
    assert check.query == (
        "SELECT title, count(*) FROM public.todos WHERE title IS NOT NULL GROUP BY title HAVING count(*) > 1"
    )
    assert result.exit_code == 1


def test_a_foreign_key_to_a_table_created_by_an_earlier_pending_migration_fails_on_every_set_row(
    planner: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    migrations.write("20250102000000_lists.sql", "create table public.lists (id bigint primary key);\n")
    migrations.write(
        "20250103000000_fk.sql",
        "alter table public.todos add constraint todos_list_fk foreign key (list_id) references public.lists (id);\n",
    )
    result = planner()
    check = only_check(result, migration=1)
    assert (check.status, check.sqlstate, check.more) == (Data.FAILS, "23503", True)
    assert "todos_list_fk" in check.text
    assert result.migrations[0].statements[0].data == [] and result.exit_code == 1


def test_a_foreign_key_that_names_no_referenced_column_is_checked_against_the_live_primary_key(
    planner: Callable[..., PlanResult], migrations: MigrationDir, project: Project
) -> None:
    project.sql(
        "create table public.lists (id bigint primary key); insert into public.lists select generate_series(1, 2990)"
    )
    migrations.write(
        "20250102000000_fk.sql",
        "alter table public.todos add constraint todos_list_fk foreign key (list_id) references public.lists;\n",
    )
    check = only_check(planner())
    assert check.text == "fails on live rows: 10 rows violate todos_list_fk (23503)"
    assert "p.<primary key> = c.list_id" in check.query


def test_validate_constraint_of_a_constraint_an_applied_migration_added_not_valid_uses_its_live_definition(
    planner: Callable[..., PlanResult], migrations: MigrationDir, project: Project, verify_settings: Any
) -> None:
    migrations.write(
        "20250101100000_not_valid.sql",
        "alter table public.todos add constraint items_qty_small check (qty < 10) not valid;\n"
        "create table public.lists (id bigint primary key);\n"
        "alter table public.todos add constraint todos_list_fk foreign key (list_id) references public.lists (id)"
        " not valid;\n",
    )
    settings = verify_settings(migrations.path)
    db = connect(settings.target, settings)
    try:
        Engine(db, settings).apply(load(migrations.path))
    finally:
        db.close()
    migrations.write(
        "20250102000000_validate.sql",
        "alter table public.todos validate constraint items_qty_small;\n"
        "alter table public.todos validate constraint todos_list_fk;\n",
    )
    result = planner()
    assert only_check(result, 1).text == "fails on live rows: 3 rows violate items_qty_small (23514 or 23503)"
    assert only_check(result, 2).more and only_check(result, 2).status is Data.FAILS
    assert result.exit_code == 1


def test_a_type_change_whose_using_fails_on_some_values_counts_them(
    planner: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    migrations.write(
        "20250102000000_amount.sql", "alter table public.todos alter column amount type int using amount::int;\n"
    )
    result = planner()
    check = only_check(result)
    assert (check.status, check.sqlstate, check.rows) == (Data.FAILS, "22P02", 3)
    assert check.text == "fails on live rows: 3 rows fail the cast of public.todos.amount to integer (22P02)"
    assert "pg_input_is_valid(amount::text, 'integer')" in check.query


def test_set_not_null_and_a_check_constraint_count_the_rows_that_violate_them(
    planner: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    migrations.write(
        "20250102000000_constraints.sql",
        "alter table public.todos alter column note set not null;\n"
        "alter table public.todos add constraint items_qty_small check (qty < 10);\n"
        "alter table public.todos alter column title set not null;\n",
    )
    result = planner()
    assert only_check(result, 1).text == "fails on live rows: 3 rows violate NOT NULL on public.todos.note (23502)"
    assert only_check(result, 2).text == "fails on live rows: 3 rows violate items_qty_small (23514)"
    assert only_check(result, 3).status is Data.PASSES
    lines = "\n".join(migration_lines(result.migrations[0], result))
    assert "find them: SELECT count(*) FROM public.todos WHERE NOT (qty < 10)" in lines
    values = lines.replace(str(migrations.path), "<dir>")  # a random temporary path may hold "x1"
    assert "todo 1" not in values and "x1" not in values  # never a row's value


def test_a_backfill_before_set_not_null_is_followed_and_other_updates_make_the_check_unknown(
    planner: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    migrations.write(
        "20250102000000_backfill.sql",
        "update public.todos set note = '' where note is null;\n"
        "alter table public.todos alter column note set not null;\n"
        "update public.todos set amount = note where id > 5;\n"
        "alter table public.todos alter column amount set not null;\n",
    )
    result = planner()
    assert result.migrations[0].statements[1].data == [] and result.exit_code == 0
    check = only_check(result, 4)
    assert check.status is Data.UNKNOWN and "[3] updates the rows it reads" in check.reason


def test_a_check_that_runs_out_of_time_is_unknown(planner: Callable[..., PlanResult], migrations: MigrationDir) -> None:
    migrations.write(
        "20250102000000_slow.sql",
        "alter table public.todos add constraint slow check (length(pg_sleep(0.01)::text) >= 0);\n",
    )
    check = only_check(planner())
    assert check.status is Data.UNKNOWN and "ran out of time" in check.reason


@pytest.mark.parametrize("transport", ["api", "postgres"])
def test_the_live_project_is_untouched_and_the_checks_are_read_only_requests(
    transport: str, planner: Callable[..., PlanResult], migrations: MigrationDir, project: Project
) -> None:
    migrations.write(
        "20250102000000_all.sql",
        "alter table public.todos add column priority int not null;\n"
        "create unique index todos_title_key on public.todos (title);\n"
        "alter table public.todos alter column amount type int using amount::int;\n",
    )
    ledger = "select version from supabase_migrations.schema_migrations order by 1"
    rows = "select count(*), md5(string_agg(t::text, ',' order by id)) from public.todos t"
    before, requests = (project.sql(ledger), project.sql(rows)), project.requests()
    result = planner(transport=transport)
    assert (project.sql(ledger), project.sql(rows)) == before
    assert result.migrations[0].status is Rehearsed.OK and result.exit_code == 1
    assert [d.status for st in result.migrations[0].statements for d in st.data] == [Data.FAILS] * 3
    assert result.requests == 2 and result.data_requests == 1
    assert project.requests() - requests == (2 if transport == "api" else 0)


def test_a_lock_that_blocks_reads_on_a_table_with_rows_is_a_review_exit_0_unless_strict(
    planner: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    migrations.write(
        "20250102000000_rewrite.sql",
        "alter table public.todos alter column qty type bigint;\n-- migrate:down\n"
        "-- alter table public.todos alter column qty type int;\n",
    )
    result = planner()
    assert result.verdict == "review" and result.exit_code == 0
    [(_, reason)] = result.reviews
    size = f"{result.estimates['public.todos'].bytes / 2**20:.1f} MB"  # type: ignore[operator]
    assert reason == (
        f"[1] AccessExclusiveLock on public.todos (~3,000 rows, {size}) from [1] to COMMIT: blocks reads and "
        "writes; rewrite under it"
    )
    result.strict = True
    assert result.exit_code == 1


def test_an_unknown_data_check_is_a_review_never_safe(
    planner: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    migrations.write(
        "20250103000000_slow.sql",
        "select 1;\ndo $$ begin execute 'delete from public.todos where false'; end $$;\n"
        "alter table public.todos alter column title set not null;\n",
    )
    result = planner()
    size = f"{result.estimates['public.todos'].bytes / 2**20:.1f} MB"  # type: ignore[operator]
    assert [line for _, line in result.reviews] == [
        f"[3] AccessExclusiveLock on public.todos (~3,000 rows, {size}) from [3] to COMMIT: blocks reads and writes",
        "[3] data check unknown: NOT NULL on public.todos.title: 20250103000000_slow.sql [2] may change any row",
    ]
    assert result.verdict == "review" and result.exit_code == 0


def test_statements_on_new_or_empty_tables_are_safe(
    planner: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    migrations.write(
        "20250102000000_new.sql",
        "create table public.tags (id int primary key, t text not null);\n"
        "alter table public.tags enable row level security;\nalter table public.tags add column n int not null;\n"
        "create unique index tags_t on public.tags (t);\n"
        "-- migrate:down\n-- drop table public.tags;\n",
    )
    result = planner()
    assert (result.verdict, result.exit_code, result.reviews) == ("safe", 0, [])


def test_an_index_expression_and_an_update_that_fail_on_some_live_values_fail_the_plan(
    planner: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    migrations.write(
        "20250102000000_expressions.sql",
        "create index todos_amount_idx on public.todos ((amount::int));\n"
        "update public.todos set qty = amount::int where id < 100;\n"
        "alter table public.todos add column amount_cents int generated always as (amount::int * 100) stored;\n",
    )
    result = planner()
    texts = [result.migrations[0].statements[n - 1].data[0].text for n in (1, 2, 3)]
    assert texts == [
        "fails on live rows: at least one row fails the expressions of todos_amount_idx (22P02)",
        "fails on live rows: at least one row fails the new values of the UPDATE of public.todos (22P02)",
        "fails on live rows: at least one row fails the generated column public.todos.amount_cents (22P02)",
    ]
    assert result.migrations[0].status is Rehearsed.OK and result.exit_code == 1


def test_an_update_and_a_delete_say_how_many_live_rows_they_lock_until_commit(
    planner: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    migrations.write(
        "20250102000000_backfill.sql",
        "update public.todos set note = 'n' where id <= 10;\ndelete from public.todos where qty > 10;\n"
        "update public.todos set qty = 1 where false;\n",
    )
    result = planner()
    counted = [[c for c in result.migrations[0].statements[n].data if c.status is Data.COUNTED] for n in (0, 1, 2)]
    assert [check.text for [check] in counted] == [
        "the UPDATE of public.todos locks 10 live rows until COMMIT: writes to them wait",
        "the DELETE of public.todos locks 3 live rows until COMMIT: writes to them wait",
        "the UPDATE of public.todos locks 0 live rows until COMMIT: writes to them wait",
    ]
    reviews = [line for _, line in result.reviews]
    assert "[1] the UPDATE of public.todos locks 10 live rows until COMMIT: writes to them wait" in reviews
    assert not any(line.startswith("[3]") for line in reviews)
    assert (result.verdict, result.exit_code) == ("review", 0)


def test_narrowing_text_to_varchar_counts_the_values_too_long_for_it(
    planner: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    migrations.write("20250102000000_narrow.sql", "alter table public.todos alter column title type varchar(8);\n")
    check = only_check(planner())
    assert (
        check.text
        == "fails on live rows: more than 1,000 rows fail the cast of public.todos.title to varchar(8) (22001)"
    )


def test_a_foreign_key_to_a_new_lookup_table_counts_the_rows_whose_key_its_seed_lacks(
    planner: Callable[..., PlanResult], migrations: MigrationDir
) -> None:
    migrations.write(
        "20250102000000_lookup.sql",
        "create table public.lists (id bigint primary key, name text);\n"
        "alter table public.lists enable row level security;\n"
        "insert into public.lists values (1, 'a'), (2, 'b');\ninsert into public.lists (name, id) values ('c', 3);\n"
        "alter table public.todos add constraint todos_list_fk foreign key (list_id) references public.lists;\n",
    )
    check = only_check(planner(), 5)
    assert check.text == "fails on live rows: more than 1,000 rows violate todos_list_fk (23503)"
    assert check.query.endswith("AND (c.list_id) NOT IN (VALUES (1), (2), (3))")
