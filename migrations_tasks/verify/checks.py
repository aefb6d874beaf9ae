"""The four checks' verdicts: history, expectations, advisories, drift; and whether drift runs at all."""

from __future__ import annotations

from collections.abc import Collection

from ..config.settings import Settings
from ..history.status import Comparison
from ..wording import plural
from . import lints
from .results import ERROR, FAIL, PASS, SKIPPED, CheckOutcome, DriftResult, VerifyResult
from .throwaway import sandbox_available


def history(plan: Comparison, waiting: Collection[str] = ()) -> CheckOutcome:
    """Pass when nothing is pending or conflicting; ``waiting`` (contract migrations a release phase holds back)
    may stay pending."""
    conflicts = plan.conflicts
    pending = [e for e in plan.pending if e.version not in waiting]
    held = [e.version for e in plan.pending if e.version in waiting]
    applied = [e for e in plan.entries if e.status.value == "applied"]
    if not conflicts and not pending:
        also = f"; {len(held)} contract migration(s) waiting on purpose ({', '.join(held)})" if held else ""
        return CheckOutcome("history", PASS, f"{len(applied)} migrations applied, none pending or conflicting{also}")
    parts = []
    for status in ("pending", "out-of-order", "remote-only", "changed"):
        versions = [e.version for e in plan.entries if e.status.value == status]
        if versions:
            parts.append(f"{len(versions)} {status} ({', '.join(versions[:5])}{', ...' if len(versions) > 5 else ''})")
    return CheckOutcome("history", FAIL, "; ".join(parts))


def expectations(result: VerifyResult) -> CheckOutcome:
    if not result.scripts and not result.critical:
        return CheckOutcome("expectations", SKIPPED, "no verify scripts and no critical tables configured")
    failed = [s for s in result.scripts if not s.passed]
    missing = [c for c in result.critical if not c.ok]
    parts = []
    if result.scripts:
        parts.append(f"{len(result.scripts) - len(failed)} of {len(result.scripts)} verify scripts passed")
    if result.critical:
        parts.append(f"{len(result.critical) - len(missing)} of {len(result.critical)} critical tables complete")
    summary = "; ".join(parts)
    return CheckOutcome("expectations", FAIL if failed or missing else PASS, summary)


def advisories(result: VerifyResult) -> CheckOutcome:
    active = result.active_findings
    counts = {level: sum(1 for f in active if f.level == level) for level in lints.LEVELS}
    silenced = len(result.findings) - len(active)
    summary = (
        f"{plural(counts['error'], 'error')}, {plural(counts['warn'], 'warning')}, {counts['info']} info"
        + (f" ({silenced} silenced)" if silenced else "")
        + f"; {len(lints.RULES)} rules"
    )
    return CheckOutcome("advisories", FAIL if counts["error"] else PASS, summary)


def drift(result: DriftResult) -> CheckOutcome:
    if result.status == SKIPPED:
        return CheckOutcome("drift", SKIPPED, result.message)
    if result.status == ERROR:
        return CheckOutcome("drift", ERROR, result.message)
    if result.message:
        return CheckOutcome("drift", result.status, result.message)
    count = len(result.differences)
    head = "no differences" if not count else f"{count} difference{'s' if count != 1 else ''}"
    return CheckOutcome(
        "drift",
        FAIL if count else PASS,
        f"{head} ({result.migrations_applied} migrations applied to {result.where} in {result.seconds:.1f}s)",
    )


def drift_wanted(settings: Settings, flag: bool | None) -> tuple[bool, str]:
    """Return whether to run the drift check, and why not when not."""
    mode = settings.verify.drift
    if flag is False:
        return False, "skipped (--no-drift)"
    if mode == "off" and flag is None:
        return False, "skipped (migrations.verify.drift is off)"
    if settings.drift_db_url is None and not sandbox_available() and mode == "auto" and flag is None:
        return False, "skipped: the sandbox extra is not installed (pip install 'migrations-tasks[sandbox]')"
    return True, ""
