"""Which pending statements get a data check, and what the earlier pending statements do to its answer."""

from __future__ import annotations

from pathlib import Path

from migrations_tasks.history.migrations import load
from migrations_tasks.rehearsal.datachecks import Check, derive
from migrations_tasks.rehearsal.livechecks import request_sql, verdict
from migrations_tasks.rehearsal.results import Data

LIVE = frozenset({"public.todos", "public.lists", 'public."Order"'})


def checks(tmp_path: Path, *files: str, version: int = 160000) -> list[Check]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    for number, text in enumerate(files, 1):
        (tmp_path / f"2025010{number}000000_m{number}.sql").write_text(text)
    return derive(load(tmp_path).migrations, LIVE, version)


def test_statements_that_do_not_depend_on_rows_get_no_check(tmp_path: Path) -> None:
    assert (
        checks(
            tmp_path,
            "alter table public.todos add column a int;\n"
            "alter table public.todos add column b int not null default 0;\n"
            "alter table public.todos add column c bigint generated always as identity;\n"
            "alter table public.todos add column d bigserial not null;\n"
            "create index on public.todos (a);\n"
            "alter table public.todos add constraint f foreign key (x) references public.lists (id) not valid;\n"
            "create table public.fresh (id int);\nalter table public.fresh add column e int not null;\n",
        )
        == []
    )


def test_names_are_quoted_as_postgresql_prints_them(tmp_path: Path) -> None:
    [check] = checks(tmp_path, 'alter table public."Order" alter column "user" set not null;\n')
    assert check.table == 'public."Order"'
    assert check.find_sql == 'SELECT count(*) FROM public."Order" WHERE "user" IS NULL'


def test_a_foreign_key_to_a_table_filled_by_an_earlier_insert_select_is_not_called_failing(tmp_path: Path) -> None:
    [select, _, _, check] = checks(
        tmp_path,
        "create table public.owners (id bigint primary key);\n"
        "insert into public.owners select distinct list_id from public.todos;\n"
        "alter table public.todos add constraint o foreign key (list_id) references public.owners (id);\n",
    )
    assert select.probe_sql == "SELECT count(q) FROM (SELECT DISTINCT list_id FROM public.todos) q"
    assert check.doubts.if_fails.startswith("20250101000000_m1.sql [2]")
    answer = '["ran", "", 12]'
    assert verdict(check, answer).status is Data.UNKNOWN
    assert verdict(check, '["ran", "", 0]').status is Data.PASSES


def test_a_delete_before_a_check_leaves_a_pass_standing_and_makes_a_failure_unknown(tmp_path: Path) -> None:
    [orphans, locked, check] = checks(
        tmp_path, "delete from public.todos where note is null;\nalter table public.todos alter note set not null;\n"
    )
    assert orphans.sqlstate == "23503" and "confdeltype IN ('a', 'r')" in orphans.resolve
    assert locked.counts_locks and locked.count_sql.endswith("WHERE note IS NULL LIMIT 100001) s")
    assert verdict(check, '["ran", "", 3]').status is Data.UNKNOWN
    assert verdict(check, '["ran", "", 0]').status is Data.PASSES


def test_a_do_block_is_read_statement_by_statement_and_its_execute_makes_later_checks_unknown(tmp_path: Path) -> None:
    first = checks(
        tmp_path / "first",
        "do $$ begin if not exists (select 1 from pg_type where typname = 'mood') then\n"
        "  create type public.mood as enum ('ok'); end if;\n"
        "  alter table public.todos alter column title set not null;\nend $$;\n"
        "alter table public.todos add constraint q check (qty < 10);\n",
    )
    assert [(c.index, c.unknown) for c in first] == [(0, ""), (1, "")]
    [later] = checks(
        tmp_path / "second",
        "do $$ begin execute 'delete from public.todos'; end $$;\n"
        "alter table public.todos add constraint q check (qty < 10);\n",
    )
    assert "may change any row" in later.unknown


def test_a_type_change_counts_invalid_input_only_where_the_server_has_pg_input_is_valid(tmp_path: Path) -> None:
    sql = "alter table public.todos alter column amount type int using amount::int;\n"
    [new] = checks(tmp_path, sql)
    assert "pg_input_is_valid(amount::text, 'integer')" in new.count_sql and new.probe_sql
    [old] = checks(tmp_path / "pg15", sql, version=150000)
    assert (
        old.count_sql == ""
        and old.probe_sql == "SELECT count(CAST((CAST(amount AS integer)) AS integer)) FROM public.todos"
    )


def test_one_request_asks_any_number_of_checks_through_do_blocks_without_row_values(tmp_path: Path) -> None:
    many = checks(
        tmp_path, "".join(f"alter table public.todos add constraint c{n} check (qty < {n});\n" for n in range(60))
    )
    sql = request_sql(many)
    assert sql.startswith("BEGIN TRANSACTION READ ONLY;") and sql.endswith("ROLLBACK;")
    assert sql.count("DO $mt_check$") == 60 and "generate_series(1, 60)" in sql
    assert "SQLERRM" not in sql  # an error message can quote a row's value


def test_a_new_column_with_a_constant_default_under_unique_fails_when_two_rows_exist(tmp_path: Path) -> None:
    [check] = checks(tmp_path, "alter table public.todos add column code text not null default '' unique;\n")
    assert check.sqlstate == "23505" and "GROUP BY true HAVING count(*) > 1" in check.count_sql


def test_a_unique_index_reads_its_named_and_expression_columns(tmp_path: Path) -> None:
    [probe, unique] = checks(
        tmp_path, "create unique index t_key on public.todos (list_id, lower(title)) where done;\n"
    )
    assert probe.probe_sql == "SELECT count(ROW((lower(title)))) FROM public.todos WHERE done"
    assert unique.find_sql == (
        "SELECT list_id, (lower(title)), count(*) FROM public.todos WHERE (done) AND list_id IS NOT NULL"
        " AND (lower(title)) IS NOT NULL GROUP BY list_id, (lower(title)) HAVING count(*) > 1"
    )


def test_an_update_of_constants_needs_no_check_and_one_of_expressions_is_probed(tmp_path: Path) -> None:
    found = checks(
        tmp_path, "update public.todos set note = 'x', qty = default;\nupdate public.todos set qty = amount::int;\n"
    )
    [check] = [c for c in found if c.probe_sql]
    assert check.index == 1 and check.probe_sql == "SELECT count(ROW((CAST(amount AS integer)))) FROM public.todos"


def test_a_cast_to_an_enum_made_again_by_a_pending_migration_counts_the_values_it_lacks(tmp_path: Path) -> None:
    [check] = checks(
        tmp_path,
        "alter type public.mood rename to mood_old;\ncreate type public.mood as enum ('ok', 'it''s');\n"
        "alter table public.todos alter column mood type public.mood using mood::text::public.mood;\n",
    )
    assert check.sqlstate == "22P02" and check.find_sql == (
        "SELECT count(*) FROM public.todos WHERE mood IS NOT NULL AND mood::text NOT IN ('ok', 'it''s')"
    )
    [other] = checks(
        tmp_path / "other",
        "alter type public.mood add value 'meh';\n"
        "alter table public.todos alter column mood type public.mood using (case when true then 'meh' end);\n",
    )
    assert other.unknown == "it casts to public.mood, which a pending migration makes or changes"


def test_a_rename_is_followed_and_commands_of_one_statement_meet_the_earlier_ones(tmp_path: Path) -> None:
    found = checks(
        tmp_path,
        "alter table public.todos rename to tasks;\nalter table public.tasks alter column note set not null;\n"
        "alter table public.tasks add column p int default 0, add constraint p_pos check (p > 0);\n"
        "create table public.todos (id int);\nalter table public.todos add column x int not null;\n",
    )
    assert [c.find_sql for c in found] == [
        "SELECT count(*) FROM public.todos WHERE note IS NULL",
        "SELECT count(*) FROM public.todos CROSS JOIN LATERAL (SELECT CAST(0 AS integer) AS p) mt_n WHERE NOT (p > 0)",
    ]


def test_an_insert_names_what_it_cannot_follow_and_on_conflict_needs_no_check(tmp_path: Path) -> None:
    found = checks(
        tmp_path,
        "insert into public.todos select * from public.lists;\n"
        "insert into public.todos (id) values (default);\n"
        "insert into public.todos (id) select id from public.lists on conflict (id) do update set id = 1;\n",
    )
    assert [c.unknown for c in found] == [
        "it names no columns and selects *: which columns it writes is not followed"
    ] * 3 + ["DEFAULT in its VALUES is not followed"] * 3


def test_a_foreign_key_or_unique_index_over_a_column_added_earlier_is_asked_with_its_default(tmp_path: Path) -> None:
    found = checks(
        tmp_path,
        "alter table public.todos add column list_id2 int default 7;\n"
        "alter table public.todos add constraint fk foreign key (list_id2) references public.lists (id);\n"
        "alter table public.todos add column code text default 'x';\ncreate unique index c on public.todos (code);\n"
        "alter table public.todos add column other int;\n"
        "alter table public.todos add constraint fk2 foreign key (other) references public.lists;\n",
    )
    assert [c.find_sql for c in found] == [
        "SELECT count(*) FROM public.todos mt_t CROSS JOIN LATERAL (SELECT CAST(7 AS integer) AS list_id2) c"
        " WHERE c.list_id2 IS NOT NULL AND NOT EXISTS (SELECT 1 FROM public.lists p WHERE p.id = c.list_id2)",
        "SELECT code, count(*) FROM public.todos CROSS JOIN LATERAL (SELECT CAST('x' AS text) AS code) mt_n"
        " WHERE code IS NOT NULL GROUP BY code HAVING count(*) > 1",
    ]


def test_a_statement_that_uses_a_type_a_pending_migration_changes_is_never_called_passing(tmp_path: Path) -> None:
    found = checks(
        tmp_path,
        "alter type public.mood add value 'meh';\n"
        "update public.todos set note = 'meh'::public.mood::text where id < 3;\n",
    )
    assert found and all(c.unknown == "it uses public.mood, which a pending migration makes or changes" for c in found)


def test_a_check_calling_a_function_a_pending_migration_replaces_or_on_a_table_it_gives_a_trigger_is_unknown(
    tmp_path: Path,
) -> None:
    found = checks(
        tmp_path,
        "create or replace function public.ok(v int) returns boolean language sql as $$ select v > 0 $$;\n"
        "alter table public.todos add constraint q check (public.ok(qty));\n"
        "create trigger t before insert on public.todos for each row execute function public.fill();\n"
        "insert into public.todos (id) values (1);\n",
    )
    assert [c.unknown for c in found] == ["it uses public.ok, which a pending migration makes or changes"] + [
        "a trigger a pending migration creates on public.todos may change the rows it writes"
    ] * 3


def test_an_update_or_delete_that_names_its_table_by_an_alias_is_asked_with_it(tmp_path: Path) -> None:
    found = checks(
        tmp_path,
        "update public.todos as t set note = upper(t.note) where t.id > 1;\n"
        "delete from public.todos d where d.qty > 3;\n",
    )
    assert [c.find_sql for c in found if c.counts_locks] == [
        "SELECT count(*) FROM public.todos t WHERE t.id > 1",
        "SELECT count(*) FROM public.todos d WHERE d.qty > 3",
    ]
    assert found[0].probe_sql == "SELECT count(ROW((upper(t.note)))) FROM public.todos t WHERE t.id > 1"


def test_statements_of_every_shape_make_checks_without_failing(tmp_path: Path) -> None:
    found = checks(
        tmp_path,
        "alter index public.todos_pkey attach partition public.lists_pkey;\n"
        "alter table public.todos detach partition public.lists;\n"
        "alter sequence public.s no maxvalue;\ninsert into public.todos default values;\n"
        "insert into public.todos (id) select 1 union select 2;\n"
        "alter domain public.d drop not null;\nalter table public.todos attach partition public.lists default;\n",
    )
    assert [c.what for c in found][-1] == "the bound of partition public.lists of public.todos"


def test_a_merge_before_a_check_is_followed_as_the_writes_it_may_make(tmp_path: Path) -> None:
    found = checks(
        tmp_path,
        "merge into public.todos t using public.lists l on t.list_id = l.id when matched then update set note = 'x';\n"
        "alter table public.todos alter column note set not null;\n",
    )
    assert found[-1].unknown.endswith("[1] updates the rows it reads")
