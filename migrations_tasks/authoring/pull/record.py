"""Record the pulled migration in the live ledger as applied: one request, through the engine's write path.

The live database already has the pulled changes, so only the ledger row is written (as ``supabase db
pull`` does). The request holds the migration lock, creates the ledger when the project has none (as the
Supabase CLI does), aborts when the version is already recorded, and inserts the row with the file's
statements and down SQL. A lost answer is settled through the ledger (:mod:`migrations_tasks.engine.send`).
"""

from __future__ import annotations

from ...config.settings import Settings
from ...engine import Engine
from ...engine.request import Request
from ...engine.send import Write, recorded, send
from ...errors import MigrationsTasksError, SqlError
from ...history import ledger
from ...history.migrations import Migration
from ...transport.database import Database


def record_sql(engine: Engine, history: ledger.Ledger, migration: Migration) -> str:
    """Return the request that records ``migration`` as applied."""
    ctx = engine.ctx
    columns = dict(history.columns) if history.exists else {**ledger.CLI_COLUMNS, "rollback": ledger.ROLLBACK_COLUMN}
    request = Request().add(ctx.lock_sql(), role="lock and guard")
    if not history.exists:  # created as db.apply creates it: the CLI's, with the rollback column hosted has
        for statement in (*ledger.CREATE_STATEMENTS[1:], ledger.ADD_ROLLBACK):  # the lock bounds lock_timeout
            request.add(statement, role="ledger creation")
    request.add(ledger.guard_absent_sql(migration.version), role="lock and guard")
    request.add(
        ledger.insert_sql(
            columns,
            version=migration.version,
            name=migration.name,
            statements=migration.texts,
            rollback=migration.down.texts if migration.down else None,
            created_by=ctx.settings.created_by,
        ),
        role="ledger row",
    )
    return request.sql


def record(db: Database, settings: Settings, history: ledger.Ledger, migration: Migration) -> None:
    """Record ``migration`` as applied in the live ledger (one request)."""
    engine = Engine(db, settings)
    version = migration.version
    write = Write(
        record_sql(engine, history, migration),
        f"the ledger row of {version}",
        settle=lambda: recorded(engine.ctx, version),
        resendable=True,
        done_state=ledger.ALREADY_APPLIED,
        busy=f"Migration {version} was not recorded as applied",
    )
    try:
        send(engine.ctx, write)
    except SqlError as exc:
        if exc.sqlstate != ledger.ALREADY_APPLIED:
            raise
        taken = MigrationsTasksError(
            f"Version {version} is already recorded in the live ledger; {migration.path} was written anyway.",
            hint="Another run used the same version: remove the file and run db.pull again.",
        )
        raise taken from None
