"""The gate's run record: what one run did, in order, written as JSON and summarised for people.

Written to ``<record_dir>/<env>-<UTC timestamp>.json`` in a ``finally``, also when the run failed; summarised
as Markdown (the GitHub step summary) and as text (the terminal).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import EXIT_OK
from ..output import github
from ..untrusted import markdown, markdown_row
from ..wording import TextEnum
from .options import MigrationsPolicy


class StepStatus(TextEnum):
    """How one step of the gate went."""

    PENDING, OK, FAILED, BLOCKED, SKIPPED, UNDONE = "pending", "ok", "failed", "blocked", "skipped", "undone"
    STOPPED = "stopped"  # a signal asked the run to stop; the step in flight finished or was undone


class RunStatus(TextEnum):
    """How a whole run ended."""

    RUNNING, OK, BLOCKED, FAILED, ROLLED_BACK = "running", "ok", "blocked", "failed", "rolled-back"
    STOPPED = "stopped"  # SIGINT / SIGTERM: stopped at a safe point, this run undone as far as allowed
    ABORTED = "aborted"  # a second signal (or an unforeseen error): nothing more was undone


@dataclass
class Step:
    """One step of the flow and how it went."""

    name: str
    status: StepStatus = StepStatus.PENDING
    seconds: float = 0.0
    detail: str = ""


@dataclass
class RunRecord:
    """What one release run did, in order: enough to undo exactly that, and to audit it later."""

    env: str
    policy: MigrationsPolicy
    started_at: str
    finished_at: str = ""
    status: RunStatus = RunStatus.RUNNING
    exit_code: int = EXIT_OK
    steps: list[Step] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    rolled_back_migrations: list[str] = field(default_factory=list)
    not_undone: list[str] = field(default_factory=list)
    #: With ``targets:`` (a fleet): each target, what this run applied and undid there, how it ended.
    targets: list[dict[str, Any]] = field(default_factory=list)
    release: str | None = None
    hosts: list[str] = field(default_factory=list)
    release_rolled_back: bool = False
    #: Hosts where this run's release went live (and served traffic), even if it was switched back later.
    release_live_on: list[str] = field(default_factory=list)
    #: Hosts where the failed release may still be live (a rollback that did not complete: exit 4).
    release_still_live_on: list[str] = field(default_factory=list)
    #: Which release is live on each host now, as far as this run knows (written also when stopped or aborted).
    live: dict[str, str | None] = field(default_factory=dict)
    #: This run's migrations left applied on purpose (newest first), and why.
    kept: list[str] = field(default_factory=list)
    kept_reason: str | None = None
    #: The signal that asked the run to stop (SIGINT / SIGTERM), if one did.
    signal: str | None = None
    error: str | None = None
    path: str | None = None
    #: db.plan's document (the rehearsal before applying), when the run made one.
    plan: dict[str, Any] | None = None
    #: When contract migrations run (``release.environments.<env>.contract``).
    contract: str = "after-health"
    #: Each pending migration's phase (expand, contract, data) and why, as the run found them.
    phases: dict[str, dict[str, str]] = field(default_factory=dict)
    #: This run's migrations applied before the switch (expand and data) and after health (contract).
    before_switch: list[str] = field(default_factory=list)
    after_health: list[str] = field(default_factory=list)
    #: Contract migrations left pending (never applied by this run), and when they run.
    waiting: list[str] = field(default_factory=list)
    waiting_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the record as JSON-able data."""
        return asdict(self)


def left_waiting(record_dir: Path, env: str) -> list[str]:
    """Return the contract migrations the newest run record of ``env`` left waiting ([] when there is none)."""
    for path in sorted(record_dir.glob(f"{env}-*.json"), reverse=True):
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(saved, dict) and saved.get("env") == env:
            waiting = saved.get("waiting")
            return [str(v) for v in waiting] if isinstance(waiting, list) else []
    return []


def now() -> str:
    """Return the current UTC time as the record writes it."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def finish(record: RunRecord, record_dir: Path, status: RunStatus, code: int, error: str | None) -> RunRecord:
    """Close the record with its status and exit code; write it as JSON, the step summary and outputs."""
    record.status, record.exit_code = status, code
    record.error = record.error or error
    record.finished_at = now()
    record_dir.mkdir(parents=True, exist_ok=True)
    stamp = record.started_at.replace(":", "").replace("-", "")
    path = record_dir / f"{record.env}-{stamp}.json"
    record.path = str(path)
    path.write_text(json.dumps(record.to_dict(), indent=2) + "\n", encoding="utf-8")
    github.summary(summary_markdown(record))
    github.set_outputs(
        {
            "status": record.status,
            "applied": " ".join(record.applied),
            "release": record.release or "",
            "record": str(path),
        }
    )
    return record


def _phase_facts(record: RunRecord) -> list[tuple[str, str, str]]:
    """Return which migrations ran in which phase and which wait, as (Markdown heading, words, value)."""
    out = []
    if record.before_switch and record.contract != "before-switch":
        before = ", ".join(record.before_switch)
        out.append(("Before the switch (expand, data): ", "before the switch (expand, data): ", before))
    if record.after_health:
        out.append(("After health (contract): ", "after health (contract): ", ", ".join(record.after_health)))
    if record.waiting:
        waiting = ", ".join(record.waiting) + (f": {record.waiting_reason}" if record.waiting_reason else "")
        out.append(("**Waiting (contract, not applied):** ", "WAITING (contract, not applied): ", waiting))
    return out


def _facts(record: RunRecord) -> list[tuple[str, str]]:
    """Return what a record says beyond its steps, as (Markdown line, terminal line) pairs; every value in
    the Markdown line escaped (a version, a host or an error text may hold anything)."""
    facts: list[tuple[str, str]] = []

    def fact(heading: str, words: str, value: str, after: str = "", after_text: str = "") -> None:
        facts.append((f"{heading}{markdown(value + after)}", f"{words}{value}{after_text or after}"))

    def listed(values: list[str]) -> str:
        return ", ".join(values)

    if record.applied:
        fact("Migrations applied: ", "applied: ", listed(record.applied))
    for heading, words, value in _phase_facts(record):
        fact(heading, words, value)
    if record.rolled_back_migrations:
        fact("Migrations rolled back: ", "rolled back: ", listed(record.rolled_back_migrations))
    if record.not_undone:
        fact(
            "**Could not be undone:** ",
            "COULD NOT BE UNDONE: ",
            listed(record.not_undone),
            "",
            " (no down SQL); fix forward.",
        )
    if record.kept:
        fact("**Not undone:** ", "NOT UNDONE: ", f"{listed(record.kept)}: {record.kept_reason}")
    if record.signal and not (record.error or "").startswith(f"{record.signal} asked the run to stop"):
        fact("", "", f"{record.signal} asked the run to stop")
    if record.release:
        back = record.release_rolled_back
        facts.append(
            (
                f"Release: {markdown(record.release)}" + (" (rolled back)" if back else ""),
                f"release: {record.release} on {listed(record.hosts)}"
                + (" (rolled back to the previous release)" if back else ""),
            )
        )
    if record.live:
        fact(
            "Live now: ",
            "live now: ",
            listed([f"{host}: {release or 'nothing'}" for host, release in record.live.items()]),
        )
    if record.error:
        fact("Error: ", "error: ", record.error)
    return facts


def summary_markdown(record: RunRecord) -> str:
    """Return the record as a Markdown report (the GitHub step summary)."""
    rows = "\n".join(markdown_row((s.name, s.status, f"{s.seconds:.2f}s", s.detail)) for s in record.steps)
    lines = [
        f"### Release to {markdown(record.env)}: {markdown(record.status)}",
        "",
        "| step | result | time | detail |",
        "|---|---|---|---|",
    ]
    lines += [rows, "", *(markdown for markdown, _ in _facts(record))]
    return "\n".join(lines) + "\n"


def summary_text(record: RunRecord) -> str:
    """Return the record as plain text for the terminal."""
    width = max((len(s.name) for s in record.steps), default=10)
    lines = [f"Release to {record.env}: {record.status.upper()} (exit {record.exit_code})"]
    lines += [f"  {s.name.ljust(width)}  {s.status:<8} {s.seconds:7.2f}s  {s.detail}" for s in record.steps]
    lines += [f"  {text}" for _, text in _facts(record)]
    lines.append(f"  record: {record.path}")
    return "\n".join(lines)
