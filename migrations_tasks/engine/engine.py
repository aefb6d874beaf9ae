"""The engine: check, apply, roll back and repair migrations through the :class:`Database` protocol.

It never knows which transport it has. Requests: one to read the ledger, one to create it when missing,
one per migration (see :mod:`.apply`), one per rollback step (:mod:`.rollback`), one per repair
(:mod:`.repair`). Every write goes through :mod:`.send`, which settles lost answers through the ledger.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import ledger
from ..database import Database
from ..migrations import LocalMigrations
from ..plan import Plan, build
from ..progress import ShouldStop, never
from ..settings import Settings
from .apply import ApplyRun
from .context import Context
from .events import EventSink, ignore
from .repair import repair
from .results import ApplyResult, RepairResult, RollbackResult
from .rollback import RollbackRun
from .send import create_ledger, recorded


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
        self._apply: ApplyRun | None = None
        self._rollback: RollbackRun | None = None

    @property
    def db(self) -> Database:
        """Return the database the engine talks to."""
        return self.ctx.db

    @property
    def result(self) -> ApplyResult | None:
        """Return the apply in progress (or last finished), also when it ended with an exception."""
        return self._apply.result if self._apply else None

    @property
    def rollback_result(self) -> RollbackResult | None:
        """Return the rollback in progress (or last finished), also when it ended with an exception."""
        return self._rollback.result if self._rollback else None

    def read_ledger(self) -> ledger.Ledger:
        """Read the ledger in one request; a missing table is an empty history."""
        return self.ctx.read_ledger()

    def check(self, local: LocalMigrations) -> Plan:
        """Return every version's status (one request)."""
        return build(local.migrations, self.ctx.read_ledger())

    def create_ledger(self) -> None:
        """Create the ledger as the Supabase CLI does (idempotent)."""
        create_ledger(self.ctx)

    def committed(self, version: str) -> bool:
        """Return whether ``version`` is recorded, after any in-flight write of it has finished."""
        return recorded(self.ctx, version)

    def apply(self, local: LocalMigrations, *, include_all: bool = False, dry_run: bool = False) -> ApplyResult:
        """Apply pending migrations in version order; stop at the first failure."""
        self._apply = ApplyRun(self.ctx)
        return self._apply.run(local, include_all=include_all, dry_run=dry_run)

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
        """Undo applied migrations, newest first, each in one atomic request; stop at the first failure."""
        self._rollback = RollbackRun(self.ctx)
        return self._rollback.run(
            local, steps=steps, to=to, version=version, force=force, record_only=record_only, dry_run=dry_run
        )

    def repair(
        self, local: LocalMigrations, status: str, versions: Sequence[str], *, dry_run: bool = False
    ) -> RepairResult:
        """Rewrite ledger rows without running migration SQL (``supabase migration repair``)."""
        return repair(self.ctx, local, status, versions, dry_run=dry_run)
