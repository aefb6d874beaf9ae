"""db.lint stays quiet about what changes nothing: a function dropped and made again, a grant Supabase already made."""

from __future__ import annotations

import pytest
from conftest import MigrationDir

from migrations_tasks.config.subsections import LintSettings
from migrations_tasks.history.migrations import load
from migrations_tasks.lint.run import lint

DROP = "ban-drop-function"
GRANT = "supabase-grant-write-to-anon"
F = "create function public.f({args}) returns int language sql as 'select 1';"


def rules(migrations: MigrationDir, **files: str) -> list[str]:
    """Write ``files`` (name: SQL) and return the rules of every finding, in order."""
    for name, text in files.items():
        migrations.write(name, text + "\n")
    result = lint(load(migrations.path).migrations, LintSettings(), exposed_schemas=("public",), scope="all")
    return [f.rule for f in result.findings]


@pytest.mark.parametrize(
    ("dropped", "made"),
    [
        ("public.f(int, text)", "a integer, b text"),
        ("f(int4, varchar)", "a int, b character varying(20)"),
        ("if exists public.f(bigint)", "a bigint, out total int"),
        ("public.f()", ""),
    ],
)
def test_a_function_dropped_and_created_again_with_the_same_signature_in_the_same_migration_is_not_reported(
    migrations: MigrationDir, dropped: str, made: str
) -> None:
    assert DROP not in rules(migrations, **{"1_f.sql": f"drop function {dropped};\n" + F.format(args=made)})


@pytest.mark.parametrize(
    "sql",
    [
        "drop function public.f(int);\n" + F.format(args="a bigint"),  # another signature: callers of f(int) break
        "drop function public.f(int) cascade;\n" + F.format(args="a int"),  # its triggers and policies are gone
        "drop function public.f;\n" + F.format(args="a int"),  # no argument list: which one is not known
        "drop function public.f(int), public.g(int);\n" + F.format(args="a int"),  # g is not made again
        F.format(args="a int") + "\ndrop function public.f(int);",  # made before, not after
    ],
)
def test_a_drop_of_a_function_not_made_again_the_same_after_it_is_still_reported(
    migrations: MigrationDir, sql: str
) -> None:
    assert DROP in rules(migrations, **{"1_f.sql": sql})


def test_a_function_made_again_only_in_a_later_migration_is_still_reported(migrations: MigrationDir) -> None:
    found = rules(migrations, **{"1_drop.sql": "drop function public.f(int);", "2_make.sql": F.format(args="a int")})
    assert DROP in found


@pytest.mark.parametrize(
    "sql",
    [
        "grant all on public.todos to anon, authenticated, service_role;",
        "grant insert, update, delete on table todos to anon;",
        "grant all on all tables in schema public to anon;",
        "alter default privileges in schema public grant all on tables to anon, authenticated;",
        "alter default privileges for role postgres in schema public grant insert on tables to anon;",
    ],
)
def test_a_grant_that_supabases_default_privileges_already_make_is_not_reported(
    migrations: MigrationDir, sql: str
) -> None:
    assert GRANT not in rules(migrations, **{"1_grant.sql": sql})


@pytest.mark.parametrize(
    "sql",
    [
        "grant insert on api.todos to anon;",  # no default privileges in that schema
        "alter default privileges in schema api grant all on tables to anon;",
        "alter default privileges grant all on tables to anon;",  # every schema
        "alter default privileges for role app_owner in schema public grant all on tables to anon;",
        "grant insert on public.todos to public;",  # PUBLIC is not in the defaults
        "grant insert on public.todos to anon with grant option;",
        "revoke all on public.todos from anon;\ngrant insert on public.todos to anon;",
        "alter default privileges in schema public revoke all on tables from anon;\n"
        "grant insert on all tables in schema public to anon;",
    ],
)
def test_a_grant_the_defaults_do_not_make_or_that_follows_a_revoke_of_them_is_still_reported(
    migrations: MigrationDir, sql: str
) -> None:
    assert GRANT in rules(migrations, **{"1_grant.sql": sql})


def test_a_revoke_in_an_earlier_migration_of_the_linted_set_makes_a_later_grant_count(
    migrations: MigrationDir,
) -> None:
    found = rules(
        migrations,
        **{
            "1_revoke.sql": "alter default privileges in schema public revoke insert on tables from anon;",
            "2_grant.sql": "grant insert on public.todos to anon;",
        },
    )
    assert GRANT in found
