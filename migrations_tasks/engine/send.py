"""Send a write and settle an answer that was lost: the one path every write takes.

Every request that changes the database (a migration's units, a rollback, a repair, the ledger's creation)
goes through :func:`send`. When the answer is lost (:class:`~migrations_tasks.errors.AmbiguousWriteError`)
the write is settled, never resent blindly:

* a write with a ``settle`` question asks the ledger (:func:`recorded`, which first waits for the migration
  lock, so a request still running on the server has finished): settled means done; otherwise the write
  did not commit and is sent again;
* a write marked ``idempotent`` (a repair, the ledger's creation) sets the same state however often it runs,
  so it is sent again;
* any other write (a statement that ran outside a transaction) cannot be settled: the error goes up.

At most :data:`MAX_RESENDS` sends in all. The guards' own refusals (the lock is busy) become one message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .. import ledger
from ..errors import AmbiguousWriteError, MigrationsTasksError, SqlError
from ..migrations import Migration
from ..sql import quote_literal
from .context import Context
from .events import Event, EventKind

MAX_RESENDS = 5
BUSY_HINT = "Another apply or rollback is running against this database; wait for it and run again."


@dataclass(frozen=True)
class Write:
    """One request that changes the database, and how to settle it when its answer is lost."""

    sql: str
    #: What it is, for messages: "3", "the rollback of 3", "the repair", "the ledger creation".
    what: str
    #: Returns True when the ledger shows the write took effect (None: it cannot be asked).
    settle: Callable[[], bool] | None = None
    #: Sending it again sets the same state (used when there is no ``settle`` question).
    idempotent: bool = False
    #: Said when the migration lock is busy: "Migration 3 was not applied".
    busy: str = ""
    migration: Migration | None = None


def send(ctx: Context, write: Write) -> None:
    """Send ``write``; settle a lost answer through the ledger, resend what did not commit (see above)."""
    for attempt in range(1, MAX_RESENDS + 1):
        try:
            ctx.db.execute(write.sql)
            return
        except SqlError as exc:
            if exc.sqlstate == ledger.LOCK_BUSY and write.busy:
                raise MigrationsTasksError(f"{write.busy}: {exc.message}.", hint=BUSY_HINT) from None
            raise
        except AmbiguousWriteError as exc:
            if write.settle is None and not write.idempotent:
                raise
            if write.settle is not None and write.settle():
                ctx.emit(
                    Event(
                        EventKind.WARNING,
                        f"The answer for {write.what} was lost ({exc.message}); the ledger shows it committed.",
                        write.migration,
                    )
                )
                return
            if attempt == MAX_RESENDS:
                raise
            again = (
                "the ledger shows it did not commit, so it is sent again."
                if write.settle is not None
                else "sending it again (it is idempotent)."
            )
            ctx.emit(
                Event(
                    EventKind.WARNING, f"The answer for {write.what} was lost ({exc.message}); {again}", write.migration
                )
            )


def recorded(ctx: Context, version: str) -> bool:
    """Return whether ``version`` is recorded, after any in-flight write of it has finished.

    Taking the migration lock first waits for a request still running on the server, so the answer is
    final; the request changes nothing and is safe to repeat.
    """
    probe = (
        f"{ledger.lock_sql(ctx.settings.lock_wait_seconds)};\n"
        f"SELECT EXISTS (SELECT 1 FROM {ledger.TABLE} WHERE version = {quote_literal(version)}) AS found"
    )
    try:
        rows = ctx.db.execute(probe, write=False)
    except SqlError as exc:
        if exc.sqlstate == ledger.LOCK_BUSY:
            raise MigrationsTasksError(
                f"Could not learn whether migration {version} committed: {exc.message}.",
                hint="Another run holds the migration lock; when it is done, run db.check.",
            ) from None
        raise
    return bool(rows and rows[0].get("found"))


def create_ledger(ctx: Context) -> None:
    """Create the ledger exactly as the Supabase CLI does (one request; idempotent)."""
    ctx.emit(Event(EventKind.INFO, f"Creating the ledger table {ledger.TABLE} (as the Supabase CLI does)."))
    send(ctx, Write(ledger.create_sql(ctx.settings.lock_wait_seconds), "the ledger creation", idempotent=True))
