"""What runs per target: its own connection, the unchanged engine (or db.verify), its result as a run.

A job is ``job(settings, should_stop) -> TargetRun`` (:mod:`.schedule` calls it on a thread); the
``settings`` are the policy with that target (:meth:`~migrations_tasks.config.settings.Settings.select`).
A foreseeable error becomes the run's status, exit code and first error; it never escapes the thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config.settings import Settings
from ..engine import Engine
from ..engine.results import ApplyResult, Outcome, OutcomeStatus, RepairResult, RollbackResult
from ..errors import EXIT_FAILED, MigrationsTasksError, SqlError
from ..history.migrations import LocalMigrations
from ..history.status import Comparison, Status
from ..progress import Notify, ShouldStop
from ..transport.connect import connect
from ..transport.database import Database
from .results import RunStatus, TargetRun
from .schedule import HALTED

#: The part that differs per task: given the connection, the settings and the run, do the work.
Work = Callable[[Database, Settings, TargetRun, ShouldStop], None]


@dataclass(frozen=True)
class Jobs:
    """Makes the per-target job of a task, over the local migrations they all share."""

    local: LocalMigrations
    notify: Notify

    def job(self, work: Work) -> Callable[[Settings, ShouldStop], TargetRun]:
        """Return the job that connects to a target, runs ``work`` there and reports it as a run."""

        def run_one(settings: Settings, should_stop: ShouldStop) -> TargetRun:
            target = settings.target
            run = TargetRun(name=target.label, status=RunStatus.OK)
            started = time.perf_counter()
            db: Database | None = None
            try:
                db = connect(target, settings, on_wait=lambda text: self.notify(f"{target.label}: {text}"))
                run.where = db.description
                work(db, settings, run, should_stop)
            except MigrationsTasksError as exc:
                run.status, run.exit_code = RunStatus.FAILED, exc.exit_code
                version = getattr(exc, "version", None)
                run.migration = str(version) if version else None
                run.error = _first_error(exc)
            finally:
                if db is not None:
                    run.requests = db.requests
                    db.close()
                run.seconds = time.perf_counter() - started
            return run

        return run_one

    def check(self, db: Database, settings: Settings, run: TargetRun, should_stop: ShouldStop) -> None:
        """Compare the local migrations with the target's ledger (pending: exit 1, conflict: exit 2)."""
        plan = Engine(db, settings).check(self.local)
        _counts(run, plan)
        if plan.conflicts:
            run.status, run.exit_code = RunStatus.CONFLICT, 2
            run.error = f"history conflict at {', '.join(e.version for e in plan.conflicts[:3])}"
            run.migration = plan.conflicts[0].version
        elif plan.pending:
            run.status, run.exit_code = RunStatus.PENDING, 1
        run.document = {"migrations": [{"version": e.version, "status": e.status.value} for e in plan.entries]}

    def engine(self, operation: str, **options: Any) -> Work:
        """Return the work of an engine operation (apply, rollback or repair) with its options (``phase``: apply
        only that release phase's migrations on each target, :mod:`migrations_tasks.lint.phase_plan`)."""
        phase = options.pop("phase", "all")

        def work(db: Database, settings: Settings, run: TargetRun, should_stop: ShouldStop) -> None:
            engine = Engine(db, settings, should_stop=should_stop)
            more: dict[str, Any] = {}
            if phase != "all":
                from ..lint.phase_plan import selector

                more["select"] = selector(db, self.local.migrations, phase)
            try:
                result = getattr(engine, operation)(self.local, **options, **more)
            except MigrationsTasksError:
                _outcomes(run, engine.rollback_result if operation == "rollback" else engine.result, options)
                raise
            _outcomes(run, result, options)
            if should_stop() and run.pending:
                run.status = RunStatus.STOPPED
                run.exit_code = EXIT_FAILED if should_stop() == HALTED else 128 + should_stop()

        return work

    def verify(self, drift: bool | None) -> Work:
        """Return the work of db.verify (history, expectations, advisories, drift) on one target."""
        from ..verify import verify as run_verify
        from ..verify.results import CheckStatus

        def work(db: Database, settings: Settings, run: TargetRun, should_stop: ShouldStop) -> None:
            result = run_verify(db, self.local, settings, drift=drift, notify=lambda text: None)
            if result.plan is not None:
                _counts(run, result.plan)
            run.exit_code = result.exit_code
            failed = [c for c in result.checks if c.status in (CheckStatus.FAIL, CheckStatus.ERROR)]
            if result.exit_code:
                run.status = RunStatus.FAILED
                run.error = "; ".join(f"{c.name}: {c.summary}" for c in failed[:2]) or "verification failed"
            run.document = {
                "checks": [{"name": c.name, "status": c.status.value, "summary": c.summary} for c in result.checks]
            }

        return work


_DONE = {
    OutcomeStatus.APPLIED,
    OutcomeStatus.ROLLED_BACK,
    OutcomeStatus.RECORD_REMOVED,
    OutcomeStatus.RECORDED,
    OutcomeStatus.RE_RECORDED,
    OutcomeStatus.REMOVED,
}


def _counts(run: TargetRun, plan: Comparison) -> None:
    run.pending = len(plan.pending)
    run.done = len(plan.with_status(Status.APPLIED))


def _first_error(exc: MigrationsTasksError) -> str:
    """Return an error on one line: the file and line, and the database's SQLSTATE and message when it ran."""
    sql_error = getattr(exc, "sql_error", None)
    if isinstance(sql_error, SqlError):
        path, line = getattr(exc, "path", None), getattr(exc, "line", None)
        where = f"{Path(path).name}{f' line {line}' if line else ''}: " if path else ""
        return f"{where}{sql_error.sqlstate or 'ERROR'}: {sql_error.message}"
    text = exc.describe() if isinstance(exc, SqlError) else exc.message
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def _outcomes(
    run: TargetRun, result: ApplyResult | RollbackResult | RepairResult | None, options: dict[str, Any]
) -> None:
    """Record what an engine operation did (also a partial one): how many, what is left, the last one done."""
    if result is None:
        return
    outcomes: list[Outcome] = result.outcomes
    done = [o for o in outcomes if o.status in _DONE]
    run.done = len(done)
    if isinstance(result, ApplyResult):
        run.pending = len(result.plan.to_apply(bool(options.get("include_all")))) - run.done
    elif isinstance(result, RollbackResult):
        run.pending = len(result.steps) - run.done
    run.stopped_at = done[-1].version if done else None
    run.document = {"migrations": [{"version": o.version, "name": o.name, "status": o.status.value} for o in outcomes]}
