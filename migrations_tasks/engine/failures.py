"""Name the statement a failed request died on, and say what failed, what remains and what to do.

The error's position (direct connections) or ``LINE n`` (the Management API) points at a part of the
request. When the server gave neither, prefixes of the request are replayed in requests that always roll
back (a binary search, only after a failure, at most :data:`MAX_PROBES` requests).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import MigrationFailed, MigrationFileError, RollbackFailed, SqlError, TransportError
from ..history import ledger
from ..history.migrations import Migration
from ..history.sqlfile import Statement
from ..wording import first_line
from .context import Context
from .request import Request
from .results import RollbackStep

MAX_PROBES = 12


@dataclass(frozen=True)
class Located:
    """Which statement of a request failed (None: unknown), its line in the file, and the probes it took."""

    statement: Statement | None
    line: int | None
    probes: int = 0


def locate(ctx: Context, request: Request, error: SqlError, sent: Request | None = None) -> Located:
    """Return the statement ``error`` comes from, replaying prefixes when the server did not say.

    ``sent`` is the request the error's position refers to when it carried more than ``request`` (a batch).
    """
    if sent is not None and sent is not request:
        in_batch = sent.locate(error)
        if in_batch is not None:
            return Located(*in_batch)
        if error.position is not None or error.line is not None:
            return Located(None, None)  # it points at one of our own statements
    found = request.locate(error)
    statements = request.statements()
    if found is None and len(statements) == 1:
        found = statements[0], statements[0].line
    elif found is None and len(statements) > 1 and error.sqlstate:
        return _bisect(ctx, request, error)
    return Located(*found) if found else Located(None, None)


def _bisect(ctx: Context, request: Request, error: SqlError) -> Located:
    """Find the first statement that fails, replaying prefixes that always roll back."""
    statements = request.statements()
    prefix = [p for p in request.parts if p.statement is None][:2]
    # The failing statement's index is in [low, high]; high == len(statements) means "at commit".
    low, high = 0, len(statements)
    probes = 0
    while low < high and probes < MAX_PROBES:
        middle = (low + high) // 2
        probe = Request()
        for part in prefix:
            probe.add(part.text)
        for statement in statements[: middle + 1]:
            probe.add(statement.text, statement)
        probe.add(ledger.probe_end_sql())
        probes += 1
        try:
            ctx.db.execute(probe.sql, write=False)  # always rolled back: safe to repeat
        except TransportError:
            return Located(None, None, probes)  # keep the real error; locating it is only a courtesy
        except SqlError as exc:
            if exc.sqlstate == ledger.PROBE_DONE:
                low = middle + 1
                continue
            if exc.sqlstate != error.sqlstate:
                return Located(None, None, probes)
            high = middle
            continue
        return Located(None, None, probes)  # a probe must never succeed; stop guessing
    if low == high and low < len(statements):
        return Located(statements[low], statements[low].line, probes)
    return Located(None, None, probes)


def _describe(head: str, located: Located, error: SqlError) -> list[str]:
    """Return the lines every failure message shares: the heading, the statement, PostgreSQL's error."""
    parts = [head]
    if located.statement is not None:
        parts.append(f"  {first_line(located.statement.text)}")
    parts.extend("  " + line for line in error.describe().splitlines())
    if error.context:
        parts.append(f"  CONTEXT: {error.context.splitlines()[0]}")
    if located.probes:
        parts.append(f"  (statement located with {located.probes} diagnostic requests, all rolled back)")
    return parts


def apply_failure(
    ctx: Context,
    migration: Migration,
    request: Request,
    error: SqlError,
    done: list[Statement],
    remaining: list[Request],
    sent: Request | None = None,
) -> MigrationFailed:
    """Return the error for a migration whose request failed (``done``: its statements committed before).

    ``sent`` is the request that failed when it carried more than this migration (a batch).
    """
    located = locate(ctx, request, error, sent)
    where = ""
    if located.statement is not None:
        number = migration.statements.index(located.statement) + 1
        where = f" at line {located.line} (statement {number} of {len(migration.statements)})"
    parts = _describe(f"Migration {migration.filename} failed{where}:", located, error)
    own = (sent or request).part_at(error)
    if located.statement is None and own is not None and own.statement is None:
        parts.append(f"  (it failed in migrations-tasks' own {own.role} statement, not in the file's SQL)")
    elif located.statement is None and request.statements():
        parts.append(
            "  (the server did not say which statement failed; it may be a deferred constraint checked at commit)"
        )
    if error.sqlstate == INVALID_TERMINATION:
        parts.append(
            "  (a COMMIT or ROLLBACK inside a DO block or procedure cannot run here: every migration runs in one "
            "transaction with its lock and ledger row; write the work as statements of the file, and split it "
            "into one migration per transaction it needs)"
        )
    hint = "Nothing of this migration was applied. Fix the file and run db.apply again."
    if not migration.atomic:
        hint = _unfinished(migration, request, error, done, remaining)
        if error.sqlstate == IN_TRANSACTION_BLOCK and _outside_transaction(request):
            parts.append(
                "  (the endpoint runs every request in a transaction block: it puts its own "
                "`SET statement_timeout ...;` before the query, so a statement that cannot run in a transaction "
                "cannot run through it, whatever the file says)"
            )
    return MigrationFailed(
        "\n".join(parts),
        version=migration.version,
        path=str(migration.path),
        line=located.line,
        sql_error=error,
        hint=hint,
    )


#: "cannot run inside a transaction block".
IN_TRANSACTION_BLOCK = "25001"
#: "invalid transaction termination": a COMMIT or ROLLBACK where the transaction is not its to end.
INVALID_TERMINATION = "2D000"


def _outside_transaction(request: Request) -> bool:
    """Return True for a request of statements sent alone, outside a transaction (no lock, no guard)."""
    return bool(request.statements()) and all(p.role != "lock and guard" for p in request.parts)


def _unfinished(
    migration: Migration, request: Request, error: SqlError, done: list[Statement], remaining: list[Request]
) -> str:
    """Return what to do after a unit of a migration that runs outside one transaction failed."""
    left = [s.line for r in remaining for s in r.statements()]
    not_run = f"; lines {', '.join(map(str, left))} did not run" if left else ""
    repair = f"`inv db.repair --status applied {migration.version}`"
    if error.sqlstate == IN_TRANSACTION_BLOCK and _outside_transaction(request):
        if done:
            ran = ", ".join(str(s.line) for s in done)
            return (
                f"The failing statement did not run; lines {ran} ran and are committed{not_run}. Editing the file "
                f"cannot fix this. Run the rest by hand over a direct connection (psql), then record it with {repair}."
            )
        return (
            f"The failing statement did not run; nothing of it ran{not_run}. Editing the file cannot fix this. "
            "Apply it over a direct connection (`--transport postgres` with SUPABASE_DB_URL), which sends it alone, "
            f"or run it by hand (psql) and record it with {repair}."
        )
    if not done:
        return (
            "This migration runs outside a single transaction; nothing of it is committed (the failing unit "
            f"was rolled back{not_run}). Fix the file and run db.apply again (a failed CREATE INDEX "
            "CONCURRENTLY may leave an invalid index: drop it first)."
        )
    ran = ", ".join(str(s.line) for s in done)
    return (
        f"This migration runs outside a single transaction: the statements starting at lines {ran} "
        f"ran and are committed; the failing unit was rolled back{not_run}. Finish by hand, then record it "
        f"with {repair}."
    )


def rollback_failure(ctx: Context, step: RollbackStep, error: SqlError, sent: Request | None = None) -> RollbackFailed:
    """Return the error for a rollback whose request failed (nothing of it was applied)."""
    located = locate(ctx, step.request, error, sent)
    down = step.down
    where = ""
    if located.statement is not None and down is not None:
        place = f"{down.path}:{located.line}" if down.path is not None else down.where(located.statement)
        where = f" at {place}"
    parts = _describe(f"Rollback of {step.label} failed{where}:", located, error)
    return RollbackFailed(
        "\n".join(parts),
        version=step.version,
        path=str(down.path) if down and down.path else None,
        line=located.line,
        sql_error=error,
        hint=f"Nothing of this rollback was applied: the schema and the ledger row of {step.version} are "
        "unchanged. Fix the down SQL and run db.rollback again.",
    )


def too_large(label: str, file_bytes: int, size: int, limit: int, path: str | None) -> MigrationFileError:
    """Return the error for a file whose request would be over the API's body limit (nothing was sent)."""
    return MigrationFileError(
        f"{label}: the request that carries it is {size:,} bytes (the file is {file_bytes:,} bytes; the ledger "
        f"row keeps a copy of what runs), over the {limit:,}-byte limit of a Management API request "
        "(migrations.request_max_bytes); nothing was written.",
        path=path,
        hint="Apply it over a direct connection (`--transport postgres` with SUPABASE_DB_URL), "
        "or split the file into smaller migrations.",
    )
