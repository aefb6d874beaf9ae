"""Settle a lost answer of a statement that runs outside a transaction, and check what it left in the catalog.

Such a statement has no guard, so it is not sent again as written. After a lost answer (a dropped
connection, a 503, a 5xx, a 408), a kind with a settle question is sent again in a form a repeat cannot
hurt, then the catalog is asked what it left:

* ``CREATE [UNIQUE] INDEX CONCURRENTLY name``: sent again with ``IF NOT EXISTS``; once no session runs a part
  of the lease's holder any more (each carries its tag, :mod:`.lease`), the index must be valid; an INVALID
  one (the build failed or was cancelled: ``IF NOT EXISTS`` skips it) is dropped concurrently and built
  again, up to three times;
* ``DROP INDEX CONCURRENTLY name``: sent again with ``IF EXISTS``;
* ``VACUUM``, ``ANALYZE``: sent again (repeating them is harmless).

These repeats are sent at once and again until an answer comes (up to ``retry_deadline``), as guarded writes
are. Any other kind (an index without a name, ``REINDEX CONCURRENTLY``, ``DETACH PARTITION CONCURRENTLY``...)
has no settle question yet: the run stops with exit 3, and the message says so.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from ..errors import AmbiguousWriteError, MigrationsTasksError, QueryTimeoutError, SqlError
from ..history.lease import TAG_MARK
from ..history.migrations import Migration
from ..sql import quote_literal
from .context import Context
from .events import Event, EventKind
from .lease import Lease
from .send import TIMEOUT_HINT, Write, deliver, wait_until_idle_sql


@dataclass(frozen=True)
class Question:
    """What to ask the catalog about a statement: its kind, the index it names and the table it is on."""

    kind: str  # "create index", "drop index" or "repeat"
    index: str = ""
    #: The table as written (CREATE INDEX): the index lives in its schema.
    table: str = ""


def question(text: str) -> Question | None:
    """Return the catalog question that settles ``text``, or None when it has none."""
    import pglast
    from pglast import ast
    from pglast.stream import RawStream

    try:
        nodes = pglast.parse_sql(text)
    except pglast.parser.ParseError:
        return None
    node = nodes[0].stmt if len(nodes) == 1 else None
    if isinstance(node, ast.IndexStmt) and node.concurrent and node.idxname and node.relation is not None:
        return Question("create index", str(node.idxname), RawStream()(node.relation))
    if isinstance(node, ast.DropStmt) and node.concurrent and node.objects and len(node.objects) == 1:
        name = ".".join(str(part.sval) for part in node.objects[0])
        return Question("drop index", name)
    if isinstance(node, ast.VacuumStmt):
        return Question("repeat")
    return None


def state_sql(asked: Question) -> str:
    """Return a read whose ``state`` is ``valid``, ``building``, ``invalid`` or ``absent`` for CREATE INDEX's index."""
    return (
        "SELECT coalesce((SELECT CASE WHEN i.indisvalid THEN 'valid' WHEN EXISTS (SELECT 1 FROM "
        "pg_catalog.pg_stat_progress_create_index b WHERE b.index_relid = i.indexrelid) THEN 'building' "
        "ELSE 'invalid' END "
        "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid "
        f"WHERE c.relname = {quote_literal(asked.index)} AND c.relnamespace = (SELECT t.relnamespace "
        f"FROM pg_catalog.pg_class t WHERE t.oid = pg_catalog.to_regclass({quote_literal(asked.table)}))), "
        "'absent') AS state"
    )


def idle_sql(held: Lease, seconds: float) -> str:
    """Return a statement that waits until no other session runs a part of ``held`` (else LOCK_BUSY)."""
    running = (
        "EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity WHERE pid <> pg_catalog.pg_backend_pid() "
        f"AND state <> 'idle' AND position({quote_literal(f'{TAG_MARK} {held.holder} ')} IN query) > 0)"
    )
    return wait_until_idle_sql(running, seconds, "the statement")


def repeatable(text: str) -> str | None:
    """Return ``text`` in a form a repeat cannot hurt (``IF NOT EXISTS``, ``IF EXISTS``), or None."""
    import pglast
    from pglast import ast
    from pglast.stream import RawStream

    if question(text) is None:
        return None
    node = pglast.parse_sql(text)[0].stmt
    if node is None:  # pragma: no cover - question() parsed it
        return None
    if isinstance(node, ast.IndexStmt):
        node.if_not_exists = True
    elif isinstance(node, ast.DropStmt):
        node.missing_ok = True
    return str(RawStream()(node))


#: How many times an index left INVALID is dropped and built again before the run gives up.
BUILDS = 3


def settle(ctx: Context, migration: Migration, held: Lease, text: str, lost: AmbiguousWriteError) -> None:
    """Settle the lost answer ``lost`` of statement ``text`` (sent alone) as the module docstring says."""
    asked, again = question(text), repeatable(text)
    if asked is None or again is None:
        raise stop(migration, lost, "it is a kind of statement whose outcome the catalog cannot tell yet")
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


def _timed_out(
    ctx: Context, migration: Migration, held: Lease, asked: Question, late: QueryTimeoutError
) -> MigrationsTasksError:
    """Return the error for a repeat that hit the API's time limit too, dropping the INVALID index it left."""
    dropped = ""
    if asked.kind == "create index" and _state(ctx, migration, held, asked, late) == "invalid":
        _drop_invalid(ctx, migration, asked, late)
        dropped = f"; the INVALID index {asked.index} it left was dropped"
    with contextlib.suppress(MigrationsTasksError):  # the run stops here: give the lease back (else it expires)
        deliver(ctx, Write(held.release_sql(), f"the lease on migration {migration.version}", resendable=True))
    return MigrationsTasksError(
        f"{migration.path}: a statement that runs outside a transaction ran past the API's time limit twice "
        f"({late.message}){dropped}. It did not take effect and the migration is not recorded (parts of the "
        "file before it that committed stay committed).",
        hint=TIMEOUT_HINT,
    )


def _state(ctx: Context, migration: Migration, held: Lease, asked: Question, lost: AmbiguousWriteError) -> str:
    """Wait until the statement no longer runs, then return what the catalog says (``repeat``: nothing to ask)."""
    seconds = min(ctx.settings.lock_wait_seconds, 45.0)  # a read must stay under the API's 55 s limit
    try:
        ctx.db.execute(idle_sql(held, seconds), write=False)
        rows = ctx.db.execute(state_sql(asked), write=False)
    except SqlError as exc:
        raise stop(migration, lost, f"the catalog could not be asked ({exc.message})") from None
    return str(rows[0].get("state")) if rows else "absent"


def _drop_invalid(ctx: Context, migration: Migration, asked: Question, lost: AmbiguousWriteError) -> None:
    """Drop the INVALID index a lost ``CREATE INDEX CONCURRENTLY`` left; stop the run when it cannot be."""
    try:
        drop_index(ctx, asked)
    except SqlError as exc:
        raise stop(migration, lost, f"its INVALID index {asked.index} could not be dropped ({exc.message})") from None


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
    if asked is None or asked.kind == "repeat":
        return False
    if asked.kind == "drop index":
        rows = ctx.db.execute(
            f"SELECT pg_catalog.to_regclass({quote_literal(asked.index)}) IS NULL AS gone", write=False
        )
        return bool(rows and rows[0].get("gone"))
    rows = ctx.db.execute(state_sql(asked), write=False)
    return bool(rows and rows[0].get("state") == "valid")


def drop_if_invalid(ctx: Context, text: str) -> str | None:
    """Drop the INVALID index the ``CREATE INDEX CONCURRENTLY`` ``text`` names, if there is one; return its name.

    An index still being built (``pg_stat_progress_create_index``) is left alone.
    """
    asked = question(text)
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
