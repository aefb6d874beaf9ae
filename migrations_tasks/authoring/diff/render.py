"""Print what ``db.diff`` did: a short report for people, one JSON document for machines.

With ``--dry-run`` the migration file itself goes to stdout and the report to stderr, so
``inv db.diff NAME --dry-run > file.sql`` keeps a clean file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...catalog import NOT_COMPARED
from ...output.reporter import Reporter
from ...untrusted import escape, flagged
from ...wording import plural
from .results import DiffResult, DiffStatus

Say = Callable[[str], None]


def diff_document(result: DiffResult) -> dict[str, Any]:
    """Return a diff result as one JSON-able document."""
    proof = result.proof
    return {
        "status": result.status.value,
        "exit_code": result.exit_code,
        "file": str(result.path) if result.path else None,
        "version": proof.version or None,
        "name": proof.name,
        "schema_files": result.schema_files,
        "changes": proof.changes,
        "down_statements": proof.down_statements,
        "warnings": proof.warnings,
        "caveats": result.caveats,
        "renames": result.renames,
        "differences": proof.differences,
        "problem": proof.problem or None,
        "remaining": proof.remaining,
        "hint": proof.hint or None,
        "where": proof.where,
        "migrations_applied": result.migrations_applied,
        "seconds": round(proof.seconds, 3),
        "sql": proof.text or None,
    }


def _say_changes(say: Say, result: DiffResult) -> None:
    for change in result.proof.changes:
        say(f"  {flagged(change)}")
    for warning in result.proof.warnings:
        say(f"warning: {escape(warning)}")
    losing = [c for c in result.proof.changes if c.startswith(("drop table ", "drop column "))]
    if losing:
        say(
            f"warning: it drops {len(losing)} table(s) or column(s) the schema files lack, with their rows: "
            "the files are the truth (declare them to keep them)."
        )


def _say_proof(say: Say, result: DiffResult) -> None:
    say(
        f"Proven on {result.proof.where}: applied on top of {plural(result.migrations_applied, 'migration')} it "
        f"leaves no difference from the schema the {plural(len(result.schema_files), 'file')} declare; its down "
        f"SQL ({plural(result.proof.down_statements, 'statement')}) restores the migrations' schema."
    )


def _say_stopped(say: Say, result: DiffResult) -> None:
    proof = result.proof
    if result.status is DiffStatus.DECIDE:
        say("error: A table or column looks renamed; db.diff does not guess, nothing was written:")
        for rename in result.renames:
            say(f"  {escape(rename)}")
        say(
            "  hint: write the rename in a migration (inv db.new NAME) and run db.diff again, or run db.diff with "
            "--not-renamed to drop and add."
        )
        return
    say(f"error: Could not produce a proven migration; nothing was written: {proof.problem}.")
    for line in proof.remaining:
        say(f"  {line}")
    if proof.hint:
        say(f"  hint: {proof.hint}")
    if proof.changes:
        say("What was generated (not written):")
        _say_changes(say, result)


def render_diff(reporter: Reporter, result: DiffResult) -> int:
    """Print a diff result; return its exit code."""
    if reporter.json:
        reporter.document(diff_document(result))
        return result.exit_code
    say = reporter.say
    for caveat in result.caveats:
        reporter.progress(f"warning: {escape(caveat)}")
    if result.status is DiffStatus.NOTHING:
        say(
            f"Nothing to do: the migrations ({result.migrations_applied}) build the schema that supabase/schemas "
            f"({plural(len(result.schema_files), 'file')}) declares, in what db.diff compares "
            f"(not compared: {'; '.join(NOT_COMPARED)}; see docs/declarative.md)."
        )
    elif result.status in (DiffStatus.UNPROVEN, DiffStatus.DECIDE):
        _say_stopped(reporter.progress, result)
    elif result.status is DiffStatus.DRY_RUN:
        print(result.proof.text, end="", file=reporter.out, flush=True)
        say = reporter.progress
        say(f"Would write {result.proof.filename} ({plural(len(result.proof.changes), 'change')}):")
        _say_changes(say, result)
        _say_proof(say, result)
        say("Nothing was written (--dry-run).")
    else:
        say(f"Wrote {plural(len(result.proof.changes), 'change')} from supabase/schemas into {result.path}:")
        _say_changes(say, result)
        _say_proof(say, result)
    reporter.progress(f"({result.proof.seconds:.1f}s in all)")
    return result.exit_code
