"""db.lint's engine: squawk's rules and ours over migration files, levels, ignore comments (no database)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import MigrationDir

from migrations_tasks.config.subsections import LintSettings
from migrations_tasks.errors import ConfigError
from migrations_tasks.history.migrations import load
from migrations_tasks.lint import squawk
from migrations_tasks.lint.rules import KNOWN_RULES, SQUAWK_RULES, SUPABASE_RULES
from migrations_tasks.lint.run import lint

TODOS = "create table public.todos (id bigint primary key, user_id uuid, title text);\n"
RLS = "alter table public.todos enable row level security;\n"


def run(migrations: MigrationDir, scope: str = "pending", **rules: str) -> list[tuple[str, str, int, int]]:
    """Lint every file of the directory; return (rule, level, line, column) of each finding."""
    local = load(migrations.path)
    result = lint(local.migrations, LintSettings(rules=rules), exposed_schemas=("public",), scope=scope)
    return [(f.rule, f.level, f.line, f.column) for f in result.findings]


def rules_of(found: list[tuple[str, str, int, int]]) -> set[str]:
    return {rule for rule, *_ in found}


def test_every_squawk_rule_name_we_know_is_one_the_installed_squawk_accepts(tmp_path: Path) -> None:
    empty = tmp_path / "x.sql"
    empty.write_text("select 1;\n")
    ours = [squawk.binary(), "--reporter", "json", "-c", "/dev/null", "--exclude", ",".join(sorted(SQUAWK_RULES))]
    accepted = subprocess.run([*ours, str(empty)], capture_output=True, text=True, check=False)
    assert accepted.returncode == 0, accepted.stderr
    refused = subprocess.run([*ours[:-1], "not-a-rule", str(empty)], capture_output=True, text=True, check=False)
    assert refused.returncode == 2


def test_a_non_concurrent_index_on_an_existing_table_is_a_warning(migrations: MigrationDir) -> None:
    migrations.write("2_index.sql", "create index todos_user_idx on public.todos (user_id);\n")
    assert run(migrations) == [("require-concurrent-index-creation", "warn", 1, 1)]


def test_statements_on_a_table_an_earlier_pending_migration_creates_are_not_lock_hazards(
    migrations: MigrationDir,
) -> None:
    migrations.write("1_todos.sql", TODOS + RLS)
    migrations.write("2_index.sql", "create index todos_user_idx on public.todos (user_id);\n")
    assert run(migrations) == []
    assert rules_of(run(migrations, scope="all")) == {"require-concurrent-index-creation"}


def test_statements_on_a_table_created_earlier_in_the_same_file_are_not_lock_hazards(
    migrations: MigrationDir,
) -> None:
    migrations.write(
        "1_fresh.sql",
        "create table public.fresh (id int primary key, n int);\nalter table public.fresh enable row level security;\n"
        "alter table public.fresh alter column n type bigint;\ncreate index fresh_n on public.fresh (n);\n",
    )
    assert run(migrations) == [] and run(migrations, scope="all") == []


def test_rules_the_engine_already_satisfies_are_not_reported(migrations: MigrationDir) -> None:
    migrations.write("1_a.sql", "alter table public.todos add column done boolean;\ncreate table x (a int);\n")
    found = rules_of(run(migrations, scope="all"))
    assert not found & {"require-lock-timeout", "require-statement-timeout", "prefer-bigint-over-int"}


def test_storage_rls_and_a_public_table_without_rls_are_errors(migrations: MigrationDir) -> None:
    migrations.write(
        "1_bad.sql", "ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;\ncreate table public.notes (id int);\n"
    )
    assert run(migrations) == [
        ("supabase-owner-only-table", "error", 1, 1),
        ("supabase-rls-not-enabled", "error", 2, 1),
    ]


def test_rls_enabled_by_a_later_migration_of_the_same_set_counts(migrations: MigrationDir) -> None:
    migrations.write("1_t.sql", TODOS)
    migrations.write("2_rls.sql", RLS)
    assert "supabase-rls-not-enabled" not in rules_of(run(migrations))


@pytest.mark.parametrize(
    ("sql", "rule"),
    [
        ("alter table auth.users add column nickname text;", "supabase-owner-only-table"),
        ("create index on auth.users (email);", "supabase-owner-only-table"),
        ("alter table storage.buckets owner to postgres;", "supabase-owner-only-table"),
        ("create table auth.extra (id int);", "supabase-schema-not-writable"),
        ("create function storage.f() returns int language sql as 'select 1';", "supabase-schema-not-writable"),
        ("delete from storage.objects where bucket_id = 'x';", "supabase-storage-direct-delete"),
        (
            "set local storage.allow_delete_query = 'false';\ndelete from storage.objects where bucket_id = 'x';",
            "supabase-storage-direct-delete",
        ),
        (
            "set storage.allow_delete_query = 'true';\nreset storage.allow_delete_query;\n"
            "delete from storage.objects where bucket_id = 'x';",
            "supabase-storage-direct-delete",
        ),
        (
            "with gone as (delete from storage.buckets where id = 'x' returning id) select count(*) from gone;",
            "supabase-storage-direct-delete",
        ),
        ("alter table public.todos disable row level security;", "supabase-rls-disabled"),
        (
            "create function public.f() returns int language sql security definer as 'select 1';",
            "supabase-security-definer-search-path",
        ),
        ("create extension file_fdw;", "supabase-extension-not-available"),
        ("create extension pgcrypto;", "supabase-extension-not-available"),
        ("grant insert, update on api.todos to anon;", "supabase-grant-write-to-anon"),
        ("alter default privileges in schema api grant all on tables to anon;", "supabase-grant-write-to-anon"),
        ("grant insert on public.todos to public;", "supabase-grant-write-to-anon"),
    ],
)
def test_each_supabase_rule_catches_what_hosted_supabase_refuses_or_exposes(
    migrations: MigrationDir, sql: str, rule: str
) -> None:
    migrations.write("1_x.sql", sql + "\n")
    assert rule in rules_of(run(migrations))


@pytest.mark.parametrize(
    "sql",
    [
        "create trigger t after insert on auth.users for each row execute function public.f();",
        "create policy p on storage.objects for select to authenticated using (true);",
        "set local storage.allow_delete_query = 'true';\ndelete from storage.objects where bucket_id = 'x';",
        "select set_config('storage.allow_delete_query', 'true', true);\ndelete from storage.objects where id is null;",
        "create function public.f() returns int language sql security definer as 'select 1';\n"
        "alter function public.f() set search_path = '';",
        "create function public.f() returns int language sql security definer set search_path = '' as 'select 1';",
        "create extension if not exists pgcrypto with schema extensions;",
        "create extension if not exists vector with schema extensions;",
        "grant select on public.todos to anon;\ngrant insert on public.todos to authenticated;",
        "create temporary table scratch (id int);",
    ],
)
def test_what_supabase_allows_is_not_reported_by_our_rules(migrations: MigrationDir, sql: str) -> None:
    migrations.write("1_x.sql", sql + "\n")
    assert not rules_of(run(migrations)) & set(SUPABASE_RULES)


def test_a_lint_ignore_with_a_reason_silences_squawk_and_supabase_rules_for_the_next_statement(
    migrations: MigrationDir,
) -> None:
    migrations.write(
        "1_x.sql",
        "-- lint-ignore require-concurrent-index-creation: the table holds 12 rows\n"
        "create index todos_user_idx\n  on public.todos (user_id);\n"
        "-- lint-ignore supabase-grant-write-to-anon: a public guest book\n"
        "grant insert on public.todos to public;\n"
        "create index todos_title_idx on public.todos (title);\n",
    )
    local = load(migrations.path)
    result = lint(local.migrations, LintSettings(), exposed_schemas=("public",))
    assert [(f.rule, f.line) for f in result.findings] == [("require-concurrent-index-creation", 6)]
    assert sorted(reason for _, reason in result.silenced) == ["a public guest book", "the table holds 12 rows"]


def test_a_lint_ignore_without_a_reason_or_with_an_unknown_rule_silences_nothing(migrations: MigrationDir) -> None:
    migrations.write(
        "1_x.sql",
        "-- lint-ignore require-concurrent-index-creation\ncreate index a on public.todos (user_id);\n"
        "-- lint-ignore no-such-rule: because\ncreate index b on public.todos (title);\n",
    )
    found = run(migrations)
    assert found.count(("lint-ignore-invalid", "warn", 1, 1)) == 1
    assert ("lint-ignore-invalid", "warn", 3, 1) in found
    assert [f for f in found if f[0] == "require-concurrent-index-creation"] == [
        ("require-concurrent-index-creation", "warn", 2, 1),
        ("require-concurrent-index-creation", "warn", 4, 1),
    ]


def test_squawks_own_ignore_comments_silence_nothing_and_are_reported(migrations: MigrationDir) -> None:
    migrations.write(
        "1_x.sql",
        "-- squawk-ignore-file\ncreate index a on public.todos (user_id);\n"
        "-- squawk-ignore require-concurrent-index-creation\ncreate index b on public.todos (title);\n",
    )
    local = load(migrations.path)
    result = lint(local.migrations, LintSettings(), exposed_schemas=("public",))
    found = [(f.rule, f.line) for f in result.findings]
    assert found == [
        ("lint-ignore-invalid", 1),
        ("require-concurrent-index-creation", 2),
        ("lint-ignore-invalid", 3),
        ("require-concurrent-index-creation", 4),
    ]
    assert result.findings[0].file == str(local.migrations[0].path) and result.silenced == []
    assert "write `-- lint-ignore rule-name: reason`" in result.findings[0].message


def test_an_opt_in_squawk_rule_given_a_level_in_invoke_yaml_runs(migrations: MigrationDir) -> None:
    migrations.write(
        "1_x.sql", "create table fresh (id bigint primary key);\nalter table fresh enable row level security;\n"
    )
    assert ("require-table-schema", "error", 1, 14) in run(migrations, **{"require-table-schema": "error"})
    assert "require-table-schema" not in rules_of(run(migrations))


def test_a_comment_that_only_mentions_lint_ignore_is_not_an_ignore_comment(migrations: MigrationDir) -> None:
    migrations.write("1_x.sql", "-- see docs/lint.md about lint-ignore comments\nselect 1;\n")
    assert run(migrations) == []


def test_levels_come_from_invoke_yaml_and_off_rules_are_not_run(migrations: MigrationDir) -> None:
    migrations.write("1_x.sql", "create index a on public.todos (user_id);\ngrant insert on api.todos to anon;\n")
    found = run(migrations, **{"require-concurrent-index-creation": "error", "supabase-grant-write-to-anon": "off"})
    assert found == [("require-concurrent-index-creation", "error", 1, 1)]


def test_an_unknown_rule_in_invoke_yaml_is_a_config_error_naming_it(migrations: MigrationDir) -> None:
    migrations.write("1_x.sql", "select 1;\n")
    with pytest.raises(ConfigError, match="unknown rules: ban-everything"):
        run(migrations, **{"ban-everything": "off"})


def test_columns_are_characters_even_after_multibyte_text_on_the_line(migrations: MigrationDir) -> None:
    migrations.write("1_x.sql", "select 'tâches ✓'; alter table public.todos alter column title type varchar(9);\n")
    found = [f for f in run(migrations) if f[0] == "changing-column-type"]
    line = (migrations.path / "1_x.sql").read_text().splitlines()[0]
    assert found == [("changing-column-type", "warn", 1, line.index("type varchar") + 1)]  # 3 bytes more


def test_squawks_answer_in_an_unknown_shape_is_a_could_not_run_error() -> None:
    with pytest.raises(squawk.SquawkError) as caught:
        squawk.decode('{"not": "a list"}')
    assert caught.value.exit_code == 3
    with pytest.raises(squawk.SquawkError):
        squawk.decode('[{"file": "x.sql"}]')


def test_every_rule_has_a_message_a_fix_and_a_docs_entry() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "lint.md").read_text(encoding="utf-8")
    for rule in SUPABASE_RULES.values():
        assert rule.message and rule.help and f"### {rule.name}" in docs
    assert "lint-ignore-invalid" in KNOWN_RULES and "down-sql-missing" in docs
