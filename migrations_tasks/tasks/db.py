"""Database tasks: check, apply, rollback, repair and verify migrations.

Every task takes the same four flags (``--migrations-dir``, ``--transport``, ``--project-ref``, ``--json``)
and, as :data:`TARGET_FLAGS` says, ``--target`` (and with it ``--parallel``, ``--canary``, ``--on-error``);
:func:`db_task` adds them to the task's own and hands them over as one :class:`Where` value. A ``--target``
naming several targets runs the task as a fleet (:mod:`.fleet`).
"""

from __future__ import annotations

import functools
import inspect
import signal
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import Any

from invoke.context import Context
from invoke.exceptions import Exit

from ..config.settings import Settings
from ..output.reporter import Reporter
from ._common import database, exits, stop_on_signals, task
from .fleet import run_fleet, several

COMMON_HELP = {
    "migrations_dir": "directory of migration files (default: MIGRATIONS_DIR, else invoke.yaml "
    "migrations.migrations_dir, else supabase/migrations)",
    "transport": "'api' (Management API) or 'postgres' (SUPABASE_DB_URL); default: MIGRATIONS_TRANSPORT or "
    "migrations.transport, else api when a token and project ref are set, else postgres when SUPABASE_DB_URL is",
    "project_ref": "Supabase project ref (default: SUPABASE_PROJECT_REF or SUPABASE_STAGING_PROJECT_ID, else "
    "invoke.yaml migrations.project_ref)",
    "json": "print one JSON document on stdout instead of the report",
    "target": "a target or a group of invoke.yaml migrations.targets / target_groups, a project ref, or a comma "
    "list of them (several: one line per target as it finishes, then a table)",
    "parallel": "with several targets: how many run at once (default 4); each paces itself on its project's rate limit",
    "canary": "with several targets: run the first N alone first; if one fails, no other target starts",
    "on_error": "with several targets: 'stop' (default: no new target starts, running ones stop at a migration "
    "boundary) or 'continue'",
}
#: The shared flags each kind of task takes: every target flag, one target, or none (db.lint needs none).
TARGET_FLAGS = {
    "many": ("target", "parallel", "canary", "on_error"),
    "one": ("target",),
    "none": (),
}
_ALL_TARGET_FLAGS = TARGET_FLAGS["many"]


def json_help(instead_of: str) -> dict[str, str]:
    """Return the ``--json`` help of a task whose report is ``instead_of`` (what it prints without it)."""
    return {"json": f"print one JSON document on stdout instead of {instead_of}"}


STOPPING = "stopping after the request in flight is settled (send it again to abort at once)."


@dataclass(frozen=True)
class Where:
    """The flags every database task shares: which migrations, which database, which output."""

    migrations_dir: str | None = None
    transport: str | None = None
    project_ref: str | None = None
    json: bool = False
    target: str | None = None
    parallel: int | None = None
    canary: int | None = None
    on_error: str = "stop"

    @contextmanager
    def session(
        self, c: Context, *, warn: bool = True, flags: Mapping[str, Any] | None = None
    ) -> Iterator[tuple[Reporter, Settings, Any, Any]]:
        """Yield the reporter, settings, local migrations and connection; errors become exit codes.

        ``flags`` are the task's own settings flags (``batch_size``), None when not given.
        """
        reporter = Reporter(json=self.json)
        given = {
            "migrations_dir": self.migrations_dir,
            "transport": self.transport,
            "project_ref": self.project_ref,
            "target": self.target,
        }
        with exits(reporter), database(c, reporter, warn=warn, **given, **(flags or {})) as (s, local, db):
            yield reporter, s, local, db


def db_task(
    help: Mapping[str, str] | None = None, *, targets: str = "many", **options: Any
) -> Callable[[Callable[..., Any]], Any]:
    """Make an Invoke task of ``func(c, ..., where: Where)``: its own flags, then the shared ones.

    ``help`` is the task's own flags' help; it may replace a shared flag's (``json``: what it prints instead).
    ``targets`` says which target flags it takes (:data:`TARGET_FLAGS`): ``many``, ``one`` or ``none``.
    """
    left_out = set(_ALL_TARGET_FLAGS) - set(TARGET_FLAGS[targets])
    if targets == "many":
        options["whole_numbers"] = [*options.get("whole_numbers", ()), "parallel", "canary"]

    def decorate(func: Callable[..., Any]) -> Any:
        own = list(inspect.signature(func).parameters.values())
        if own[-1].name != "where":
            raise TypeError(f"{func.__name__}: a db_task takes `where: Where` as its last argument")
        shared = [
            inspect.Parameter(f.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=f.default, annotation=f.type)
            for f in fields(Where)
            if f.name not in left_out
        ]
        signature = inspect.signature(func).replace(parameters=[*own[:-1], *shared])

        @functools.wraps(func)
        def body(*args: Any, **kwargs: Any) -> Any:
            values = signature.bind(*args, **kwargs)
            values.apply_defaults()
            given = dict(values.arguments)
            where = Where(**{f.name: given.pop(f.name) for f in fields(Where) if f.name not in left_out})
            return func(*given.values(), where=where)

        body.__signature__ = signature  # type: ignore[attr-defined]  # what Invoke reads the flags from
        shown = {k: v for k, v in {**COMMON_HELP, **(help or {})}.items() if k not in left_out}
        if targets == "one":
            shown["target"] = "one target of invoke.yaml migrations.targets, or a project ref (this task runs on one)"
        return task(help=shown, **options)(body)

    return decorate


@dataclass(frozen=True)
class _Operation:
    """How an apply or a rollback is reported: at the end, after a failure, and when a signal stopped it."""

    task: str
    verb: str
    #: Its two renderers, by name in engine/render.py: imported when the task runs, so `inv --list` stays light.
    render: str
    partial: str
    #: The engine's (partial) result of this operation, and how many migrations it has done.
    result_of: Callable[[Any], Any]
    count: Callable[[Any], int]


_APPLY = _Operation(
    "db.apply", "applying", "render_apply", "render_partial", lambda e: e.result, lambda r: len(r.applied)
)
_ROLLBACK = _Operation(
    "db.rollback",
    "rolling back",
    "render_rollback",
    "render_rollback_partial",
    lambda e: e.rollback_result,
    lambda r: len(r.done),
)


def _run_engine(
    c: Context, where: Where, operation: _Operation, work: Callable[[Any, Any], Any], batch_size: int | str | None
) -> Any:
    """Run an engine operation with stop-at-boundary signals; report what happened, also on failure."""
    from ..engine import Engine, render
    from ..errors import Interrupted, MigrationsTasksError

    flags = {"batch_size": batch_size}  # None: not given; else as given: the settings refuse 0, -3 and "many" alike
    with where.session(c, flags=flags) as (reporter, s, local, db), stop_on_signals(reporter, STOPPING) as stop:
        engine = Engine(db, s, on_event=lambda e: render.render_event(reporter, e), should_stop=stop)
        try:
            result = work(engine, local)
        except MigrationsTasksError:
            getattr(render, operation.partial)(reporter, operation.result_of(engine))
            raise
        getattr(render, operation.render)(reporter, result, target=db.description)
        if stop.signal_number:
            raise Interrupted(
                f"Stopped by {signal.Signals(stop.signal_number).name} after {operation.verb} "
                f"{operation.count(result)} migration(s); the database is at a migration boundary.",
                signal_number=stop.signal_number,
                hint=f"Run {operation.task} again to continue.",
            )
    return result


@db_task(help=json_help("the table"))
def check(c: Context, where: Where) -> Any:
    """Compare local migrations with the project's ledger; exit 1 when some are pending.

    With supabase/schemas beside the migrations, both schemas are also built on throwaway databases and
    compared: exit 1 when the schema files are ahead of the migrations (docs/declarative.md).
    """
    from ..authoring.diff.check import schemas_differences
    from ..engine import Engine
    from ..engine.render import render_check
    from ..lint.phases import classify_pending

    if several(c, where):
        return run_fleet(c, where, "db.check", lambda jobs: jobs.check, schemas=True)
    with where.session(c, warn=False) as (reporter, s, local, db):
        plan = Engine(db, s).check(local)
        schemas = schemas_differences(local, s, s.migrations_dir.parent, reporter.progress)
        phases = classify_pending(local.migrations, [e.migration for e in plan.pending if e.migration])
        code = render_check(
            reporter,
            plan,
            requests=db.requests,
            warnings=local.warnings,
            target=db.description,
            schemas=schemas,
            phases={p.version: p.to_dict() for p in phases},
        )
    if code:
        raise Exit(code=code)
    return plan


BATCH_HELP = (
    "migrations per request, each still its own transaction (default: migrations.batch_size, 50; "
    "1: one request per migration)"
)


@db_task(
    help={
        "dry_run": "parse and plan, print the SQL each migration would send, write nothing",
        "include_all": "also apply migrations older than the newest applied one (Supabase CLI semantics)",
        "batch_size": BATCH_HELP,
        "phase": "expand: expand and data migrations only, contract ones left pending (they must sort last); "
        "contract: the contract ones, once nothing else is pending; all (default): every pending migration",
        **json_help("the progress lines and the summary (per migration: status, seconds, requests)"),
    },
    whole_numbers=["batch_size"],
)
def apply(
    c: Context,
    dry_run: bool = False,
    include_all: bool = False,
    batch_size: int | None = None,
    phase: str = "all",
    *,
    where: Where,
) -> Any:
    """Apply pending migrations, each atomically with its ledger row."""
    from ..errors import ConfigError
    from ..lint.phase_plan import PHASE_CHOICES, selector

    if phase not in PHASE_CHOICES:  # before any target is contacted (exit 3)
        with exits(Reporter(json=where.json)):
            raise ConfigError(f"Unknown --phase {phase!r}: use {', '.join(PHASE_CHOICES)}.")
    if several(c, where):
        options = {"include_all": include_all, "dry_run": dry_run, "phase": phase}
        return run_fleet(
            c, where, "db.apply", lambda jobs: jobs.engine("apply", **options), flags={"batch_size": batch_size}
        )

    def work(engine: Any, local: Any) -> Any:
        select = selector(engine.db, local.migrations, phase)
        return engine.apply(local, include_all=include_all, dry_run=dry_run, select=select)

    return _run_engine(c, where, _APPLY, work, batch_size)


@db_task(
    help={
        "steps": "roll back the newest N applied migrations (default: the newest one)",
        "to": "roll back every applied migration newer than this version (0: all of them)",
        "version": "roll back only this migration (needs --force when newer ones are applied after it)",
        "force": "with --version: roll it back even though newer migrations stay applied",
        "record_only": "only delete the ledger rows; run no down SQL (the schema stays as it is)",
        "dry_run": "find and parse the down SQL, print what each rollback would send, write nothing",
        "batch_size": BATCH_HELP.replace("migrations per request", "rollback steps per request"),
        **json_help("the progress lines and the summary"),
    },
    whole_numbers=["steps", "batch_size"],
)
def rollback(
    c: Context,
    steps: int = 0,
    to: str | None = None,
    version: str | None = None,
    force: bool = False,
    record_only: bool = False,
    dry_run: bool = False,
    batch_size: int | None = None,
    *,
    where: Where,
) -> Any:
    """Undo the newest applied migration (or more) with its down SQL, atomically with its ledger row."""
    if not isinstance(steps, int):  # --steps many: Invoke passes what it could not read as a number
        from ..errors import ConfigError

        with exits(Reporter(json=where.json)):
            raise ConfigError(f"--steps must be a whole number, not {steps!r}.")
    options = {"steps": steps or None, "to": to, "version": version, "force": force, "record_only": record_only}
    if several(c, where):
        work = lambda jobs: jobs.engine("rollback", dry_run=dry_run, **options)  # noqa: E731
        return run_fleet(c, where, "db.rollback", work, done_word="rolled-back", flags={"batch_size": batch_size})
    return _run_engine(
        c, where, _ROLLBACK, lambda engine, local: engine.rollback(local, dry_run=dry_run, **options), batch_size
    )


@db_task(
    help={
        "status": "'applied' (record the versions from their local files) or 'reverted' (delete their rows)",
        "versions": "the versions to repair, separated by commas or spaces (also accepted as the first argument)",
        "dry_run": "print the SQL that would rewrite the ledger, write nothing",
        **json_help("a line per version and the summary (with --dry-run, the SQL too)"),
    },
    positional=["versions"],
)
def repair(c: Context, versions: str | None = None, status: str = "", dry_run: bool = False, *, where: Where) -> Any:
    """Rewrite ledger rows without running migration SQL (inv db.repair --status applied VERSION[,VERSION])."""
    from ..engine import Engine
    from ..engine.render import render_event, render_repair

    chosen = (versions or "").replace(",", " ").split()
    if several(c, where):
        work = lambda jobs: jobs.engine("repair", status=status, versions=chosen, dry_run=dry_run)  # noqa: E731
        return run_fleet(c, where, "db.repair", work, done_word="repaired")
    with where.session(c, warn=False) as (reporter, s, local, db):
        engine = Engine(db, s, on_event=lambda e: render_event(reporter, e))
        result = engine.repair(local, status, chosen, dry_run=dry_run)
        render_repair(reporter, result, target=db.description)
    return result


@db_task(
    help={
        "no_drift": "skip the drift check (no throwaway database): history, expectations and advisories only",
        "drift": "require the drift check even when migrations.verify.drift is off",
        **json_help("the report grouped by check"),
    }
)
def verify(c: Context, no_drift: bool = False, drift: bool = False, *, where: Where) -> Any:
    """Prove the live database is what the migrations say, and safe; exit 0 only when it is."""
    from ..errors import ConfigError
    from ..verify import verify as run_verify
    from ..verify.render import render_verify

    if drift and no_drift:
        with exits(Reporter(json=where.json)):
            raise ConfigError("Give --drift or --no-drift, not both.")
    wanted = False if no_drift else (True if drift else None)
    if several(c, where):
        return run_fleet(c, where, "db.verify", lambda jobs: jobs.verify(wanted))
    with where.session(c) as (reporter, s, local, db):
        result = run_verify(db, local, s, drift=wanted, notify=reporter.progress)
        code = render_verify(reporter, result)
    if code:
        raise Exit(code=code)
    return result
