"""What every engine operation shares: the database, the settings, where events go, when to stop."""

from __future__ import annotations

from dataclasses import dataclass

from .. import ledger
from ..database import Database
from ..errors import SqlError
from ..progress import ShouldStop
from ..settings import Settings
from .events import Event, EventSink


@dataclass
class Context:
    """The database an operation talks to, and how it reports and stops."""

    db: Database
    settings: Settings
    on_event: EventSink
    should_stop: ShouldStop

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
