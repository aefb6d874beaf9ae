"""``pull()``: read the live catalog, build the migrations' database, generate, prove, write and record.

Requests to the live database: one read (the ledger and the catalog, as ``db.verify`` reads them), and
one write to record the new file as applied (none with ``no_record`` or ``dry_run``). Everything else
happens on the drift check's throwaway database:

1. the migrations the ledger lists are applied to it; its catalog is the *expected* one;
2. when it differs from the live catalog, statements are generated and rehearsed (:mod:`.proof`);
3. the file is applied on top through the engine: no difference from the live catalog may remain (but
   the objects whose drops stay commented out);
4. its down SQL is generated from there back to the expected catalog, and the file is rolled back
   through the engine: no difference from the expected catalog may remain.

Only then is the file written (and recorded). The local history must be in sync with the ledger first.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ...catalog import Snapshot, compare
from ...catalog import request as snapshot_request
from ...config.settings import Settings
from ...errors import (
    ConfigError,
    HistoryConflict,
    MigrationFileError,
    MigrationsTasksError,
    ProtocolError,
)
from ...history import ledger
from ...history.migrations import LocalMigrations, Migration
from ...history.status import build
from ...progress import Notify, quiet
from ...transport.database import Database
from ...verify.request import LEDGER_COLUMNS, LEDGER_ROWS_SQL, decode_ledger
from ...verify.throwaway import Throwaway, throwaway_database
from ..diff.declare import into_schemas
from ..new import free_version, normalise_name
from .proof import (
    Extra,
    Generated,
    Unproven,
    Workbench,
    allowed,
    apply_candidate,
    candidate,
    generate,
    readded,
    remaining,
    tolerated,
)
from .record import record
from .results import PullResult, PullStatus
from .script import Intro, file_text, pull_intro, statement_text, statements_sql, up_text
from .warnings import data_warnings, hidden_text_warnings, rename_warnings

DEFAULT_NAME = "remote_schema"


@dataclass(frozen=True)
class PullOptions:
    """What the user asked for."""

    name: str = DEFAULT_NAME
    include_drops: bool = False
    record: bool = True
    dry_run: bool = False
    #: Also write the live differences into supabase/schemas (``--schemas``), or only there (``--schemas-only``).
    schemas: bool = False
    schemas_only: bool = False
    #: Write probable renames (a column at a dropped one's place, a table with a dropped one's columns) as such.
    renames: bool = True


def live_request(settings: Settings) -> str:
    """Return the one read of the live database: the ledger's columns and rows, and both snapshots."""
    vs = settings.verify
    extra = f"{LEDGER_COLUMNS},\n  "
    return f"{LEDGER_ROWS_SQL};\n{snapshot_request(vs.drift_schemas, vs.drift_ignore_schemas, extra=extra)}"


def read_live(db: Database, settings: Settings) -> tuple[ledger.Ledger, Snapshot]:
    """Read the live ledger and catalog in one request."""
    rows = db.execute(live_request(settings), write=False)
    if len(rows) != 1:
        raise ProtocolError(f"db.pull's request returned {len(rows)} rows instead of one.")
    row = rows[0]
    history = decode_ledger(row)
    return history, Snapshot.from_row(row)


def _in_sync(local: LocalMigrations, history: ledger.Ledger) -> LocalMigrations:
    """Return the applied migrations; refuse when files and ledger disagree or migrations are pending."""
    plan = build(local.migrations, history)
    odd = [e for e in plan.entries if e.status.value != "applied"]
    if odd:
        listed = ", ".join(f"{e.version} ({e.status.value})" for e in odd[:8]) + (", ..." if len(odd) > 8 else "")
        raise HistoryConflict(
            f"db.pull needs the local migrations and the live ledger in sync; they are not: {listed}.",
            hint="Apply pending migrations (inv db.apply) and resolve conflicts (inv db.check lists them), "
            "then pull again.",
        )
    return LocalMigrations(local.directory, tuple(e.migration for e in plan.entries if e.migration is not None))


def pull(
    db: Database,
    local: LocalMigrations,
    settings: Settings,
    options: PullOptions = PullOptions(),
    *,
    now: datetime | None = None,
    notify: Notify | None = None,
) -> PullResult:
    """Turn the live database's changes into a proven migration file (see the module docstring)."""
    say = notify or quiet
    started, before = time.perf_counter(), db.requests
    moment = now or datetime.now(timezone.utc)
    result = PullResult(target=db.description, name=normalise_name(options.name))
    try:
        history, live = read_live(db, settings)
        applied = local if options.schemas_only else _in_sync(local, history)
        result.version = free_version(
            local.directory, {m.version for m in local.migrations} | history.versions(), moment
        )
        result.migration = not options.schemas_only
        migration = None if options.schemas_only else _prove(result, applied, live, settings, options, moment, say)
        if options.schemas or options.schemas_only:
            _declare(result, live, local.directory.parent, settings, options, moment, say)
        if migration is not None and not options.dry_run:
            result.path = _write(local.directory / result.filename, result.text)
            result.status = PullStatus.WRITTEN
            if options.record:
                say(f"pull: recording {result.version} as applied in the live ledger ...")
                _record(db, settings, history, _reparsed(migration, result.path))
                result.recorded = True
        elif migration is not None:
            result.status = PullStatus.DRY_RUN
    except Unproven as exc:
        result.status, result.problem, result.remaining, result.hint = (
            PullStatus.UNPROVEN,
            exc.message,
            exc.remaining,
            exc.hint,
        )
    finally:
        result.requests = db.requests - before
        result.seconds = time.perf_counter() - started
    return result


def _prove(
    result: PullResult,
    applied: LocalMigrations,
    live: Snapshot,
    settings: Settings,
    options: PullOptions,
    now: datetime,
    say: Notify,
) -> Migration | None:
    """Generate the file and prove it; return the proven migration (None: nothing to write)."""
    info = Throwaway()
    admin = settings.drift_db_url.reveal() if settings.drift_db_url else None
    say("pull: applying the migrations to a throwaway database ...")
    with ExitStack() as stack:
        try:
            url = stack.enter_context(throwaway_database(admin, info))
        except ConfigError as exc:
            raise ConfigError(
                f"db.pull builds the migrations' schema on the drift check's throwaway database: {exc.message}",
                hint="Install the sandbox extra (pip install 'migrations-tasks[sandbox]'), or set "
                "MIGRATIONS_DRIFT_DB_URL to a running sandbox's SANDBOX_DB_URL.",
            ) from None
        scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="mt-pull-"))
        bench = Workbench(url, settings)
        try:
            result.where = info.where
            bench.apply_history(applied)
            result.migrations_applied = len(applied.migrations)
            return prove_on(bench, result, applied, live, options, now, Path(scratch), say)
        finally:
            bench.close()


def _declare(
    result: PullResult,
    live: Snapshot,
    supabase_dir: Path,
    settings: Settings,
    options: PullOptions,
    now: datetime,
    say: Notify,
) -> None:
    """Prove the schema files' new texts (:mod:`..diff.declare`) and, unless ``--dry-run``, write them."""
    declared = into_schemas(live, supabase_dir, settings, include_drops=options.include_drops, now=now, say=say)
    result.schemas = "nothing" if declared is None else "dry-run" if options.dry_run else "written"
    if declared is None:
        return
    result.schema_files = [str(p) for p in declared.texts]
    result.schema_changes = declared.changes
    result.where = result.where or declared.where
    if not options.dry_run:
        declared.commit()
    if options.schemas_only:
        result.status = PullStatus.DRY_RUN if options.dry_run else PullStatus.WRITTEN


def prove_on(
    bench: Workbench,
    result: PullResult,
    applied: LocalMigrations,
    live: Snapshot,
    options: PullOptions,
    now: datetime,
    scratch: Path,
    say: Notify,
    intro: Intro = pull_intro,
    found: str = "pull: {} difference(s) from the live database",
    extra: Sequence[Extra] = (),
    late: Sequence[Extra] = (),
) -> Migration | None:
    """Generate the file from the catalog ``bench`` holds (the migrations applied) to ``live``, apply it, roll
    it back, compare each time; return it proven (None: nothing to write). ``db.diff`` calls it too, with
    the declared schema's catalog as ``live``, its own header (``intro``), progress line (``found``) and
    generators (``extra``; ``late`` ones run on the rehearsed catalog, as grants do)."""
    expected = bench.snapshot()
    initial = compare(expected, live)
    result.differences = [d.describe() for d in initial]
    if not initial:
        return None
    say(f"{found.format(len(initial))}; generating and proving a migration ...")
    renames, drops = options.renames, options.include_drops
    up = generate(bench, expected, live, include_drops=drops, extra=extra, late=late, renames=renames)
    _describe(result, up, data_warnings(up.start or expected, live, renames=renames, drops=drops))
    text = result.text = up_text(result.name, now, up.steps, up.commented, result.warnings, intro)
    if up.unsupported:
        raise Unproven("some differences cannot be written as statements", up.unsupported)
    if not up.steps:
        left = [d.describe() for d in initial if not allowed(d, tolerated(initial, options.include_drops))]
        if left:
            raise Unproven(
                f"{bench.command} cannot write these differences as statements yet",
                left,
                hint=f"Write the change by hand (inv db.new NAME); docs/pull.md lists what {bench.command} writes.",
            )
        return None
    counts = bench.row_counts()
    up_sql = statements_sql(up.steps)
    apply_candidate(bench, applied, candidate(scratch, result.version, result.name, text, up_sql), "apply")
    bench.same_rows(counts, "the generated migration")
    after = bench.snapshot()
    left = remaining(after, live, tolerated(initial, options.include_drops))
    if left:
        raise Unproven("applied on top of the migrations, the generated file leaves differences", left)
    down = generate(bench, after, expected, down=True, include_drops=True, extra=extra, late=late, renames=renames)
    if down.unsupported:
        raise Unproven("its down SQL cannot be generated", down.unsupported)
    result.text = file_text(text, down.steps)
    result.down_statements = len(down.steps)
    final = candidate(scratch, result.version, result.name, result.text, up_sql, statements_sql(down.steps))
    apply_candidate(bench, applied, final, "rollback")
    bench.same_rows(counts, "its down SQL")
    back = remaining(bench.snapshot(), expected, readded(expected, live) if drops else set())
    if back:
        raise Unproven("rolled back with its down SQL, the schema is not the migrations' again", back)
    return final


def _describe(result: PullResult, up: Generated, warnings: list[str]) -> None:
    """Put the file's changes, its commented-out drops and its warnings into the result."""
    result.changes = [s.summary for s in up.steps if s.summary]
    result.commented = [f"{statement_text(s)};" for s in up.commented]
    result.warnings = rename_warnings(up.steps) + warnings + hidden_text_warnings([*up.steps, *up.commented])


def _write(path: Path, text: str) -> Path:
    try:
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError:
        raise MigrationFileError(f"{path} already exists; nothing was written.", path=str(path)) from None
    except OSError as exc:
        raise MigrationFileError(f"Cannot write {path}: {exc.strerror}; nothing was written.", path=str(path)) from None
    return path


def _record(db: Database, settings: Settings, history: ledger.Ledger, migration: Migration) -> None:
    try:
        record(db, settings, history, migration)
    except MigrationsTasksError as exc:
        raise MigrationsTasksError(
            f"{migration.path} was written, but recording it in the live ledger failed: {exc.message}",
            hint=f"The live database already has its changes: record it with "
            f"`inv db.repair --status applied {migration.version}`.",
        ) from None


def _reparsed(migration: Migration, path: Path) -> Migration:
    """Return the proven migration as its written file (the same statements, the real path)."""
    return Migration(migration.version, migration.name, path, migration.statements, migration.units, migration.down)
