"""Send a write and settle an answer that was lost: the one path every write takes.

Every request that changes the database (a migration, a batch of them, a rollback, a repair, the
ledger's creation) goes through :func:`deliver`. When no usable answer comes back:

* a **408** (:class:`~migrations_tasks.errors.QueryTimeoutError`: the Management API stopped waiting at its
  ~55 s limit; the SQL may still be running) is settled through the ledger when the write has a ``settle``
  question (:func:`recorded` first waits for the migration lock, so a request still running has
  finished): committed means done; otherwise it is **not** sent again (it would time out again) and the
  run stops with a message naming the limit and the ways out. A write without the question (a batch)
  leaves the 408 to its caller, which retries the rest in smaller requests;
* any **other lost answer** (a dropped connection, a client timeout, a 503, a 5xx or a 400 without a SQL
  error) of a ``resendable`` write is settled by sending it again, with jittered backoff, until
  ``retry_deadline`` seconds have passed. That is safe because such a write is guarded: it takes the
  migration lock (a first attempt still running on the server finishes first) and aborts when the ledger
  already shows it, so a repeat either does the work once or answers with the guard's refusal
  (``done_state``). After a lost attempt that refusal is read here, once for every write, as "the lost
  attempt committed" (no error); without one it stays the answer (another run did it).
  Repairs and the ledger's creation set the same state however often they run;
* any other write (a statement that runs outside a transaction) cannot be settled: the error goes up.

The guards' own refusal because the lock is busy becomes one message when ``busy`` says what was not done.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import stamina

from ..errors import AmbiguousWriteError, MigrationsTasksError, QueryTimeoutError, SqlError
from ..history import ledger
from ..history.migrations import Migration
from ..sql import text_array
from ..transport.database import Row
from .batch import running_sql
from .context import Context
from .events import Event, EventKind
from .questions import wait_until_idle_sql

BUSY_HINT = "Another apply or rollback is running against this database; wait for it and run again."
TIMEOUT_HINT = (
    "Run it over a direct connection (`--transport postgres` with SUPABASE_DB_URL), which has no per-request "
    "time limit, or split the migration into smaller files."
)


@dataclass(frozen=True)
class Write:
    """One request that changes the database, and how to settle it when its answer is lost."""

    sql: str
    #: What it is, for messages: "migration 3", "the rollback of 3", "the repair", "the ledger creation".
    what: str
    #: Returns True when the ledger shows the write took effect (asked after a 408).
    settle: Callable[[], bool] | None = None
    #: Sending it again is harmless (a guarded transactional write, or one that sets the same state).
    resendable: bool = False
    #: Said when the migration lock is busy: "Migration 3 was not applied".
    busy: str = ""
    migration: Migration | None = None
    #: The SQLSTATE of the guard's refusal when the write's effect is already in the ledger.
    done_state: str | None = None


@dataclass(frozen=True)
class Delivery:
    """How a write went: the SQL error its answer carried (None: it succeeded), and answers lost before."""

    error: SqlError | None = None
    #: Attempts whose answer was lost before this answer came.
    lost: int = 0
    #: The rows the answer carried (the last result set with rows, as the API returns them).
    rows: Sequence[Row] = ()


def deliver(ctx: Context, write: Write) -> Delivery:
    """Send ``write`` until an answer comes; settle lost answers as the module docstring says."""
    lost: list[AmbiguousWriteError] = []
    deadline = time.monotonic() + ctx.settings.retry_deadline

    def again(exc: BaseException) -> bool:
        if isinstance(exc, QueryTimeoutError) or not isinstance(exc, AmbiguousWriteError) or not write.resendable:
            return False
        lost.append(exc)
        if time.monotonic() >= deadline:
            return False
        ctx.emit(
            Event(
                EventKind.WARNING,
                f"The answer for {write.what} was lost ({exc.message}); sending it again "
                "(its guard makes a repeat harmless).",
                write.migration,
            )
        )
        return True

    try:
        for attempt in stamina.retry_context(
            on=again, attempts=None, timeout=None, wait_initial=0.5, wait_max=10.0, wait_jitter=1.0
        ):
            with attempt:
                return _attempt(ctx, write, len(lost))
    except QueryTimeoutError as exc:
        return _settle_timeout(ctx, write, exc, len(lost))
    except AmbiguousWriteError as exc:
        if not lost or not write.resendable:
            raise
        raise AmbiguousWriteError(
            f"No answer for {write.what} after {len(lost)} attempts in {ctx.settings.retry_deadline:g}s "
            f"(last: {exc.message}).",
            hint="Run `inv db.check` to see what committed, then run again (retry_deadline sets how long to try).",
        ) from None
    raise AssertionError("unreachable: stamina re-raises the last error")  # pragma: no cover


def _attempt(ctx: Context, write: Write, lost: int) -> Delivery:
    """Send ``write`` once; an SQL error is part of the answer, except the busy lock when ``busy`` is set."""
    try:
        rows = ctx.db.execute(write.sql)
    except SqlError as exc:
        if exc.sqlstate == ledger.LOCK_BUSY and write.busy:
            raise MigrationsTasksError(f"{write.busy}: {exc.message}.", hint=BUSY_HINT) from None
        if lost and write.done_state is not None and exc.sqlstate == write.done_state:
            ctx.emit(
                Event(
                    EventKind.WARNING,
                    f"Sending {write.what} again found it done: the ledger shows it committed (the attempt whose "
                    "answer was lost did it).",
                    write.migration,
                )
            )
            return Delivery(None, lost)
        return Delivery(exc, lost)
    return Delivery(None, lost, rows)


def _settle_timeout(ctx: Context, write: Write, exc: QueryTimeoutError, lost: int) -> Delivery:
    """Settle a 408 through the ledger: done when it committed; otherwise stop (it would time out again)."""
    if write.settle is None:
        raise exc
    if write.settle():
        ctx.emit(
            Event(
                EventKind.WARNING,
                f"The answer for {write.what} was lost ({exc.message}); the ledger shows it committed.",
                write.migration,
            )
        )
        return Delivery(None, lost + 1)
    raise MigrationsTasksError(
        f"{write.busy or write.what}: {exc.message} The ledger shows it did not commit; it is not sent again, "
        "as it would time out again.",
        hint=TIMEOUT_HINT,
    ) from None


def send(ctx: Context, write: Write) -> Delivery:
    """Deliver ``write`` and raise the SQL error its answer carried, if any."""
    delivery = deliver(ctx, write)
    if delivery.error is not None:
        raise delivery.error
    return delivery


def ledger_versions(ctx: Context, versions: Sequence[str], *, wait: bool, request: str = "") -> set[str]:
    """Return which of ``versions`` the ledger records (one request; it changes nothing, safe to repeat).

    With ``wait`` the migration lock is taken first, so the transaction of a write still running on the
    server has finished. A batch releases that lock between its migrations, so the answer is final for it
    only when ``request`` (the batch's tag) is given too: then the read first waits, up to
    ``lock_wait_seconds``, until no session is running that request any more.
    """
    lock = f"{ledger.lock_sql(ctx.settings.lock_wait_seconds)};\n" if wait else ""
    if wait and request:
        what = "the request that carried them"
        lock = f"{wait_until_idle_sql(running_sql(request), ctx.settings.lock_wait_seconds, what)};\n{lock}"
    probe = (
        f"{lock}SELECT coalesce(json_agg(version::text), '[]'::json) AS found FROM {ledger.TABLE} "
        f"WHERE version::text = ANY({text_array(list(versions))})"
    )
    try:
        rows = ctx.db.execute(probe, write=False)
    except SqlError as exc:
        if exc.sqlstate in ("42P01", "3F000"):
            return set()
        if exc.sqlstate == ledger.LOCK_BUSY:
            raise MigrationsTasksError(
                f"Could not learn whether {', '.join(versions)} committed: {exc.message}.",
                hint="A request (this run's, or another run's) still holds the migration lock or is still running; "
                "when it is done, run db.check.",
            ) from None
        raise
    found = rows[0].get("found") if rows else None
    return {str(v) for v in found} if isinstance(found, list) else set()


def recorded(ctx: Context, version: str) -> bool:
    """Return whether ``version`` is recorded, after any in-flight write of it has finished."""
    return version in ledger_versions(ctx, [version], wait=True)


def add_rollback_column(ctx: Context) -> bool:
    """Add the ledger's ``rollback text[]`` column (one request; idempotent); False, with a warning, when refused."""
    ctx.emit(
        Event(
            EventKind.INFO,
            f"Adding the column rollback text[] to {ledger.TABLE} (hosted projects have it): each migration's "
            "down SQL is kept with its ledger row, so db.rollback works from a checkout without the down file.",
        )
    )
    write = Write(
        ledger.add_rollback_sql(ctx.settings.lock_wait_seconds), "adding the rollback column", resendable=True
    )
    try:
        send(ctx, write)
    except SqlError as exc:
        ctx.emit(
            Event(
                EventKind.WARNING,
                f"Could not add the rollback column ({exc.sqlstate}: {exc.message}); down SQL is not kept in the "
                "ledger, so db.rollback needs the down files.",
            )
        )
        return False
    return True


def create_ledger(ctx: Context, *, rollback: bool = True) -> None:
    """Create the ledger as the Supabase CLI does (one request; idempotent), with the ``rollback text[]`` column
    hosted projects have unless ``rollback`` is False (:func:`~migrations_tasks.history.ledger.add_rollback_sql`)."""
    ctx.emit(Event(EventKind.INFO, f"Creating the ledger table {ledger.TABLE} (as the Supabase CLI does)."))
    sql = ledger.create_sql(ctx.settings.lock_wait_seconds)
    if rollback:
        sql += f"\n{ledger.ADD_ROLLBACK};"
    send(ctx, Write(sql, "the ledger creation", resendable=True))
