"""The engine: check, apply, roll back and repair migrations through the :class:`Database` protocol.

It never knows which transport it has. Requests: one to read the ledger, one to create it when missing,
one per ``batch_size`` consecutive migrations or rollback steps (see :mod:`.steps`; each still its own
transaction), one per repair (:mod:`.repair`). Every write goes through :mod:`.send`, which settles lost
answers through the ledger.
A run stops at the first failure, or at a migration boundary once ``should_stop`` asks it to; its result
(:attr:`Engine.result`, :attr:`Engine.rollback_result`) says what was done, also after an exception.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from ..config.settings import Settings
from ..history import ledger
from ..history.migrations import LocalMigrations, Migration
from ..history.status import Comparison, build, select_rollback
from ..progress import ShouldStop, never
from ..transport.database import Database
from .apply import ApplyFlow, check_sizes, refuse_conflicts
from .context import Context
from .events import EventSink, ignore
from .repair import repair
from .results import ApplyResult, Outcome, OutcomeStatus, RepairResult, RollbackResult
from .rollback import RollbackFlow, check_down, check_step_sizes, rollback_step
from .send import add_rollback_column, create_ledger, recorded
from .steps import run_steps

#: Picks the migrations to apply from the pending ones: (to apply, [(version, why it waits)]).
Select = Callable[[list[Migration]], tuple[list[Migration], list[tuple[str, str]]]]


class Measure:
    """Requests and seconds spent since it was made; recorded on a result, also after an exception."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.started = time.perf_counter()
        self.before = ctx.db.requests

    def onto(self, result: ApplyResult | RollbackResult | RepairResult) -> None:
        """Record the requests and seconds so far on ``result``."""
        result.requests = self.ctx.db.requests - self.before
        result.seconds = time.perf_counter() - self.started


class Engine:
    """Check, apply, roll back and repair migrations against one database."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        on_event: EventSink | None = None,
        should_stop: ShouldStop | None = None,
    ) -> None:
        self.ctx = Context(db, settings, on_event or ignore, should_stop or never)
        #: The apply in progress (or last finished), also when it ended with an exception.
        self.result: ApplyResult | None = None
        #: The rollback in progress (or last finished), also when it ended with an exception.
        self.rollback_result: RollbackResult | None = None

    @property
    def db(self) -> Database:
        """Return the database the engine talks to."""
        return self.ctx.db

    def read_ledger(self) -> ledger.Ledger:
        """Read the ledger in one request; a missing table is an empty history."""
        return self.ctx.read_ledger()

    def check(self, local: LocalMigrations) -> Comparison:
        """Return every version's status (one request)."""
        return build(local.migrations, self.ctx.read_ledger())

    def create_ledger(self) -> None:
        """Create the ledger as the Supabase CLI does (idempotent)."""
        create_ledger(self.ctx)

    def committed(self, version: str) -> bool:
        """Return whether ``version`` is recorded, after any in-flight write of it has finished."""
        return recorded(self.ctx, version)

    def apply(
        self,
        local: LocalMigrations,
        *,
        include_all: bool = False,
        dry_run: bool = False,
        select: Select | None = None,
    ) -> ApplyResult:
        """Apply pending migrations in version order; stop at the first failure.

        ``select`` (a release phase: :mod:`migrations_tasks.lint.phase_plan`) picks, before anything is
        written, which of them to apply; it returns those and the others with why they wait, or raises.
        """
        ctx = self.ctx
        measure = Measure(ctx)
        current = ctx.read_ledger()
        result = self.result = ApplyResult(plan=build(local.migrations, current), dry_run=dry_run)
        try:
            refuse_conflicts(result.plan, include_all)
            todo = result.plan.to_apply(include_all)
            if select is not None:
                todo, result.waiting = select(todo)
            columns = dict(current.columns) if current.exists else dict(ledger.CLI_COLUMNS)
            add_rollback = (any(m.down for m in todo) or not current.exists) and "rollback" not in columns
            if add_rollback:
                columns["rollback"] = ledger.ROLLBACK_COLUMN
            flow = ApplyFlow(ctx, todo, columns)
            check_sizes(ctx, flow)
            if dry_run:
                for migration, requests in zip(flow.migrations, flow.units):
                    result.sql.append((migration, [r.sql for r, _ in requests]))
                    result.outcomes.append(Outcome(migration.version, migration.name, OutcomeStatus.WOULD_APPLY))
                return result
            if todo and not current.exists:  # a new ledger always gets the column: every ledger alike
                create_ledger(ctx)
            elif add_rollback and not add_rollback_column(ctx):
                del columns["rollback"]
                flow = ApplyFlow(ctx, todo, columns)
            run_steps(ctx, flow, result.outcomes)
        finally:
            measure.onto(result)
        return result

    def rollback(
        self,
        local: LocalMigrations,
        *,
        steps: int | None = None,
        to: str | None = None,
        version: str | None = None,
        force: bool = False,
        record_only: bool = False,
        dry_run: bool = False,
    ) -> RollbackResult:
        """Undo applied migrations, newest first, each atomically; stop at the first failure.

        Each step holds the migration lock, a guard that the version is still recorded (so concurrent
        rollbacks never undo a migration twice), a guard that nothing newer is recorded (unless one version is
        rolled back with ``force``), the down SQL and the deletion of the ledger row, in a transaction of its
        own; consecutive steps share a request. Every down SQL is found and parsed before the first write.
        """
        ctx = self.ctx
        measure = Measure(ctx)
        plan = build(local.migrations, ctx.read_ledger())
        selection = select_rollback(plan, steps=steps, to=to, version=version, force=force)
        result = self.rollback_result = RollbackResult(dry_run, record_only, warnings=list(selection.warnings))
        try:
            alone = version is not None and force
            result.steps = [rollback_step(ctx, e, record_only, alone, result.warnings) for e in selection.entries]
            check_down(result.steps, record_only)
            flow = RollbackFlow(ctx, result.steps)
            check_step_sizes(ctx, flow)
            if dry_run:
                result.outcomes = [Outcome(s.version, s.name, OutcomeStatus.WOULD_ROLL_BACK) for s in result.steps]
                return result
            run_steps(ctx, flow, result.outcomes)
        finally:
            measure.onto(result)
        return result

    def repair(
        self, local: LocalMigrations, status: str, versions: Sequence[str], *, dry_run: bool = False
    ) -> RepairResult:
        """Rewrite ledger rows without running migration SQL (``supabase migration repair``)."""
        measure = Measure(self.ctx)
        result = repair(self.ctx, local, status, versions, dry_run=dry_run)
        measure.onto(result)
        return result
