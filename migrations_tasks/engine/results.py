"""What an apply, a rollback or a repair did: typed results, with statuses as enums."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..history.down import DownSql
from ..history.migrations import Migration
from ..history.status import Comparison
from ..wording import TextEnum
from .request import Request


class OutcomeStatus(TextEnum):
    """What happened to one migration (the value is what reports and JSON show)."""

    # apply
    APPLIED, ALREADY_APPLIED, WOULD_APPLY = "applied", "already-applied", "would-apply"
    # rollback
    ROLLED_BACK, RECORD_REMOVED = "rolled-back", "record-removed"
    ALREADY_ROLLED_BACK, WOULD_ROLL_BACK = "already-rolled-back", "would-roll-back"
    # repair
    RECORDED, RE_RECORDED, REMOVED, NOT_RECORDED = "recorded", "re-recorded", "removed", "not-recorded"


@dataclass
class Outcome:
    """What happened to one migration in an apply, a rollback or a repair."""

    version: str
    name: str
    status: OutcomeStatus
    seconds: float = 0.0
    requests: int = 0


@dataclass
class ApplyResult:
    """What an apply did."""

    plan: Comparison
    outcomes: list[Outcome] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    sql: list[tuple[Migration, list[str]]] = field(default_factory=list)
    #: Pending migrations this run leaves pending on purpose (``--phase``): (version, why), in version order.
    waiting: list[tuple[str, str]] = field(default_factory=list)

    @property
    def applied(self) -> list[Outcome]:
        """Return the migrations this run applied."""
        return [o for o in self.outcomes if o.status is OutcomeStatus.APPLIED]


@dataclass
class RollbackStep:
    """One migration a rollback undoes: its down SQL (None when unknown) and the request that does it."""

    version: str
    name: str
    label: str
    migration: Migration | None
    down: DownSql | None
    record_only: bool
    request: Request


@dataclass
class RollbackResult:
    """What a rollback did (or, for a dry run, would do)."""

    dry_run: bool = False
    record_only: bool = False
    steps: list[RollbackStep] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0

    @property
    def done(self) -> list[Outcome]:
        """Return the migrations this run rolled back (or whose rows it removed)."""
        return [o for o in self.outcomes if o.status in (OutcomeStatus.ROLLED_BACK, OutcomeStatus.RECORD_REMOVED)]


@dataclass
class RepairResult:
    """What a repair wrote (or, for a dry run, would write)."""

    status: str
    dry_run: bool = False
    outcomes: list[Outcome] = field(default_factory=list)
    sql: str = ""
    requests: int = 0
    seconds: float = 0.0
