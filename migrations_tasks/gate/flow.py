"""The release gate: check -> (lint + plan, apply) -> verify -> deploy -> health, undoing exactly what this run did.

Plain functions with a typed :class:`~.record.RunRecord`, so teams can call them from their own tasks::

    record = gate.run(c, settings, deploy_config, env="staging", policy="block")

Rollback is try/except style, because Invoke's post-tasks do not run after a failure:

* verify or the deploy fails after this run applied migrations -> those migrations are rolled back,
  newest first, as far as they have down SQL; the rest are named as "could not be undone";
* the deploy's health check fails after the switch -> the deploy itself switches every host back
  (:mod:`migrations_tasks.deploy`), and then this run's migrations are rolled back as above.

The record (steps with results and times, applied versions, the release, what was undone) is written
as JSON to ``<record_dir>/<env>-<UTC timestamp>.json`` and summarised (:mod:`.record`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .. import github
from ..database import Database
from ..engine import Engine, Event, EventKind
from ..errors import EXIT_CONFLICT, EXIT_FAILED, EXIT_OK, MigrationsTasksError
from ..migrations import load
from ..plan import Entry
from ..progress import Notify
from ..settings import Settings
from ..transports import connect
from ..verify import verify
from .options import POLICIES
from .record import RunRecord, RunStatus, Step, StepStatus, finish, now


class StepFailed(MigrationsTasksError):
    """A step of the flow ran and said no (verify found problems)."""

    exit_code = EXIT_FAILED


class _Gate:
    """One run: the record it fills, and the database it talks to."""

    def __init__(self, record: RunRecord, say: Notify, settings: Settings, db: Database) -> None:
        self.record = record
        self.say = say
        self.settings = settings
        self.db = db
        self.local = load(settings.migrations_dir, settings.rollbacks_dir)
        self.engine = Engine(db, settings, on_event=self._event)

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
                step.status = StepStatus.FAILED
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

    def preflight(self, policy: str) -> None:
        """Run db.lint and db.plan on the pending migrations; a plan that is not safe stops the run under "block"."""
        from ..rehearsal.render import VERDICT, markdown, plan_document
        from ..rehearsal.run import plan

        with self.step("db.lint + db.plan") as step:
            result = plan(self.db, self.local, self.settings, notify=self.say)
            self.record.plan = plan_document(result)
            github.summary(markdown(result))
            errors = [f"{f.where} {f.rule}" for f in result.findings if f.level == "error"]
            failed = [m.version for m in result.migrations if m.failure]
            verdict = VERDICT.get(result.exit_code, "not safe")
            step.detail = f"{verdict}; {len(errors)} error(s)" + (f"; fails: {', '.join(failed)}" if failed else "")
            if result.exit_code and policy == "block":
                raise StepFailed(f"db.plan: {verdict} ({'; '.join(failed + errors)[:500]}); nothing was applied.")
            if result.exit_code:
                step.detail += " (plan: warn, going on)"

    def apply(self) -> None:
        """Run db.apply, recording what this run applied (also when it fails midway)."""
        with self.step("db.apply") as step:
            try:
                self.engine.apply(self.local, include_all=False)
            finally:
                partial = self.engine.result
                if partial is not None:
                    self.record.applied = [o.version for o in partial.applied]
            step.detail = f"applied {', '.join(self.record.applied) or 'nothing'}"

    def verify(self) -> None:
        """Run db.verify; a failed check stops the run."""
        with self.step("db.verify") as step:
            outcome = verify(self.db, self.local, self.settings, notify=self.say)
            step.detail = f"exit {outcome.exit_code}; {outcome.requests} request(s)"
            if outcome.exit_code != 0:
                failed = [f"{c.name} ({c.summary})" for c in outcome.checks if c.status not in ("pass", "skipped")]
                raise StepFailed(f"db.verify failed: {'; '.join(failed) or 'see above'}.")

    def deploy(self, c: Any, deploy_config: Any, deploy_fn: Callable[..., Any] | None) -> None:
        """Ship the release (deploy.vps + deploy.health), recording where it went."""
        from ..deploy import DeployFailed, deploy

        run_deploy = deploy_fn or deploy
        with self.step("deploy.vps + deploy.health") as step:
            try:
                result = run_deploy(c, deploy_config, notify=self.say)
            except DeployFailed as exc:
                result = exc.result
                self._record_deploy(result)
                step.detail = f"{getattr(result, 'status', 'failed')}: {exc.message}"
                raise
            self._record_deploy(result)
            step.detail = f"release {result.release} live on {', '.join(result.deployed_to) or 'no host'}"

    def _record_deploy(self, result: Any) -> None:
        if result is None:
            return
        self.record.release = getattr(result, "release", None)
        self.record.hosts = [h.host for h in getattr(result, "hosts", ())]
        self.record.release_rolled_back = bool(getattr(result, "rolled_back", False))

    def undo(self) -> None:
        """Roll back this run's migrations, newest first, while they have down SQL; name the rest."""
        record = self.record
        if not record.applied:
            return
        by_version = self.local.by_version()
        todo = list(reversed(record.applied))
        with self.step("db.rollback (this run's migrations)") as step:
            for index, version in enumerate(todo):
                migration = by_version.get(version)
                if migration is None or migration.down is None:
                    record.not_undone = todo[index:]
                    break
                try:
                    self.engine.rollback(self.local, version=version, force=True)
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


def run(
    c: Any,
    settings: Settings,
    deploy_config: Any,
    *,
    env: str,
    policy: str = "block",
    plan_policy: str = "off",
    record_dir: Path = Path(".release"),
    say: Notify = print,
    deploy_fn: Callable[..., Any] | None = None,
) -> RunRecord:
    """Run the whole flow; return the record (its ``exit_code`` says how it ended)."""
    if policy not in POLICIES:
        raise MigrationsTasksError(f"Unknown migrations policy {policy!r}: use 'block' or 'apply'.")
    record = RunRecord(env=env, policy=policy, started_at=now())
    db = connect(settings, on_wait=say)
    gate = _Gate(record, say, settings, db)
    try:
        conflicts, pending = gate.check()
        if conflicts:
            return finish(
                record,
                record_dir,
                RunStatus.FAILED,
                EXIT_CONFLICT,
                "History conflict: " + ", ".join(f"{e.version} {e.status.value}" for e in conflicts),
            )
        if pending and policy == "block":
            record.steps.append(
                Step("db.apply", StepStatus.BLOCKED, 0.0, "pending: " + ", ".join(e.version for e in pending))
            )
            return finish(
                record,
                record_dir,
                RunStatus.BLOCKED,
                EXIT_FAILED,
                f"{len(pending)} pending migration(s) block the release; apply them first or run "
                "with --apply-migrations.",
            )
        if pending and plan_policy != "off":
            gate.preflight(plan_policy)
        if pending:
            gate.apply()
        else:
            record.steps.append(Step("db.apply", StepStatus.SKIPPED, 0.0, "nothing pending"))
        gate.verify()
        if deploy_config is None:
            record.steps.append(Step("deploy.vps", StepStatus.SKIPPED, 0.0, "no deploy section for this environment"))
        else:
            gate.deploy(c, deploy_config, deploy_fn)
        return finish(record, record_dir, RunStatus.OK, EXIT_OK, None)
    except MigrationsTasksError as exc:
        record.error = exc.message
        gate.undo()
        status = RunStatus.ROLLED_BACK if record.applied and not record.not_undone else RunStatus.FAILED
        return finish(record, record_dir, status, exc.exit_code, exc.message)
    finally:
        db.close()
