"""Drift: the catalog the migrations build compared with the live one (pure diff, then real databases)."""

from __future__ import annotations

import contextlib
import secrets
import shutil
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import MigrationDir, Project

from migrations_tasks.catalog.diff import DIFFERS, ONLY_DATABASE, ONLY_MIGRATIONS, Difference, diff, normalise
from migrations_tasks.engine import Engine
from migrations_tasks.errors import ConfigError, MigrationFailed
from migrations_tasks.history.migrations import load
from migrations_tasks.sandbox.embedded import bare_server
from migrations_tasks.transport.connect import connect
from migrations_tasks.verify import verify
from migrations_tasks.verify.throwaway import Throwaway, throwaway_database

EXAMPLES = Path(__file__).resolve().parents[2] / "supabase" / "migrations"


def table(name: str, **columns: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "r",
        "rls": True,
        "force_rls": False,
        "columns": [
            {"name": c, "type": "integer", "not_null": False, "default": None, "identity": "", "generated": "", **attrs}
            for c, attrs in columns.items()
        ],
    }


def test_identical_catalogs_have_no_differences_whatever_the_whitespace_and_case() -> None:
    a = {
        "tables": [table("public.t", id={})],
        "functions": [
            {"name": "public.f()", "definition": "CREATE FUNCTION public.f() RETURNS int AS $$ select  1 $$"}
        ],
    }
    b = {
        "tables": [table("public.t", id={})],
        "functions": [{"name": "public.f()", "definition": "create function public.f()\n returns INT as $$SELECT 1$$"}],
    }
    assert diff(normalise(a), normalise(b)) == []


def test_each_difference_names_the_object_and_what_differs() -> None:
    expected = normalise(
        {
            "schemas": ["app"],
            "tables": [table("public.t", id={"not_null": True}, qty={}), table("public.gone", id={})],
            "policies": [
                {
                    "name": "p on public.t",
                    "command": "r",
                    "permissive": True,
                    "roles": ["authenticated"],
                    "using": "true",
                    "check": None,
                }
            ],
            "enums": [{"name": "public.mood", "labels": ["sad", "happy"]}],
        }
    )
    actual = normalise(
        {
            "tables": [
                table("public.t", id={"not_null": True, "type": "bigint"}, note={"type": "text"}) | {"rls": False}
            ],
            "policies": [
                {
                    "name": "p on public.t",
                    "command": "*",
                    "permissive": True,
                    "roles": ["authenticated"],
                    "using": "true",
                    "check": None,
                }
            ],
            "enums": [{"name": "public.mood", "labels": ["sad"]}],
            "extensions": [{"name": "pg_graphql", "schema": "graphql"}, {"name": "hstore", "schema": "public"}],
        }
    )
    found = {(d.kind, d.category, d.object): d.detail for d in diff(expected, actual)}
    assert found == {
        (ONLY_MIGRATIONS, "schema", "app"): "",
        (ONLY_MIGRATIONS, "table", "public.gone"): "",
        (DIFFERS, "table", "public.t"): "row level security enabled in migrations, disabled in database",
        (ONLY_MIGRATIONS, "column", "public.t.qty"): "integer",
        (ONLY_DATABASE, "column", "public.t.note"): "text",
        (DIFFERS, "column", "public.t.id"): "type integer in migrations, bigint in database",
        (DIFFERS, "policy", "p on public.t"): "command: SELECT in migrations, ALL in database",
        (DIFFERS, "enum", "public.mood"): "labels: ['sad', 'happy'] in migrations, ['sad'] in database",
        (ONLY_DATABASE, "extension", "hstore"): "",  # the platform's pg_graphql is not reported
    }
    assert Difference(ONLY_MIGRATIONS, "table", "public.gone").describe() == "only in migrations: table public.gone"


def drift_of(settings: Any, directory: Path) -> Any:
    return verify(connect(settings.target, settings), load(directory), settings).drift


def applied(project: Project, migrations_dir: Path, verify_settings: Any) -> Any:
    settings = verify_settings(migrations_dir)
    Engine(connect(settings.target, settings), settings).apply(load(migrations_dir))
    return settings


def described(result: Any) -> set[str]:
    return {d.describe() for d in result.differences}


def test_a_table_altered_out_of_band_is_reported(project: Project, verify_settings: Any) -> None:
    settings = applied(project, EXAMPLES, verify_settings)
    project.sql(
        "alter table public.todos add column priority int default 3;"
        "alter table public.todos alter column title drop not null;"
        'drop policy "Users read their own todos" on public.todos;'
        "alter table public.profiles disable row level security;"
        "create index todos_done_idx on public.todos (done)"
    )
    result = drift_of(settings, EXAMPLES)
    assert result.status == "fail"
    assert described(result) == {
        "only in database: column public.todos.priority: integer DEFAULT 3",
        "differs: column public.todos.title: NOT NULL in migrations, nullable in database",
        'only in migrations: policy "Users read their own todos" on public.todos',
        "differs: table public.profiles: row level security enabled in migrations, disabled in database",
        "only in database: index public.todos_done_idx",
    }


def test_a_column_type_changed_out_of_band_is_reported(project: Project, verify_settings: Any) -> None:
    settings = applied(project, EXAMPLES, verify_settings)
    project.sql("alter table public.migration_system_test alter column note type varchar(200)")
    result = drift_of(settings, EXAMPLES)
    assert described(result) == {
        "differs: column public.migration_system_test.note: type text in migrations, character varying(200) in database"
    }


def test_functions_triggers_views_and_enums_are_compared(
    project: Project, migrations: MigrationDir, verify_settings: Any
) -> None:
    migrations.write(
        "1_a.sql",
        "create type public.mood as enum ('sad', 'happy');\n"
        "create table public.t (id int primary key, m public.mood);\n"
        "alter table public.t enable row level security;\n"
        "create function public.f() returns trigger language plpgsql set search_path = '' as "
        "$$ begin return new; end $$;\n"
        "create trigger t_f before insert on public.t for each row execute function public.f();\n"
        "create view public.v with (security_invoker = true) as select id from public.t;\n",
    )
    settings = applied(project, migrations.path, verify_settings)
    assert drift_of(settings, migrations.path).differences == []
    project.sql(
        "alter type public.mood add value 'calm';"
        "create or replace function public.f() returns trigger language plpgsql set search_path = '' as "
        "$$ begin new.id := new.id + 1; return new; end $$;"
        "drop trigger t_f on public.t;"
        "create or replace view public.v with (security_invoker = true) as select id, m from public.t;"
    )
    found = {(d.kind, d.category, d.object) for d in drift_of(settings, migrations.path).differences}
    assert found == {
        (DIFFERS, "enum", "public.mood"),
        (DIFFERS, "function", "public.f()"),
        (ONLY_MIGRATIONS, "trigger", "t_f on public.t"),
        (DIFFERS, "view", "public.v"),
    }


def test_only_migrations_recorded_as_applied_are_built_and_a_broken_one_fails_drift(
    project: Project, migrations: MigrationDir, verify_settings: Any
) -> None:
    migrations.write(
        "1_a.sql", "create table public.a (id int primary key);alter table public.a enable row level security;"
    )
    settings = applied(project, migrations.path, verify_settings)
    migrations.write("2_b.sql", "create table public.b (id int primary key);")
    result = drift_of(settings, migrations.path)
    assert result.status == "pass" and result.migrations_applied == 1  # 2 is pending: the history check's job
    # a migration that only worked on the live database because of something done by hand
    project.sql("create table public.manual (id int primary key)")
    project.sql(
        "insert into supabase_migrations.schema_migrations (version, name, statements) "
        "values ('2', 'b', ARRAY['create table public.b (id int primary key)'])"
    )
    migrations.write("2_b.sql", "create table public.b (id int primary key);\ninsert into public.manual values (1);")
    result = drift_of(settings, migrations.path)
    assert result.status == "fail" and "do not apply to a fresh database: 2 failed" in result.message
    assert any("42P01" in note for note in result.notes)


def test_the_drift_check_of_a_migration_that_alters_auth_users_fails_exactly_as_db_apply_does(
    project: Project, migrations: MigrationDir, verify_settings: Any
) -> None:
    migrations.write(
        "1_a.sql",
        "create table public.a (id int primary key);\n"
        "create policy own on storage.objects for select using (owner_id = auth.uid()::text);\n"
        "alter table auth.users add column nickname text;\n",
    )
    settings = verify_settings(migrations.path)
    with pytest.raises(MigrationFailed) as applying:
        Engine(connect(settings.target, settings), settings).apply(load(migrations.path))
    assert "42501: must be owner of table users" in applying.value.message
    # as on a project where it ran before 2025-04-21: the ledger says it is applied
    project.sql("insert into supabase_migrations.schema_migrations (version, name) values ('1', 'a')")
    result = drift_of(settings, migrations.path)
    assert result.status == "fail" and "do not apply to a fresh database: 1 failed" in result.message
    assert result.notes == [applying.value.message]


def test_a_drift_server_without_the_sandbox_template_is_refused_and_left_untouched(tmp_path: Path) -> None:
    server = bare_server(tmp_path, password="pw-" + secrets.token_hex(8))
    try:
        with server:
            url = server.url("postgres")
            before = catalog_of(url)
            with pytest.raises(ConfigError) as refused, throwaway_database(url, Throwaway()):
                pass
            assert "without the sandbox's supabase_template database" in refused.value.message
            assert catalog_of(url) == before  # no role, no database, no setting changed
    finally:
        shutil.rmtree(server.data_dir.parent, ignore_errors=True)  # as root: the server's private home


def test_a_malformed_drift_url_is_refused_without_showing_its_password() -> None:
    url = "postgresql://postgres:Hunter2%zzSecret@127.0.0.1:1/postgres"
    with pytest.raises(ConfigError) as refused, throwaway_database(url, Throwaway()):
        pass
    text = f"{refused.value.message} {refused.value.hint}"
    assert "MIGRATIONS_DRIFT_DB_URL is not a valid PostgreSQL connection URL" in text
    assert "Hunter2" not in text and "zzSecret" not in text


def catalog_of(url: str) -> tuple[Any, ...]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return tuple(
            conn.execute(sql).fetchall()
            for sql in (
                "select rolname, rolsuper, rolconfig from pg_roles order by 1",
                "select datname from pg_database order by 1",
                "select count(*) from pg_namespace",
            )
        )


def test_the_throwaway_leaves_a_shared_servers_roles_as_it_found_them(sandbox: Any) -> None:
    from migrations_tasks.secret import Secret
    from migrations_tasks.verify.throwaway import connect as connect_throwaway

    role = "app_reader_" + secrets.token_hex(4)
    migration = (
        f"create role {role} nologin; grant anon to {role}; alter role authenticated set statement_timeout = '7s'; "
        "alter role authenticator set pgrst.db_schemas = 'public, api'; revoke authenticated from authenticator"
    )
    for fail in (False, True):
        info = Throwaway()
        with (
            pytest.raises(RuntimeError) if fail else contextlib.nullcontext(),
            throwaway_database(sandbox.db_url, info) as url,
        ):
            db = connect_throwaway(Secret(url), timeout=30)
            db.execute(migration)
            db.close()
            if fail:
                raise RuntimeError("the migration run stops here")
        assert info.extra.get("roles_not_restored") is None
        with psycopg.connect(sandbox.db_url, autocommit=True) as conn:
            assert conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone() is None
            settings = conn.execute(
                "select r.rolname, s.setconfig from pg_db_role_setting s join pg_roles r on r.oid = s.setrole "
                "where s.setdatabase = 0 and r.rolname in ('authenticated', 'authenticator') order by 1"
            ).fetchall()
            assert ("authenticated", ["statement_timeout=8s"]) in settings
            assert all("pgrst.db_schemas" not in str(config) for _, config in settings)
            assert conn.execute("select pg_has_role('authenticator', 'authenticated', 'member')").fetchone() == (True,)


def test_a_superuser_drift_server_is_refused_with_one_message() -> None:
    from migrations_tasks.sandbox import Sandbox

    with Sandbox(privileges="superuser") as lenient:
        url = lenient.create_project()["db_url"]
        with pytest.raises(ConfigError) as refused, throwaway_database(url, Throwaway()):
            pass
    assert "connects as a superuser" in refused.value.message
    assert refused.value.exit_code == 3


def test_an_interrupt_while_the_embedded_server_starts_stops_it_and_removes_its_directory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from migrations_tasks.sandbox import Sandbox

    started: list[Any] = []
    real_start = Sandbox.start

    def start_then_interrupt(self: Any) -> Any:
        started.append(self)
        real_start(self)
        raise KeyboardInterrupt

    monkeypatch.setattr(Sandbox, "start", start_then_interrupt)
    with pytest.raises(KeyboardInterrupt), throwaway_database(None, Throwaway()):
        pass
    (sandbox,) = started
    assert not Path(sandbox.root).exists() and not (sandbox.home and Path(sandbox.home).exists())


def test_column_privileges_granted_out_of_band_are_reported(project: Project, verify_settings: Any) -> None:
    settings = applied(project, EXAMPLES, verify_settings)
    project.sql("revoke select on public.profiles from anon; grant select (id, username) on public.profiles to anon;")
    assert {d.describe() for d in drift_of(settings, EXAMPLES).differences if d.category == "column grants"} == {
        "only in database: column grants public.profiles.id",
        "only in database: column grants public.profiles.username",
    }


def test_an_invalid_index_left_by_a_failed_concurrent_build_fails_drift(
    project: Project, migrations: MigrationDir, verify_settings: Any
) -> None:
    """pg_dump leaves INVALID indexes out; drift names one, so a uniqueness that is not enforced is not 'verified'."""
    migrations.write(
        "20250101000000_codes.sql",
        "create table public.codes (code text);\ncreate unique index codes_code_key on public.codes (code);\n",
    )
    settings = applied(project, migrations.path, verify_settings)
    project.sql("drop index public.codes_code_key; insert into public.codes values ('a'), ('a')")
    with contextlib.suppress(psycopg.errors.UniqueViolation):  # the build fails and leaves the index INVALID
        project.sql("create unique index concurrently codes_code_key on public.codes (code)")
    result = drift_of(settings, migrations.path)
    assert result.status == "fail"
    assert described(result) == {
        "differs: index state public.codes_code_key: ready: True in migrations, False in database; "
        "valid: True in migrations, False in database"
    }
    assert any(note.startswith("not compared: ") for note in result.notes)
