"""db.pull on the sandbox: live changes become a migration that check, verify and a fresh project accept."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import MigrationDir, Project, SandboxProcess, run_inv, user_project

from migrations_tasks.authoring.pull.catalog import Snapshot, compare, snapshot_request
from migrations_tasks.engine import Engine
from migrations_tasks.migrations import load
from migrations_tasks.postgres import PostgresDatabase
from migrations_tasks.secret import Secret
from migrations_tasks.transports import connect

EXAMPLES = Path(__file__).resolve().parent.parent / "supabase" / "migrations"
ENUM_MIGRATION = (
    "20251103090000_todo_status.sql",
    "create type public.todo_status as enum ('open', 'closed');\n"
    "alter table public.todos add column status public.todo_status not null default 'open';\n",
)
#: The issue's out-of-band changes: a column, a function, a policy, an index, an enum value, a trigger on auth.users.
DASHBOARD_CHANGES = """
alter table public.todos add column priority integer not null default 0;
create function public.todo_count(uid uuid) returns bigint language sql stable set search_path = ''
  as $$ select count(*) from public.todos where user_id = uid $$;
create policy "Users delete their own profile" on public.profiles for delete to authenticated
  using ((select auth.uid()) = id);
create index todos_open_idx on public.todos (user_id) where not done;
alter type public.todo_status add value 'archived';
create function public.note_sign_in() returns trigger language plpgsql security definer set search_path = ''
  as $$ begin return new; end $$;
create trigger on_auth_user_signed_in after update of last_sign_in_at on auth.users
  for each row execute function public.note_sign_in();
"""


def apply_all(project: Project, directory: Path) -> None:
    """Apply every migration of ``directory`` to ``project`` through the Management API."""
    settings = project.settings(directory)
    db = connect(settings)
    try:
        Engine(db, settings).apply(load(directory))
    finally:
        db.close()


def snapshot(db_url: str) -> Snapshot:
    db = PostgresDatabase(Secret(db_url))
    try:
        return Snapshot.from_row(db.execute(snapshot_request(), write=False)[0])
    finally:
        db.close()


@dataclass
class Live:
    """A user's project whose live database (a sandbox project) has the example migrations applied."""

    project: Project
    migrations: MigrationDir
    cwd: Path
    env: dict[str, str]

    def changed(self, sql: str, *extra: tuple[str, str]) -> Live:
        """Apply the examples (and ``extra`` migration files), then change the database out of band."""
        shutil.copytree(EXAMPLES, self.migrations.path, dirs_exist_ok=True)
        for name, text in extra:
            self.migrations.write(name, text)
        apply_all(self.project, self.migrations.path)
        if sql:
            self.project.sql(sql)
        return self

    def inv(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_inv(*args, cwd=self.cwd, env=self.env, timeout=300)

    def pull(self, *args: str) -> tuple[int, str, Any]:
        result = self.inv("db.pull", "--json", *args)
        return result.returncode, result.stderr, json.loads(result.stdout)

    def files(self) -> list[str]:
        return sorted(p.name for p in self.migrations.path.iterdir())


@pytest.fixture
def live(project: Project, sandbox: SandboxProcess, migrations: MigrationDir) -> Live:
    env = {k: v for k, v in project.env.items() if k != "SUPABASE_DB_URL"}
    env["MIGRATIONS_DRIFT_DB_URL"] = sandbox.db_url
    return Live(project, migrations, user_project(migrations.path.parent.parent), env)


def test_dashboard_changes_become_a_migration_that_check_verify_and_a_fresh_project_accept(
    live: Live, sandbox: SandboxProcess
) -> None:
    live.changed(DASHBOARD_CHANGES, ENUM_MIGRATION)
    before = live.project.requests()
    code, stderr, doc = live.pull()
    assert code == 0, stderr
    assert doc["status"] == "written"
    assert doc["requests"] == 2 and live.project.requests() - before == 2, "one read and one write"
    assert doc["recorded"] is True
    path = live.cwd / doc["file"]
    assert path.name == f"{doc['version']}_remote_schema.sql"
    text = path.read_text(encoding="utf-8")
    for fragment in (
        "ADD COLUMN priority integer DEFAULT 0 NOT NULL",
        "CREATE OR REPLACE FUNCTION public.todo_count(uid uuid)",
        'CREATE POLICY "Users delete their own profile" ON public.profiles',
        "CREATE INDEX todos_open_idx ON public.todos",
        "ALTER TYPE public.todo_status ADD VALUE 'archived'",
        "CREATE TRIGGER on_auth_user_signed_in AFTER UPDATE OF last_sign_in_at ON auth.users",
        "\n-- migrate:down\n",
    ):
        assert fragment in text
    check = live.inv("db.check")
    assert check.returncode == 0, check.stdout + check.stderr
    verify = live.inv("db.verify", "--drift")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "Drift: PASS" in verify.stdout
    fresh = sandbox.new_project()
    try:
        apply_all(fresh, live.migrations.path)
        assert compare(snapshot(fresh.db_url), snapshot(live.project.db_url)) == []
    finally:
        fresh.close()
        sandbox.call("DELETE", f"/_sandbox/projects/{fresh.ref}")


def test_the_recorded_row_holds_the_files_statements_and_its_down_sql_rolls_it_back(live: Live) -> None:
    live.changed("alter table public.profiles add column bio text;")
    code, stderr, doc = live.pull("--name", "Profile bio")
    assert code == 0, stderr
    assert doc["file"].endswith("_profile_bio.sql")
    rows = live.project.sql(
        f"select name, statements from supabase_migrations.schema_migrations where version = '{doc['version']}'"
    )
    migration = load(live.migrations.path).by_version()[doc["version"]]
    assert rows == [("profile_bio", migration.texts)]
    assert migration.down is not None
    assert migration.down.texts == ["ALTER TABLE public.profiles DROP COLUMN bio"]
    rollback = live.inv("db.rollback")
    assert rollback.returncode == 0, rollback.stderr
    bio = "select count(*) from pg_attribute where attrelid = 'public.profiles'::regclass and attname = 'bio'"
    assert live.project.sql(bio) == [(0,)]


def test_nothing_to_pull_reads_once_and_writes_nothing(live: Live) -> None:
    before = live.changed("").files()
    result = live.inv("db.pull")
    assert result.returncode == 0, result.stderr
    assert "Nothing to pull: the live database is what the 4 migrations build." in result.stdout
    assert "(1 request to" in result.stdout
    assert live.files() == before


def test_dry_run_prints_the_proven_file_and_neither_writes_nor_records(live: Live) -> None:
    view = (
        "create view public.done_todos with (security_invoker = true) as select id, title from public.todos "
        "where done; revoke all on public.done_todos from anon;"
    )
    before = live.changed(view).files()
    result = live.inv("db.pull", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("-- remote_schema: changes made in the live database")
    assert "CREATE VIEW public.done_todos WITH (security_invoker=true) AS" in result.stdout
    revoke = "REVOKE DELETE, INSERT, REFERENCES, SELECT, TRIGGER, TRUNCATE, UPDATE ON TABLE public.done_todos FROM anon"
    assert revoke in result.stdout
    assert "Nothing was written or recorded (--dry-run)." in result.stderr
    assert live.files() == before
    assert live.project.sql("select count(*) from supabase_migrations.schema_migrations") == [(4,)]


def test_drops_stay_commented_out_unless_asked_for(live: Live) -> None:
    live.changed("drop table public.migration_system_test;")
    result = live.inv("db.pull")
    assert result.returncode == 0, result.stderr
    assert "Nothing to pull but drops" in result.stdout
    assert "-- DROP TABLE public.migration_system_test;" in result.stdout
    code, stderr, doc = live.pull("--include-drops")
    assert code == 0, stderr
    assert "DROP TABLE public.migration_system_test;\n" in doc["sql"]
    assert "CREATE TABLE public.migration_system_test (" in doc["sql"].split("-- migrate:down")[1]
    verify = live.inv("db.verify", "--drift")
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_no_record_writes_the_file_and_leaves_the_ledger_alone(live: Live) -> None:
    live.changed("alter table public.todos add column due date;")
    code, stderr, doc = live.pull("--no-record")
    assert code == 0, stderr
    assert (doc["recorded"], doc["requests"]) == (False, 1)
    check = live.inv("db.check")
    assert check.returncode == 1
    assert doc["version"] in check.stdout and "pending" in check.stdout
