"""What ``db.plan`` learned: per statement, per migration and for the whole plan (typed, pure), and its verdict.

* ``fails``: a migration fails on the throwaway database, a data check fails on the live rows, a rollback
  proof fails, or a finding is an error;
* ``review``: everything applies, but a person should decide when: a lock that blocks writes (or reads) on
  a live table with rows, held to COMMIT; a rewrite or scan of such a table under it; a data check nobody
  could answer ("unknown" is never "safe");
* ``safe``: none of those.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import EXIT_FAILED, EXIT_OK
from ..lint.results import Finding, LintResult
from ..lint.rules import ERROR
from ..wording import TextEnum
from .locks import RANK, blocks_writes, impact


class Rehearsed(TextEnum):
    """How a pending migration's rehearsal went."""

    OK, FAILED, NOT_REHEARSED = "ok", "failed", "not-rehearsed"


class Proof(TextEnum):
    """How a migration's rollback proof went."""

    PASS, FAIL, NO_DOWN_SQL, NOT_RUN = "pass", "fail", "no-down-sql", "not-run"
    SHAPE_ONLY = "shape-only"  # the catalog is restored, but a table or column the migration dropped is empty


class Data(TextEnum):
    """What the live rows say about a statement: it fails on them, passes, or nobody could tell."""

    FAILS, PASSES, UNKNOWN = "fails", "passes", "unknown"
    COUNTED = "counted"  # not a question: how many live rows an UPDATE or DELETE locks until COMMIT


@dataclass(frozen=True)
class DataCheck:
    """A data check of one statement on the live rows (never their values: only how many offend)."""

    table: str
    what: str  # the constraint, or what the statement asks of the rows
    status: Data
    sqlstate: str = ""  # what db.apply would fail with
    rows: int | None = None  # offending rows (or duplicated values) counted; None: not counted
    more: bool = False  # the count stopped at its bound: there are more
    reason: str = ""  # why it is unknown
    query: str = ""  # what a user runs to find the rows

    @property
    def text(self) -> str:
        """Return the check's verdict in one line."""
        if self.status is Data.UNKNOWN:
            return f"data check unknown: {self.what}: {self.reason}"
        if self.status is Data.PASSES:
            return f"live rows pass: {self.what}"
        if self.status is Data.COUNTED:
            count = ("more than " if self.more else "") + f"{self.rows or 0:,} live row{'' if self.rows == 1 else 's'}"
            return f"{self.what} locks {count} until COMMIT: writes to them wait"
        unit = "duplicated value" if self.sqlstate == "23505" else "row"
        if not self.rows:
            count, verb = f"at least one {unit}", "violates"
        else:
            count = ("more than " if self.more else "") + f"{self.rows:,} {unit}{'s' if self.rows > 1 else ''}"
            verb = "violates" if self.rows == 1 and not self.more else "violate"
        if self.sqlstate.startswith("22"):
            verb = "fail" if verb == "violate" else "fails"
        return f"fails on live rows: {count} {verb} {self.what} ({self.sqlstate})"


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
    data: list[DataCheck] = field(default_factory=list)


@dataclass(frozen=True)
class Window:
    """The strongest lock a migration holds on an existing table, and the statement that first took it."""

    table: str
    mode: str
    statement: int  # 1-based
    line: int
    #: How long it is held: "to COMMIT", or "outside a transaction" (CONCURRENTLY...: documented, not observed)
    held: str = "to COMMIT"


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
                    held = "to COMMIT" if lock.observed else "outside a transaction"
                    best = Window(lock.table, mode, st.index + 1, st.line, held)
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
    data_requests: int = 0  # of ``requests``, the data checks' read-only ones
    scratch_requests: int = 0
    seconds: float = 0.0
    strict: bool = False  # a review verdict exits 1 too

    @property
    def findings(self) -> list[Finding]:
        """Return lint findings and the plan's own (no down SQL, failed proofs)."""
        return [*self.lint.findings, *(f for m in self.migrations for f in m.findings)]

    @property
    def data_checks(self) -> list[DataCheck]:
        """Return every data check, in the order of the statements."""
        return [d for m in self.migrations for st in m.statements for d in st.data]

    @property
    def failed(self) -> bool:
        """Return True when a migration or a data check fails, a finding is an error or a proof fails."""
        failed = any(m.status is Rehearsed.FAILED for m in self.migrations) or any(
            d.status is Data.FAILS for d in self.data_checks
        )
        return failed or any(f.level == ERROR for f in self.findings)

    @property
    def reviews(self) -> list[tuple[MigrationReport, str]]:
        """Return why the plan needs a reviewer: (migration, reason), in order (see :mod:`.verdict`)."""
        return [(m, line) for m in self.migrations for line in reasons(m, self.estimates)]

    @property
    def verdict(self) -> Verdict:
        """Return fails, review or safe."""
        if self.failed:
            return Verdict.FAILS
        return Verdict.REVIEW if self.reviews else Verdict.SAFE

    @property
    def exit_code(self) -> int:
        """Return 1 when the plan fails (or needs a review, under ``strict``); else 0."""
        verdict = self.verdict
        if verdict is Verdict.FAILS or (verdict is Verdict.REVIEW and self.strict):
            return EXIT_FAILED
        return EXIT_OK


class Verdict(TextEnum):
    """The plan's verdict: its exit code is 1, 0 (1 under ``--strict``) and 0."""

    FAILS, REVIEW, SAFE = "fails", "review", "safe"


def _rows(name: str, estimates: Mapping[str, Estimate]) -> str | None:
    """Return "~1,200 rows, 9.5 MB" for a live table with rows or an unknown count; None for an empty or new one."""
    estimate = estimates.get(name)
    if estimate is None or estimate.rows == 0:
        return None
    rows = "rows unknown" if estimate.rows is None else f"~{estimate.rows:,} rows"
    return rows if estimate.bytes is None else f"{rows}, {estimate.bytes / 2**20:.1f} MB"


def _lines(st: StatementReport, held: dict[str, tuple[str, int]], estimates: Mapping[str, Estimate]) -> list[str]:
    """Return one statement's reasons: per live table with rows, its lock in force, rewrite or scan."""
    number, fresh = st.index + 1, set()
    for lock in st.locks:
        stronger = lock.table not in held or RANK[lock.strongest] > RANK[held[lock.table][0]]
        if lock.relation == lock.table and lock.observed and stronger:
            held[lock.table] = (lock.strongest, number)
            fresh.add(lock.table)
    out = []
    for table in dict.fromkeys([*sorted(fresh), *st.rewritten, *st.scanned]):
        rows, (mode, since) = _rows(table, estimates), held.get(table, ("", 0))
        if not rows or not mode or not blocks_writes(mode):
            continue
        doing = "rewrite" if table in st.rewritten else "scan" if table in st.scanned else ""
        if table in fresh or doing:
            what = f"; {doing} under it" if doing else ""
            out.append(f"[{number}] {mode} on {table} ({rows}) from [{since}] to COMMIT: blocks {impact(mode)}{what}")
    return out


def _needs_review(check: DataCheck) -> bool:
    return check.status is Data.UNKNOWN or (check.status is Data.COUNTED and bool(check.rows))


def reasons(report: MigrationReport, estimates: Mapping[str, Estimate]) -> list[str]:
    """Return why one rehearsed migration needs a review, one line each (empty: it does not)."""
    out: list[str] = []
    held: dict[str, tuple[str, int]] = {}  # table -> the strongest mode held so far, and since which statement
    for st in report.statements:
        out += _lines(st, held, estimates)
        out += [f"[{st.index + 1}] {check.text}" for check in st.data if _needs_review(check)]
    if report.proof.status is Proof.SHAPE_ONLY:  # the down SQL would bring back empty tables or columns
        out.append(f"rollback proof: {report.proof.message}")
    return out
