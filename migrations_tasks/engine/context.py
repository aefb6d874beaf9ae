"""What every engine operation shares: the database, the settings, where events go, when to stop."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from ..config.settings import Settings
from ..errors import SqlError
from ..history import ledger
from ..progress import ShouldStop
from ..transport.database import Database
from .events import Event, EventSink


@dataclass
class Batching:
    """How many migrations one request carries now, for the rest of the run."""

    #: Starts at ``batch_size``; a request that times out halves it, down to one migration per request.
    size: int
    #: The server refused the batch form: one migration per request for the rest of the run.
    refused: bool = False


@dataclass
class Context:
    """The database an operation talks to, and how it reports and stops."""

    db: Database
    settings: Settings
    on_event: EventSink
    should_stop: ShouldStop
    batching: Batching = field(init=False)
    #: Names this run in the leases it holds (:mod:`.lease`).
    run_id: str = field(init=False, default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        self.batching = Batching(self.settings.batch_size)

    def emit(self, event: Event) -> None:
        """Report an event."""
        self.on_event(event)

    def lock_sql(self, absent: str | None = None) -> str:
        """Return the migration lock (and, with ``absent``, the guard that the version is not recorded)."""
        return ledger.lock_sql(self.settings.lock_wait_seconds, self.settings.lock_timeout, absent=absent)

    def read_ledger(self) -> ledger.Ledger:
        """Read the ledger in one request; a missing table is an empty history."""
        try:
            rows = self.db.execute(ledger.READ_SQL, write=False)
        except SqlError as exc:
            if exc.sqlstate in ("42P01", "3F000"):
                return ledger.Ledger(exists=False)
            raise
        return ledger.decode(rows)
