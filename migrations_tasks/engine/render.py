"""Render the engine's results: db.check's status table, apply and rollback progress and summaries, repair.

Each ``render_*`` prints to the reporter's streams (a table, or one JSON document with ``--json``) and, in
GitHub Actions, annotates, summarises and sets step outputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import EXIT_FAILED
from ..output.reporter import Reporter, table
from ..untrusted import escape, markdown, markdown_row
from ..wording import SCHEMAS_AHEAD, plural

if TYPE_CHECKING:  # status imports the parser; keep `inv --list` from paying for it
    from ..history.status import Comparison, Status
    from .events import Event
    from .results import ApplyResult, Outcome, RepairResult, RollbackResult

#: Difference lines db.check prints when supabase/schemas is ahead (the JSON document has them all).
MAX_SCHEMA_LINES = 20
_MARK = {
    "applied": "applied",
    "pending": "PENDING",
    "out-of-order": "OUT-OF-ORDER",
    "remote-only": "REMOTE-ONLY",
    "changed": "CHANGED",
}


def check_status(plan: Comparison) -> tuple[str, int]:
    """Return the overall state of a plan and the exit code ``db.check`` uses for it."""
    if plan.conflicts:
        return "conflict", 2
    if plan.pending:
        return "pending", 1
    return "in-sync", 0


def plan_rows(plan: Comparison) -> list[list[str]]:
    """Return a plan as table rows."""
    return [[e.version, e.name, _MARK[e.status.value]] for e in plan.entries]


def render_check(
    reporter: Reporter,
    plan: Comparison,
    *,
    requests: int,
    warnings: Sequence[str],
    target: str,
    schemas: Sequence[str] | None = None,
    phases: Mapping[str, Mapping[str, Any]] | None = None,
) -> int:
    """Print a check's result; return its exit code (``schemas``: how supabase/schemas differs from the
    migrations, None without schema files; any difference is exit 1 at least; ``phases``: each pending
    migration's release phase as JSON, by version)."""
    phases = phases or {}
    state, code = check_status(plan)
    if schemas:
        code = max(code, EXIT_FAILED)
    for warning in warnings:
        reporter.warn(warning)
    from ..history.status import Status

    counts = {s: len(plan.with_status(s)) for s in Status}
    _github_check(plan, state, requests)
    if reporter.json:
        top = {"status": state, "exit_code": code, "target": target, "requests": requests}
        reporter.document(_check_document(plan, schemas, phases, **top, warnings=list(warnings)))
        return code
    if plan.entries:
        reporter.say(table(plan_rows(plan), ["VERSION", "NAME", "STATUS"]))
    else:
        reporter.say("No migrations, local or applied.")
    summary = ", ".join(f"{n} {s.value}" for s, n in counts.items() if n)
    verdict = {
        "in-sync": "In sync.",
        "pending": "Pending migrations: run `inv db.apply`.",
        "conflict": "History conflict: local files and the ledger disagree.",
    }[state]
    reporter.say(f"\n{verdict} ({summary or 'nothing'}; {plural(requests, 'request')} to {target})")
    for entry in plan.conflicts:
        reporter.say(f"  {entry.version}: {_explain(entry.status)}")
    for version, phase in phases.items():
        mixed = " (MIXED: split it, or state its phase on its first line)" if phase.get("mixed") else ""
        reporter.say(f"  {version}: phase: {phase['phase']}{mixed}: {phase['reason']}")
    say_schemas(reporter, schemas)
    return code


def _check_document(
    plan: Comparison, schemas: Sequence[str] | None, phases: Mapping[str, Mapping[str, Any]], **top: Any
) -> dict[str, Any]:
    """Return db.check's JSON document."""
    from ..history.status import Status

    counts = {s: len(plan.with_status(s)) for s in Status}
    return {
        **top,
        "ledger_exists": plan.ledger_exists,
        "counts": {s.value: n for s, n in counts.items()},
        "migrations": [
            {
                "version": e.version,
                "name": e.name,
                "status": e.status.value,
                "file": str(e.migration.path) if e.migration else None,
                **({"phase": phases[e.version]} if e.version in phases else {}),
            }
            for e in plan.entries
        ],
        **schemas_document(schemas),
    }


def schemas_document(schemas: Sequence[str] | None) -> dict[str, Any]:
    """Return how supabase/schemas compares with the migrations, for a JSON document (empty without schema files)."""
    if schemas is None:
        return {}
    return {"schemas": {"status": "ahead" if schemas else "in-sync", "differences": list(schemas)}}


def say_schemas(reporter: Reporter, schemas: Sequence[str] | None) -> None:
    """Print how supabase/schemas compares with the migrations (nothing without schema files)."""
    if schemas is None:
        return
    if not schemas:
        reporter.say("supabase/schemas agrees with the migrations.")
        return
    reporter.say(f"{SCHEMAS_AHEAD}; {plural(len(schemas), 'difference')}:")
    for line in schemas[:MAX_SCHEMA_LINES]:
        reporter.say(f"  {line}")
    if len(schemas) > MAX_SCHEMA_LINES:
        reporter.say(f"  ... and {len(schemas) - MAX_SCHEMA_LINES} more")


def _github_check(plan: Comparison, state: str, requests: int) -> None:
    """In GitHub Actions: annotate conflicts and pending files, summarise, and set step outputs."""
    from ..output import github

    if not github.active():
        return
    for entry in plan.conflicts + plan.pending:
        level = "error" if entry in plan.conflicts else "warning"
        path = str(entry.migration.path) if entry.migration else None
        github.annotate(
            level,
            f"{entry.version} is {entry.status.value}: {_explain(entry.status)}",
            file=path,
            line=1 if path else None,
            title=f"db.check: {entry.status.value}",
        )
    rows = "\n".join(markdown_row((e.version, e.name, e.status.value)) for e in plan.entries)
    github.summary(
        f"### db.check: {markdown(state)}\n\n| version | name | status |\n|---|---|---|\n{rows}\n\n"
        f"{plural(requests, 'request')}.\n"
    )
    github.set_outputs({"state": state, "pending": " ".join(e.version for e in plan.pending)})


def _explain(status: Status) -> str:
    return {
        "remote-only": "in the ledger but no local file (restore it, or `inv db.repair --status reverted`)",
        "out-of-order": "older than the newest applied migration (apply with `--include-all`)",
        "changed": "the file changed after it was applied (restore it; put changes in a new migration)",
    }.get(status.value, status.value)


def render_event(reporter: Reporter, event: Event) -> None:
    """Print one line of apply progress."""
    stream = reporter.err if reporter.json else reporter.out
    m = event.migration
    if event.kind == "start" and m is not None:
        print(f"  applying {m.version} {escape(m.name)} ...", end="", file=stream, flush=True)
        reporter.line_open = True
        return
    if event.kind == "start-rollback":
        print(f"  rolling back {escape(event.version)} {escape(event.name)} ...", end="", file=stream, flush=True)
        reporter.line_open = True
        return
    if reporter.line_open:
        reporter.line_open = False
        if event.kind in ("applied", "rolled-back"):
            print(f" ok ({event.seconds:.2f}s)", file=stream, flush=True)
            return
        if event.kind == "skipped":
            print(f" skipped: {event.message} ({event.seconds:.2f}s)", file=stream, flush=True)
            return
        print(file=stream, flush=True)
    if event.kind == "warning":
        reporter.warn(event.message)
    else:
        print(event.message, file=stream, flush=True)


def _outcomes(result: ApplyResult | RollbackResult | RepairResult) -> list[dict[str, Any]]:
    return [
        {
            "version": o.version,
            "name": o.name,
            "status": o.status,
            "seconds": round(o.seconds, 4),
            "requests": o.requests,
        }
        for o in result.outcomes
    ]


def _document(
    result: ApplyResult | RollbackResult, target: str, done: str, *, did: bool, **extra: Any
) -> dict[str, Any]:
    """Return the JSON document of an apply or a rollback (its status is ``done`` when it ``did`` something)."""
    status = "dry-run" if result.dry_run else (done if did else "nothing-to-do")
    return {
        "status": status,
        "exit_code": 0,
        "target": target,
        "requests": result.requests,
        "seconds": round(result.seconds, 3),
        **extra,
        "migrations": _outcomes(result),
    }


def render_apply(reporter: Reporter, result: ApplyResult, *, target: str) -> None:
    """Print what an apply did (or, for a dry run, would do), and what it left pending on purpose."""
    _apply_report(reporter, result, target=target)
    if not reporter.json:
        for version, why in result.waiting:
            reporter.say(f"Left pending: {version}, {why}.")


def _apply_report(reporter: Reporter, result: ApplyResult, *, target: str) -> None:
    applied = result.applied
    skipped = [o for o in result.outcomes if o.status == "already-applied"]
    _github_apply(result)
    if reporter.json:
        doc = _document(result, target, "applied", did=bool(applied))
        if result.waiting:
            doc["waiting"] = [{"version": v, "why": why} for v, why in result.waiting]
        if result.dry_run:
            doc["sql"] = {m.version: requests for m, requests in result.sql}
        reporter.document(doc)
        return
    if result.dry_run:
        if not result.sql:
            reporter.say("Dry run: nothing to apply.")
        for migration, requests in result.sql:
            reporter.say(f"-- {migration.filename}: {plural(len(requests), 'request')}")
            for number, text in enumerate(requests, 1):
                if len(requests) > 1:
                    reporter.say(f"-- request {number}")
                reporter.say(text)
        reporter.say(
            f"\nDry run: {plural(len(result.sql), 'migration')} would be applied; nothing was "
            f"written ({plural(result.requests, 'request')} to {target})."
        )
        return
    if not result.outcomes:
        reporter.say(
            f"Nothing to apply: the database is up to date ({plural(result.requests, 'request')} to {target})."
        )
        return
    extra = f", {len(skipped)} already applied by another run" if skipped else ""
    reporter.say(
        f"Applied {plural(len(applied), 'migration')}{extra} in {result.seconds:.2f}s "
        f"({plural(result.requests, 'request')} to {target})."
    )


def _github_apply(result: ApplyResult) -> None:
    from ..output import github

    if not github.active() or result.dry_run:
        return
    rows = "\n".join(markdown_row((o.version, o.name, o.status, f"{o.seconds:.2f}s")) for o in result.outcomes)
    github.summary(
        f"### db.apply: {len(result.applied)} applied\n\n| version | name | result | time |\n"
        f"|---|---|---|---|\n{rows}\n\n{plural(result.requests, 'request')}.\n"
    )
    github.set_outputs({"applied": " ".join(o.version for o in result.applied)})


def _render_partial(reporter: Reporter, done: list[Outcome], what: str) -> None:
    """After a failure, close the open progress line and say what was done before it (it stays done)."""
    if reporter.json:
        return
    if reporter.line_open:
        reporter.line_open = False
        print(" FAILED", file=reporter.out, flush=True)
    if done:
        reporter.progress(
            f"{plural(len(done), 'migration')} {what} before the failure stay {what}: "
            + ", ".join(o.version for o in done)
            + "."
        )


def render_partial(reporter: Reporter, result: ApplyResult | None) -> None:
    """After a failure, say what did get applied before it."""
    if result is not None:
        _render_partial(reporter, result.applied, "applied")


def render_rollback(reporter: Reporter, result: RollbackResult, *, target: str) -> None:
    """Print what a rollback did (or, for a dry run, would do)."""
    for warning in result.warnings:
        reporter.warn(warning)
    done = result.done
    if result.record_only and (done or result.dry_run) and result.steps:
        reporter.warn(
            "RECORD ONLY: the ledger rows "
            + ("would be" if result.dry_run else "were")
            + " deleted WITHOUT running any down SQL. The schema is UNCHANGED: whatever those "
            "migrations created is still in the database."
        )
    if reporter.json:
        doc = _document(result, target, "rolled-back", did=bool(done), record_only=result.record_only)
        doc["warnings"] = list(result.warnings)
        doc["down_sql"] = {
            s.version: {"source": s.down.source if s.down else None, "statements": s.down.texts if s.down else []}
            for s in result.steps
        }
        if result.dry_run:
            doc["sql"] = {s.version: s.request.sql for s in result.steps}
        reporter.document(doc)
        return
    if result.dry_run:
        if not result.steps:
            reporter.say("Dry run: nothing to roll back.")
        for step in result.steps:
            source = f" (down SQL from {step.down.source})" if step.down and not step.record_only else ""
            reporter.say(f"-- {step.label}{source}: 1 request")
            reporter.say(step.request.sql)
        reporter.say(
            f"\nDry run: {plural(len(result.steps), 'migration')} would be rolled back; nothing was "
            f"written ({plural(result.requests, 'request')} to {target})."
        )
        return
    if not result.outcomes:
        reporter.say(
            f"Nothing to roll back: no migration is applied ({plural(result.requests, 'request')} to {target})."
        )
        return
    skipped = [o for o in result.outcomes if o.status == "already-rolled-back"]
    extra = f", {len(skipped)} already rolled back by another run" if skipped else ""
    verb = "Removed the ledger rows of" if result.record_only else "Rolled back"
    reporter.say(
        f"{verb} {plural(len(done), 'migration')}{extra} in {result.seconds:.2f}s "
        f"({plural(result.requests, 'request')} to {target})."
    )


def render_rollback_partial(reporter: Reporter, result: RollbackResult | None) -> None:
    """After a failure, say what was rolled back before it."""
    if result is not None:
        _render_partial(reporter, result.done, "rolled back")


def render_repair(reporter: Reporter, result: RepairResult, *, target: str) -> None:
    """Print what a repair wrote."""
    words = {
        "recorded": "recorded as applied",
        "re-recorded": "re-recorded as applied from its file",
        "removed": "removed from the ledger (marked reverted)",
        "not-recorded": "not in the ledger; nothing to do",
    }
    if reporter.json:
        reporter.document(
            {
                "status": "dry-run" if result.dry_run else "repaired",
                "exit_code": 0,
                "target": target,
                "requests": result.requests,
                "repair_status": result.status,
                "migrations": _outcomes(result),
                **({"sql": result.sql} if result.dry_run else {}),
            }
        )
        return
    if result.dry_run:
        reporter.say(result.sql)
    for outcome in result.outcomes:
        label = f"{outcome.version} {outcome.name}".strip()
        reporter.say(f"  {label}: {words[outcome.status]}")
    changed = [o for o in result.outcomes if o.status != "not-recorded"]
    prefix = "Dry run: would repair" if result.dry_run else "Repaired"
    reporter.say(
        f"{prefix} {plural(len(changed), 'ledger row')} without running migration SQL "
        f"({plural(result.requests, 'request')} to {target})."
    )
