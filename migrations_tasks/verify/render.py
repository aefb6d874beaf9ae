"""Print what ``db.verify`` found: grouped by check for people, one JSON document for machines."""

from __future__ import annotations

from typing import Any

from ..output.reporter import Reporter
from ..untrusted import escape, flagged
from ..wording import plural
from .results import ERROR, FAIL, PASS, SKIPPED

_VERDICT = {PASS: "PASS", FAIL: "FAIL", ERROR: "COULD NOT RUN", SKIPPED: "SKIPPED"}
_TITLES = {"history": "History", "expectations": "Expectations", "advisories": "Advisories", "drift": "Drift"}


def verify_document(result: Any) -> dict[str, Any]:
    """Return a verify result as one JSON-able document."""
    code = result.exit_code
    plan = result.plan
    drift = result.drift
    return {
        "status": {0: "verified", 1: "failed", 3: "could-not-verify"}[code],
        "exit_code": code,
        "target": result.target,
        "requests": result.requests,
        "seconds": round(result.seconds, 3),
        "timings": {"total": round(result.seconds, 3), "drift": round(drift.seconds, 3)},
        "server_version": result.server_version,
        "checks": {c.name: {"status": c.status.value, "summary": c.summary} for c in result.checks},
        "history": [
            {"version": e.version, "name": e.name, "status": e.status.value} for e in (plan.entries if plan else ())
        ],
        "scripts": [
            {
                "file": str(s.path),
                "passed": s.passed,
                "line": s.statement.line if s.statement else None,
                "sqlstate": s.sqlstate,
                "message": s.message or None,
                "detail": s.detail,
                "hint": s.hint,
            }
            for s in result.scripts
        ],
        "critical_tables": [
            {"table": c.table, "exists": c.exists, "missing_columns": list(c.missing)} for c in result.critical
        ],
        "findings": [
            {
                "rule": f.rule,
                "level": f.level,
                "object": f.object,
                "detail": f.detail,
                "remedy": f.remedy,
                "silenced": f.silenced is not None,
                "reason": f.silenced,
            }
            for f in result.findings
        ],
        "drift": {
            "status": drift.status.value,
            "where": drift.where,
            "migrations_applied": drift.migrations_applied,
            "seconds": round(drift.seconds, 3),
            "message": drift.message or None,
            "notes": drift.notes,
            "differences": [
                {"kind": d.kind, "category": d.category, "object": d.object, "detail": d.detail}
                for d in drift.differences
            ],
        },
        "warnings": list(result.warnings),
    }


def _say_history(say: Any, result: Any) -> None:
    if result.plan is not None:
        for entry in result.plan.entries:
            if entry.status.value != "applied":
                say(f"  {entry.status.value.upper():<13} {escape(entry.version)} {flagged(entry.name)}".rstrip())


def _say_expectations(say: Any, result: Any) -> None:
    for script in result.scripts:
        if script.passed:
            say(f"  ok    {script.path}")
            continue
        say(f"  FAIL  {script.where}: {script.sqlstate or ''} {script.message}".rstrip())
        if script.statement is not None:
            say(f"        {script.statement.text.strip().splitlines()[0][:100]}")
        for label, value in (("DETAIL", script.detail), ("HINT", script.hint)):
            if value:
                say(f"        {label}: {value}")
    for table in result.critical:
        if table.ok:
            say(f"  ok    critical table {table.table}")
        elif not table.exists:
            say(f"  FAIL  critical table {table.table} does not exist")
        else:
            say(f"  FAIL  critical table {table.table} lacks column(s) {', '.join(table.missing)}")


def _say_advisories(say: Any, result: Any) -> None:
    for finding in result.active_findings:
        say(f"  {finding.level.upper():<5} {finding.rule}: {flagged(finding.object)}")
        say(f"        {escape(finding.detail)}")
        say(f"        remedy: {finding.remedy}")
    for finding in result.findings:
        if finding.silenced is not None:
            say(f"  silenced {finding.rule}: {flagged(finding.object)} (reason: {escape(finding.silenced)})")


def _say_drift(say: Any, result: Any) -> None:
    for difference in result.drift.differences:
        say(f"  {difference.describe()}")
    for note in result.drift.notes:
        for number, line in enumerate(note.splitlines()):
            say(("  note: " if number == 0 else "        ") + line)


_DETAILS = {
    "history": _say_history,
    "expectations": _say_expectations,
    "advisories": _say_advisories,
    "drift": _say_drift,
}


def render_verify(reporter: Reporter, result: Any) -> int:
    """Print a verify result grouped by check; return its exit code."""
    for warning in result.warnings:
        reporter.warn(warning)
    code = int(result.exit_code)
    if reporter.json:
        reporter.document(verify_document(result))
        return code
    say = reporter.say
    by_name = {c.name: c for c in result.checks}
    for name, details in _DETAILS.items():
        check = by_name[name]
        say(f"{_TITLES[name]}: {_VERDICT[check.status]}  {check.summary}")
        details(say, result)
    verdict = {
        0: "Verified: the live database is what the migrations say, with no error-level advisory.",
        1: "Verification FAILED.",
        3: "Could not verify everything (see above).",
    }[code]
    drift = result.drift
    drift_cost = f"; drift: a throwaway local PostgreSQL, {drift.seconds:.1f}s" if drift.status in (PASS, FAIL) else ""
    say(
        f"\n{verdict} ({plural(result.requests, 'request')} to {result.target}{drift_cost}; "
        f"{result.seconds:.1f}s in all)"
    )
    return code
