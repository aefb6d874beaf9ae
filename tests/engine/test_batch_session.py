"""One clean session per migration in a batch: batched and one per request give the same outcome.

A property test draws sequences of statements that change the session (settings, transaction defaults,
role, sequences, temp tables, prepared statements, cursors, ``LISTEN``, advisory locks) and applies them
twice, on two fresh projects: batched, and with ``batch_size=1``. Each migration first records what its
session looks like (``public.observe()``); the exit code, the failing migration, the ledger, those records
and the tables must be the same. It runs over the API with and without the endpoint's ``SET`` prefix, and
over the direct transport. The draws are seeded: a failure names its seed.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from conftest import MigrationDir, Project, SandboxFactory, SandboxProcess, fresh_project

from migrations_tasks.engine import Engine
from migrations_tasks.errors import MigrationFailed, MigrationsTasksError
from migrations_tasks.history.ledger import TABLE
from migrations_tasks.history.migrations import load
from migrations_tasks.transport.connect import connect

#: Statements a migration may legally run as ``postgres`` on hosted Supabase that change its session.
SESSION_CHANGES = (
    "set default_transaction_read_only = on",
    "set session characteristics as transaction isolation level serializable",
    "set default_transaction_deferrable = on",
    "set search_path = elsewhere, public",
    "select pg_catalog.set_config('search_path', '', false)",
    "set statement_timeout = '17s'",
    "select pg_catalog.set_config('lock_timeout', '3s', false)",
    "select pg_catalog.set_config('app.flag', 'on', false)",
    "set timezone = 'Asia/Tokyo'",
    "set session_replication_role = replica",
    "set role postgres",
    "set session authorization postgres",
    "select nextval('public.counter')",
    "create temp table scratch (id int)",
    "prepare stmt as select 1",
    "declare cur cursor with hold for select 1",
    "listen chan",
    "select pg_advisory_lock(77)",
)

#: The first migration: what the others use to observe their session.
SETUP = """create schema elsewhere;
create sequence public.counter;
create table public.probe (version text primary key, seen jsonb not null);
create function public.observe() returns jsonb language plpgsql as $$
declare
  seq text;
begin
  begin
    seq := pg_catalog.currval('public.counter')::text;
  exception when others then
    seq := 'unset';
  end;
  return pg_catalog.jsonb_build_object(
    'read_only', pg_catalog.current_setting('transaction_read_only'),
    'default_read_only', pg_catalog.current_setting('default_transaction_read_only'),
    'isolation', pg_catalog.current_setting('transaction_isolation'),
    'default_isolation', pg_catalog.current_setting('default_transaction_isolation'),
    'deferrable', pg_catalog.current_setting('transaction_deferrable'),
    'search_path', pg_catalog.current_setting('search_path'),
    'statement_timeout', pg_catalog.current_setting('statement_timeout'),
    'lock_timeout', pg_catalog.current_setting('lock_timeout'),
    'timezone', pg_catalog.current_setting('TimeZone'),
    'replication_role', pg_catalog.current_setting('session_replication_role'),
    'role', pg_catalog.current_setting('role'),
    'authorization', pg_catalog.current_setting('session_authorization'),
    'user', current_user,
    -- a custom setting once set reads '' (not NULL) for the rest of a connection: see README, inv db.apply
    'app_flag', coalesce(nullif(pg_catalog.current_setting('app.flag', true), ''), 'unset'),
    'currval', seq,
    'temp', (SELECT count(*) FROM pg_catalog.pg_class WHERE relnamespace = pg_catalog.pg_my_temp_schema()),
    'prepared', (SELECT count(*) FROM pg_catalog.pg_prepared_statements),
    'cursors', (SELECT count(*) FROM pg_catalog.pg_cursors),
    'listening', (SELECT count(*) FROM pg_catalog.pg_listening_channels()),
    'advisory', (SELECT count(*) FROM pg_catalog.pg_locks
                 WHERE locktype = 'advisory' AND pid = pg_catalog.pg_backend_pid())
  );
end $$;
"""


@pytest.fixture
def prefixed(sandbox_factory: SandboxFactory) -> SandboxProcess:
    """A sandbox that prefixes every query with postgres-meta's statement and idle-session timeouts."""
    return sandbox_factory("--statement-timeout-prefix", "30")


def draw(seed: int, count: int = 6) -> list[str]:
    """Return ``count`` migrations: each observes its session, then changes it (some changes drawn twice)."""
    rng = random.Random(seed)
    changes = rng.sample(SESSION_CHANGES, rng.randint(8, len(SESSION_CHANGES)))
    changes += rng.sample(changes, 3)
    rng.shuffle(changes)
    cuts = sorted(rng.sample(range(1, len(changes)), count - 2))
    groups = [changes[a:b] for a, b in zip([0, *cuts], [*cuts, len(changes)])]
    groups.append([])  # the last one only observes what the others left
    bodies = []
    for number, group in enumerate(groups, 2):
        unique = list(dict.fromkeys(group))  # a change drawn twice lands in two migrations, or once
        observe = f"insert into public.probe values ('{number}', public.observe());\n"
        bodies.append(observe + "".join(f"{text};\n" for text in unique))
    return bodies


def write(migrations: MigrationDir, bodies: list[str]) -> None:
    migrations.write("1_setup.sql", SETUP)
    for number, body in enumerate(bodies, 2):
        migrations.write(f"{number}_session.sql", body)


def outcome(project: Project, directory: Path, transport: str, batch_size: int) -> dict[str, Any]:
    """Apply ``directory`` to ``project``; return what a user and the database can see of it."""
    settings = project.settings(directory, transport, batch_size=batch_size)
    engine = Engine(connect(settings.target, settings), settings)
    seen: dict[str, Any] = {"exit": 0, "failed": None}
    try:
        engine.apply(load(directory))
    except MigrationFailed as exc:
        sqlstate = exc.sql_error.sqlstate if exc.sql_error else None
        seen.update(exit=exc.exit_code, failed=(exc.version, sqlstate, exc.line))
    except MigrationsTasksError as exc:
        seen.update(exit=exc.exit_code, failed=exc.message)
    finally:
        engine.db.close()
    seen["ledger"] = [r[0] for r in project.sql(f"SELECT version FROM {TABLE} ORDER BY version::bigint")]
    probed = project.sql("SELECT to_regclass('public.probe') IS NOT NULL")[0][0]
    seen["probe"] = project.sql("SELECT version, seen FROM public.probe ORDER BY version") if probed else []
    seen["tables"] = project.sql(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema IN ('public', 'elsewhere') ORDER BY 1, 2"
    )
    return seen


def on_fresh_project(server: SandboxProcess, directory: Path, transport: str, batch_size: int) -> dict[str, Any]:
    """Return :func:`outcome` on a fresh project of ``server``, dropped afterwards."""
    made = fresh_project(server)
    project = next(made)
    try:
        return outcome(project, directory, transport, batch_size)
    finally:
        next(made, None)


@pytest.mark.parametrize("route", ["api", "api behind the SET prefix", "postgres"])
@pytest.mark.parametrize("seed", range(6))
def test_random_session_changes_give_the_same_outcome_batched_and_one_migration_per_request(
    seed: int, route: str, sandbox: SandboxProcess, prefixed: SandboxProcess, tmp_path: Path
) -> None:
    server = prefixed if "prefix" in route else sandbox
    transport = "postgres" if route == "postgres" else "api"
    migrations = MigrationDir(tmp_path / "supabase" / "migrations")
    bodies = draw(seed)
    write(migrations, bodies)
    seen = [on_fresh_project(server, migrations.path, transport, batch_size) for batch_size in (50, 1)]
    batched, alone = seen
    assert batched == alone, f"seed {seed} over {route}: migrations 2 to 7: {bodies}"
    assert alone["ledger"], "the setup migration applies"


def test_a_read_only_default_or_a_sequence_used_in_one_migration_does_not_reach_the_next_in_a_batch(
    sandbox: SandboxProcess, migrations: MigrationDir
) -> None:
    migrations.write("1_seq.sql", "create sequence public.s;\nselect nextval('public.s');\n")
    migrations.write("2_read_only.sql", "set default_transaction_read_only = on;\n")
    migrations.write("3_writes.sql", "create table t (id int);\n")
    migrations.write("4_currval.sql", "select currval('public.s');\n")
    seen = on_fresh_project(sandbox, migrations.path, "api", 50)
    # 3 writes (not 25006: read-only transaction); 4 fails as it would alone: currval is not yet defined
    assert seen["ledger"] == ["1", "2", "3"]
    assert seen["exit"] == 1 and seen["failed"][:2] == ("4", "55000")
