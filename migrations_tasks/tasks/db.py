"""Database tasks: check, apply, rollback, repair and verify migrations."""

from __future__ import annotations

import signal
from typing import Any

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from ..report import Reporter
from ._common import exits, settings, stop_at_boundary

COMMON_HELP = {
    "migrations_dir": "directory of migration files (default: supabase/migrations)",
    "transport": "'api' (Management API) or 'postgres' (SUPABASE_DB_URL); default: api when a token "
    "and project ref are set",
    "project_ref": "Supabase project ref (default: SUPABASE_PROJECT_REF)",
    "json": "print one JSON document instead of the table",
}


@task(help=COMMON_HELP)
def check(
    c: Context,
    migrations_dir: str | None = None,
    transport: str | None = None,
    project_ref: str | None = None,
    json: bool = False,
) -> Any:
    """Compare local migrations with the project's ledger; exit 1 when some are pending."""
    from ..database import connect
    from ..engine import Engine
    from ..migrations import load
    from ..report import render_check

    reporter = Reporter(json=json)
    with exits(reporter):
        s = settings(c, migrations_dir=migrations_dir, transport=transport, project_ref=project_ref)
        local = load(s.migrations_dir, s.rollbacks_dir)
        db = connect(s, on_wait=reporter.progress)
        try:
            plan = Engine(db, s).check(local)
        finally:
            db.close()
        code = render_check(reporter, plan, requests=db.requests, warnings=local.warnings,
                            target=db.description)
    if code:
        raise Exit(code=code)
    return plan


@task(help={
    **COMMON_HELP,
    "dry_run": "parse and plan, print the SQL each migration would send, write nothing",
    "include_all": "also apply migrations older than the newest applied one (Supabase CLI semantics)",
})
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
    from ..database import connect
    from ..engine import Engine
    from ..errors import Interrupted, MigrationsTasksError
    from ..migrations import load
    from ..report import render_apply, render_event, render_partial

    reporter = Reporter(json=json)
    with exits(reporter):
        s = settings(c, migrations_dir=migrations_dir, transport=transport, project_ref=project_ref)
        local = load(s.migrations_dir, s.rollbacks_dir)
        for warning in local.warnings:
            reporter.warn(warning)
        db = connect(s, on_wait=reporter.progress)
        with stop_at_boundary(reporter) as stop:
            engine = Engine(db, s, notify=lambda e: render_event(reporter, e), should_stop=stop)
            try:
                result = engine.apply(local, include_all=include_all, dry_run=dry_run)
            except MigrationsTasksError:
                render_partial(reporter, engine.result, target=db.description)
                raise
            finally:
                db.close()
        render_apply(reporter, result, target=db.description)
        if stop.signal_number is not None:
            raise Interrupted(
                f"Stopped by {signal.Signals(stop.signal_number).name} after applying "
                f"{len(result.applied)} migration(s); the database is at a migration boundary.",
                signal_number=stop.signal_number,
                hint="Run db.apply again to continue.",
            )
    return result


@task(help={
    **COMMON_HELP,
    "steps": "roll back the newest N applied migrations (default: the newest one)",
    "to": "roll back every applied migration newer than this version (0: all of them)",
    "version": "roll back only this migration (needs --force when newer ones are applied after it)",
    "force": "with --version: roll it back even though newer migrations stay applied",
    "record_only": "only delete the ledger rows; run no down SQL (the schema stays as it is)",
    "dry_run": "find and parse the down SQL, print what each rollback would send, write nothing",
})
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
    from ..database import connect
    from ..engine import Engine
    from ..errors import Interrupted, MigrationsTasksError
    from ..migrations import load
    from ..report import render_event, render_rollback, render_rollback_partial

    reporter = Reporter(json=json)
    with exits(reporter):
        s = settings(c, migrations_dir=migrations_dir, transport=transport, project_ref=project_ref)
        local = load(s.migrations_dir, s.rollbacks_dir)
        for warning in local.warnings:
            reporter.warn(warning)
        db = connect(s, on_wait=reporter.progress)
        with stop_at_boundary(reporter) as stop:
            engine = Engine(db, s, notify=lambda e: render_event(reporter, e), should_stop=stop)
            try:
                result = engine.rollback(local, steps=steps or None, to=to, version=version, force=force,
                                         record_only=record_only, dry_run=dry_run)
            except MigrationsTasksError:
                render_rollback_partial(reporter, engine.rollback_result)
                raise
            finally:
                db.close()
        render_rollback(reporter, result, target=db.description)
        if stop.signal_number is not None:
            raise Interrupted(
                f"Stopped by {signal.Signals(stop.signal_number).name} after rolling back "
                f"{len(result.done)} migration(s); the database is at a migration boundary.",
                signal_number=stop.signal_number, hint="Run db.rollback again to continue.")
    return result


@task(help={
    **COMMON_HELP,
    "status": "'applied' (record the versions from their local files) or 'reverted' (delete their rows)",
    "versions": "the versions to repair, separated by commas or spaces (also accepted as the first argument)",
    "dry_run": "print the SQL that would rewrite the ledger, write nothing",
}, positional=["versions"])
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
    from ..database import connect
    from ..engine import Engine
    from ..migrations import load
    from ..report import render_event, render_repair

    reporter = Reporter(json=json)
    with exits(reporter):
        s = settings(c, migrations_dir=migrations_dir, transport=transport, project_ref=project_ref)
        local = load(s.migrations_dir, s.rollbacks_dir)
        db = connect(s, on_wait=reporter.progress)
        try:
            result = Engine(db, s, notify=lambda e: render_event(reporter, e)).repair(
                local, status, (versions or "").replace(",", " ").split(), dry_run=dry_run)
        finally:
            db.close()
        render_repair(reporter, result, target=db.description)
    return result


@task(help={
    **COMMON_HELP,
    "no_drift": "skip the drift check (no throwaway database): history, expectations and advisories only",
    "drift": "require the drift check even when migrations.verify.drift is off",
})
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
    from ..database import connect
    from ..errors import ConfigError
    from ..migrations import load
    from ..report import render_verify
    from ..verify import verify as run_verify

    reporter = Reporter(json=json)
    with exits(reporter):
        if drift and no_drift:
            raise ConfigError("Give --drift or --no-drift, not both.")
        s = settings(c, migrations_dir=migrations_dir, transport=transport, project_ref=project_ref)
        local = load(s.migrations_dir, s.rollbacks_dir)
        for warning in local.warnings:
            reporter.warn(warning)
        db = connect(s, on_wait=reporter.progress)
        try:
            result = run_verify(db, local, s, drift=False if no_drift else (True if drift else None),
                                notify=reporter.progress)
        finally:
            db.close()
        code = render_verify(reporter, result)
    if code:
        raise Exit(code=code)
    return result
