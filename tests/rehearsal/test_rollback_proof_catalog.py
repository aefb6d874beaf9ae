"""The rollback proof compares the whole catalog: a down that does nothing fails it, whatever the up changed."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import MigrationDir, Project, SandboxFactory, fresh_project

from migrations_tasks.config.settings import load_settings
from migrations_tasks.engine import Engine
from migrations_tasks.history.migrations import load
from migrations_tasks.rehearsal.results import Proof
from migrations_tasks.rehearsal.run import plan
from migrations_tasks.transport.connect import connect

BASE = "create table public.todos (id bigint primary key, title text not null default '');\n"
#: Out-of-band changes a review found passing the proof with a down of `-- select 1;` (issue 21).
CHANGES = {
    "rule": "create rule todos_keep as on delete to public.todos do instead nothing",
    "unlogged": "alter table public.todos set unlogged",
    "default-privileges": "alter default privileges in schema public revoke all on tables from anon",
    "replica-identity": "alter table public.todos replica identity full",
    "storage-option": "alter table public.todos set (autovacuum_enabled = false)",
    "collation": 'alter table public.todos alter column title type text collate "C"',
    "database-setting": "do $$ begin execute format('alter database %I set lock_timeout = %L', current_database(), "
    "'5s'); end $$",
    "realtime-policy": 'create policy "listen" on realtime.messages for select to authenticated using (true)',
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_down_that_does_nothing_fails_the_rollback_proof(
    change: str, project: Project, migrations: MigrationDir, verify_settings: Any
) -> None:
    assert_proof_fails(change, migrations, verify_settings(migrations.path))


def test_a_role_setting_with_a_down_that_does_nothing_fails_the_rollback_proof(
    sandbox_factory: SandboxFactory, migrations: MigrationDir
) -> None:
    """A role's settings belong to the cluster the sandbox's projects share: on a sandbox of its own."""
    server = sandbox_factory("--latency-ms", "0")
    for project in fresh_project(server):
        environ = {**project.env, "MIGRATIONS_DRIFT_DB_URL": server.db_url}
        flags = {"migrations_dir": str(migrations.path)}
        settings = load_settings({}, flags=flags, environ=environ, dotenv_path=None)
        try:
            assert_proof_fails("alter role authenticated set statement_timeout = '20s'", migrations, settings)
        finally:
            project.sql("alter role authenticated set statement_timeout = '8s'")


def assert_proof_fails(change: str, migrations: MigrationDir, settings: Any) -> None:
    """Apply the base, add ``change`` with a down of ``-- select 1;``: db.plan's rollback proof must fail."""
    migrations.write("20250101000000_todos.sql", BASE)
    db = connect(settings.target, settings)
    try:
        Engine(db, settings).apply(load(migrations.path))
    finally:
        db.close()
    migrations.write("20250102000000_change.sql", f"{change};\n-- migrate:down\n-- select 1;\n")
    live = connect(settings.target, settings)
    try:
        result = plan(live, load(migrations.path), settings)
    finally:
        live.close()
    proof = result.migrations[0].proof
    assert proof.status is Proof.FAIL, proof
    assert proof.differences, proof
    assert result.verdict == "fails" and result.exit_code == 1
