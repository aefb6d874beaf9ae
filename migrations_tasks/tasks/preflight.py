"""Know before you apply: ``db.lint`` (static rules, no database) and ``db.plan`` (a rehearsal on a real engine).

Both are added to the ``db`` collection; they take the four flags every database task shares.
"""

from __future__ import annotations

from typing import Any

from invoke.context import Context
from invoke.exceptions import Exit

from ..output.reporter import Reporter
from ._common import exits, settings
from .db import Where, db_task, json_help


@db_task(
    targets="none",
    help={
        "all": "lint every migration file, not only the pending ones (sends nothing)",
        "files": "takes a path: lint only this file (repeat the flag for more; sends nothing)",
        **json_help("the findings and the summary"),
    },
    iterable=["files"],
)
def lint(c: Context, all: bool = False, files: list[str] | None = None, *, where: Where) -> Any:
    """Lint pending migrations with squawk's rules and Supabase's; exit 1 on an error-level finding."""
    from ..history.migrations import load
    from ..lint.render import render_lint
    from ..lint.run import levels
    from ..lint.run import lint as run_lint
    from ..lint.scope import configured, select

    reporter = Reporter(json=where.json)
    flags: dict[str, Any] = {
        "migrations_dir": where.migrations_dir,
        "transport": where.transport,
        "project_ref": where.project_ref,
    }
    with exits(reporter):
        s = settings(c, require_database=False, **flags)
        if configured(s) and not (all or files):
            s = settings(c, **flags)
        levels(s.lint)  # an unknown rule name stops here, before the ledger is read
        local = load(s.migrations_dir, s.rollbacks_dir)
        chosen = select(s, local, files=files or (), every=all, say=reporter.progress)
        for warning in [*local.warnings, *chosen.warnings]:
            reporter.warn(warning)
        exposed = s.verify.exposed_schemas
        result = run_lint(
            chosen.migrations, s.lint, exposed_schemas=exposed, scope=chosen.scope, every=local.migrations
        )
        result.requests = chosen.requests
        code = render_lint(reporter, result)
    if code:
        raise Exit(code=code)
    return result


@db_task(
    targets="one",
    help={
        "include_all": "also rehearse migrations older than the newest applied one (as db.apply --include-all)",
        "strict": "exit 1 when the verdict is review too (a lock that blocks writes on a table with rows, a "
        "rewrite, a data check that could not run)",
        "verbose": "print every statement and every lock (by default statements that lock no existing table "
        "are counted, and index locks are folded into their table)",
        **json_help("the report per migration and the table (the same content)"),
    },
)
def plan(c: Context, include_all: bool = False, strict: bool = False, verbose: bool = False, *, where: Where) -> Any:
    """Rehearse pending migrations on a throwaway database and check the live rows; verdict fails/review/safe.

    The throwaway database is the drift check's: a copy of the sandbox's Supabase template on the server
    MIGRATIONS_DRIFT_DB_URL points at, else on an embedded PostgreSQL started for this run (the sandbox
    extra). The live project gets one read request (ledger and table sizes), and read-only requests that
    count the rows each row-dependent statement would fail on (NOT NULL, UNIQUE, FOREIGN KEY, CHECK, type
    changes); it is never written.

    Exit 0 safe or review (review: a lock that blocks writes on a table with rows, a rewrite, a data check
    that could not run; 1 with --strict); 1 fails: a migration fails there, a data check fails on the live
    rows, an error-level finding or a failed rollback proof; 2 history conflict (as db.check); 3 could not
    run (settings, network, no throwaway database).
    """
    from ..rehearsal.render import render_plan
    from ..rehearsal.run import plan as run_plan

    with where.session(c) as (reporter, s, local, db):
        result = run_plan(db, local, s, include_all=include_all, notify=reporter.progress)
        result.strict = strict
        code = render_plan(reporter, result, verbose)
    if code:
        raise Exit(code=code)
    return result
