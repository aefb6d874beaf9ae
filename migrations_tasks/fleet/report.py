"""Report a run over many targets: a line per target as it finishes, the table, one JSON document, GitHub.

Every text a target provides (an error from its server, a migration's name) goes through
:mod:`migrations_tasks.untrusted`'s renderers: the plain table and the Markdown rows escape it, GitHub
annotations are prefixed with the target's name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from .. import untrusted
from ..output import github
from ..output.reporter import Reporter, table
from ..wording import first_line, plural
from .results import RunStatus, TargetRun

_MARK = {RunStatus.OK: "ok", RunStatus.PENDING: "pending", RunStatus.CONFLICT: "CONFLICT", RunStatus.FAILED: "FAILED"}


def exit_code(runs: Sequence[TargetRun]) -> int:
    """Return 0 when every target succeeded, else the highest exit code among them."""
    return max((run.exit_code for run in runs), default=0)


def _problem(run: TargetRun) -> str:
    """Return the run's first error, or where and why it stopped."""
    if run.error:
        return f"{run.migration}: {run.error}" if run.migration and run.migration not in run.error else run.error
    if run.status is RunStatus.STOPPED:
        where = f"after {run.stopped_at}" if run.stopped_at else "before its first migration"
        return f"stopped at a migration boundary {where} ({run.reason or 'asked to stop'})"
    return run.reason or ""


def render_line(reporter: Reporter, run: TargetRun, done_word: str) -> None:
    """Print one line (stderr) for a target as soon as it finishes."""
    mark = _MARK.get(run.status, str(run.status))
    counts = f"{run.done} {done_word}, {run.pending} pending, {plural(run.requests, 'request')}, {run.seconds:.1f}s"
    problem = _problem(run)
    text = f"[{mark}] {run.name}: {counts}" + (f"; {first_line(problem, 160)}" if problem else "")
    reporter.progress(untrusted.escape(text))


def _rows(runs: Sequence[TargetRun]) -> list[list[str]]:
    return [
        [
            run.name,
            str(run.status),
            f"{run.done}/{run.pending}",
            str(run.requests),
            f"{run.seconds:.1f}s",
            first_line(_problem(run), 100),
        ]
        for run in runs
    ]


def render_fleet(
    reporter: Reporter,
    runs: Sequence[TargetRun],
    *,
    task: str,
    done_word: str = "applied",
    floor: int = 0,
    extra: Mapping[str, Any] | None = None,
) -> int:
    """Print the table (or one JSON document), write GitHub's summary and annotations; return the exit code.

    ``floor``: the least exit code (what every target shares failed: supabase/schemas ahead, for db.check);
    ``extra``: what the JSON document says besides the targets.
    """
    code = max(exit_code(runs), floor)
    counts = Counter(str(run.status) for run in runs)
    headers = ["TARGET", "STATUS", f"{done_word.upper()}/PENDING", "REQUESTS", "TIME", "FIRST ERROR"]
    _github(runs, task, headers, code)
    if reporter.json:
        reporter.document(
            {
                "task": task,
                "status": "ok" if code == 0 else "failed",
                "exit_code": code,
                "counts": dict(counts),
                "targets": [
                    {
                        "target": run.name,
                        "where": run.where,
                        "status": str(run.status),
                        "exit_code": run.exit_code,
                        done_word: run.done,
                        "pending": run.pending,
                        "requests": run.requests,
                        "seconds": round(run.seconds, 3),
                        "error": run.error,
                        "migration": run.migration,
                        "stopped_at": run.stopped_at,
                        "reason": run.reason,
                        **run.document,
                    }
                    for run in runs
                ],
                **(extra or {}),
            }
        )
        return code
    reporter.say(table(_rows(runs), headers))
    tally = ", ".join(f"{n} {status}" for status, n in counts.items())
    reporter.say(f"\n{task} on {plural(len(runs), 'target')}: {tally} (exit {code}).")
    return code


def _github(runs: Sequence[TargetRun], task: str, headers: Sequence[str], code: int) -> None:
    """Write the table to the step summary; an annotation per target that failed or stopped, prefixed with it."""
    if not github.active():
        return
    lines = [f"### {untrusted.markdown(task)} on {plural(len(runs), 'target')}: exit {code}", ""]
    lines.append(untrusted.markdown_row(headers))
    lines.append("|" + "---|" * len(headers))
    lines += [untrusted.markdown_row(row) for row in _rows(runs)]
    github.summary("\n".join(lines) + "\n")
    for run in runs:
        if run.failed or (run.status in (RunStatus.STOPPED, RunStatus.NOT_STARTED) and run.exit_code):
            github.annotate("error", f"{run.name}: {_problem(run)}", title=f"{task} {run.name}")
