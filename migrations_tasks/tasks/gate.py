"""The release gate task: ``inv release``, which CI runs through ``nox -s staging_gate``."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from invoke.context import Context
from invoke.exceptions import Exit

from ..output.reporter import Reporter
from ._common import stoppable, task
from .db import COMMON_HELP

if TYPE_CHECKING:  # the gate loads when the task runs
    from ..gate.record import RunRecord

STOPPING = (
    "stopping at the next safe point: the step in flight finishes (a command before the switch is ended), "
    "then this run is undone as the environment allows (send it again to abort at once: nothing more is undone)."
)
ABORTED = (
    "Aborted: nothing more was undone. The run record says what this run did; inv db.check and "
    "inv deploy.status show where the database and the hosts are."
)


@task(
    help={
        "env": "environment: staging (default), production, sandbox, or any name under release.environments",
        "apply_migrations": "apply pending migrations instead of blocking on them (overrides the environment's policy)",
        "record_dir": "directory for the JSON run record (default: .release)",
        "migrations_dir": COMMON_HELP["migrations_dir"],
    }
)
def release(
    c: Context,
    env: str = "staging",
    apply_migrations: bool = False,
    record_dir: str | None = None,
    migrations_dir: str | None = None,
) -> RunRecord:
    """Release: db.check -> (db.lint, db.plan, db.apply) -> db.verify -> deploy.vps/health; undo on failure."""
    from .. import gate

    with stoppable(Reporter(), STOPPING, ABORTED) as stop:
        record = gate.run_gate(
            c,
            env=env,
            apply_migrations=apply_migrations,
            record_dir=record_dir,
            migrations_dir=migrations_dir,
            say=lambda text: print(text, flush=True),
            should_stop=stop,
        )
    print("\n" + gate.summary_text(record), flush=True)
    if record.exit_code:
        print(f"error: release to {env} {record.status}: {record.error}", file=sys.stderr, flush=True)
        raise Exit(code=record.exit_code)
    return record
