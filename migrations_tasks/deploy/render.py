"""Turn deploy results into output: a per-host table and a verdict on stdout, or one JSON document."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import MigrationsTasksError
from ..output.reporter import Reporter, table
from ..wording import plural
from . import releases as rel
from .health import HealthResult
from .results import DeployResult, DeployStatus, RollbackResult, StatusReport, UnlockOutcome


def _error_fields(error: MigrationsTasksError | None) -> dict[str, Any]:
    if error is None:
        return {"exit_code": 0}
    doc: dict[str, Any] = {"exit_code": error.exit_code, "error": error.message, "kind": type(error).__name__}
    if error.hint:
        doc["hint"] = error.hint
    return doc


def render_deploy(reporter: Reporter, result: DeployResult | None, error: MigrationsTasksError | None = None) -> None:
    """Print a deploy's per-host outcome and verdict (or one JSON document)."""
    if result is None:
        return
    if reporter.json:
        reporter.document({**result.to_dict(), **_error_fields(error)})
        return
    rows = [[h.host, h.status.value, h.live or "-", h.previous or "-", h.transfer or "-"] for h in result.hosts]
    reporter.say(table(rows, ["HOST", "RESULT", "LIVE NOW", "BEFORE", "UPLOAD"]))
    health = ""
    if result.health is not None:
        health = f"; health: {_health_summary(result.health)}"
    hosts = plural(len(result.hosts), "host")
    verdict = {
        DeployStatus.DEPLOYED: f"Deployed {result.release} to {hosts} in {result.seconds:.1f} s{health}.",
        DeployStatus.DRY_RUN: f"Dry run: {result.release} would be deployed to {hosts}; nothing was run.",
        DeployStatus.FAILED: f"Deploy of {result.release} failed before the switch; nothing changed{health}.",
        DeployStatus.ROLLED_BACK: f"Deploy of {result.release} failed and was rolled back on every host{health}.",
        DeployStatus.ROLLBACK_FAILED: f"Deploy of {result.release} failed and was NOT rolled back everywhere{health}.",
    }[result.status]
    reporter.say(f"\n{verdict}")


def render_rollback(
    reporter: Reporter, result: RollbackResult | None, error: MigrationsTasksError | None = None
) -> None:
    """Print a rollback's per-host outcome."""
    if result is None:
        return
    if reporter.json:
        reporter.document({**result.to_dict(), **_error_fields(error)})
        return
    rows = [[h.host, h.status.value, h.live or "-", h.previous or "-"] for h in result.hosts]
    reporter.say(table(rows, ["HOST", "RESULT", "LIVE NOW", "BEFORE"]))
    verdict = {
        DeployStatus.ROLLED_BACK: "Rolled back.",
        DeployStatus.DRY_RUN: "Dry run: nothing was run.",
        DeployStatus.ROLLBACK_FAILED: "Rollback FAILED on some hosts.",
    }.get(result.status, result.status.value)
    reporter.say(f"\n{verdict}")


def _health_summary(result: HealthResult) -> str:
    rounds = plural(result.rounds, "round")
    if result.healthy:
        return f"healthy after {rounds} ({result.seconds:.1f} s)"
    return f"UNHEALTHY after {rounds} ({result.seconds:.1f} s): {result.reason}"


def render_health(reporter: Reporter, result: HealthResult, error: MigrationsTasksError | None = None) -> None:
    """Print the verdict of ``deploy.health``."""
    if reporter.json:
        reporter.document({**result.to_dict(), **_error_fields(error)})
        return
    reporter.say(("Healthy: " if result.healthy else "Unhealthy: ") + _health_summary(result) + ".")


def render_status(reporter: Reporter, report: StatusReport) -> None:
    """Print each host's releases: live, failed, prepared, and the lock holder."""
    if reporter.json:
        reporter.document(report.to_dict())
        return
    for host in report.hosts:
        if not host.exists:
            reporter.say(f"{host.host}: nothing deployed yet.\n")
            continue
        rows = [[("* " if r == host.current else "  ") + r, state] for r, state in reversed(host.releases)]
        reporter.say(f"{host.host}: live {host.current or '(none)'}")
        if rows:
            reporter.say(table(rows, ["  RELEASE", "STATE"]))
        if host.note:
            reporter.say(f"  note: {host.note}")
        if host.lock_holder is not None:
            reporter.say(f"  LOCKED by {rel.describe_holder(host.lock_holder)}")
        reporter.say("")


def render_unlock(reporter: Reporter, outcomes: Sequence[UnlockOutcome], *, force: bool) -> None:
    """Print each host's lock, and whether it was broken."""
    if reporter.json:
        reporter.document({"hosts": [o.to_dict() for o in outcomes], "force": force})
        return
    for o in outcomes:
        if o.holder is None and not o.removed:
            reporter.say(f"{o.host}: not locked.")
        elif o.removed:
            who = rel.describe_holder(o.holder) if o.holder is not None else "(dry run)"
            reporter.say(f"{o.host}: lock broken (it was held by {who}).")
        else:
            reporter.say(f"{o.host}: locked by {rel.describe_holder(o.holder or {})}.")
