"""The SQL text of one request, remembering where each statement sits in it (to name a failing one).

A request may carry several migrations (a batch, :mod:`.batch`): each part then also records which of
them (its ``owner``, an index into the batch) it belongs to, so an error's position or line names the
migration as well as the statement.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import SqlError
from ..history.sqlfile import Statement


@dataclass
class Part:
    """One statement of a request: its text, where it starts (offset, line), and what it is."""

    text: str
    start: int
    end: int
    line: int
    statement: Statement | None
    role: str = "statement"  # or "lock and guard", "ledger row", "probe", "transaction", "session reset"
    #: In a batch, the index of the migration (or rollback step) the part belongs to.
    owner: int | None = None


class Request:
    """SQL text for one request, remembering where each statement sits in it."""

    def __init__(self) -> None:
        self.parts: list[Part] = []
        self._length = 0
        self._lines = 1

    def add(
        self, text: str, statement: Statement | None = None, role: str = "statement", owner: int | None = None
    ) -> Request:
        """Append a statement (and ``;`` plus a newline); ``role`` names what a non-migration part is."""
        chunk = text + ";\n"
        self.parts.append(Part(text, self._length, self._length + len(text), self._lines, statement, role, owner))
        self._length += len(chunk)
        self._lines += chunk.count("\n")
        return self

    def extend(self, other: Request, owner: int) -> Request:
        """Append every part of ``other``, marked as belonging to batch member ``owner``."""
        for part in other.parts:
            self.add(part.text, part.statement, part.role, owner)
        return self

    @property
    def sql(self) -> str:
        """Return the request's SQL."""
        return "".join(p.text + ";\n" for p in self.parts)

    def _holds(self, part: Part, error: SqlError) -> bool:
        if error.position is not None:
            return part.start <= error.position - 1 <= part.end
        return error.line is not None and part.line <= error.line <= part.line + part.text.count("\n")

    def part_at(self, error: SqlError) -> Part | None:
        """Return the part an error's position or line points at."""
        return next((part for part in self.parts if self._holds(part, error)), None)

    def locate(self, error: SqlError) -> tuple[Statement, int] | None:
        """Return the migration statement an error points at, and the error's line in the file."""
        for part in self.parts:
            if part.statement is None or not self._holds(part, error):
                continue
            if error.position is not None:
                offset_lines = part.text[: error.position - 1 - part.start].count("\n")
            else:
                offset_lines = (error.line or part.line) - part.line
            return part.statement, part.statement.line + offset_lines
        return None

    def statements(self) -> list[Statement]:
        """Return the migration statements in this request."""
        return [p.statement for p in self.parts if p.statement is not None]
