"""What ``db.plan`` learned: per statement, per migration and for the whole plan (typed, pure)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import EXIT_FAILED, EXIT_OK
from ..lint.results import Finding, LintResult
from ..lint.rules import ERROR
from ..wording import TextEnum
from .locks import RANK


class Rehearsed(TextEnum):
    """How a pending migration's rehearsal went."""

    OK, FAILED, NOT_REHEARSED = "ok", "failed", "not-rehearsed"


class Proof(TextEnum):
    """How a migration's rollback proof went."""

    PASS, FAIL, NO_DOWN_SQL, NOT_RUN = "pass", "fail", "no-down-sql", "not-run"


@dataclass(frozen=True)
class Lock:
    """Lock modes a statement was the first in its transaction to take on a relation that existed before."""

    relation: str
    modes: tuple[str, ...]
    table: str  # the table, for an index: what the lock stops
    observed: bool = True  # False: documented mode of a statement that runs outside a transaction
    #: A stronger mode the transaction already held on the relation, and the statement (1-based) that took it
    held: str | None = None
    since: int | None = None

    @property
    def strongest(self) -> str:
        """Return the strongest of the modes."""
        return max(self.modes, key=RANK.__getitem__)

    @property
    def in_force(self) -> str:
        """Return the strongest mode held on the relation once the statement ran (what other sessions meet)."""
        return self.held if self.held is not None and RANK[self.held] > RANK[self.strongest] else self.strongest


@dataclass
class StatementReport:
    """One statement of a pending migration, as rehearsed."""

    index: int  # 0-based, in the migration's statements
    line: int
    text: str
    locks: list[Lock] = field(default_factory=list)
    rewritten: list[str] = field(default_factory=list)
    scanned: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class Window:
    """The strongest lock a migration holds on an existing table, and the statement that first took it."""

    table: str
    mode: str
    statement: int  # 1-based
    line: int


@dataclass
class ProofResult:
    """A rollback proof: apply, down, compare with the catalog before, apply again."""

    status: Proof = Proof.NOT_RUN
    differences: list[str] = field(default_factory=list)
    message: str = ""
    #: False when the migration could not be applied again: later rehearsals would not be faithful.
    in_place: bool = True


@dataclass
class MigrationReport:
    """One pending migration: what each statement did, the verdicts, and its rollback proof."""

    version: str
    name: str
    file: str
    status: Rehearsed = Rehearsed.NOT_REHEARSED
    statements: list[StatementReport] = field(default_factory=list)
    failure: str = ""
    failure_line: int | None = None
    sqlstate: str | None = None
    proof: ProofResult = field(default_factory=ProofResult)
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0
    #: Why it was not rehearsed (an earlier migration failed, or could not be applied again).
    reason: str = ""

    @property
    def window(self) -> Window | None:
        """Return the strongest lock on an existing table, from the statement that first took it."""
        best: Window | None = None
        for st in self.statements:
            for lock in st.locks:
                mode = lock.strongest
                if lock.relation == lock.table and (best is None or RANK[mode] > RANK[best.mode]):
                    best = Window(lock.table, mode, st.index + 1, st.line)
        return best

    @property
    def rewrites(self) -> list[str]:
        """Return the existing tables and indexes the migration rewrote, in order."""
        return list(dict.fromkeys(name for st in self.statements for name in st.rewritten))


@dataclass(frozen=True)
class Estimate:
    """A live table's size: estimated rows (None: never analysed) and bytes."""

    rows: int | None
    bytes: int | None


@dataclass
class PlanResult:
    """Everything db.plan found."""

    target: str
    migrations: list[MigrationReport] = field(default_factory=list)
    lint: LintResult = field(default_factory=lambda: LintResult("pending"))
    estimates: dict[str, Estimate] = field(default_factory=dict)
    server_version: int = 0  # the live server's server_version_num
    applied: int = 0
    where: str = ""
    notes: list[str] = field(default_factory=list)
    requests: int = 0
    scratch_requests: int = 0
    seconds: float = 0.0

    @property
    def findings(self) -> list[Finding]:
        """Return lint findings and the plan's own (no down SQL, failed proofs)."""
        return [*self.lint.findings, *(f for m in self.migrations for f in m.findings)]

    @property
    def exit_code(self) -> int:
        """Return 1 when a migration fails, a finding is an error or a proof fails; else 0."""
        failed = any(m.status is Rehearsed.FAILED for m in self.migrations)
        if failed or any(f.level == ERROR for f in self.findings):
            return EXIT_FAILED
        return EXIT_OK
