"""Authoring tasks: a new migration file (``db.new``), live changes pulled into one (``db.pull``), the declared
schema diffed into one (``db.diff``)."""

from __future__ import annotations

from typing import Any

from invoke.context import Context
from invoke.exceptions import Exit

from ..output.reporter import Reporter
from ._common import exits, settings, task
from .db import COMMON_HELP, Where, db_task, json_help


@task(
    help={
        "name": "what the migration does, e.g. add_profiles (lower-cased; spaces and dashes become _)",
        "migrations_dir": COMMON_HELP["migrations_dir"],
        "json": "print one JSON document (status, exit_code, file) instead of the file's path",
    },
    positional=["name"],
)
def new(c: Context, name: str | None = None, migrations_dir: str | None = None, json: bool = False) -> Any:
    """Create an empty migration file named as the Supabase CLI names them (inv db.new NAME)."""
    from datetime import datetime, timezone

    from ..authoring.new import create

    reporter = Reporter(json=json)
    with exits(reporter):
        s = settings(c, require_database=False, migrations_dir=migrations_dir)
        path = create(s.migrations_dir, name or "", datetime.now(timezone.utc))
    if json:
        reporter.document({"status": "created", "exit_code": 0, "file": str(path)})
    else:
        reporter.say(str(path))
    return path


@db_task(
    targets="one",
    help={
        "name": "the new migration's name (default: remote_schema)",
        "include_drops": "also drop what the live database lacks (without it, DROP statements are commented out)",
        "no_record": "do not record the new migration as applied in the live ledger",
        "dry_run": "generate and prove the migration, print it, write and record nothing",
        "schemas": "also write the live differences into supabase/schemas (the whole schema, one file per schema, "
        "when there is none yet), proven to build the live schema (docs/declarative.md)",
        "schemas_only": "write the live differences into supabase/schemas only: no migration, nothing recorded",
        **json_help("the report (and, with --dry-run, the file's text: the document holds it as sql)"),
    },
)
def pull(
    c: Context,
    name: str = "remote_schema",
    include_drops: bool = False,
    no_record: bool = False,
    dry_run: bool = False,
    schemas: bool = False,
    schemas_only: bool = False,
    *,
    where: Where,
) -> Any:
    """Turn changes made in the live database into a new migration, proven before it is written.

    The proof runs on the drift check's throwaway database: on the server MIGRATIONS_DRIFT_DB_URL points
    at, else on an embedded PostgreSQL started for this run (the sandbox extra).

    With --schemas the live differences also go into supabase/schemas (with --schemas-only, only there),
    proven: the files, built from scratch, leave no difference from the live schema.

    Exit 0 written (or nothing to pull, or --dry-run); 1 no proven migration (or schema files) could be
    produced (nothing is written); 2 history not in sync (run db.check) or a bad --name; 3 could not run.
    """
    from ..authoring.pull.render import render_pull
    from ..authoring.pull.run import PullOptions
    from ..authoring.pull.run import pull as run_pull

    options = PullOptions(
        name=name,
        include_drops=include_drops,
        record=not no_record and not schemas_only,
        dry_run=dry_run,
        schemas=schemas,
        schemas_only=schemas_only,
    )
    with where.session(c) as (reporter, s, local, db):
        result = run_pull(db, local, s, options, notify=reporter.progress)
        code = render_pull(reporter, result)
    if code:
        raise Exit(code=code)
    return result


@task(
    help={
        "name": "the new migration's name, e.g. add_notes (default: declarative_schema)",
        "dry_run": "generate and prove the migration, print it, write nothing",
        "not_renamed": "the tables and columns reported as probable renames are new ones: drop the old and add the new",
        "migrations_dir": COMMON_HELP["migrations_dir"] + "; the schema files are in schemas/ beside it",
        **json_help("the report (and, with --dry-run, the file's text: the document holds it as sql)"),
    },
    positional=["name"],
)
def diff(
    c: Context,
    name: str | None = None,
    dry_run: bool = False,
    not_renamed: bool = False,
    migrations_dir: str | None = None,
    json: bool = False,
) -> Any:
    """Write the migration from the migrations' schema to supabase/schemas', proven before it is written.

    Both schemas are built on throwaway databases (MIGRATIONS_DRIFT_DB_URL's server, else an embedded
    PostgreSQL started for this run); no live database is read. See docs/declarative.md.

    Exit 0 written (or nothing to do, or --dry-run); 1 no proven migration (nothing is written), a probable
    rename to decide, or a schema file that does not build; 2 a bad --name; 3 a file that does not parse, or
    could not run.
    """
    from ..authoring.diff.render import render_diff
    from ..authoring.diff.run import DiffOptions
    from ..authoring.diff.run import diff as run_diff
    from ..history.migrations import load

    reporter = Reporter(json=json)
    options = DiffOptions(name=name or "declarative_schema", dry_run=dry_run, not_renamed=not_renamed)
    with exits(reporter):
        s = settings(c, require_database=False, migrations_dir=migrations_dir)
        local = load(s.migrations_dir, s.rollbacks_dir)
        result = run_diff(local, s, s.migrations_dir.parent, options, notify=reporter.progress)
        code = render_diff(reporter, result)
    if code:
        raise Exit(code=code)
    return result
