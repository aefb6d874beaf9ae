"""Print what ``db.lint`` found: ``file:line:col`` lines for people, one JSON document, GitHub annotations."""

from __future__ import annotations

from typing import Any

from ..output import github
from ..output.reporter import Reporter
from ..wording import plural
from .phases import MigrationPhase
from .results import Finding, LintResult

_ANNOTATION = {"error": "error", "warn": "warning"}


def finding_dict(f: Finding) -> dict[str, Any]:
    """Return a finding as JSON-able data."""
    return {
        "file": f.file,
        "line": f.line,
        "column": f.column,
        "rule": f.rule,
        "level": f.level,
        "message": f.message,
        "fix": f.help,
        "source": f.source,
        "version": f.version,
        "statement": None if f.statement is None else f.statement + 1,
    }


def lint_document(result: LintResult) -> dict[str, Any]:
    """Return a lint result as one JSON-able document."""
    return {
        "status": "errors" if result.exit_code else "ok",
        "exit_code": result.exit_code,
        "scope": result.scope,
        "files": result.files,
        "requests": result.requests,
        "seconds": round(result.seconds, 3),
        "counts": {"error": len(result.errors), "warn": len(result.findings) - len(result.errors)},
        "findings": [finding_dict(f) for f in result.findings],
        "silenced": [{**finding_dict(f), "reason": reason} for f, reason in result.silenced],
        "notes": result.notes,
        "phases": [p.to_dict() for p in result.phases],
    }


def phase_line(phase: MigrationPhase | None, indent: str = "") -> list[str]:
    """Return a migration's release phase and why, as one line ([] when unknown)."""
    if phase is None:
        return []
    mixed = " (MIXED: split it, or state its phase with `-- phase: expand|contract` on its first line)"
    return [f"{indent}phase: {phase.phase.value}{mixed if phase.mixed else ''}: {phase.reason}"]


def finding_lines(f: Finding, indent: str = "") -> list[str]:
    """Return a finding as the lines people read: where, level and rule; what; the fix."""
    return [f"{indent}{f.where}: {f.level} {f.rule}", f"{indent}  {f.message}", f"{indent}  fix: {f.help}"]


def annotate(findings: list[Finding], task: str) -> None:
    """In GitHub Actions, pin each finding to its file, line and column."""
    for f in findings:
        github.annotate(
            _ANNOTATION.get(f.level, "notice"),
            f"{f.message}\nfix: {f.help}",
            file=f.file,
            line=f.line,
            column=f.column,
            title=f"{task}: {f.rule}",
        )


def counts(result: LintResult) -> str:
    """Return "2 errors, 1 warning"."""
    errors = len(result.errors)
    return f"{plural(errors, 'error')}, {plural(len(result.findings) - errors, 'warning')}"


def render_lint(reporter: Reporter, result: LintResult) -> int:
    """Print a lint result; return its exit code."""
    annotate(result.findings, "db.lint")
    if reporter.json:
        reporter.document(lint_document(result))
        return result.exit_code
    for finding in result.findings:
        reporter.say("\n".join(finding_lines(finding)))
    for phase in result.phases:
        reporter.say(f"{phase.filename}: " + phase_line(phase)[0])
    for note in result.notes:
        reporter.warn(note)
    silenced = f"; {len(result.silenced)} silenced by lint-ignore" if result.silenced else ""
    what = {"pending": "pending migrations", "all": "migration files", "files": "files"}[result.scope]
    reporter.say(
        f"\ndb.lint: {counts(result)} in {plural(len(result.files), 'file')} ({what}{silenced}; "
        f"{plural(result.requests, 'request')}, {result.seconds:.2f}s)."
    )
    return result.exit_code
