"""What ``db.verify`` learned: typed results of the four checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import catalog
from ..history.sqlfile import Statement
from ..history.status import Comparison
from ..wording import TextEnum


class CheckStatus(TextEnum):
    """How one of db.verify's checks (or the drift comparison) came out; the value is what JSON shows."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    SKIPPED = "skipped"


PASS, FAIL, ERROR, SKIPPED = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.ERROR, CheckStatus.SKIPPED
CHECKS = ("history", "expectations", "advisories", "drift")


@dataclass(frozen=True)
class ScriptResult:
    """How one verify script went."""

    path: Path
    passed: bool
    statement: Statement | None = None
    sqlstate: str | None = None
    message: str = ""
    detail: str | None = None
    hint: str | None = None

    @property
    def where(self) -> str:
        """Return ``path:line`` of the failing statement (the path when none)."""
        return f"{self.path}:{self.statement.line}" if self.statement else str(self.path)


@dataclass(frozen=True)
class CriticalResult:
    """Whether a critical table exists with its columns."""

    table: str
    exists: bool
    missing: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Return True when the table and every listed column exist."""
        return self.exists and not self.missing


@dataclass(frozen=True)
class Finding:
    """One advisory finding; ``silenced`` holds the configured reason when the team accepted it."""

    rule: str
    level: str
    object: str
    relation: str
    detail: str
    remedy: str
    title: str = ""
    silenced: str | None = None


@dataclass
class DriftResult:
    """What the drift check found."""

    status: CheckStatus = SKIPPED
    differences: list[catalog.Difference] = field(default_factory=list)
    migrations_applied: int = 0
    seconds: float = 0.0
    where: str = ""
    message: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CheckOutcome:
    """One check's verdict and a one-line summary."""

    name: str
    status: CheckStatus
    summary: str


@dataclass
class VerifyResult:
    """Everything ``db.verify`` learned."""

    target: str
    plan: Comparison | None = None
    scripts: list[ScriptResult] = field(default_factory=list)
    critical: list[CriticalResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    drift: DriftResult = field(default_factory=DriftResult)
    checks: list[CheckOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0
    server_version: str = ""

    @property
    def exit_code(self) -> int:
        """Return 1 when a check failed, else 3 when one could not run, else 0."""
        statuses = {c.status for c in self.checks}
        if FAIL in statuses:
            return 1
        if ERROR in statuses:
            return 3
        return 0

    @property
    def active_findings(self) -> list[Finding]:
        """Return the findings that were not silenced."""
        return [f for f in self.findings if f.silenced is None]
