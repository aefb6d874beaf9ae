"""Print what ``db.plan`` found: per statement for people, a summary table, Markdown, one JSON document."""

from __future__ import annotations

from typing import Any

from ..lint.render import annotate, finding_dict, finding_lines, phase_line
from ..output import github
from ..output.reporter import Reporter, table
from ..untrusted import markdown as md
from ..untrusted import markdown_row as md_row
from ..wording import plural
from .digest import folded_line, locks_text, migration_tables, shown, statement_line, statement_tables
from .locks import BLOCKS, impact
from .results import Data, Estimate, Lock, MigrationReport, PlanResult, Proof, Rehearsed, StatementReport


def size(estimate: Estimate | None) -> str:
    """Return "~1,200 rows, 96 kB live" (or "" when the table is new or unknown)."""
    if estimate is None:
        return ""
    rows = "rows unknown (never analysed)" if estimate.rows is None else f"~{estimate.rows:,} rows"
    if estimate.bytes is None:
        return f"{rows} live"
    kb = estimate.bytes / 1024
    return f"{rows}, {kb / 1024:.1f} MB live" if kb >= 1024 else f"{rows}, {kb:.0f} kB live"


def _sized(name: str, result: PlanResult) -> str:
    described = size(result.estimates.get(name))
    return f"{name} ({described})" if described else name


def proof_text(report: MigrationReport) -> str:
    """Return the rollback proof's verdict in a few words."""
    return {
        Proof.PASS: "pass",
        Proof.SHAPE_ONLY: "restores the shape, not the data",
        Proof.FAIL: "FAIL",
        Proof.NO_DOWN_SQL: "cannot be undone (no down SQL)",
        Proof.NOT_RUN: "not run",
    }[report.proof.status]


def _statement_lines(st: StatementReport, result: PlanResult) -> list[str]:
    """Return every lock, rewrite, scan, data check and finding of one statement (``--verbose``)."""
    lines = [f"  [{st.index + 1}] line {st.line}  {st.text}"]
    for lock in st.locks:
        how = "" if lock.observed else " (documented: it runs outside a transaction)"
        held = f" ({lock.held}, held since [{lock.since}])" if lock.held else ""
        if lock.relation == lock.table:
            lines.append(f"      {', '.join(lock.modes)} on {lock.relation}{held}{how}: {BLOCKS[lock.in_force]}")
        else:
            lines.append(f"      {', '.join(lock.modes)} on {lock.relation} (index on {lock.table}){held}{how}")
    if st.rewritten:
        lines.append("      REWRITTEN: " + ", ".join(_sized(name, result) for name in st.rewritten))
    if st.scanned:
        lines.append("      scanned: " + ", ".join(_sized(name, result) for name in st.scanned))
    lines += data_lines(st)
    for finding in st.findings:
        lines += finding_lines(finding, "      ")
    return lines


def data_lines(st: StatementReport, indent: str = "      ", fold: bool = False) -> list[str]:
    """Return a statement's data checks: one line each, with the query that finds the rows when they fail
    (``fold``: the checks that pass on one line when there are several)."""
    lines = []
    passed = [check for check in st.data if check.status is Data.PASSES]
    folded = fold and len(passed) > 1
    if folded:
        lines.append(f"{indent}live rows pass {len(passed)} data checks (--verbose names them)")
    for check in st.data:
        if folded and check.status is Data.PASSES:
            continue
        lines.append(indent + check.text)
        if check.status is Data.FAILS and check.query:
            lines.append(f"{indent}  find them: {check.query}")
    return lines


def _brief_lines(st: StatementReport, result: PlanResult) -> list[str]:
    """Return one statement on one line (its locks folded per table), then its data checks and findings."""
    sized = {t.table: size(result.estimates.get(t.table)) for t in statement_tables(st)}
    lines = [statement_line(st, sized), *data_lines(st, fold=True)]
    return lines + [line for finding in st.findings for line in finding_lines(finding, "      ")]


def _rehearsed_lines(report: MigrationReport, result: PlanResult, verbose: bool) -> list[str]:
    if verbose:
        return [line for st in report.statements for line in _statement_lines(st, result)]
    lines = [line for st in report.statements if shown(st) for line in _brief_lines(st, result)]
    folded = sum(1 for st in report.statements if not shown(st))
    return lines + ([folded_line(folded)] if folded else [])


def migration_lines(report: MigrationReport, result: PlanResult, verbose: bool = False) -> list[str]:
    """Return one migration's rehearsal (lock-free statements folded unless ``verbose``) and its verdicts."""
    if report.status is Rehearsed.NOT_REHEARSED:
        lines = [f"{report.file}  (not rehearsed)", f"  not rehearsed: {report.reason or 'the rehearsal stopped'}"]
        lines += phase_line(result.lint.phase_of(report.version), "  ")
        for st in report.statements:
            if st.findings or st.data:
                lines += [f"  [{st.index + 1}] line {st.line}  {st.text}", *data_lines(st)]
                lines += [line for finding in st.findings for line in finding_lines(finding, "      ")]
    else:
        lines = [f"{report.file}  ({report.status}, {report.seconds:.2f}s)"]
        lines += phase_line(result.lint.phase_of(report.version), "  ")
        lines += _rehearsed_lines(report, result, verbose)
    for finding in result.lint.of(report.version):
        if finding.statement is None:
            lines += finding_lines(finding, "  ")
    if report.status is Rehearsed.NOT_REHEARSED:
        lines += [line for finding in report.findings for line in finding_lines(finding, "  ")]
        return lines
    if report.failure:
        lines += ["  FAILED, as db.apply would report it:", *("    " + line for line in report.failure.splitlines())]
    lines.append(f"  rollback proof: {proof_text(report)}")
    lines += [f"    {line}" for line in ([report.proof.message] if report.proof.message else [])]
    lines += [f"    {line}" for line in report.proof.differences]
    for finding in report.findings:  # what they say is printed just above: where, rule and fix
        lines += [line for n, line in enumerate(finding_lines(finding, "  ")) if n != 1]
    return lines


def rewrites_text(report: MigrationReport) -> str:
    """Return the rewritten tables, and how many of their indexes were rebuilt."""
    tables = [name for name in report.rewrites if " (index on " not in name]
    indexes = len(report.rewrites) - len(tables)
    return (
        ", ".join(tables) + (f" (+{indexes} index{'es' if indexes > 1 else ''})" if indexes else "")
        if report.rewrites
        else "none"
    )


def summary_rows(result: PlanResult, markdown: bool = False) -> list[list[str]]:
    """Return one row per migration: the ten-second summary."""
    rows = []
    for m in result.migrations:
        errors = sum(1 for f in m.findings if f.level == "error") + sum(
            1 for f in result.lint.of(m.version) if f.level == "error"
        )
        warns = len(m.findings) + len(result.lint.of(m.version)) - errors
        rewrites = rewrites_text(m)
        status = m.status.value if m.status is not Rehearsed.OK else "applies"
        rows.append(
            [m.version, status, locks_text(m, markdown), rewrites, f"{errors} error, {warns} warn", proof_text(m)]
        )
    return rows


HEADERS = ["VERSION", "REHEARSAL", "EXISTING TABLES AND THEIR STRONGEST LOCK", "REWRITES", "FINDINGS", "ROLLBACK"]


def markdown(result: PlanResult) -> str:
    """Return the plan as Markdown (the GitHub step summary)."""
    code = result.exit_code
    lines = [f"### db.plan: {result.verdict} (exit {code})", ""]
    if not result.migrations:
        return "\n".join([*lines, "Nothing pending."]) + "\n"
    lines += ["| " + " | ".join(h.lower() for h in HEADERS) + " |", "|---" * len(HEADERS) + "|"]
    lines += [md_row(row) for row in summary_rows(result)]
    details = [f"- {md(f.where)} **{md(f.level)}** {md(f.rule)}: {md(f.message)}" for f in result.findings]
    failures = [f"- {md(m.file)} failed: {md(m.failure.splitlines()[0])}" for m in result.migrations if m.failure]
    failures += [f"- {md(m.file)} not rehearsed: {md(m.reason)}" for m in result.migrations if m.reason]
    return "\n".join([*lines, "", *failures, *details]) + "\n"


def step_summary(result: PlanResult) -> str:
    """Return the plan's step summary: :func:`markdown`, then the failing data checks and the review reasons."""
    return markdown(result) + "".join(f"- {md(line)}\n" for line in verdict_lines(result, ""))


def verdict_lines(result: PlanResult, bullet: str = "  ") -> list[str]:
    """Return the failing and unknown data checks and the reasons for a review, one line each."""
    lines = [
        f"{bullet}{m.file} [{st.index + 1}] {check.text}"
        for m in result.migrations
        for st in m.statements
        for check in st.data
        if check.status is Data.FAILS
    ]
    lines += [f"{bullet}review: {m.file} {line}" for m, line in result.reviews]
    return lines


def plan_document(result: PlanResult) -> dict[str, Any]:
    """Return the plan as one JSON-able document, with the same content as the text."""
    return {
        "status": result.verdict,
        "exit_code": result.exit_code,
        "review": [{"file": m.file, "version": m.version, "reason": line} for m, line in result.reviews],
        "target": result.target,
        "requests": result.requests,
        "data_requests": result.data_requests,
        "throwaway": {"where": result.where, "applied": result.applied, "requests": result.scratch_requests},
        "seconds": round(result.seconds, 3),
        "migrations": [_migration_dict(m, result) for m in result.migrations],
        "findings": [finding_dict(f) for f in result.findings],
        "notes": result.notes + result.lint.notes,
    }


def _migration_dict(m: MigrationReport, result: PlanResult) -> dict[str, Any]:
    window = m.window
    return {
        "version": m.version,
        "name": m.name,
        "file": m.file,
        "status": m.status,
        "not_rehearsed_because": m.reason or None,
        "strongest_lock": None if window is None else {**window.__dict__, "blocks": impact(window.mode) or None},
        "locked_tables": [
            {**t.__dict__, "held": t.held, "blocks": impact(t.mode) or None} for t in migration_tables(m)
        ],
        "rewrites": m.rewrites,
        "failure": m.failure or None,
        "sqlstate": m.sqlstate,
        "line": m.failure_line,
        "rollback_proof": {
            "status": m.proof.status,
            "message": m.proof.message or None,
            "differences": m.proof.differences,
        },
        "statements": [
            {
                "statement": st.index + 1,
                "line": st.line,
                "sql": st.text,
                "locks": [_lock_dict(k) for k in st.locks],
                "rewritten": st.rewritten,
                "scanned": st.scanned,
                "findings": [finding_dict(f) for f in st.findings],
                "data_checks": [{**d.__dict__, "text": d.text} for d in st.data],
            }
            for st in m.statements
        ],
        "estimates": {name: e.__dict__ for name, e in result.estimates.items() if name in _names(m)},
        "phase": phase.to_dict() if (phase := result.lint.phase_of(m.version)) else None,
    }


def _lock_dict(lock: Lock) -> dict[str, Any]:
    return {
        "relation": lock.relation,
        "modes": list(lock.modes),
        "observed": lock.observed,
        "in_force": lock.in_force,
        "held_since": lock.since,
    }


def _names(m: MigrationReport) -> set[str]:
    return {k.table for st in m.statements for k in st.locks}


def _data_requests(result: PlanResult) -> str:
    checks = result.data_checks
    if not result.data_requests:
        return ""
    return f" ({result.data_requests} of them read-only, for {plural(len(checks), 'data check')})"


def annotate_plan(result: PlanResult) -> None:
    """In GitHub Actions, annotate the findings, failures and data checks on their file and line."""
    annotate(result.findings, "db.plan")
    for m in result.migrations:
        if m.failure:
            github.annotate("error", m.failure, file=m.file, line=m.failure_line, title="db.plan: migration fails")
        for st in m.statements:
            for check in st.data:
                if check.status is Data.FAILS:
                    github.annotate("error", check.text, file=m.file, line=st.line, title="db.plan: data check")
                elif check.status is Data.UNKNOWN or (check.status is Data.COUNTED and check.rows):
                    github.annotate("warning", check.text, file=m.file, line=st.line, title="db.plan: data check")


def render_plan(reporter: Reporter, result: PlanResult, verbose: bool = False) -> int:
    """Print a plan (every statement and lock when ``verbose``); in GitHub Actions annotate it; return its exit code."""
    annotate_plan(result)
    github.summary(step_summary(result))
    if reporter.json:
        reporter.document(plan_document(result))
        return result.exit_code
    for note in result.notes + result.lint.notes:
        reporter.warn(note)
    if not result.migrations:
        reporter.say(f"db.plan: nothing pending ({plural(result.requests, 'request')} to {result.target}).")
        return result.exit_code
    for m in result.migrations:
        reporter.say("\n".join(migration_lines(m, result, verbose)) + "\n")
    reporter.say(table(summary_rows(result), HEADERS))
    if result.reviews:
        reporter.say("\nreview (it applies; a person decides when):")
        reporter.say("\n".join(f"  {m.file} {line}" for m, line in result.reviews))
    reporter.say(
        f"\ndb.plan: {result.verdict} (exit {result.exit_code}); "
        f"{plural(len(result.migrations), 'pending migration')} rehearsed on {result.where or 'a throwaway database'} "
        f"after its {plural(result.applied, 'applied migration')}; {plural(result.requests, 'request')} to "
        f"{result.target}{_data_requests(result)}, nothing written there; {result.seconds:.2f}s."
    )
    return result.exit_code
