"""The release flow: check -> (apply) -> verify -> deploy -> health, undoing exactly what this run did.

Plain functions with a typed :class:`RunRecord`, so teams can call them from their own tasks::

    record = release.run(c, settings, deploy_config, env="staging", policy="block")

Rollback is try/except style, because Invoke's post-tasks do not run after a failure:

* verify or the deploy fails after this run applied migrations -> those migrations are rolled back,
  newest first, as far as they have down SQL; the rest are named as "could not be undone";
* the deploy's health check fails after the switch -> the deploy itself switches every host back
  (``deploy.flow``), and then this run's migrations are rolled back as above.

The record (steps with results and times, applied versions, the release, what was undone) is written
as JSON to ``<record_dir>/<env>-<UTC timestamp>.json`` and summarised.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import github
from .errors import EXIT_CONFLICT, EXIT_FAILED, EXIT_OK, MigrationsTasksError
from .settings import Settings

POLICIES = ("block", "apply")

Say = Callable[[str], None]


class StepFailed(MigrationsTasksError):
    """A step of the flow ran and said no (verify found problems)."""

    exit_code = EXIT_FAILED


@dataclass
class Step:
    """One step of the flow and how it went."""

    name: str
    status: str = "pending"  # ok | failed | blocked | skipped | undone
    seconds: float = 0.0
    detail: str = ""


@dataclass
class RunRecord:
    """What one release run did, in order: enough to undo exactly that, and to audit it later."""

    env: str
    policy: str
    started_at: str
    finished_at: str = ""
    status: str = "running"  # ok | blocked | failed | rolled-back
    exit_code: int = EXIT_OK
    steps: list[Step] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    rolled_back_migrations: list[str] = field(default_factory=list)
    not_undone: list[str] = field(default_factory=list)
    release: str | None = None
    hosts: list[str] = field(default_factory=list)
    release_rolled_back: bool = False
    error: str | None = None
    path: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the record as JSON-able data."""
        return asdict(self)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Flow:
    def __init__(self, record: RunRecord, say: Say) -> None:
        self.record = record
        self.say = say

    @contextmanager
    def step(self, name: str) -> Iterator[Step]:
        step = Step(name)
        self.record.steps.append(step)
        started = time.perf_counter()
        self.say(f"==> {name}")
        with github.group(f"release: {name}"):
            try:
                yield step
            except BaseException as exc:
                step.status = "failed"
                step.detail = step.detail or (exc.message if isinstance(exc, MigrationsTasksError) else str(exc))
                raise
            finally:
                step.seconds = round(time.perf_counter() - started, 3)
        if step.status == "pending":
            step.status = "ok"


def run(
    c: Any,
    settings: Settings,
    deploy_config: Any,
    *,
    env: str,
    policy: str = "block",
    record_dir: Path = Path(".release"),
    say: Say = print,
    deploy_fn: Callable[..., Any] | None = None,
) -> RunRecord:
    """Run the whole flow; return the record (its ``exit_code`` says how it ended)."""
    from .database import connect
    from .engine import Engine
    from .migrations import load
    from .verify import verify

    if policy not in POLICIES:
        raise MigrationsTasksError(f"Unknown migrations policy {policy!r}: use 'block' or 'apply'.")
    record = RunRecord(env=env, policy=policy, started_at=_now())
    flow = _Flow(record, say)
    local = load(settings.migrations_dir, settings.rollbacks_dir)
    db = connect(settings, on_wait=say)
    engine = Engine(db, settings, notify=lambda event: _say_event(say, event))
    try:
        with flow.step("db.check") as step:
            plan = engine.check(local)
            conflicts, pending = plan.conflicts, plan.pending
            step.detail = f"{len(pending)} pending, {len(conflicts)} conflicts"
        if conflicts:
            return _finish(record, record_dir, "failed", EXIT_CONFLICT,
                           "History conflict: " + ", ".join(f"{e.version} {e.status.value}" for e in conflicts))
        if pending and policy == "block":
            record.steps.append(Step("db.apply", "blocked", 0.0, "pending: " + ", ".join(e.version for e in pending)))
            return _finish(record, record_dir, "blocked", EXIT_FAILED,
                           f"{len(pending)} pending migration(s) block the release; apply them first or run "
                           "with --apply-migrations.")
        if pending:
            with flow.step("db.apply") as step:
                try:
                    result = engine.apply(local, include_all=False)
                finally:
                    partial = engine.result
                    if partial is not None:
                        record.applied = [o.version for o in partial.applied]
                step.detail = f"applied {', '.join(record.applied) or 'nothing'}"
                del result
        else:
            record.steps.append(Step("db.apply", "skipped", 0.0, "nothing pending"))

        with flow.step("db.verify") as step:
            outcome = verify(db, local, settings, notify=say)
            step.detail = f"exit {outcome.exit_code}; {outcome.requests} request(s)"
            if outcome.exit_code != 0:
                failed = [f"{c.name} ({c.summary})" for c in outcome.checks if c.status not in ("pass", "skipped")]
                raise StepFailed(f"db.verify failed: {'; '.join(failed) or 'see above'}.")

        if deploy_config is None:
            record.steps.append(Step("deploy.vps", "skipped", 0.0, "no deploy section for this environment"))
        else:
            _deploy(c, flow, deploy_config, deploy_fn)
        return _finish(record, record_dir, "ok", EXIT_OK, None)
    except MigrationsTasksError as exc:
        record.error = exc.message
        _undo_migrations(engine, local, record, flow)
        status = "rolled-back" if record.applied and not record.not_undone else "failed"
        return _finish(record, record_dir, status, exc.exit_code, exc.message)
    finally:
        db.close()


def _deploy(c: Any, flow: _Flow, deploy_config: Any, deploy_fn: Callable[..., Any] | None) -> None:
    from .deploy import DeployFailed, deploy

    run_deploy = deploy_fn or deploy
    with flow.step("deploy.vps + deploy.health") as step:
        try:
            result = run_deploy(c, deploy_config, notify=flow.say)
        except DeployFailed as exc:
            result = exc.result
            _record_deploy(flow.record, result)
            step.detail = f"{getattr(result, 'status', 'failed')}: {exc.message}"
            raise
        _record_deploy(flow.record, result)
        step.detail = f"release {result.release} live on {', '.join(result.deployed_to) or 'no host'}"


def _record_deploy(record: RunRecord, result: Any) -> None:
    if result is None:
        return
    record.release = getattr(result, "release", None)
    record.hosts = [h.host for h in getattr(result, "hosts", ())]
    record.release_rolled_back = bool(getattr(result, "rolled_back", False))


def _undo_migrations(engine: Any, local: Any, record: RunRecord, flow: _Flow) -> None:
    """Roll back this run's migrations, newest first, while they have down SQL; name the rest."""
    if not record.applied:
        return
    by_version = local.by_version()
    todo = list(reversed(record.applied))
    with flow.step("db.rollback (this run's migrations)") as step:
        for version in todo:
            migration = by_version.get(version)
            if migration is None or migration.down is None:
                index = todo.index(version)
                record.not_undone = todo[index:]
                break
            try:
                engine.rollback(local, version=version, force=True)
            except MigrationsTasksError as exc:
                index = todo.index(version)
                record.not_undone = todo[index:]
                step.detail = f"rollback of {version} failed: {exc.message}"
                break
            record.rolled_back_migrations.append(version)
        step.status = "undone" if not record.not_undone else "failed"
        if record.not_undone:
            step.detail = (step.detail + "; " if step.detail else "") + (
                "could not be undone (no down SQL or a failed rollback): " + ", ".join(record.not_undone))
        else:
            step.detail = "rolled back " + ", ".join(record.rolled_back_migrations)


def _say_event(say: Say, event: Any) -> None:
    if event.kind == "applied" and event.migration is not None:
        say(f"  applied {event.migration.version} {event.migration.name} ({event.seconds:.2f}s)")
    elif event.kind in ("warning", "info") and event.message:
        say(f"  {event.message}")


def _finish(record: RunRecord, record_dir: Path, status: str, code: int, error: str | None) -> RunRecord:
    record.status, record.exit_code = status, code
    record.error = record.error or error
    record.finished_at = _now()
    record_dir.mkdir(parents=True, exist_ok=True)
    stamp = record.started_at.replace(":", "").replace("-", "")
    path = record_dir / f"{record.env}-{stamp}.json"
    record.path = str(path)
    path.write_text(json.dumps(record.to_dict(), indent=2) + "\n", encoding="utf-8")
    github.summary(summary_markdown(record))
    github.set_outputs({"status": record.status, "applied": " ".join(record.applied),
                        "release": record.release or "", "record": str(path)})
    return record


def summary_markdown(record: RunRecord) -> str:
    """Return the record as a Markdown report (the GitHub step summary)."""
    rows = "\n".join(f"| {s.name} | {s.status} | {s.seconds:.2f}s | {s.detail} |" for s in record.steps)
    lines = [f"### Release to {record.env}: {record.status}", "",
             "| step | result | time | detail |", "|---|---|---|---|", rows, ""]
    if record.applied:
        lines.append(f"Migrations applied: {', '.join(record.applied)}")
    if record.rolled_back_migrations:
        lines.append(f"Migrations rolled back: {', '.join(record.rolled_back_migrations)}")
    if record.not_undone:
        lines.append(f"**Could not be undone:** {', '.join(record.not_undone)}")
    if record.release:
        lines.append(f"Release: {record.release}" + (" (rolled back)" if record.release_rolled_back else ""))
    if record.error:
        lines.append(f"Error: {record.error}")
    return "\n".join(lines) + "\n"


def summary_text(record: RunRecord) -> str:
    """Return the record as plain text for the terminal."""
    width = max((len(s.name) for s in record.steps), default=10)
    lines = [f"Release to {record.env}: {record.status.upper()} (exit {record.exit_code})"]
    for s in record.steps:
        lines.append(f"  {s.name.ljust(width)}  {s.status:<8} {s.seconds:7.2f}s  {s.detail}")
    if record.applied:
        lines.append(f"  applied: {', '.join(record.applied)}")
    if record.rolled_back_migrations:
        lines.append(f"  rolled back: {', '.join(record.rolled_back_migrations)}")
    if record.not_undone:
        lines.append(f"  COULD NOT BE UNDONE: {', '.join(record.not_undone)} (no down SQL); fix forward.")
    if record.release:
        lines.append(f"  release: {record.release} on {', '.join(record.hosts)}"
                     + (" (rolled back to the previous release)" if record.release_rolled_back else ""))
    if record.error:
        lines.append(f"  error: {record.error}")
    lines.append(f"  record: {record.path}")
    return "\n".join(lines)
