"""The rollback proof compares the whole catalog: a down that does nothing fails it, whatever the up changed."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import MigrationDir, Project

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
    "role-setting": "alter role authenticated set statement_timeout = '20s'",
    "database-setting": "do $$ begin execute format('alter database %I set lock_timeout = %L', current_database(), "
    "'5s'); end $$",
    "realtime-policy": 'create policy "listen" on realtime.messages for select to authenticated using (true)',
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_down_that_does_nothing_fails_the_rollback_proof(
    change: str, project: Project, migrations: MigrationDir, verify_settings: Any
) -> None:
    migrations.write("20250101000000_todos.sql", BASE)
    settings = verify_settings(migrations.path)
    db = connect(settings)
    try:
        Engine(db, settings).apply(load(migrations.path))
    finally:
        db.close()
    migrations.write("20250102000000_change.sql", f"{change};\n-- migrate:down\n-- select 1;\n")
    live = connect(settings)
    try:
        result = plan(live, load(migrations.path), settings)
    finally:
        live.close()
    proof = result.migrations[0].proof
    assert proof.status is Proof.FAIL, proof
    assert proof.differences, proof
    assert result.verdict == "fails" and result.exit_code == 1
