"""Hold a migration's lease while its parts run outside one transaction (:mod:`..history.lease`).

A migration that is several requests takes its lease first (with the guard: already recorded means
already applied by another run); while another run holds it, the run waits, asking again with backoff, up
to ``lock_wait_seconds``. The holder renews it in each transactional part and, when it is older than a
third of its life, in a request of its own before a part that runs outside a transaction; the request
recording the ledger row gives it back. A run that takes over the lease of a run that stopped learns how
many parts it committed (:attr:`Lease.resumed_from`) and goes on after them.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import MigrationsTasksError, SqlError
from ..history import lease
from ..history.migrations import Migration
from .context import Context
from .events import Event, EventKind
from .send import BUSY_HINT, Delivery

#: A lease expires this long after its last renewal (a holder renews in every part, and before a part outside a
#: transaction when a third of this has passed). Taking it over also needs every part of its holder finished
#: (``pg_stat_activity``), and the parts committed are counted, so a long part never lets two runs in.
LEASE_SECONDS = 30


@dataclass
class Lease:
    """One run's lease on one migration, and when it was last taken or renewed."""

    version: str
    holder: str
    #: The file's statements, digested: a run taking the lease over resumes only the file its holder ran.
    fingerprint: str = ""
    seconds: int = LEASE_SECONDS
    touched: float = field(default=0.0, compare=False)
    #: Taken over from a run that stopped: how many of the parts (requests after the lease's) it committed.
    resumed_from: int | None = field(default=None, compare=False)

    @property
    def tag(self) -> str:
        """Return the comment a part that runs outside a transaction starts with."""
        return lease.tag(self.holder)

    def take_sql(self) -> str:
        """Return the statements taking the lease."""
        return lease.take_sql(self.version, self.holder, self.seconds, self.fingerprint)

    def renew_sql(self, part: int = 0) -> str:
        """Return the statement renewing the lease (LEASE_LOST when another run took it over).

        ``part`` (from 1): a transactional part records itself committed (PART_DONE when it already is).
        """
        return lease.renew_sql(self.version, self.holder, self.seconds, part)

    def release_sql(self) -> str:
        """Return the statement giving the lease back."""
        return lease.release_sql(self.version, self.holder)

    def stale(self) -> bool:
        """Return True when the lease should be renewed before a part that cannot renew it."""
        return time.monotonic() - self.touched > self.seconds / 3

    def touch(self) -> None:
        """Note that the lease was just taken or renewed."""
        self.touched = time.monotonic()


def of(ctx: Context, migration: Migration) -> Lease | None:
    """Return this run's lease on ``migration`` when it needs one (it is several requests), else None."""
    return None if migration.atomic else Lease(migration.version, ctx.run_id, fingerprint(migration))


def fingerprint(migration: Migration) -> str:
    """Return the digest of the file's statements a lease records (a takeover resumes only the same file)."""
    return hashlib.sha256("\x00".join(migration.texts).encode("utf-8", "surrogatepass")).hexdigest()


def take(ctx: Context, migration: Migration, held: Lease, send: Callable[[], Delivery]) -> None:
    """Take ``held`` with ``send``; while another run holds it, wait and ask again, up to lock_wait_seconds."""
    deadline = time.monotonic() + ctx.settings.lock_wait_seconds
    pause, said = 0.5, False
    while True:
        try:
            delivery = send()
        except SqlError as exc:
            if exc.sqlstate != lease.LEASE_BUSY:
                raise
            if time.monotonic() + pause > deadline or ctx.should_stop():
                raise MigrationsTasksError(
                    f"Migration {migration.version} was not applied: {exc.message}, still after "
                    f"{ctx.settings.lock_wait_seconds:g}s.",
                    hint=BUSY_HINT,
                ) from None
            if not said:
                ctx.emit(
                    Event(
                        EventKind.INFO,
                        f"Migration {migration.version} runs outside one transaction and another run is applying "
                        f"it; waiting for that run (up to {ctx.settings.lock_wait_seconds:g}s).",
                        migration,
                    )
                )
                said = True
            time.sleep(pause)
            pause = min(pause * 2, 5.0)
            continue
        held.touch()
        _say_taken_over(ctx, migration, held, delivery)
        return


def _say_taken_over(ctx: Context, migration: Migration, held: Lease, delivery: Delivery) -> None:
    """Note and say when the lease was taken over from a run that stopped before finishing the migration."""
    row = delivery.rows[0] if delivery.rows else {}
    if not row.get("taken_over_from"):
        return
    held.resumed_from = int(row.get("resume_from") or 0)
    where = (
        f"going on after its part {held.resumed_from} (the parts before committed)"
        if held.resumed_from
        else "applying it again from its first statement"
    )
    ctx.emit(
        Event(
            EventKind.WARNING,
            f"Migration {migration.version}: the run that was applying it stopped before it finished (its lease "
            f"expired); {where}. A statement outside a transaction that may have run is first checked in the "
            "catalog (an index already valid is not built again).",
            migration,
        )
    )


def lost(migration: Migration, error: SqlError) -> MigrationsTasksError:
    """Return the error for a lease another run took over while this run was applying its parts."""
    return MigrationsTasksError(
        f"{migration.path}: {error.message}; this run stopped before its next part.",
        hint="The other run applies the migration from its first statement; run db.check when it is done.",
    )
