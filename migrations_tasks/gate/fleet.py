"""The gate's migrations steps on every target of ``release.environments.<env>.targets`` (a fleet).

:class:`FleetGateRun` is a :class:`~.steps.GateRun` whose check, apply, verify and undo run on each target
(:func:`migrations_tasks.fleet.schedule.run_targets`: at most ``parallel`` at once, the canary first,
``on_error`` honoured). Each target applies *and verifies* in one job, so a canary that applies but fails
verification stops the rest too. After a failure (or a failed deploy, as the policy says) this run's
migrations are rolled back on every target that applied some. ``db.plan`` runs on the first target. The
record lists every target: what this run applied and undid there, and how it ended.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from ..config.settings import Settings
from ..config.targets import FleetOptions
from ..engine import Engine
from ..errors import MigrationsTasksError
from ..fleet.jobs import Jobs
from ..fleet.results import RunStatus, TargetRun
from ..fleet.schedule import run_targets
from ..history.status import Comparison, Entry
from ..progress import Notify, ShouldStop, never, quiet
from ..transport.database import Database
from ..verify import verify
from .record import RunRecord, Step, StepStatus
from .steps import GateRun, StepFailed

Work = Callable[[Database, Settings, TargetRun, ShouldStop], None]


@dataclass
class Phase:
    """What one apply step runs on every target (:mod:`migrations_tasks.lint.phase_plan`), and what waits."""

    name: str
    carry: bool
    carried: Collection[str]
    waiting: set[str] = field(default_factory=set)


class FleetGateRun(GateRun):
    """One run of the gate over many targets; ``db`` is the first target's (db.plan runs there)."""

    def __init__(
        self,
        record: RunRecord,
        say: Notify,
        targets: list[Settings],
        options: FleetOptions,
        db: Database,
        should_stop: ShouldStop = never,
    ) -> None:
        super().__init__(record, say, targets[0], db, should_stop)
        self.targets, self.options = targets, options
        self.jobs = Jobs(self.local, say)
        self.applied_on: dict[str, list[str]] = {}
        self.verified = False
        record.targets = [{"target": s.target.label, "applied": [], "status": "pending"} for s in targets]

    def _entry(self, name: str) -> dict[str, Any]:
        return next(t for t in self.record.targets if t["target"] == name)

    def _run(self, work: Work, options: FleetOptions | None = None) -> list[TargetRun]:
        """Run ``work`` on every target; say a line for each as it finishes; fail the step when one failed."""

        def said(run: TargetRun) -> None:
            problem = f": {run.error or run.reason}" if run.error or run.reason else ""
            self.say(f"  [{run.status}] {run.name}{problem}")

        runs = run_targets(
            self.targets,
            self.jobs.job(work),
            options or self.options,
            label=lambda s: s.target.label,
            stop=self.should_stop,
            on_done=said,
        )
        for run in runs:
            self._entry(run.name).update(status=str(run.status), error=run.error or run.reason)
        bad = [r for r in runs if r.failed or (r.status is RunStatus.NOT_STARTED and not self.should_stop())]
        failed = [r for r in bad if r.failed]
        if failed:
            named = "; ".join(f"{r.name}: {r.error or r.status}" for r in failed[:5])
            error = StepFailed(f"{len(failed)} of {len(runs)} targets failed ({named}).")
            error.exit_code = max(r.exit_code for r in failed)
            raise error
        return runs

    def check(self) -> tuple[list[Entry], list[Entry]]:
        """Run db.check on every target; return the conflicts and the pending migrations of any of them."""
        plans: dict[str, Comparison] = {}

        def work(db: Database, settings: Settings, run: TargetRun, should_stop: ShouldStop) -> None:
            plans[settings.target.label] = plan = Engine(db, settings).check(self.local)
            run.pending = len(plan.pending)

        with self.step("db.check") as step:
            self._run(work, FleetOptions(self.options.parallel, 0, "continue"))
            conflicts = {e.version: e for p in plans.values() for e in p.conflicts}
            pending = {e.version: e for p in plans.values() for e in p.pending}
            behind = sum(1 for p in plans.values() if p.pending)
            step.detail = f"{len(plans)} targets; {behind} with pending migrations, {len(conflicts)} conflicts"
        return sorted(conflicts.values(), key=lambda e: e.version), sorted(pending.values(), key=lambda e: e.version)

    def _apply_and_verify(
        self, db: Database, settings: Settings, run: TargetRun, should_stop: ShouldStop, phase: Phase
    ) -> None:
        from ..lint.phase_plan import selector

        engine = Engine(db, settings, should_stop=should_stop)
        select = selector(db, self.local.migrations, phase.name, carry=phase.carry, carried=phase.carried)
        try:
            engine.apply(self.local, include_all=False, select=select)
        finally:
            done = [o.version for o in engine.result.applied] if engine.result is not None else []
            self.applied_on[settings.target.label] = self.applied_on.get(settings.target.label, []) + done
            waiting = [version for version, _ in (engine.result.waiting if engine.result else [])]
            phase.waiting.update(waiting)
            run.done = len(done)
        if should_stop():
            run.status = RunStatus.STOPPED
            return
        outcome = verify(db, self.local, settings, notify=quiet, waiting=waiting)
        if outcome.exit_code:
            failed = [f"{c.name} ({c.summary})" for c in outcome.checks if c.status not in ("pass", "skipped")]
            run.status, run.exit_code = RunStatus.FAILED, outcome.exit_code
            run.error = f"db.verify failed: {'; '.join(failed) or 'see its report'}"

    def apply(
        self, phase: str = "all", *, carry: bool = False, carried: Collection[str] = (), name: str = "db.apply"
    ) -> list[str]:
        """Apply ``phase`` and verify on every target (canary first); record what this run applied where.

        Returns the migrations left pending on purpose on any target (contract ones, for a later phase).
        """
        this = Phase(phase, carry, carried)
        before = {target: len(versions) for target, versions in self.applied_on.items()}
        with self.step(f"{name} + db.verify (every target)") as step:
            try:
                self._run(lambda db, settings, run, stop: self._apply_and_verify(db, settings, run, stop, this))
                self.verified = True
            finally:
                for target, versions in self.applied_on.items():
                    self._entry(target)["applied"] = versions
                union = {v for versions in self.applied_on.values() for v in versions}
                now = {v for t, versions in self.applied_on.items() for v in versions[before.get(t, 0) :]}
                self.record.applied = sorted(union)
                where = sum(1 for t, versions in self.applied_on.items() if len(versions) > before.get(t, 0))
                step.detail = f"applied {len(now)} migration(s) on {where} targets"
                if phase != "all":
                    step.detail = f"{phase} phase: {step.detail}"
                if this.waiting:
                    step.detail += f"; waiting (contract): {', '.join(sorted(this.waiting))}"
            if phase != "contract":
                self.stop_point(f"after applying on {len(self.applied_on)} target(s), at a migration boundary")
        return sorted(this.waiting)

    def verify(self) -> None:
        """Verify every target (already done with each target's apply when this run applied migrations)."""
        if self.verified:
            self.record.steps.append(Step("db.verify", StepStatus.OK, 0.0, "verified on each target after its apply"))
            return

        def work(db: Database, settings: Settings, run: TargetRun, should_stop: ShouldStop) -> None:
            outcome = verify(db, self.local, settings, notify=quiet)
            if outcome.exit_code:
                run.status, run.exit_code = RunStatus.FAILED, outcome.exit_code
                run.error = "db.verify failed: " + "; ".join(c.name for c in outcome.checks if c.status == "fail")

        with self.step("db.verify (every target)") as step:
            runs = self._run(work, FleetOptions(self.options.parallel, 0, "continue"))
            step.detail = f"verified {len(runs)} targets"

    def undo(self) -> None:
        """Roll back this run's migrations on every target that applied some, newest first."""
        if not any(self.applied_on.values()):
            return
        by_version = self.local.by_version()
        not_undone: set[str] = set()
        rolled_back: set[str] = set()

        def work(db: Database, settings: Settings, run: TargetRun, should_stop: ShouldStop) -> None:
            name = settings.target.label
            todo = list(reversed(self.applied_on.get(name, [])))
            engine, done = Engine(db, settings), []
            for index, version in enumerate(todo):
                migration = by_version.get(version)
                try:
                    if migration is None or migration.down is None:
                        raise MigrationsTasksError(f"{version} has no down SQL")
                    engine.rollback(self.local, version=version, force=True)
                except MigrationsTasksError as exc:
                    not_undone.update(todo[index:])
                    self._entry(name)["not_undone"] = todo[index:]
                    run.status, run.error = RunStatus.FAILED, exc.message
                    break
                done.append(version)
            rolled_back.update(done)
            self._entry(name)["rolled_back"] = done

        undo_targets = [s for s in self.targets if self.applied_on.get(s.target.label)]
        with self.step("db.rollback (this run's migrations, every target)") as step:
            run_targets(
                undo_targets,
                self.jobs.job(work),
                FleetOptions(self.options.parallel, 0, "continue"),
                label=lambda s: s.target.label,
            )
            self.record.rolled_back_migrations = sorted(rolled_back, reverse=True)
            self.record.not_undone = sorted(not_undone, reverse=True)
            step.status = StepStatus.FAILED if not_undone else StepStatus.UNDONE
            step.detail = f"rolled back on {len(undo_targets)} target(s)" + (
                f"; could not be undone: {', '.join(self.record.not_undone)}" if not_undone else ""
            )
