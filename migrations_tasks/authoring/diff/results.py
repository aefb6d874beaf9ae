"""What ``db.diff`` did: a status, the file, what it changes, and what stopped it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ...catalog import ONLY_DATABASE, ONLY_MIGRATIONS
from ...errors import EXIT_FAILED, EXIT_OK
from ...wording import TextEnum
from ..pull.results import PullResult


class DiffStatus(TextEnum):
    """How a diff ended."""

    WRITTEN = "written"
    NOTHING = "nothing-to-do"
    DRY_RUN = "dry-run"
    #: A probable rename: both choices are reported, nothing is written.
    DECIDE = "needs-a-decision"
    UNPROVEN = "unproven"


@dataclass
class DiffResult:
    """The outcome of one ``db.diff``: the proof's result (db.pull's), and what is the declared schema's own."""

    proof: PullResult
    status: DiffStatus = DiffStatus.NOTHING
    path: Path | None = None
    #: The schema files, in the order they were applied.
    schema_files: list[str] = field(default_factory=list)
    #: Statements a declarative file cannot hold (``path:line: why``).
    caveats: list[str] = field(default_factory=list)
    #: Probable renames, each with both SQL choices.
    renames: list[str] = field(default_factory=list)
    migrations_applied: int = 0

    @property
    def exit_code(self) -> int:
        """Return 0 when written, printed or nothing differs; 1 when nothing proven came out or a rename is asked."""
        return EXIT_FAILED if self.status in (DiffStatus.UNPROVEN, DiffStatus.DECIDE) else EXIT_OK


#: What to do when the only thing left is the order of a table's columns.
COLUMN_ORDER_HINT = (
    "A migration can only add a column last (PostgreSQL cannot insert one between others): declare new "
    "columns at the end of their table, or write the change by hand (make the table again) with inv db.new NAME."
)


def worded(line: str) -> str:
    """Return a difference line with its sides named for this comparison: the migrations and supabase/schemas."""
    line = line.replace(ONLY_DATABASE, "only in supabase/schemas").replace(ONLY_MIGRATIONS, "only in the migrations")
    return line.replace(" in database", " in supabase/schemas")
