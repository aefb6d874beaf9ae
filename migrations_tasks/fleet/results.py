"""What one target's run came to, and the options of a run over many targets (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError
from ..wording import TextEnum

ON_ERROR = ("stop", "continue")


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


@dataclass(frozen=True)
class FleetOptions:
    """How many targets run at once, how many go first alone, and what a failure does to the rest."""

    parallel: int = 4
    canary: int = 0
    on_error: str = "stop"

    @classmethod
    def read(cls, parallel: Any, canary: Any, on_error: Any) -> FleetOptions:
        """Return the options from the flags, or raise one ConfigError naming every bad one."""
        problems: list[str] = []
        values: dict[str, Any] = {}
        for name, value, default, minimum in (("parallel", parallel, 4, 1), ("canary", canary, 0, 0)):
            try:
                number = default if value is None else int(value)
                if number < minimum:
                    raise ValueError
                values[name] = number
            except (TypeError, ValueError):
                problems.append(f"--{name} must be a whole number of at least {minimum}, not {value!r}.")
        choice = str(on_error or "stop").strip().lower()
        if choice not in ON_ERROR:
            problems.append(f"--on-error must be stop or continue, not {on_error!r}.")
        if problems:
            raise ConfigError("\n".join(problems))
        return cls(values["parallel"], values["canary"], choice)
