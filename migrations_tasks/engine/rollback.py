"""Undo applied migrations, newest first, each in one atomic transaction; stop at the first failure.

Each step holds the migration lock, a guard that the version is still recorded (so concurrent rollbacks
never undo a migration twice), a guard that nothing newer is recorded (unless one version is rolled back
with ``force``), the down SQL and the deletion of the ledger row. Consecutive steps share a request
(:mod:`.steps`), each still its own transaction. Every down SQL is found and parsed before the first
request that writes.
"""

from __future__ import annotations

import time

from ..errors import MigrationsTasksError, Refused, SqlError
from ..history import ledger
from ..history.down import DOWN_HINT, DownSql, parse_down
from ..history.status import Entry, Status
from ..sql import same_statements
from .context import Context
from .events import Event, EventKind
from .failures import rollback_failure, too_large
from .request import Request
from .results import Outcome, OutcomeStatus, RollbackStep
from .send import Write, deliver, recorded
from .steps import Flow, Share


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


def newer_applied(step: RollbackStep, error: SqlError) -> Refused:
    """Return the refusal for a step whose guard found newer migrations applied meanwhile."""
    return Refused(
        f"Migration {step.version} was not rolled back: {error.message}.",
        hint="Another run applied them meanwhile; check with `inv db.check` and roll back again.",
    )


def rollback_one(ctx: Context, step: RollbackStep) -> Outcome:
    """Roll back one migration (one request); return what happened to it."""
    ctx.emit(_event(EventKind.START_ROLLBACK, step))
    started = time.perf_counter()
    before = ctx.db.requests
    status = OutcomeStatus.RECORD_REMOVED if step.record_only else OutcomeStatus.ROLLED_BACK
    write = Write(
        step.request.sql,
        f"the rollback of {step.version}",
        settle=lambda: not recorded(ctx, step.version),
        resendable=True,
        busy=f"Migration {step.version} was not rolled back",
        done_state=ledger.NOT_APPLIED,
    )
    error = deliver(ctx, write).error
    if error is not None and error.sqlstate == ledger.NOT_APPLIED:
        status = OutcomeStatus.ALREADY_ROLLED_BACK
        seconds = time.perf_counter() - started
        ctx.emit(_event(EventKind.SKIPPED, step, "already rolled back by another run", seconds))
    elif error is not None and error.sqlstate == ledger.NEWER_APPLIED:
        raise newer_applied(step, error)
    elif error is not None:
        raise rollback_failure(ctx, step, error) from None
    if status is not OutcomeStatus.ALREADY_ROLLED_BACK:
        ctx.emit(_event(EventKind.ROLLED_BACK, step, seconds=time.perf_counter() - started))
    return Outcome(step.version, step.name, status, time.perf_counter() - started, ctx.db.requests - before)


def _event(kind: EventKind, step: RollbackStep, message: str = "", seconds: float = 0.0) -> Event:
    """Return an event about ``step`` (rollback events name the version, not a migration file)."""
    return Event(kind, message, seconds=seconds, version=step.version, name=step.name)


class RollbackFlow(Flow):
    """Rollback steps, newest first, for the runner of :mod:`.steps`."""

    refusal = ledger.NOT_APPLIED

    def __init__(self, ctx: Context, steps: list[RollbackStep]) -> None:
        super().__init__(ctx, [s.version for s in steps], [s.request for s in steps])
        self.steps = steps

    def one(self, index: int) -> Outcome:
        """Roll back step ``index`` in a request of its own."""
        return rollback_one(self.ctx, self.steps[index])

    def done(self, index: int, recorded: set[str]) -> bool:
        """Return whether the ledger no longer records step ``index``'s version."""
        return self.version(index) not in recorded

    def finished(self, index: int, share: Share) -> Outcome:
        """Report step ``index`` rolled back by this run."""
        step = self.steps[index]
        self.ctx.emit(_event(EventKind.START_ROLLBACK, step))
        self.ctx.emit(_event(EventKind.ROLLED_BACK, step, seconds=share.seconds))
        status = OutcomeStatus.RECORD_REMOVED if step.record_only else OutcomeStatus.ROLLED_BACK
        return Outcome(step.version, step.name, status, share.seconds, share.take())

    def skipped(self, index: int, share: Share) -> Outcome:
        """Report step ``index`` as rolled back by another run."""
        step = self.steps[index]
        self.ctx.emit(_event(EventKind.START_ROLLBACK, step))
        self.ctx.emit(_event(EventKind.SKIPPED, step, "already rolled back by another run", share.seconds))
        return Outcome(step.version, step.name, OutcomeStatus.ALREADY_ROLLED_BACK, share.seconds, share.take())

    def failure(self, index: int, error: SqlError, sent: Request) -> MigrationsTasksError:
        """Return the error naming the down SQL's file, statement, line and SQLSTATE (or the refusal)."""
        step = self.steps[index]
        self.ctx.emit(_event(EventKind.START_ROLLBACK, step))
        if error.sqlstate == ledger.NEWER_APPLIED:
            return newer_applied(step, error)
        return rollback_failure(self.ctx, step, error, sent)

    def busy(self, index: int) -> str:
        """Return "Migration 3 was not rolled back"."""
        return f"Migration {self.version(index)} was not rolled back"


def check_step_sizes(ctx: Context, flow: RollbackFlow) -> None:
    """Refuse, before anything is written, a rollback whose request is over the transport's size limit."""
    limit = ctx.db.max_request_bytes
    for step in flow.steps if limit is not None else ():
        size = ctx.db.request_bytes(step.request.sql)
        path = step.down.path if step.down is not None else None
        if limit is not None and size > limit:
            raise too_large(
                f"the rollback of {step.label}",
                path.stat().st_size if path else 0,
                size,
                limit,
                str(path) if path else None,
            )
