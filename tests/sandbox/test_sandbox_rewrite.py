"""supautils' rules applied to a request's text (pure): what is replaced, and how errors map back."""

from __future__ import annotations

from pathlib import Path

import pglast
import pytest

from migrations_tasks.sandbox.notes import restriction
from migrations_tasks.sandbox.rewrite import rewrite
from migrations_tasks.sandbox.supautils import privileged, refusal
from migrations_tasks.sandbox.trusted import PRIVILEGED_EXTENSIONS, REFUSED_EXTENSIONS, build, control_text


def node(sql: str) -> object:
    return pglast.parse_sql(sql)[0].stmt


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("ALTER ROLE authenticated NOLOGIN", '"authenticated" is a reserved role, only superusers can modify it'),
        ("DROP ROLE IF EXISTS some_new_role, anon", '"anon" is a reserved role, only superusers can modify it'),
        (
            "ALTER ROLE supabase_admin SET search_path = public",
            '"supabase_admin" is a reserved role, only superusers can modify it',
        ),
        (
            "ALTER USER supabase_admin WITH PASSWORD 'x'",
            '"supabase_admin" is a reserved role, only superusers can modify it',
        ),
        ("ALTER ROLE anon RENAME TO x", '"anon" is a reserved role, only superusers can modify it'),
        ("ALTER ROLE CURRENT_USER CREATEDB", "permission denied to alter role"),
        ("ALTER ROLE r SUPERUSER", "permission denied to alter role"),
        ("CREATE ROLE x SUPERUSER", "permission denied to create role"),
        (
            "CREATE ROLE x IN ROLE authenticator",
            '"authenticator" role memberships are reserved, only superusers can grant them',
        ),
        (
            "GRANT pg_read_server_files TO x",
            '"pg_read_server_files" role memberships are reserved, only superusers can grant them',
        ),
        ("GRANT x TO supabase_admin", '"supabase_admin" is a reserved role, only superusers can modify it'),
        (
            "REVOKE x FROM supabase_storage_admin",
            '"supabase_storage_admin" is a reserved role, only superusers can modify it',
        ),
    ],
)
def test_supautils_refuses_what_touches_reserved_roles_and_superuser(sql: str, message: str) -> None:
    found = refusal(node(sql))
    assert found is not None and found[:2] == ("42501", message)


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER ROLE authenticated SET statement_timeout = '5s'",
        "ALTER ROLE anon IN DATABASE postgres SET statement_timeout = '5s'",
        "CREATE ROLE x NOSUPERUSER",
        "CREATE ROLE anon",  # exists: PostgreSQL's own 42710 comes first
        "GRANT anon TO x",
        "GRANT x TO authenticated",
        "ALTER SYSTEM SET work_mem = '1MB'",
        "COPY t FROM PROGRAM 'ls'",
    ],
)
def test_supautils_leaves_the_rest_to_postgresql(sql: str) -> None:
    assert refusal(node(sql)) is None


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("CREATE POLICY p ON storage.objects USING (true)", ("CREATE POLICY", "storage.objects")),
        ("DROP TRIGGER t ON auth.users", ("DROP TRIGGER", "auth.users")),
        ("COMMENT ON POLICY p ON realtime.messages IS 'x'", ("COMMENT ON POLICY", "realtime.messages")),
        ("CREATE POLICY p ON storage.migrations USING (true)", None),
        ("CREATE POLICY p ON objects USING (true)", None),  # unqualified: not matched (PostgreSQL refuses it)
        ("CREATE PUBLICATION p FOR ALL TABLES", ("CREATE PUBLICATION", "p")),
        ("CREATE EVENT TRIGGER e ON ddl_command_end EXECUTE FUNCTION f()", ("CREATE EVENT TRIGGER", "e")),
        ("CREATE FOREIGN DATA WRAPPER w", ("CREATE FOREIGN DATA WRAPPER", "w")),
        ("ALTER ROLE pgtle_admin BYPASSRLS", ("ALTER ROLE", "pgtle_admin")),
    ],
)
def test_supautils_runs_a_listed_set_of_statements_as_supabase_admin(sql: str, expected: object) -> None:
    assert privileged(node(sql)) == expected


def test_statements_are_replaced_in_place_and_positions_map_back_to_the_request() -> None:
    sql = "select 'é€';\ndrop role anon;\nselect * from nope"
    sent = rewrite(sql)
    assert sent.sql.startswith("select 'é€';\nCALL _sandbox.refuse('42501', ")
    assert sent.sql.endswith(";\nselect * from nope")
    position = sent.sql.index("nope") + 1
    assert sent.original_position(position) == sql.index("nope") + 1
    assert sent.original_position(sent.sql.index("CALL") + 5) == sql.index("drop") + 1  # inside: the statement


def test_a_request_without_special_statements_is_sent_unchanged() -> None:
    sql = "create table t (id int); insert into t values (1)"
    assert rewrite(sql).sql == sql and rewrite(sql).replacements == ()


def test_postgresql_18_syntax_is_split_and_checked_piece_by_piece() -> None:
    sent = rewrite("create table t (a int generated always as (1) virtual); drop role anon")
    assert sent.sql.startswith("create table t (a int generated always as (1) virtual); CALL _sandbox.refuse(")


def test_static_statements_and_constant_executes_in_do_blocks_are_rewritten_keeping_line_numbers() -> None:
    sql = (
        "DO $$\nBEGIN\n  ALTER ROLE anon\n    NOLOGIN;\n  EXECUTE 'GRANT authenticator TO x';\n"
        "  EXECUTE format('DROP ROLE %I', 'anon');\nEND $$"
    )
    sent = rewrite(sql)
    assert sent.sql.count("\n") == sql.count("\n")
    assert "CALL _sandbox.refuse('42501', '\"anon\" is a reserved role" in sent.sql
    assert "EXECUTE 'CALL _sandbox.refuse(''42501''" in sent.sql
    assert "format('DROP ROLE %I', 'anon')" in sent.sql  # built at run time: not seen
    call = next(iter(sent.replacements[0].inner))
    context = f'SQL statement "{call}"\nPL/pgSQL function inline_code_block line 3 at CALL'
    assert sent.clean_context(context) == (
        'SQL statement "ALTER ROLE anon\n    NOLOGIN"\nPL/pgSQL function inline_code_block line 3 at SQL statement'
    )


def test_a_commented_out_copy_in_a_do_block_is_left_alone_and_the_statement_itself_is_rewritten() -> None:
    statement = "ALTER ROLE authenticated CONNECTION LIMIT 7"
    for sql in (
        f"DO $$ BEGIN -- {statement}\n {statement}; END $$",
        f"DO $$ BEGIN /* {statement}; */ {statement}; END $$",
        f"DO $$ BEGIN RAISE NOTICE '{statement}'; {statement}; END $$",
    ):
        sent = rewrite(sql).sql
        assert sent.count(statement) == 1 and "_sandbox.refuse" in sent, sent
        assert sent.index(statement) < sent.index("_sandbox.refuse"), sent


def test_a_do_block_inside_a_constant_execute_is_rewritten_too() -> None:
    sent = rewrite("DO $$ BEGIN EXECUTE 'DO $x$ BEGIN DROP ROLE anon; END $x$'; END $$").sql
    assert "DROP ROLE anon" not in sent and "_sandbox.refuse" in sent


def test_extension_statements_run_with_postgres_event_triggers_quiet() -> None:
    assert rewrite("create extension seg").sql == "CALL _sandbox.run_extension('CREATE EXTENSION seg')"
    assert rewrite("alter extension seg update").sql.startswith("CALL _sandbox.run_extension(")


def test_the_helpers_context_lines_are_removed() -> None:
    sent = rewrite("create policy p on storage.objects using (true)")
    context = (
        'SQL statement "CREATE POLICY p ON storage.objects"\n'
        "PL/pgSQL function _sandbox.run_as_admin(text,text,text,text) line 12 at EXECUTE"
    )
    assert sent.clean_context(context) is None


@pytest.mark.parametrize(
    ("sqlstate", "message", "words"),
    [
        ("42501", "must be owner of table users", "since 2025-04-21"),
        ("42501", "must be owner of table messages", "since 2026-07-07"),
        ("42501", "permission denied for schema storage", "since 2025-04-21"),
        ("42501", "must be owner of function auth.uid", "since 2025-04-21"),
        ("42501", "Direct deletion from storage tables is not allowed. Use the Storage API instead.", "2026-01-28"),
        ("42501", '"anon" is a reserved role, only superusers can modify it', "reserved_roles"),
        ("42501", 'permission denied to create extension "lo"', "privileged_extensions"),
        ("42501", "permission denied to COPY to or from an external program", "privileged_role"),
        ("XX000", "Non-superuser owned event trigger must execute a non-superuser owned function", "event trigger"),
    ],
)
def test_errors_of_the_reference_name_their_restriction(sqlstate: str, message: str, words: str) -> None:
    assert words in str(restriction(sqlstate, message))


def test_a_refused_parameter_note_names_the_allowed_configs() -> None:
    note = restriction("42501", 'permission denied to set parameter "wal_level"')
    assert note is not None and "privileged_role_allowed_configs" in note


def test_an_owner_error_about_a_table_of_the_same_name_elsewhere_gets_no_note() -> None:
    message = "must be owner of table users"
    assert restriction("42501", message, "alter table public.users add column x int") is None
    assert "2025-04-21" in str(restriction("42501", message, 'alter table "auth".users add column x int'))


@pytest.mark.parametrize(
    ("sqlstate", "message"),
    [("42501", "must be owner of table invoices"), ("42P01", 'relation "users" does not exist'), (None, "boom")],
)
def test_other_errors_get_no_note(sqlstate: str | None, message: str) -> None:
    assert restriction(sqlstate, message) is None


def test_trusted_control_files_come_first_for_privileged_extensions_and_refused_ones_stay_superuser_only(
    tmp_path: Path,
) -> None:
    engine = tmp_path / "engine"
    engine.mkdir()
    (engine / "pg_trgm.control").write_text("comment = 'x'\ntrusted = true\n")
    (engine / "hstore.control").write_text("comment = 'h'\nsuperuser = true\n")
    (engine / "lo.control").write_text("comment = 'lo'\ntrusted = true\n")
    target = build(tmp_path, (engine,))
    folder = target / "extension"
    assert "trusted = true" in (folder / "hstore.control").read_text()
    assert f"directory = '{engine}'" in (folder / "hstore.control").read_text()
    assert "trusted = false" in (folder / "lo.control").read_text()
    assert "superuser = true" in (folder / "adminpack.control").read_text()  # gone from PostgreSQL 18
    assert "superuser = true" in (folder / "amcheck.control").read_text()  # missing here: a placeholder
    (engine / "amcheck.control").write_text("comment = 'a'\n")
    assert not (build(tmp_path, (engine,)) / "extension" / "amcheck.control").exists()  # the engine's own refuses
    assert "pg_trgm" in PRIVILEGED_EXTENSIONS and "lo" in REFUSED_EXTENSIONS


def test_a_directory_with_a_quote_cannot_be_named_in_a_control_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="quote"):
        control_text("comment = 'x'\n", trusted=True, directory=tmp_path / "it's")
