"""Settle a lost answer of a statement that runs outside a transaction, and check what it left in the catalog.

Such a statement has no guard, so it is not sent again as written. After a lost answer (a dropped
connection, a 503, a 5xx, a 408), the catalog is asked what the lost attempt did, once no session runs a part
of the lease's holder any more (each carries its tag, :mod:`.lease`), and what is left is sent:

* ``CREATE [UNIQUE] INDEX CONCURRENTLY name``: sent again with ``IF NOT EXISTS``; the index must then be
  valid; an INVALID one (the build failed or was cancelled: ``IF NOT EXISTS`` skips it) is dropped
  concurrently and built again, up to three times;
* ``DROP INDEX CONCURRENTLY name``: sent again with ``IF EXISTS``;
* ``VACUUM``, ``ANALYZE``: sent again (repeating them is harmless);
* ``REINDEX ... CONCURRENTLY`` of an index, a table or a schema: each INVALID ``_ccnew``/``_ccold`` index a
  failed or cancelled attempt left is dropped concurrently, then it is sent again (a second rebuild is
  harmless);
* ``ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY``: attached, sent again; pending (the attempt was
  interrupted after its first transaction), ``... DETACH PARTITION ... FINALIZE``; detached, done;
* ``ALTER TYPE ... ADD VALUE`` sent alone: ``pg_enum`` has the label, done; else sent again.

The first three kinds' repeats are sent again until an answer comes (up to ``retry_deadline``), as guarded
writes are. The last three (:data:`.questions.CONVERGING`) ask the catalog before every send, the first one
too (an earlier failure's leftovers are cleaned, a pending detach finalized), and after each lost answer,
until one comes (up to ``retry_deadline``). A second 408 stops the run, leaving no INVALID index. A
``CREATE INDEX CONCURRENTLY`` without a name is refused when the file is read
(:mod:`migrations_tasks.history.migrations`); any other kind still stops with exit 3, and the message says so.
"""

from __future__ import annotations

import contextlib
import time

from ..errors import AmbiguousWriteError, MigrationsTasksError, QueryTimeoutError, SqlError
from ..history.migrations import Migration
from ..sql import quote_literal
from ..wording import first_line
from .context import Context
from .events import Event, EventKind
from .lease import Lease
from .questions import CONVERGING, Question, finalize_sql, idle_sql, leftovers_sql, question, repeatable, state_sql
from .send import TIMEOUT_HINT, Write, deliver

__all__ = ["Question", "converge", "converges", "done_already", "drop_if_invalid", "question", "settle", "stop"]

#: How many times an index left INVALID is dropped and built again before the run gives up.
BUILDS = 3


def settle(ctx: Context, migration: Migration, held: Lease, text: str, lost: AmbiguousWriteError) -> None:
    """Settle the lost answer ``lost`` of statement ``text`` (sent alone) as the module docstring says."""
    asked, again = question(text), repeatable(text)
    if asked is None or again is None:
        raise stop(migration, lost, "it is a kind of statement whose outcome the catalog cannot tell yet")
    if asked.kind in CONVERGING:
        converge(ctx, migration, held, text, lost)
        return
    _say(ctx, migration, f"the answer was lost ({lost.message}); sending it again as `{again}`")
    for _ in range(BUILDS):
        try:
            delivery = deliver(ctx, Write(held.tag + again, f"migration {migration.version}", resendable=True))
        except QueryTimeoutError as late:
            raise _timed_out(ctx, migration, held, asked, late) from None
        if delivery.error is not None:
            raise delivery.error
        if asked.kind != "create index" or _state(ctx, migration, held, asked, lost) == "valid":
            return
        _say(ctx, migration, f"it left index {asked.index} INVALID: dropping it and building it again")
        _drop_invalid(ctx, migration, asked, lost)
    raise stop(migration, lost, f"its index {asked.index} was still INVALID after {BUILDS} builds")


def converges(text: str) -> bool:
    """Return True when ``text`` is sent through :func:`converge` (REINDEX, DETACH, ADD VALUE)."""
    asked = question(text)
    return asked is not None and asked.kind in CONVERGING


def converge(
    ctx: Context, migration: Migration, held: Lease, text: str, lost: AmbiguousWriteError | None = None
) -> None:
    """Ask the catalog what is left of ``text`` to do, send it, and again after each lost answer, until done."""
    asked = question(text)
    if asked is None:  # pragma: no cover - converges() said it has a question
        raise ValueError(text)
    deadline = time.monotonic() + ctx.settings.retry_deadline
    pause, timeouts = 0.5, 0
    while True:
        step = _next_step(ctx, migration, held, asked, text, lost)
        if step is None:
            return
        try:
            delivery = deliver(ctx, Write(held.tag + step, f"migration {migration.version}"))
        except AmbiguousWriteError as exc:
            timeouts += isinstance(exc, QueryTimeoutError)
            if timeouts > 1 and isinstance(exc, QueryTimeoutError):
                raise _timed_out(ctx, migration, held, asked, exc) from None
            if time.monotonic() + pause > deadline:
                why = f"no answer came within retry_deadline ({ctx.settings.retry_deadline:g}s)"
                raise stop(migration, exc, why) from None
            _say(ctx, migration, f"the answer was lost ({exc.message}); asking the catalog what it did")
            lost = exc
            time.sleep(pause)
            pause = min(pause * 2, 5.0)
            continue
        if delivery.error is not None:
            raise delivery.error
        if not step.startswith("DROP INDEX"):  # the statement (or its FINALIZE) answered: done
            return
        lost = None  # a leftover dropped: ask again, without waiting


def _next_step(
    ctx: Context, migration: Migration, held: Lease, asked: Question, text: str, lost: AmbiguousWriteError | None
) -> str | None:
    """Return what to send next for ``text`` (the statement, its FINALIZE, a leftover's drop), None when done."""
    state = _state(ctx, migration, held, asked, lost)
    if asked.kind == "reindex" and state:
        _say(ctx, migration, f"index {state} is an INVALID leftover of a REINDEX that failed; dropping it")
        return f"DROP INDEX CONCURRENTLY IF EXISTS {state}"
    if asked.kind == "detach" and state == "pending":
        _say(ctx, migration, f"the detach of {asked.target} is pending (interrupted); finalizing it")
        return finalize_sql(asked)
    if state in ("detached", "present"):
        if lost is not None:
            _say(ctx, migration, f"the catalog shows `{first_line(text)}` done ({state}); not sent again")
        return None
    if lost is not None:
        _say(ctx, migration, f"the catalog shows `{first_line(text)}` not done; sending it again")
    return text


def _timed_out(
    ctx: Context, migration: Migration, held: Lease, asked: Question, late: QueryTimeoutError
) -> MigrationsTasksError:
    """Return the error for a repeat that hit the API's time limit too, dropping the INVALID index it left."""
    dropped = ""
    with contextlib.suppress(SqlError, MigrationsTasksError):
        if asked.kind == "create index" and _state(ctx, migration, held, asked, late) == "invalid":
            _drop_invalid(ctx, migration, asked, late)
            dropped = f"; the INVALID index {asked.index} it left was dropped"
        elif asked.kind == "reindex":
            ctx.db.execute(idle_sql(held.holder, _wait_seconds(ctx)), write=False)
            left = _drop_leftovers(ctx, asked)
            dropped = f"; the INVALID indexes it left ({', '.join(left)}) were dropped" if left else ""
    with contextlib.suppress(MigrationsTasksError):  # the run stops here: give the lease back (else it expires)
        deliver(ctx, Write(held.release_sql(), f"the lease on migration {migration.version}", resendable=True))
    return MigrationsTasksError(
        f"{migration.path}: a statement that runs outside a transaction ran past the API's time limit twice "
        f"({late.message}){dropped}. It did not take effect and the migration is not recorded (parts of the "
        "file before it that committed stay committed).",
        hint=TIMEOUT_HINT,
    )


def _wait_seconds(ctx: Context) -> float:
    """Return how long a read waits for the holder's parts to end (it must stay under the API's 55 s limit)."""
    return min(ctx.settings.lock_wait_seconds, 45.0)


def _state(ctx: Context, migration: Migration, held: Lease, asked: Question, lost: AmbiguousWriteError | None) -> str:
    """Return what the catalog says of ``asked``; after a lost answer, first wait until it no longer runs."""
    try:
        if lost is not None:
            ctx.db.execute(idle_sql(held.holder, _wait_seconds(ctx)), write=False)
        rows = ctx.db.execute(state_sql(asked), write=False)
    except SqlError as exc:
        if lost is None:
            raise
        raise stop(migration, lost, f"the catalog could not be asked ({exc.message})") from None
    return str(rows[0].get("state") or "") if rows else "absent"


def _drop_invalid(ctx: Context, migration: Migration, asked: Question, lost: AmbiguousWriteError) -> None:
    """Drop the INVALID index a lost ``CREATE INDEX CONCURRENTLY`` left; stop the run when it cannot be."""
    try:
        drop_index(ctx, asked)
    except SqlError as exc:
        raise stop(migration, lost, f"its INVALID index {asked.index} could not be dropped ({exc.message})") from None


def _drop_leftovers(ctx: Context, asked: Question) -> list[str]:
    """Drop every INVALID ``_ccnew``/``_ccold`` index a failed ``REINDEX CONCURRENTLY`` left; return their names."""
    dropped: list[str] = []
    for _ in range(100):
        rows = ctx.db.execute(leftovers_sql(asked), write=False)
        name = str(rows[0].get("state") or "") if rows else ""
        if not name or name in dropped:
            break
        delivery = deliver(
            ctx, Write(f"DROP INDEX CONCURRENTLY IF EXISTS {name}", f"the drop of {name}", resendable=True)
        )
        if delivery.error is not None:
            raise delivery.error
        dropped.append(name)
    return dropped


def drop_index(ctx: Context, asked: Question) -> str:
    """Drop the index ``asked`` names, concurrently and alone (it cannot run in a transaction); return its name."""
    table = quote_literal(asked.table)
    schema = f"(SELECT t.relnamespace FROM pg_catalog.pg_class t WHERE t.oid = pg_catalog.to_regclass({table}))"
    rows = ctx.db.execute(
        f"SELECT pg_catalog.format('%I.%I', n.nspname, {quote_literal(asked.index)}) AS name "
        f"FROM pg_catalog.pg_namespace n WHERE n.oid = {schema}",
        write=False,
    )
    name = str(rows[0]["name"]) if rows else asked.index
    drop = f"DROP INDEX CONCURRENTLY IF EXISTS {name}"
    delivery = deliver(ctx, Write(drop, f"the drop of {name}", resendable=True))
    if delivery.error is not None:
        raise delivery.error
    return name


def done_already(ctx: Context, text: str) -> bool:
    """Return True when the catalog shows statement ``text`` done (a valid index; a dropped one)."""
    asked = question(text)
    if asked is None or asked.kind not in ("create index", "drop index"):
        return False
    if asked.kind == "drop index":
        rows = ctx.db.execute(
            f"SELECT pg_catalog.to_regclass({quote_literal(asked.index)}) IS NULL AS gone", write=False
        )
        return bool(rows and rows[0].get("gone"))
    rows = ctx.db.execute(state_sql(asked), write=False)
    return bool(rows and rows[0].get("state") == "valid")


def drop_if_invalid(ctx: Context, text: str) -> str | None:
    """Drop the INVALID index(es) the statement ``text`` left, if any (CREATE INDEX, REINDEX); return their names.

    An index still being built (``pg_stat_progress_create_index``) is left alone.
    """
    asked = question(text)
    if asked is not None and asked.kind == "reindex":
        return ", ".join(_drop_leftovers(ctx, asked)) or None
    if asked is None or asked.kind != "create index":
        return None
    rows = ctx.db.execute(state_sql(asked), write=False)
    if not rows or rows[0].get("state") != "invalid":
        return None
    return drop_index(ctx, asked)


def _say(ctx: Context, migration: Migration, text: str) -> None:
    ctx.emit(
        Event(
            EventKind.WARNING, f"Migration {migration.version}, a statement outside a transaction: {text}.", migration
        )
    )


def stop(migration: Migration, lost: AmbiguousWriteError, why: str) -> MigrationsTasksError:
    """Return the error that stops the run when a lost answer cannot be settled (exit 3)."""
    return MigrationsTasksError(
        f"{migration.path}: the connection failed while a statement that runs outside a transaction was in "
        f"flight ({lost.message}), and it cannot be settled: {why}.",
        hint=f"Check whether it ran, finish the migration by hand, then run "
        f"`inv db.repair --status applied {migration.version}`.",
    )
