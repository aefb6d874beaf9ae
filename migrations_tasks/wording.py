"""Small helpers for the words of messages and reports (leaf)."""

from __future__ import annotations

import enum


def plural(count: int, word: str) -> str:
    """Return '1 migration' / '2 migrations'."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def first_line(text: str, limit: int = 100) -> str:
    """Return the first line of ``text``, shortened to ``limit`` characters."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


class TextEnum(str, enum.Enum):
    """An enum of words: each member is its value in text, JSON and comparisons (``Status.OK == "ok"``)."""

    def __str__(self) -> str:
        return str(self.value)


#: What db.check and db.diff --check say when a schema file changed without its migration.
SCHEMAS_AHEAD = "supabase/schemas is ahead of the migrations: run `inv db.diff NAME`"
