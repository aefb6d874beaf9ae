"""PostgreSQL's table lock modes: their order, and what each blocks while a migration holds it (pure).

A migration holds every lock it takes until it commits, so the strongest mode on a table, from the
statement that first took it to COMMIT, is the window in which other sessions wait. A queued ACCESS
EXCLUSIVE request also makes every later reader wait behind it: that is why the engine sets lock_timeout.
"""

from __future__ import annotations

from collections.abc import Iterable

#: The eight table lock modes as pg_locks names them, weakest first.
MODES = (
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
)
RANK = {mode: rank for rank, mode in enumerate(MODES)}

#: What other sessions can no longer do on the table while the mode is held.
BLOCKS = {
    "AccessShareLock": "blocks only ACCESS EXCLUSIVE (DROP, most ALTER TABLE); reads and writes go on",
    "RowShareLock": "blocks EXCLUSIVE and ACCESS EXCLUSIVE; reads and writes go on",
    "RowExclusiveLock": "blocks SHARE and stronger (a plain CREATE INDEX waits); reads and writes go on",
    "ShareUpdateExclusiveLock": "blocks other schema changes and VACUUM; reads and writes go on",
    "ShareLock": "blocks writes (INSERT, UPDATE, DELETE) and schema changes; reads go on",
    "ShareRowExclusiveLock": "blocks writes (INSERT, UPDATE, DELETE) and schema changes; reads go on",
    "ExclusiveLock": "blocks writes and SELECT ... FOR UPDATE; plain reads go on",
    "AccessExclusiveLock": "blocks reads and writes: every query on the table waits",
}

#: The mode statements that run outside a transaction take (CREATE INDEX CONCURRENTLY, VACUUM...), as
#: documented: they cannot be observed in a transaction.
OUTSIDE_TRANSACTION_MODE = "ShareUpdateExclusiveLock"


def strongest(modes: Iterable[str]) -> str | None:
    """Return the strongest of ``modes`` (None for none)."""
    known = [m for m in modes if m in RANK]
    return max(known, key=RANK.__getitem__) if known else None


def blocks_writes(mode: str) -> bool:
    """Return True when ``mode`` blocks INSERT, UPDATE and DELETE on the table."""
    return RANK.get(mode, -1) >= RANK["ShareLock"]


def blocks_reads(mode: str) -> bool:
    """Return True when ``mode`` blocks plain SELECT on the table."""
    return mode == "AccessExclusiveLock"


def impact(mode: str) -> str:
    """Return "reads and writes", "writes" or "" (neither): what the mode stops."""
    if blocks_reads(mode):
        return "reads and writes"
    return "writes" if blocks_writes(mode) else ""
