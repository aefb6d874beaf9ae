"""What ``db.pull`` did: a status, the file, what it changes, and what the proof found."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ...errors import EXIT_FAILED, EXIT_OK
from ...wording import TextEnum


class PullStatus(TextEnum):
    """How a pull ended."""

    WRITTEN = "written"
    NOTHING = "nothing-to-pull"
    DRY_RUN = "dry-run"
    UNPROVEN = "unproven"


@dataclass
class PullResult:
    """The outcome of one ``db.pull``."""

    target: str
    status: PullStatus = PullStatus.NOTHING
    version: str = ""
    name: str = ""
    path: Path | None = None
    #: The migration file's text (also when unproven: what was generated).
    text: str = ""
    #: One line per statement that runs ("add column public.todos.priority").
    changes: list[str] = field(default_factory=list)
    #: Drops written commented out (the live database lacks these objects).
    commented: list[str] = field(default_factory=list)
    down_statements: int = 0
    #: What the proof cannot see (it has no rows): probable renames, NOT NULL columns added without a default.
    warnings: list[str] = field(default_factory=list)
    #: The live database's differences from the migrations before the pull.
    differences: list[str] = field(default_factory=list)
    #: Why it is not proven, what still differs, and what to do.
    problem: str = ""
    remaining: list[str] = field(default_factory=list)
    hint: str = ""
    recorded: bool = False
    #: False with ``--schemas-only``: no migration is generated.
    migration: bool = True
    #: ``--schemas``: "" (not asked), "written", "dry-run" (proven, not written) or "nothing" (the files agree).
    schemas: str = ""
    #: The schema files written (or, with ``--dry-run``, that would be), and what they gained.
    schema_files: list[str] = field(default_factory=list)
    schema_changes: list[str] = field(default_factory=list)
    where: str = ""
    migrations_applied: int = 0
    requests: int = 0
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        """Return 0 when written, printed or nothing differs; 1 when no proven migration came out."""
        return EXIT_FAILED if self.status is PullStatus.UNPROVEN else EXIT_OK

    @property
    def filename(self) -> str:
        """Return the migration's file name."""
        return f"{self.version}_{self.name}.sql"
