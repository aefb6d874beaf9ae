"""The compatibility check of a phased release: after the expand phase, before the switch, the previous
release's verify scripts still pass.

When health fails, the previous release comes back on the schema the expand phase left. Its own
expectations (the verify scripts of its commit) are run against that schema, so a migration called expand
that the previous release cannot run on stops the release before the switch. Which release is previous:
the newest ``ok`` run record of the environment whose release id carries a git revision
(``YYYYMMDD-HHMMSS.mmm-<rev>``, as the deploy names releases from a git checkout). The scripts are read
from git at that revision, under the path ``migrations.verify.verify_dir`` has now. Without a record, a
revision, git or scripts there, the step is skipped and says why.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Collection
from dataclasses import replace
from pathlib import Path

from ..verify import verify
from .record import StepStatus
from .steps import GateRun, StepFailed

STEP = "compatibility (previous release's verify scripts)"


def previous_revision(record_dir: Path, env: str) -> tuple[str | None, str]:
    """Return the git revision of the newest release of ``env`` that passed, or None and why not ("": no
    earlier passing run with a release, so nothing to be compatible with)."""
    for path in sorted(record_dir.glob(f"{env}-*.json"), reverse=True):
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(saved, dict) or saved.get("env") != env or saved.get("status") != "ok":
            continue
        release = str(saved.get("release") or "")
        parts = release.split("-", 2)
        if len(parts) == 3 and parts[2]:
            return parts[2], ""
        if release:
            return None, f"the previous release {release} names no git revision"
    return None, ""


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=False, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def export_scripts(verify_dir: Path, revision: str, into: Path) -> tuple[int, str]:
    """Write the ``*.sql`` files ``verify_dir`` held at ``revision`` into ``into``; return how many, or 0 and why."""
    top = _git("-C", str(verify_dir.parent), "rev-parse", "--show-toplevel")
    if top is None:
        return 0, f"{verify_dir} is not in a git checkout"
    try:
        relative = verify_dir.resolve().relative_to(Path(top.strip()).resolve()).as_posix()
    except ValueError:
        return 0, f"{verify_dir} is outside the git checkout"
    names = _git("-C", top.strip(), "ls-tree", "--name-only", f"{revision}:{relative}")
    if names is None:
        return 0, f"revision {revision} has no {relative}"
    count = 0
    for name in names.split():
        text = _git("-C", top.strip(), "show", f"{revision}:{relative}/{name}") if name.endswith(".sql") else None
        if text is not None:
            (into / Path(name).name).write_text(text, encoding="utf-8")
            count += 1
    return count, "" if count else f"revision {revision} has no verify scripts in {relative}"


def check(gate: GateRun, record_dir: Path, waiting: Collection[str]) -> None:
    """Run the previous release's verify scripts on the schema after the expand phase; StepFailed when one fails."""
    verify_dir = gate.settings.verify.verify_dir
    revision, why = previous_revision(record_dir, gate.record.env)
    if revision is None and not why:
        return
    with gate.step(STEP) as step, tempfile.TemporaryDirectory(prefix="mt-previous-verify-") as scratch:
        count = 0
        if revision is not None and verify_dir is not None:
            count, why = export_scripts(verify_dir, revision, Path(scratch))
        elif verify_dir is None:
            why = "migrations.verify.verify_dir is not set"
        if not count:
            step.status, step.detail = StepStatus.SKIPPED, f"skipped: {why}"
            return
        settings = replace(gate.settings, verify=replace(gate.settings.verify, verify_dir=Path(scratch)))
        outcome = verify(gate.db, gate.local, settings, drift=False, waiting=waiting)
        failed = [f"{s.path.name}: {s.message}" for s in outcome.scripts if not s.passed]
        if failed:
            raise StepFailed(
                f"the previous release ({revision}) would fail on the schema after the expand phase: "
                + "; ".join(failed),
                hint="Move what breaks it into a contract migration (after health), or make it compatible.",
            )
        step.detail = f"{count} verify script(s) of {revision} pass after the expand phase"
