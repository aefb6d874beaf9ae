"""Apply pending migrations in version order, each atomically with its ledger row; stop at the first failure.

Each migration is one transaction holding the migration lock, a guard that aborts when the version is
already recorded, the migration's statements and its ledger row: they commit together or not at all, and
concurrent runs apply it exactly once. Consecutive migrations share a request (:mod:`.steps`, in the form of
:mod:`.batch`), each still its own transaction. A migration that cannot run in one transaction is one
request per unit (see :mod:`migrations_tasks.history.migrations`); its ledger row goes with its last transactional
unit.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping, Sequence

from ..errors import (
    AmbiguousWriteError,
    HistoryConflict,
    MigrationFailed,
    MigrationsTasksError,
    SqlError,
)
from ..history import ledger
from ..history.lease import LEASE_LOST, PART_DONE
from ..history.migrations import Migration
from ..history.sqlfile import Statement
from ..history.status import OUT_OF_ORDER_MESSAGE, REMOTE_ONLY_MESSAGE, Comparison, Status
from ..wording import first_line
from . import lease, settle
from .context import Context
from .events import Event, EventKind
from .failures import apply_failure, too_large
from .request import Request
from .results import Outcome, OutcomeStatus
from .send import Delivery, Write, deliver, recorded, send
from .steps import Flow, Share

#: A migration's requests: (request, whether it records the ledger row).
Requests = list[tuple[Request, bool]]


class AlreadyApplied(Exception):
    """The guard found the version in the ledger."""


def migration_requests(ctx: Context, migration: Migration, columns: Mapping[str, ledger.Column]) -> Requests:
    """Return the requests that apply ``migration``: (request, records the ledger row).

    A migration of several requests first takes its lease (:mod:`.lease`), renews it in each transactional
    part, tags each part that runs outside a transaction with its holder, and gives it back with the row.
    """
    lock, guarded = ctx.lock_sql(), ctx.lock_sql(absent=migration.version)
    insert = ledger.insert_sql(
        columns,
        version=migration.version,
        name=migration.name,
        statements=migration.texts,
        created_by=ctx.settings.created_by,
        rollback=migration.down.texts if migration.down else None,
    )
    held = lease.of(ctx, migration)
    requests: Requests = []
    units = migration.units
    for index, unit in enumerate(units):
        request = Request()
        last = index == len(units) - 1
        if unit.transactional:
            request.add(guarded if index == 0 or last else lock, role="lock and guard")
            if held is not None:  # the part's number: its request's, after the one taking the lease
                request.add(held.renew_sql(part=index + 1), role="lease")
        tag = held.tag if held is not None and not unit.transactional else ""
        for statement in unit.statements:
            request.add(tag + statement.text, statement)
        records = last and unit.transactional
        if records:
            _record(request, insert, held)
        requests.append((request, records))
    if not requests or not requests[-1][1]:
        final = Request().add(guarded, role="lock and guard")
        if held is not None:
            final.add(held.renew_sql(), role="lease")
        requests.append((_record(final, insert, held), True))
    if held is not None:
        requests.insert(0, (Request().add(guarded, role="lock and guard").add(held.take_sql(), role="lease"), False))
    return requests


def _record(request: Request, insert: str, held: lease.Lease | None) -> Request:
    """Add the ledger row to ``request``, and the lease's release when there is one."""
    request.add(insert, role="ledger row")
    return request.add(held.release_sql(), role="lease") if held is not None else request


def refuse_conflicts(plan: Comparison, include_all: bool) -> None:
    """Raise HistoryConflict when the plan has conflicts that block an apply."""
    blocking = plan.blocking_conflicts(include_all)
    if not blocking:
        return
    lines: list[str] = []
    hints: list[str] = []
    remote = [e for e in blocking if e.status is Status.REMOTE_ONLY]
    late = [e for e in blocking if e.status is Status.OUT_OF_ORDER]
    changed = [e for e in blocking if e.status is Status.CHANGED]
    if remote:
        lines.append(f"{REMOTE_ONLY_MESSAGE} ({', '.join(e.version for e in remote)})")
        hints.append("restore the missing files, or mark them reverted with `inv db.repair --status reverted VERSION`")
    if late:
        lines.append(f"{OUT_OF_ORDER_MESSAGE} ({', '.join(e.version for e in late)})")
        hints.append("rerun with --include-all to apply them anyway")
    if changed:
        lines.append(
            "Applied migrations were edited after they were applied: "
            + ", ".join(f"{e.version}_{e.name}.sql" for e in changed)
        )
        hints.append(
            "put the change in a new migration and restore the applied file "
            "(or record the edit with `inv db.repair --status applied VERSION`)"
        )
    raise HistoryConflict("\n".join(lines), hint="; ".join(hints) + ".")


class ApplyFlow(Flow):
    """Pending migrations, for the runner of :mod:`.steps`."""

    refusal = ledger.ALREADY_APPLIED

    def __init__(self, ctx: Context, migrations: Sequence[Migration], columns: Mapping[str, ledger.Column]) -> None:
        self.migrations = list(migrations)
        #: Each migration's requests (an atomic migration has one, which a batch can carry).
        self.units = [migration_requests(ctx, m, columns) for m in self.migrations]
        super().__init__(ctx, [m.version for m in self.migrations], [u[0][0] for u in self.units])

    def alone(self, index: int) -> bool:
        """Return True for a migration that does not run in one transaction."""
        return not self.migrations[index].atomic

    def one(self, index: int) -> Outcome:
        """Apply migration ``index`` in requests of its own."""
        return apply_one(self.ctx, self.migrations[index], self.units[index])

    def done(self, index: int, recorded: set[str]) -> bool:
        """Return whether the ledger records migration ``index``."""
        return self.version(index) in recorded

    def finished(self, index: int, share: Share) -> Outcome:
        """Report migration ``index`` applied by this run."""
        migration = self.migrations[index]
        self.ctx.emit(Event(EventKind.START, migration=migration))
        self.ctx.emit(Event(EventKind.APPLIED, migration=migration, seconds=share.seconds))
        return Outcome(migration.version, migration.name, OutcomeStatus.APPLIED, share.seconds, share.take())

    def skipped(self, index: int, share: Share) -> Outcome:
        """Report migration ``index`` as applied by another run."""
        migration = self.migrations[index]
        self.ctx.emit(Event(EventKind.START, migration=migration))
        self.ctx.emit(Event(EventKind.SKIPPED, "already applied by another run", migration, share.seconds))
        return Outcome(migration.version, migration.name, OutcomeStatus.ALREADY_APPLIED, share.seconds, share.take())

    def failure(self, index: int, error: SqlError, sent: Request) -> MigrationsTasksError:
        """Return the error naming the migration's file, statement, line and SQLSTATE."""
        self.ctx.emit(Event(EventKind.START, migration=self.migrations[index]))
        return apply_failure(self.ctx, self.migrations[index], self.request(index), error, [], [], sent)

    def busy(self, index: int) -> str:
        """Return "Migration 3 was not applied"."""
        return f"Migration {self.version(index)} was not applied"


def check_sizes(ctx: Context, flow: ApplyFlow) -> None:
    """Refuse, before anything is written, a migration whose request is over the transport's size limit."""
    limit = ctx.db.max_request_bytes
    if limit is None:
        return
    for migration, requests in zip(flow.migrations, flow.units):
        size = max(ctx.db.request_bytes(r.sql) for r, _ in requests)
        if size > limit:
            raise too_large(migration.path.name, migration.path.stat().st_size, size, limit, str(migration.path))


def apply_one(ctx: Context, migration: Migration, requests: Requests) -> Outcome:
    """Apply one migration (its requests, in order, under its lease when it has one); return what happened."""
    ctx.emit(Event(EventKind.START, migration=migration))
    started = time.perf_counter()
    before = ctx.db.requests
    done: list[Statement] = []
    held = lease.of(ctx, migration)
    position = 0
    try:
        if held is not None:  # its first request takes the lease
            first = requests[0][0]
            lease.take(ctx, migration, held, lambda: _send(ctx, first, migration, False, resendable=True))
        for position in range(1 if held is not None else 0, len(requests)):
            request, records = requests[position]
            if held is not None and position <= (held.resumed_from or 0):  # the stopped run committed it
                done.extend(request.statements())
                continue
            if held is not None and not _transactional(request) and held.stale():
                _renew(ctx, migration, held)
            _part(ctx, request, migration, records, held)
            done.extend(request.statements())
    except AlreadyApplied:
        if done or (held is not None and held.touched):
            raise MigrationFailed(
                f"{migration.path}: another run recorded migration {migration.version} while this run "
                "was applying its parts; both ran its committed parts.",
                version=migration.version,
                path=str(migration.path),
                hint="Inspect the schema; this can only happen to migrations that run outside one transaction.",
            ) from None
        seconds = time.perf_counter() - started
        ctx.emit(Event(EventKind.SKIPPED, "already applied by another run", migration, seconds))
        status = OutcomeStatus.ALREADY_APPLIED
        return Outcome(migration.version, migration.name, status, seconds, ctx.db.requests - before)
    except SqlError as exc:
        raise _failed(ctx, migration, requests, position, exc, done, held) from None
    seconds = time.perf_counter() - started
    ctx.emit(Event(EventKind.APPLIED, migration=migration, seconds=seconds))
    return Outcome(migration.version, migration.name, OutcomeStatus.APPLIED, seconds, ctx.db.requests - before)


def _part(ctx: Context, request: Request, migration: Migration, records: bool, held: lease.Lease | None) -> None:
    """Send one part; a lost answer is settled: a transactional part is sent again (its lease says if it
    committed), a statement sent alone through the catalog (:mod:`.settle`)."""
    transactional = _transactional(request)
    counted = held is not None and transactional and not records  # it advances the lease's part count
    if held is not None and not transactional and len(request.statements()) == 1:
        text = request.statements()[0].text
        if settle.converges(text):  # REINDEX, DETACH, ADD VALUE: the catalog says what is left to send
            settle.converge(ctx, migration, held, text)
            return
        if held.resumed_from is not None and settle.done_already(ctx, text):
            ctx.emit(
                Event(
                    EventKind.INFO,
                    f"Migration {migration.version}: the catalog shows `{first_line(text)}` "
                    "done by the run that stopped; not run again.",
                    migration,
                )
            )
            return
        _no_silent_invalid(ctx, migration, text)
    try:
        _send(ctx, request, migration, records, resendable=counted, done_state=PART_DONE if counted else None)
    except AmbiguousWriteError as exc:
        statements = request.statements()
        if held is None or transactional or len(statements) != 1:
            raise
        settle.settle(ctx, migration, held, statements[0].text, exc)


def _no_silent_invalid(ctx: Context, migration: Migration, text: str) -> None:
    """Before a ``CREATE INDEX CONCURRENTLY``, drop an INVALID index of its name (IF NOT EXISTS would skip it)."""
    dropped = settle.drop_if_invalid(ctx, text)
    if dropped:
        ctx.emit(
            Event(
                EventKind.WARNING,
                f"Migration {migration.version}: index {dropped} was INVALID (an earlier build failed or was "
                "cancelled); dropped it, building it again.",
                migration,
            )
        )


def _transactional(request: Request) -> bool:
    """Return True for a request that runs in one transaction (it takes the migration lock)."""
    return any(p.role == "lock and guard" for p in request.parts)


def _renew(ctx: Context, migration: Migration, held: lease.Lease) -> None:
    """Renew ``held`` in a request of its own (before a part that runs outside a transaction)."""
    send(ctx, Write(held.renew_sql(), f"the lease on migration {migration.version}", resendable=True))
    held.touch()


def _failed(
    ctx: Context,
    migration: Migration,
    requests: Requests,
    failing: int,
    exc: SqlError,
    done: list[Statement],
    held: lease.Lease | None,
) -> MigrationsTasksError:
    """Return the error for request ``failing`` failing; give the lease back (the run stops here)."""
    if exc.sqlstate == LEASE_LOST:
        return lease.lost(migration, exc)
    request = requests[failing][0]
    error = apply_failure(ctx, migration, request, exc, done, [r for r, _ in requests[failing + 1 :]])
    if held is not None and not _transactional(request) and len(request.statements()) == 1:
        with contextlib.suppress(MigrationsTasksError):  # else the message's hint says to drop it
            dropped = settle.drop_if_invalid(ctx, request.statements()[0].text)
            if dropped:
                error.message += f"\n  (the INVALID index {dropped} it left was dropped)"
    if held is not None and held.touched:
        with contextlib.suppress(MigrationsTasksError):  # else it expires on its own
            send(ctx, Write(held.release_sql(), f"the lease on migration {migration.version}", resendable=True))
    return error


def _send(
    ctx: Context,
    request: Request,
    migration: Migration,
    records: bool,
    *,
    resendable: bool = False,
    done_state: str | None = None,
) -> Delivery:
    """Send one of a migration's requests; a guarded one (it records the row) is settled when lost."""
    write = Write(
        request.sql,
        f"migration {migration.version}",
        settle=(lambda: recorded(ctx, migration.version)) if records else None,
        resendable=records or resendable,
        busy=f"Migration {migration.version} was not applied",
        migration=migration,
        done_state=ledger.ALREADY_APPLIED if records else done_state,
    )
    delivery = deliver(ctx, write)  # a lost answer of a write that cannot be resent goes up (:func:`_part`)
    error = delivery.error
    if error is None:
        return delivery
    if error.sqlstate != ledger.ALREADY_APPLIED:
        raise error
    raise AlreadyApplied()
