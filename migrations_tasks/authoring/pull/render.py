"""Print what ``db.pull`` did: a short report for people, one JSON document for machines.

With ``--dry-run`` the migration file itself goes to stdout and the report to stderr, so
``inv db.pull --dry-run > file.sql`` keeps a clean file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...catalog import NOT_COMPARED
from ...output.reporter import Reporter
from ...untrusted import escape, flagged
from ...wording import plural
from .results import PullResult, PullStatus


def pull_document(result: PullResult) -> dict[str, Any]:
    """Return a pull result as one JSON-able document."""
    return {
        "status": result.status.value,
        "exit_code": result.exit_code,
        "target": result.target,
        "file": str(result.path) if result.path else None,
        "version": result.version or None,
        "name": result.name,
        "changes": result.changes,
        "commented_drops": result.commented,
        "down_statements": result.down_statements,
        "warnings": result.warnings,
        "differences": result.differences,
        "problem": result.problem or None,
        "remaining": result.remaining,
        "hint": result.hint or None,
        "recorded": result.recorded,
        "migration": result.migration,
        "schemas": result.schemas or None,
        "schema_files": result.schema_files,
        "schema_changes": result.schema_changes,
        "where": result.where,
        "migrations_applied": result.migrations_applied,
        "requests": result.requests,
        "seconds": round(result.seconds, 3),
        "sql": result.text or None,
    }


def _cost(result: PullResult) -> str:
    return f"({plural(result.requests, 'request')} to {result.target}; {result.seconds:.1f}s in all)"


def _say_changes(say: Callable[[str], None], result: PullResult) -> None:
    for change in result.changes:
        say(f"  {flagged(change)}")
    for warning in result.warnings:
        say(f"warning: {escape(warning)}")
    if result.commented:
        say("Commented out, the live database lacks these (inv db.pull --include-drops writes them):")
        for statement in result.commented:
            say(f"  -- {statement}")


def _say_proof(say: Callable[[str], None], result: PullResult) -> None:
    say(
        f"Proven on {result.where}: applied on top of {plural(result.migrations_applied, 'migration')} it leaves "
        f"no difference from the live schema; its down SQL ({plural(result.down_statements, 'statement')}) "
        "restores the migrations' schema."
    )


def _say_unproven(say: Callable[[str], None], result: PullResult) -> None:
    what = "a proven migration" if result.migration else "proven schema files"
    say(f"error: Could not produce {what}; nothing was written: {result.problem}.")
    for line in result.remaining:
        say(f"  {line}")
    if result.hint:
        say(f"  hint: {result.hint}")


def _say_schemas(say: Callable[[str], None], result: PullResult) -> None:
    """Say what --schemas wrote (or would write) into the schema files."""
    if result.schemas == "nothing":
        say("The schema files already declare the live schema: nothing to write into them.")
    elif result.schemas in ("written", "dry-run"):
        verb = "Wrote" if result.schemas == "written" else "Would write"
        say(f"{verb} {plural(len(result.schema_changes), 'change')} into {', '.join(result.schema_files)}:")
        for change in result.schema_changes:
            say(f"  {flagged(change)}")
        say(f"Proven on {result.where}: built from scratch, the schema files leave no difference from the live schema.")


def render_pull(reporter: Reporter, result: PullResult) -> int:
    """Print a pull result; return its exit code."""
    if reporter.json:
        reporter.document(pull_document(result))
        return result.exit_code
    say = reporter.say
    if result.status is PullStatus.NOTHING and result.migration:
        if result.commented:
            say(f"Nothing to pull but drops: the live database lacks {plural(len(result.commented), 'object')}.")
            _say_changes(say, result)
        else:
            built = plural(result.migrations_applied, "migration")
            say(
                f"Nothing to pull: the live schema matches what the {built} build, in what db.pull compares "
                f"(not compared: {'; '.join(NOT_COMPARED)}; see docs/drift.md)."
            )
    elif result.status is PullStatus.UNPROVEN:
        say = reporter.progress
        _say_unproven(say, result)
        if result.changes:
            say("What was generated (not written):")
            _say_changes(say, result)
    elif not result.migration:
        pass  # --schemas-only: only the schema files, below
    elif result.status is PullStatus.DRY_RUN:
        print(result.text, end="", file=reporter.out, flush=True)
        say = reporter.progress
        say(f"Would write {result.filename} ({plural(len(result.changes), 'change')}):")
        _say_changes(say, result)
        _say_proof(say, result)
        say("Nothing was written or recorded (--dry-run).")
    else:
        say(f"Pulled {plural(len(result.changes), 'change')} from the live database into {result.path}:")
        _say_changes(say, result)
        _say_proof(say, result)
        if result.recorded:
            say(f"Recorded {result.version} as applied in the live ledger, as supabase db pull does.")
        else:
            say(f"Not recorded (--no-record): `inv db.repair --status applied {result.version}` records it.")
    if result.status is not PullStatus.UNPROVEN:
        _say_schemas(say, result)
    say(_cost(result))
    return result.exit_code
