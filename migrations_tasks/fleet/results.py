"""What one target's run came to (pure); the options of a run (:class:`FleetOptions`) are read in config."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..config.targets import FleetOptions
from ..wording import TextEnum


class RunStatus(TextEnum):
    """How a target's run ended (the value is what reports and JSON show)."""

    OK = "ok"
    PENDING = "pending"  # db.check: migrations to apply
    CONFLICT = "conflict"  # db.check: history conflict
    FAILED = "failed"
    STOPPED = "stopped"  # at a migration boundary: a signal, or another target's failure
    NOT_STARTED = "not-started"


@dataclass
class TargetRun:
    """One target's run: its status, counts, requests, time and first error; ``stopped_at`` says where it stopped."""

    name: str
    where: str = ""
    status: RunStatus = RunStatus.NOT_STARTED
    exit_code: int = 0
    #: Migrations this run applied (rolled back, repaired); for db.check the applied ones.
    done: int = 0
    pending: int = 0
    requests: int = 0
    seconds: float = 0.0
    error: str | None = None
    #: The migration the error is about (its version), when there is one.
    migration: str | None = None
    #: The last migration done before the run stopped at a boundary (None: before the first one).
    stopped_at: str | None = None
    reason: str | None = None  # why it stopped or did not start
    document: dict[str, Any] = field(default_factory=dict)  # the task's own details for this target

    @property
    def failed(self) -> bool:
        """Return True when the target's run failed (a check's pending migrations are not a failure)."""
        return self.status in (RunStatus.FAILED, RunStatus.CONFLICT)


__all__ = ["FleetOptions", "RunStatus", "TargetRun"]
