"""The gate's steps, a method each: check, lint + plan, apply, verify, deploy; keep or undo this run's migrations.

A :class:`GateRun` is one run: the record it fills (each step timed, with its status and detail), the
database it talks to, and the engine over it. The order of the steps, and how a run ends, is :mod:`.flow`.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

from ..config.settings import Settings
from ..engine import Engine, Event, EventKind
from ..errors import EXIT_FAILED, Interrupted, MigrationsTasksError
from ..history.migrations import load
from ..history.status import Entry
from ..output import github
from ..progress import Notify, ShouldStop, never
from ..transport.database import Database
from ..verify import verify
from .options import PlanPolicy
from .record import RunRecord, Step, StepStatus

if TYPE_CHECKING:  # the deploy modules load when the deploy step runs
    from invoke.context import Context

    from ..deploy.config import DeployConfig
    from ..deploy.results import DeployResult
    from ..deploy.runtime import Runtime


class DeployFunction(Protocol):
    """Ship a release as :func:`migrations_tasks.deploy.deploy` does (the gate's seam for another deploy)."""

    def __call__(self, c: Context, config: DeployConfig, /, *, notify: Notify, runtime: Runtime) -> DeployResult:
        """Deploy ``config``'s release; raise ``DeployFailed`` (its ``result`` a DeployResult) when it fails."""
        ...


class StepFailed(MigrationsTasksError):
    """A step of the flow ran and said no (verify found problems)."""

    exit_code = EXIT_FAILED


class PlanCouldNotRun(MigrationsTasksError):
    """db.plan could not run under the "block" policy (exit 3): the release stops before applying."""


class GateRun:
    """One run of the gate: the record it fills, the database it talks to, and its steps."""

    def __init__(
        self, record: RunRecord, say: Notify, settings: Settings, db: Database, should_stop: ShouldStop = never
    ) -> None:
        self.record = record
        self.say = say
        self.settings = settings
        self.db = db
        self.should_stop = should_stop
        self.local = load(settings.migrations_dir, settings.rollbacks_dir)
        self.engine = Engine(db, settings, on_event=self._event, should_stop=should_stop)

    def stop_point(self, what: str) -> None:
        """Raise Interrupted when a signal asked the run to stop (nothing deployed yet)."""
        from ..deploy.runner import stopped

        signum = self.should_stop()
        if signum:
            raise stopped(signum, what, "nothing was deployed", "Run inv release again when you are ready.")

    def _event(self, event: Event) -> None:
        if event.kind is EventKind.APPLIED and event.migration is not None:
            self.say(f"  applied {event.migration.version} {event.migration.name} ({event.seconds:.2f}s)")
        elif event.kind in (EventKind.WARNING, EventKind.INFO) and event.message:
            self.say(f"  {event.message}")

    @contextmanager
    def step(self, name: str) -> Iterator[Step]:
        """Run one step: announce it, time it, record how it went (failed when it raises)."""
        step = Step(name)
        self.record.steps.append(step)
        started = time.perf_counter()
        self.say(f"==> {name}")
        with github.group(f"release: {name}"):
            try:
                yield step
            except BaseException as exc:
                step.status = StepStatus.STOPPED if isinstance(exc, Interrupted) else StepStatus.FAILED
                step.detail = step.detail or (exc.message if isinstance(exc, MigrationsTasksError) else str(exc))
                raise
            finally:
                step.seconds = round(time.perf_counter() - started, 3)
        if step.status is StepStatus.PENDING:
            step.status = StepStatus.OK

    def check(self) -> tuple[list[Entry], list[Entry]]:
        """Run db.check; return the conflicts and the pending migrations."""
        with self.step("db.check") as step:
            plan = self.engine.check(self.local)
            step.detail = f"{len(plan.pending)} pending, {len(plan.conflicts)} conflicts"
        return plan.conflicts, plan.pending

    def preflight(self, policy: PlanPolicy) -> None:
        """Run db.lint and db.plan; a plan that fails (under "strict": or needs a review) stops the run."""
        from ..rehearsal.render import annotate_plan, plan_document, step_summary, verdict_lines
        from ..rehearsal.run import plan

        with self.step("db.lint + db.plan") as step:
            try:
                result = plan(self.db, self.local, self.settings, notify=self.say)
            except (MigrationsTasksError, OSError) as exc:  # could not run (no throwaway database...)
                if isinstance(exc, Interrupted):
                    raise
                reason = " ".join((exc.message if isinstance(exc, MigrationsTasksError) else str(exc)).split())
                if policy is not PlanPolicy.WARN:
                    hint = exc.hint if isinstance(exc, MigrationsTasksError) else None
                    raise PlanCouldNotRun(f"db.plan could not run: {reason}; nothing was applied.", hint=hint) from None
                self.record.plan = {"status": "could not run", "error": reason}
                step.detail = f"could not run: {reason} (plan: warn, going on)"
                self.say(f"  warning: db.plan could not run: {reason} (plan: warn, going on)")
                return
            result.strict = policy is PlanPolicy.STRICT  # a review stops the release too
            self.record.plan = plan_document(result)
            annotate_plan(result)
            github.summary(step_summary(result))
            errors = [f"{f.where} {f.rule}" for f in result.findings if f.level == "error"]
            failed = [m.version for m in result.migrations if m.failure]
            why = failed + errors + [line.strip() for line in verdict_lines(result, "")]
            step.detail = f"{result.verdict}; {len(errors)} error(s)" + (
                f"; fails: {', '.join(failed)}" if failed else ""
            )
            if result.exit_code and policy is not PlanPolicy.WARN:
                raise StepFailed(f"db.plan: {result.verdict} ({'; '.join(why)[:500]}); nothing was applied.")
            if result.exit_code:
                step.detail += " (plan: warn, going on)"

    def classify(self, pending: list[Entry]) -> None:
        """Record each pending migration's phase and why (:mod:`migrations_tasks.lint.phases`)."""
        from ..lint.phases import classify_pending

        todo = [e.migration for e in pending if e.migration is not None]
        for found in classify_pending(self.local.migrations, todo):
            self.record.phases[found.version] = {"phase": found.phase.value, "reason": found.reason}

    def apply(
        self, phase: str = "all", *, carry: bool = False, carried: Collection[str] = (), name: str = "db.apply"
    ) -> list[str]:
        """Run db.apply for ``phase``, recording what this run applied (also when it fails midway).

        Returns the migrations it left pending on purpose (contract ones, for a later phase).
        """
        from ..lint.phase_plan import selector

        waiting: list[str] = []
        with self.step(name) as step:
            before = len(self.record.applied)
            select = selector(self.db, self.local.migrations, phase, carry=carry, carried=carried)
            self.engine.result = None
            try:
                self.engine.apply(self.local, include_all=False, select=select)
            finally:
                partial = self.engine.result
                if partial is not None:
                    self.record.applied += [o.version for o in partial.applied]
                    waiting = [version for version, _ in partial.waiting]
            done = self.record.applied[before:]
            step.detail = f"applied {', '.join(done) or 'nothing'}"
            if phase != "all":
                step.detail = f"{phase} phase: {step.detail}"
            if waiting:
                step.detail += f"; waiting (contract): {', '.join(waiting)}"
            if phase != "contract":
                self.stop_point(f"after applying {len(done)} migration(s), at a migration boundary")
        return waiting

    def verify(self) -> None:
        """Run db.verify; a failed check stops the run."""
        with self.step("db.verify") as step:
            outcome = verify(self.db, self.local, self.settings, notify=self.say, waiting=self.record.waiting)
            step.detail = f"exit {outcome.exit_code}; {outcome.requests} request(s)"
            if outcome.exit_code != 0:
                failed = [f"{c.name} ({c.summary})" for c in outcome.checks if c.status not in ("pass", "skipped")]
                raise StepFailed(f"db.verify failed: {'; '.join(failed) or 'see above'}.")

    def deploy(self, c: Context, deploy_config: DeployConfig, deploy_fn: DeployFunction | None) -> None:
        """Ship the release (deploy.vps + deploy.health), recording where it went."""
        from ..deploy import DeployFailed, DeployResult, deploy
        from ..deploy.runtime import Runtime

        run_deploy: DeployFunction = deploy_fn or deploy
        with self.step("deploy.vps + deploy.health") as step:
            try:
                result = run_deploy(c, deploy_config, notify=self.say, runtime=Runtime(should_stop=self.should_stop))
            except DeployFailed as exc:
                failed = exc.result if isinstance(exc.result, DeployResult) else None
                self._record_deploy(failed)
                step.detail = f"{failed.status if failed else 'failed'}: {exc.message}"
                raise
            except KeyboardInterrupt as exc:  # a second signal: the deploy says what it left live
                self._record_deploy(getattr(exc, "deploy_result", None))
                raise
            self._record_deploy(result)
            step.detail = f"release {result.release} live on {', '.join(result.deployed_to) or 'no host'}"

    def _record_deploy(self, result: DeployResult | None) -> None:
        from ..deploy.results import HostStatus

        if result is None:
            return
        hosts = result.hosts
        self.record.release = result.release
        self.record.hosts = [h.host for h in hosts]
        self.record.release_rolled_back = result.rolled_back
        went_live = (HostStatus.DEPLOYED, HostStatus.ROLLED_BACK, HostStatus.FAILED_LIVE)
        self.record.release_live_on = [h.host for h in hosts if h.status in went_live]
        self.record.release_still_live_on = [h.host for h in hosts if h.status == HostStatus.FAILED_LIVE]
        self.record.live = {h.host: h.live for h in hosts}

    def keep(self, reason: str) -> None:
        """Leave this run's migrations applied on purpose: say why, and record it."""
        self.record.kept, self.record.kept_reason = list(reversed(self.record.applied)), reason
        self.say(f"==> db.rollback (this run's migrations): not run. {reason}")
        self.record.steps.append(Step("db.rollback (this run's migrations)", StepStatus.SKIPPED, 0.0, reason))

    def undo(self) -> None:
        """Roll back this run's migrations, newest first, while they have down SQL; name the rest."""
        record = self.record
        if not record.applied:
            return
        by_version = self.local.by_version()
        todo = list(reversed(record.applied))
        engine = Engine(self.db, self.settings, on_event=self._event)  # no stop request: undoing is the stop
        with self.step("db.rollback (this run's migrations)") as step:
            for index, version in enumerate(todo):
                migration = by_version.get(version)
                if migration is None or migration.down is None:
                    record.not_undone = todo[index:]
                    break
                try:
                    engine.rollback(self.local, version=version, force=True)
                except MigrationsTasksError as exc:
                    record.not_undone = todo[index:]
                    step.detail = f"rollback of {version} failed: {exc.message}"
                    break
                record.rolled_back_migrations.append(version)
            step.status = StepStatus.UNDONE if not record.not_undone else StepStatus.FAILED
            if record.not_undone:
                step.detail = (step.detail + "; " if step.detail else "") + (
                    "could not be undone (no down SQL or a failed rollback): " + ", ".join(record.not_undone)
                )
            else:
                step.detail = "rolled back " + ", ".join(record.rolled_back_migrations)
