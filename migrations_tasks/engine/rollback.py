"""Undo applied migrations, newest first, each in one atomic request; stop at the first failure.

Each request holds the migration lock, a guard that the version is still recorded (so concurrent rollbacks
never undo a migration twice), a guard that nothing newer is recorded (unless one version is rolled back
with ``force``), the down SQL and the deletion of the ledger row. Every down SQL is found and parsed
before the first request that writes.
"""

from __future__ import annotations

import time

from .. import ledger
from ..down import DOWN_HINT, DownSql, parse_down
from ..errors import Refused, SqlError
from ..plan import Entry, Status
from ..sql import same_statements
from .context import Context
from .events import Event, EventKind
from .failures import rollback_failure
from .request import Request
from .results import Outcome, OutcomeStatus, RollbackStep
from .send import Write, recorded, send


class NotApplied(Exception):
    """The guard found the version no longer in the ledger (another run rolled it back)."""


def _down_sql(entry: Entry, label: str, warnings: list[str]) -> DownSql | None:
    """Return the down SQL of an applied migration: its file's, else the copy the ledger stored."""
    migration, row = entry.migration, entry.row
    assert row is not None
    down: DownSql | None = migration.down if migration else None
    stored = row.rollback or None
    if down is not None and stored and not same_statements(down.texts, stored):
        warnings.append(
            f"{entry.version}: the down SQL in {down.source} differs from the copy the ledger "
            "stored when it was applied; using the local one."
        )
    if down is None and stored:
        down = parse_down(
            "\n;\n".join(stored), origin="ledger", path=None, label=f"the ledger's rollback SQL of {entry.version}"
        )
    if entry.status is Status.CHANGED:
        warnings.append(f"{label} changed after it was applied; its down SQL may not match what was applied.")
    return down


def rollback_step(ctx: Context, entry: Entry, record_only: bool, alone: bool, warnings: list[str]) -> RollbackStep:
    """Return the request that rolls back one applied migration."""
    migration = entry.migration
    label = migration.filename if migration else f"{entry.version}_{entry.name or '?'} (no local file)"
    down = _down_sql(entry, label, warnings)
    request = Request().add(ctx.lock_sql())
    request.add(ledger.guard_present_sql(entry.version))
    if not alone and entry.version.isdigit():
        request.add(ledger.guard_no_newer_sql(entry.version))
    if not record_only and down is not None:
        for statement in down.statements:
            request.add(statement.text, statement)
    request.add(ledger.delete_sql(entry.version))
    return RollbackStep(entry.version, entry.name, label, migration, down, record_only, request)


def check_down(steps: list[RollbackStep], record_only: bool) -> None:
    """Refuse (before anything is written) when a migration to roll back has no down SQL."""
    missing = [s for s in steps if s.down is None and not record_only]
    if missing:
        names = ", ".join(f"{s.version} ({s.label})" for s in missing)
        raise Refused(
            f"No down SQL for {names}: nothing was rolled back.",
            hint=DOWN_HINT + " To remove only the ledger row and leave the schema as it is, rerun with --record-only.",
        )


def rollback_one(ctx: Context, step: RollbackStep) -> Outcome:
    """Roll back one migration (one request); return what happened to it."""
    ctx.emit(Event(EventKind.START_ROLLBACK, version=step.version, name=step.name))
    started = time.perf_counter()
    before = ctx.db.requests
    status = OutcomeStatus.RECORD_REMOVED if step.record_only else OutcomeStatus.ROLLED_BACK
    write = Write(
        step.request.sql,
        f"the rollback of {step.version}",
        settle=lambda: not recorded(ctx, step.version),
        busy=f"Migration {step.version} was not rolled back",
    )
    try:
        send(ctx, write)
    except SqlError as exc:
        if exc.sqlstate == ledger.NOT_APPLIED:
            status = OutcomeStatus.ALREADY_ROLLED_BACK
            ctx.emit(
                Event(
                    EventKind.SKIPPED,
                    "already rolled back by another run",
                    seconds=time.perf_counter() - started,
                    version=step.version,
                    name=step.name,
                )
            )
        elif exc.sqlstate == ledger.NEWER_APPLIED:
            raise Refused(
                f"Migration {step.version} was not rolled back: {exc.message}.",
                hint="Another run applied them meanwhile; check with `inv db.check` and roll back again.",
            ) from None
        else:
            raise rollback_failure(ctx, step, exc) from None
    else:
        ctx.emit(
            Event(EventKind.ROLLED_BACK, seconds=time.perf_counter() - started, version=step.version, name=step.name)
        )
    return Outcome(step.version, step.name, status, time.perf_counter() - started, ctx.db.requests - before)
