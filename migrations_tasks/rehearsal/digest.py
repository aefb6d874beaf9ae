"""Fold a migration's locks for people: one entry per existing table, its indexes' locks counted with it (pure).

``db.plan`` prints, per migration, one line per statement that locks an existing table (or whose data check
or finding must be read), and one count for the rest; the summary row names every table with its strongest
lock. ``--verbose`` and ``--json`` keep every lock of every relation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from ..wording import plural
from .locks import RANK, impact
from .results import Lock, MigrationReport, StatementReport


@dataclass(frozen=True)
class TableLock:
    """The strongest lock on one existing table (its own, else its indexes'), and the statement that took it."""

    table: str
    mode: str
    statement: int  # 1-based: the statement that first took the mode
    outside: bool = False  # taken by a statement that runs outside a transaction: not held to COMMIT
    indexes: int = 0  # how many of the table's indexes were locked too
    on_index_only: bool = False  # only its indexes were locked, not the table itself
    since: int | None = None  # the mode was already held, since this earlier statement (1-based)

    @property
    def held(self) -> str:
        """Return how long the lock is held: "to COMMIT" or "outside a transaction"."""
        return "outside a transaction" if self.outside else "to COMMIT"


def _fold(locks: Iterable[tuple[int, Lock]]) -> list[TableLock]:
    """Return one entry per table, in the order first locked: its strongest mode, and its indexes counted."""
    best: dict[str, TableLock] = {}
    indexes: dict[str, set[str]] = {}
    for number, lock in locks:
        own = lock.relation == lock.table
        if not own:
            indexes.setdefault(lock.table, set()).add(lock.relation)
        current, mode = best.get(lock.table), lock.in_force
        # the table's own lock beats any of its indexes'; then the stronger mode wins, the earlier on a tie
        if current is None or (own, RANK[mode]) > (not current.on_index_only, RANK[current.mode]):
            since = lock.since if mode != lock.strongest else None
            best[lock.table] = TableLock(lock.table, mode, number, not lock.observed, 0, not own, since)
    return [replace(t, indexes=len(indexes.get(t.table, ()))) for t in best.values()]


def statement_tables(st: StatementReport) -> list[TableLock]:
    """Return the existing tables one statement locks, each with the mode in force once it ran."""
    return _fold((st.index + 1, lock) for lock in st.locks)


def migration_tables(report: MigrationReport) -> list[TableLock]:
    """Return every existing table the migration locks, each with its strongest lock and who first took it."""
    return _fold((st.index + 1, lock) for st in report.statements for lock in st.locks)


def _index_note(t: TableLock) -> str:
    if not t.indexes:
        return ""
    indexes = f"{t.indexes} index{'es' if t.indexes > 1 else ''}"
    return f" (on {indexes} only)" if t.on_index_only else f" (+{indexes})"


def locks_text(report: MigrationReport, markdown: bool = False) -> str:
    """Return every table the migration locks with its strongest lock, what it stops and from where: the summary."""
    tables = sorted(migration_tables(report), key=lambda t: (-RANK[t.mode], t.statement, t.table))
    if not tables:
        return "none"
    parts = []
    for t in tables:
        mode = f"`{t.mode}`" if markdown else t.mode
        stops = impact(t.mode) if not t.on_index_only else ""
        where = f"from [{t.statement}] to COMMIT" if not t.outside else f"at [{t.statement}], outside a transaction"
        parts.append(f"{mode} {t.table}{_index_note(t)}" + (f" (blocks {stops})" if stops else "") + f" {where}")
    return "; ".join(parts)


def _stops(t: TableLock) -> str:
    if t.on_index_only:
        return "locks only its indexes"
    stops = impact(t.mode)
    return f"blocks {stops}" if stops else "reads and writes go on"


def statement_line(st: StatementReport, sized: dict[str, str], most: int = 3) -> str:
    """Return one statement on one line: where, what, and the tables it locks with their size and what it stops."""
    tables = statement_tables(st)
    parts = []
    for t in tables[:most]:
        size = f" ({sized[t.table]})" if sized.get(t.table) else ""
        doing = ", rewrites it" if t.table in st.rewritten else ", scans it" if t.table in st.scanned else ""
        held = f" (held since [{t.since}])" if t.since else ""
        parts.append(f"{t.mode}{held} on {t.table}{size}{_index_note(t)} {t.held}: {_stops(t)}{doing}")
    if len(tables) > most:
        parts.append(f"and {plural(len(tables) - most, 'more table')} (--verbose lists them)")
    return f"  [{st.index + 1}] line {st.line}  {st.text}" + ("  ->  " + "; ".join(parts) if parts else "")


def shown(st: StatementReport) -> bool:
    """Return True when a statement gets its own lines: it locks an existing table, or has a check or a finding."""
    return bool(st.locks or st.rewritten or st.scanned or st.data or st.findings)


def folded_line(count: int) -> str:
    """Return the line that stands for the statements folded away."""
    verb, them = ("locks", "it") if count == 1 else ("lock", "them")
    return f"  + {plural(count, 'statement')} that {verb} no existing table (--verbose shows {them})"
