"""What ``db.lint`` found: findings with file, line, column, rule, level, message and fix (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import EXIT_FAILED, EXIT_OK
from .phases import MigrationPhase
from .rules import ERROR


@dataclass(frozen=True)
class Finding:
    """One rule broken by one statement (line and column are 1-based, in characters)."""

    file: str
    line: int
    column: int
    rule: str
    level: str  # "error" | "warn"
    message: str
    help: str
    source: str  # "squawk" | "supabase" | "migrations-tasks"
    version: str | None = None
    #: The statement's index in its migration (0-based), when the finding belongs to one.
    statement: int | None = None

    @property
    def where(self) -> str:
        """Return ``file:line:column``."""
        return f"{self.file}:{self.line}:{self.column}"


@dataclass
class LintResult:
    """The findings of one lint run, and what was linted."""

    scope: str  # "pending" | "all" | "files"
    files: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: Findings silenced by a lint-ignore comment, with the reason given.
    silenced: list[tuple[Finding, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0
    #: Each linted migration's release phase (expand, contract, data) and why.
    phases: list[MigrationPhase] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        """Return the error-level findings."""
        return [f for f in self.findings if f.level == ERROR]

    @property
    def exit_code(self) -> int:
        """Return 1 when a finding is an error, else 0 (warnings allowed)."""
        return EXIT_FAILED if self.errors else EXIT_OK

    def phase_of(self, version: str) -> MigrationPhase | None:
        """Return one migration's release phase."""
        return next((p for p in self.phases if p.version == version), None)

    def of(self, version: str, statement: int | None = None) -> list[Finding]:
        """Return the findings of one migration (and, given, one of its statements)."""
        return [f for f in self.findings if f.version == version and (statement is None or f.statement == statement)]
