"""db.plan checks the statements whose rows come from elsewhere (INSERT ... SELECT/VALUES, EXCLUDE, domains,
ATTACH PARTITION, PRIMARY KEY USING INDEX, MATCH FULL, a new column's CHECK with its default, narrowing
types) against rows written out of band: one project, one plan of many pending files, each checked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import MigrationDir, Project, SandboxProcess, fresh_project

from migrations_tasks.config.settings import load_settings
from migrations_tasks.engine import Engine
from migrations_tasks.history.migrations import load
from migrations_tasks.rehearsal.results import Data, DataCheck, PlanResult
from migrations_tasks.rehearsal.run import plan
from migrations_tasks.transport.connect import connect

BASE = """create table public.items (id bigint primary key, title text, qty int, code text);
create table public.roles (id int primary key, name text not null unique);
create table public.archive (id bigint primary key, title text not null, qty int check (qty < 100));
create table public.bookings (id bigint primary key, during tstzrange not null);
create domain public.posint as int;
create domain public.pos2 as int check (value > 0);
create table public.stock (id int primary key, qty public.posint, n int);
create table public.events (id bigint not null, at date not null) partition by range (at);
create table public.events_default partition of public.events default;
create table public.events_2024 (id bigint not null, at date not null);
create table public.parents (x int, y int, primary key (x, y));
create table public.pairs (a int, b int, c int);
create unique index pairs_c_key on public.pairs (c);
create table public.names (id int primary key, name varchar(40), big bigint, price numeric(10,2));
create table public.users (id int primary key, email text unique, boss int references public.users (id));
create table public.teams (id int primary key);
create sequence public.counter;
create domain public.pos3 as int;
create table public.gauges (id int primary key, v public.pos3);
create table public.by_kind (id int, k int) partition by list (k);
create table public.kind_c (id int, k int);
create table public.members (id int primary key, team int references public.teams (id));
"""
#: Written straight to the live database, as an app would.
OUT_OF_BAND = """insert into public.items select g, case when g = 1 then null else 'item ' || (g % 50) end,
  case when g = 2 then 150 else 1 end, 'c' || g from generate_series(1, 300) g;
insert into public.roles values (1, 'admin'), (2, 'user');
insert into public.bookings values (1, '[2025-01-01,2025-01-03)'), (2, '[2025-01-02,2025-01-04)'),
  (3, '[2025-02-01,2025-02-02)');
insert into public.stock values (1, -1, 5), (2, -2, 0), (3, null, 1), (4, 4, 2);
insert into public.events_2024 values (1, '2024-03-01'), (2, '2025-03-01');
insert into public.events values (3, '2023-05-01'), (4, '2024-06-01');
insert into public.parents values (1, 1);
insert into public.pairs values (1, null, null), (1, 1, 1), (2, 2, 2);
insert into public.names values (1, 'a name much longer than ten', 3000000000, 12345.67), (2, 'short', 1, 1);
insert into public.users values (1, 'Ann@x', null), (2, 'ann@x', 1), (3, 'bob@x', 1);
insert into public.teams values (1), (2), (3);
select setval('public.counter', 500);
insert into public.gauges values (1, -5), (2, 3);
insert into public.kind_c values (1, 1), (2, 5), (3, null);
insert into public.members values (1, 1), (2, 1), (3, 2);
"""
#: Applied after the rows were written: a constraint NOT VALID leaves them be.
APPLIED_LATER = "alter domain public.pos3 add constraint pos3_positive check (value > 0) not valid;\n"
PENDING = {
    "roles_seed": "insert into public.roles (id, name) values (2, 'editor'), (3, 'viewer');",
    "roles_upsert": "insert into public.roles (id, name) values (2, 'editor') on conflict do nothing;",
    "codes": "create unique index items_code_key on public.items (code);\n"
    "insert into public.roles (id, name) select id + 10, title from public.items where title is not null;",
    "archive": "insert into public.archive (id, title, qty) select id, title, qty from public.items;",
    "overlap": "alter table public.bookings add constraint no_overlap exclude using gist (during with &&);",
    "domain_check": "alter domain public.posint add constraint posint_positive check (value > 0);",
    "domain_not_null": "alter domain public.posint set not null;",
    "domain_type": "alter table public.stock alter column n type public.pos2;",
    "attach": "alter table public.events attach partition public.events_2024"
    " for values from ('2024-01-01') to ('2025-01-01');",
    "attach_list": "alter table public.by_kind attach partition public.kind_c for values in (1, 2);",
    "validate_domain": "alter domain public.pos3 validate constraint pos3_positive;",
    "match_full": "alter table public.pairs add constraint pairs_fk foreign key (a, b) references public.parents"
    " match full;",
    "pk_using_index": "alter table public.pairs add constraint pairs_pk primary key using index pairs_c_key;",
    "narrow": "alter table public.names alter column name type varchar(10);\n"
    "alter table public.names alter column big type int;\n"
    "alter table public.names alter column price type numeric(5,2);",
    "status": "alter table public.items add column status text default 'new' check (status in ('open', 'done'));",
    "prio": "alter table public.items add column prio int default 0;\n"
    "alter table public.items add constraint prio_positive check (prio > 0);",
    "tags": "create table public.tags (name text primary key);\n"
    "insert into public.tags (name) select title from public.items;",
    "item_codes": "create materialized view public.item_codes as select code::int as n from public.items;",
    "counter": "alter sequence public.counter maxvalue 100;",
    "renamed": "alter table public.items rename to goods;\nalter table public.goods alter column title set not null;",
    "teams": "delete from public.teams where id < 3;",
    "emails": "update public.users set email = lower(email);",
}
LIVE_STATE = (
    "select (select md5(string_agg(version, ',' order by version)) from supabase_migrations.schema_migrations),"
    " (select md5(string_agg(format('%s.%s %s', attrelid::regclass, attname, format_type(atttypid, atttypmod)), ','"
    "  order by 1)) from pg_attribute where attrelid::regclass::text ~ '^(items|roles|archive|stock|names|pairs)$'"
    "  and attnum > 0),"
    " (select count(*) from pg_constraint where connamespace = 'public'::regnamespace),"
    " (select md5(string_agg(t::text, ',' order by t::text)) from public.items t),"
    " (select count(*) from public.roles), (select count(*) from public.archive)"
)


@pytest.fixture(scope="module")
def planned(sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PlanResult, Any]]:
    """Apply BASE, write rows out of band, plan every PENDING file at once; yield the plan and the live state
    before and after it."""
    migrations = MigrationDir(tmp_path_factory.mktemp("row_sets") / "supabase" / "migrations")
    for project in fresh_project(sandbox):
        migrations.write("20250101000000_base.sql", BASE)
        settings = _settings(project, sandbox, migrations.path)
        db = connect(settings.target, settings)
        try:
            Engine(db, settings).apply(load(migrations.path))
        finally:
            db.close()
        project.sql(OUT_OF_BAND)
        migrations.write("20250101000001_later.sql", APPLIED_LATER)
        db = connect(settings.target, settings)
        try:
            Engine(db, settings).apply(load(migrations.path))
        finally:
            db.close()
        for number, (name, sql) in enumerate(PENDING.items(), 1):
            migrations.write(f"202501020000{number:02d}_{name}.sql", sql + "\n")
        before = project.sql(LIVE_STATE)
        live = connect(settings.target, settings)
        try:
            result = plan(live, load(migrations.path), settings)
        finally:
            live.close()
        yield result, (before, project.sql(LIVE_STATE))


def _settings(project: Project, sandbox: SandboxProcess, path: Path) -> Any:
    env = {**project.env, "MIGRATIONS_DRIFT_DB_URL": sandbox.db_url}
    return load_settings({"migrations": {}}, flags={"migrations_dir": str(path)}, environ=env, dotenv_path=None)


def checks(result: PlanResult, name: str, statement: int = 1) -> list[DataCheck]:
    report = next(m for m in result.migrations if m.name == name)
    return report.statements[statement - 1].data


def texts(result: PlanResult, name: str, statement: int = 1) -> list[str]:
    return [check.text for check in checks(result, name, statement)]


def test_an_insert_whose_keys_live_rows_already_hold_fails_and_on_conflict_does_not(
    planned: tuple[PlanResult, Any],
) -> None:
    result, _ = planned
    assert texts(result, "roles_seed") == [
        "fails on live rows: 1 duplicated value violates the rows the INSERT adds to public.roles, against its"
        " unique keys (23505)",
        "live rows pass: the rows the INSERT adds to public.roles, against its NOT NULL and CHECK constraints",
        "live rows pass: the rows the INSERT adds to public.roles, against its foreign keys",
    ]
    [unique, _, _] = checks(result, "roles_seed")
    assert unique.query.startswith("SELECT count(*) FROM (SELECT n.*") and "'editor'" in unique.query
    assert checks(result, "roles_upsert") == []


def test_an_insert_select_that_conflicts_with_itself_or_breaks_constraints_fails(
    planned: tuple[PlanResult, Any],
) -> None:
    result, _ = planned
    [_, unique, _, _] = checks(result, "codes", 2)
    assert unique.status is Data.FAILS and unique.sqlstate == "23505" and unique.rows == 299
    [select, _, violations, _] = checks(result, "archive")
    assert select.status is Data.PASSES
    assert violations.status is Data.FAILS and violations.rows == 2
    assert "n.title IS NULL" in violations.query and "NOT coalesce(((qty < 100)), true)" in violations.query


def test_exclusion_domain_partition_and_key_checks_count_the_offending_live_rows(
    planned: tuple[PlanResult, Any],
) -> None:
    result, _ = planned
    assert texts(result, "overlap") == ["fails on live rows: 2 rows violate no_overlap (23P01)"]
    assert texts(result, "domain_check") == ["fails on live rows: 2 rows violate posint_positive (23514)"]
    assert texts(result, "domain_not_null") == [
        "fails on live rows: 1 row violates NOT NULL on domain public.posint (23502)"
    ]
    [cast] = checks(result, "domain_type")
    assert (cast.status, cast.sqlstate) == (Data.FAILS, "23514")
    assert texts(result, "attach") == [
        "fails on live rows: 1 row violates the bound of partition public.events_2024 of public.events (23514)",
        "fails on live rows: 1 row violates the rows of the default partition of public.events that belong to"
        " public.events_2024 (23514)",
    ]
    assert texts(result, "attach_list") == [
        "fails on live rows: 2 rows violate the bound of partition public.kind_c of public.by_kind (23514)",
        "live rows pass: the rows of the default partition of public.by_kind that belong to public.kind_c",
    ]
    assert texts(result, "validate_domain") == ["fails on live rows: 1 row violates pos3_positive (23514)"]
    assert "fails on live rows: 1 row violates pairs_fk (MATCH FULL: a key partly NULL) (23503)" in texts(
        result, "match_full"
    )
    assert texts(result, "pk_using_index") == [
        "fails on live rows: 1 row violates NOT NULL of the primary key pairs_pk (23502)"
    ]


def test_narrowing_types_and_new_columns_checked_with_their_default_fail_on_live_rows(
    planned: tuple[PlanResult, Any],
) -> None:
    result, _ = planned
    assert texts(result, "narrow", 1) == [
        "fails on live rows: 1 row fails the cast of public.names.name to varchar(10) (22001)"
    ]
    assert [(c.status, c.sqlstate) for n in (2, 3) for c in checks(result, "narrow", n)] == [
        (Data.FAILS, "22003"),
        (Data.FAILS, "22003"),
    ]
    assert texts(result, "status") == [
        "fails on live rows: 300 rows violate CHECK (status IN ('open', 'done')) on public.items (23514)"
    ]
    assert texts(result, "prio", 2) == ["fails on live rows: 300 rows violate prio_positive (23514)"]
    assert texts(result, "renamed", 2) == ["fails on live rows: 1 row violates NOT NULL on public.items.title (23502)"]


def test_an_update_that_makes_duplicates_and_a_delete_of_referenced_rows_fail(
    planned: tuple[PlanResult, Any],
) -> None:
    result, _ = planned
    [_, unique, _, _, locked] = checks(result, "emails", 1)
    assert unique.text == (
        "fails on live rows: 2 duplicated values violate the rows the UPDATE of public.users leaves, against its"
        " unique keys (23505)"
    )
    assert "lower(email)" in unique.query and locked.status is Data.COUNTED
    [orphans, _] = checks(result, "teams")
    assert orphans.text == (
        "fails on live rows: 2 rows violate the rows the DELETE removes from public.teams, against the foreign keys"
        " that reference them (23503)"
    )


def test_new_tables_filled_from_live_rows_queries_and_sequences_are_checked_too(
    planned: tuple[PlanResult, Any],
) -> None:
    result, _ = planned
    assert texts(result, "tags", 2) == [
        "live rows pass: the SELECT of the INSERT into public.tags",
        "fails on live rows: 50 duplicated values violate the rows the INSERT adds to public.tags, against UNIQUE"
        " (name) (23505)",
        "fails on live rows: 1 row violates the rows the INSERT adds to public.tags, against its NOT NULL and CHECK"
        " constraints (23502 or 23514)",
    ]
    assert texts(result, "item_codes") == [
        "fails on live rows: at least one row fails the query of public.item_codes (22P02)"
    ]
    assert texts(result, "counter") == [
        "fails on live rows: 1 row fails the new bounds of sequence public.counter (its last value) (22023)"
    ]


def test_a_mix_of_row_dependent_migrations_fails_the_plan_and_leaves_the_live_project_untouched(
    planned: tuple[PlanResult, Any],
) -> None:
    result, (before, after) = planned
    assert result.exit_code == 1 and result.verdict == "fails"
    assert all(m.status.value == "ok" for m in result.migrations), [m.failure for m in result.migrations]
    assert before == after
    assert result.requests == 1 + result.data_requests
    shown = "\n".join(c.text + c.reason + c.query for c in result.data_checks)
    assert "much longer" not in shown and "item 1" not in shown and "2025-03-01" not in shown  # no row's values
