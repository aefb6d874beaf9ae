"""Database tasks: check, apply, rollback, repair and verify migrations."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from ..report import Reporter
from ..settings import Settings
from ._common import database, exits, stop_on_signals

COMMON_HELP = {
    "migrations_dir": "directory of migration files (default: supabase/migrations)",
    "transport": "'api' (Management API) or 'postgres' (SUPABASE_DB_URL); default: api when a token "
    "and project ref are set",
    "project_ref": "Supabase project ref (default: SUPABASE_PROJECT_REF)",
    "json": "print one JSON document instead of the table",
}
STOPPING = "stopping after the migration in flight is settled (send it again to abort at once)."


@dataclass(frozen=True)
class _Where:
    """The flags every database task shares: which migrations, which database, which output."""

    migrations_dir: str | None
    transport: str | None
    project_ref: str | None
    json: bool

    @contextmanager
    def session(self, c: Context, *, warn: bool = True) -> Iterator[tuple[Reporter, Settings, Any, Any]]:
        """Yield the reporter, settings, local migrations and connection; errors become exit codes."""
        reporter = Reporter(json=self.json)
        flags = {"migrations_dir": self.migrations_dir, "transport": self.transport, "project_ref": self.project_ref}
        with exits(reporter), database(c, reporter, warn=warn, **flags) as (s, local, db):
            yield reporter, s, local, db


@dataclass(frozen=True)
class _EngineRun:
    """What an apply or a rollback does, and how it is reported."""

    work: Callable[[Any, Any], Any]
    partial: Callable[[Reporter, Any], None]
    render: Callable[[Reporter, Any, str], None]
    done: Callable[[Any], str]
    again: str


def _run_engine(c: Context, where: _Where, run: _EngineRun) -> Any:
    """Run an engine operation with stop-at-boundary signals; report what happened, also on failure."""
    from ..engine import Engine
    from ..errors import Interrupted, MigrationsTasksError
    from ..report import render_event

    with where.session(c) as (reporter, s, local, db), stop_on_signals(reporter, STOPPING) as stop:
        engine = Engine(db, s, on_event=lambda e: render_event(reporter, e), should_stop=stop)
        try:
            result = run.work(engine, local)
        except MigrationsTasksError:
            run.partial(reporter, engine)
            raise
        run.render(reporter, result, db.description)
        if stop.signal_number:
            raise Interrupted(
                f"Stopped by {signal.Signals(stop.signal_number).name} after {run.done(result)}; the database is "
                "at a migration boundary.",
                signal_number=stop.signal_number,
                hint=f"Run {run.again} again to continue.",
            )
    return result


@task(help=COMMON_HELP)
def check(
    c: Context,
    migrations_dir: str | None = None,
    transport: str | None = None,
    project_ref: str | None = None,
    json: bool = False,
) -> Any:
    """Compare local migrations with the project's ledger; exit 1 when some are pending."""
    from ..engine import Engine
    from ..report import render_check

    with _Where(migrations_dir, transport, project_ref, json).session(c, warn=False) as (reporter, s, local, db):
        plan = Engine(db, s).check(local)
        code = render_check(reporter, plan, requests=db.requests, warnings=local.warnings, target=db.description)
    if code:
        raise Exit(code=code)
    return plan


@task(
    help={
        **COMMON_HELP,
        "dry_run": "parse and plan, print the SQL each migration would send, write nothing",
        "include_all": "also apply migrations older than the newest applied one (Supabase CLI semantics)",
    }
)
def apply(
    c: Context,
    migrations_dir: str | None = None,
    transport: str | None = None,
    project_ref: str | None = None,
    dry_run: bool = False,
    include_all: bool = False,
    json: bool = False,
) -> Any:
    """Apply pending migrations, each atomically with its ledger row."""
    from ..report import render_apply, render_partial

    run = _EngineRun(
        work=lambda engine, local: engine.apply(local, include_all=include_all, dry_run=dry_run),
        partial=lambda reporter, engine: render_partial(reporter, engine.result),
        render=lambda reporter, result, target: render_apply(reporter, result, target=target),
        done=lambda result: f"applying {len(result.applied)} migration(s)",
        again="db.apply",
    )
    return _run_engine(c, _Where(migrations_dir, transport, project_ref, json), run)


@task(
    help={
        **COMMON_HELP,
        "steps": "roll back the newest N applied migrations (default: the newest one)",
        "to": "roll back every applied migration newer than this version (0: all of them)",
        "version": "roll back only this migration (needs --force when newer ones are applied after it)",
        "force": "with --version: roll it back even though newer migrations stay applied",
        "record_only": "only delete the ledger rows; run no down SQL (the schema stays as it is)",
        "dry_run": "find and parse the down SQL, print what each rollback would send, write nothing",
    }
)
def rollback(
    c: Context,
    steps: int = 0,
    to: str | None = None,
    version: str | None = None,
    force: bool = False,
    record_only: bool = False,
    dry_run: bool = False,
    migrations_dir: str | None = None,
    transport: str | None = None,
    project_ref: str | None = None,
    json: bool = False,
) -> Any:
    """Undo the newest applied migration (or more) with its down SQL, atomically with its ledger row."""
    from ..report import render_rollback, render_rollback_partial

    run = _EngineRun(
        work=lambda engine, local: engine.rollback(
            local, steps=steps or None, to=to, version=version, force=force, record_only=record_only, dry_run=dry_run
        ),
        partial=lambda reporter, engine: render_rollback_partial(reporter, engine.rollback_result),
        render=lambda reporter, result, target: render_rollback(reporter, result, target=target),
        done=lambda result: f"rolling back {len(result.done)} migration(s)",
        again="db.rollback",
    )
    return _run_engine(c, _Where(migrations_dir, transport, project_ref, json), run)


@task(
    help={
        **COMMON_HELP,
        "status": "'applied' (record the versions from their local files) or 'reverted' (delete their rows)",
        "versions": "the versions to repair, separated by commas or spaces (also accepted as the first argument)",
        "dry_run": "print the SQL that would rewrite the ledger, write nothing",
    },
    positional=["versions"],
)
def repair(
    c: Context,
    versions: str | None = None,
    status: str = "",
    dry_run: bool = False,
    migrations_dir: str | None = None,
    transport: str | None = None,
    project_ref: str | None = None,
    json: bool = False,
) -> Any:
    """Rewrite ledger rows without running migration SQL (inv db.repair --status applied VERSION[,VERSION])."""
    from ..engine import Engine
    from ..report import render_event, render_repair

    with _Where(migrations_dir, transport, project_ref, json).session(c, warn=False) as (reporter, s, local, db):
        engine = Engine(db, s, on_event=lambda e: render_event(reporter, e))
        result = engine.repair(local, status, (versions or "").replace(",", " ").split(), dry_run=dry_run)
        render_repair(reporter, result, target=db.description)
    return result


@task(
    help={
        **COMMON_HELP,
        "no_drift": "skip the drift check (no throwaway database): history, expectations and advisories only",
        "drift": "require the drift check even when migrations.verify.drift is off",
    }
)
def verify(
    c: Context,
    no_drift: bool = False,
    drift: bool = False,
    migrations_dir: str | None = None,
    transport: str | None = None,
    project_ref: str | None = None,
    json: bool = False,
) -> Any:
    """Prove the live database is what the migrations say, and safe; exit 0 only when it is."""
    from ..errors import ConfigError
    from ..verify import verify as run_verify
    from ..verify.render import render_verify

    if drift and no_drift:
        with exits(Reporter(json=json)):
            raise ConfigError("Give --drift or --no-drift, not both.")
    with _Where(migrations_dir, transport, project_ref, json).session(c) as (reporter, s, local, db):
        wanted = False if no_drift else (True if drift else None)
        result = run_verify(db, local, s, drift=wanted, notify=reporter.progress)
        code = render_verify(reporter, result)
    if code:
        raise Exit(code=code)
    return result
