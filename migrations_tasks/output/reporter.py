"""Turn results into output: a human table, one JSON document, progress lines, error messages.

Output goes to the streams given (stdout for results, stderr for progress, warnings and errors), so
``--json`` output on stdout stays one clean document.
"""

from __future__ import annotations

import json as jsonlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from .. import untrusted
from ..errors import MigrationFileError, MigrationsTasksError, SqlError


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """Return rows as a plain-text table with aligned columns (cells on one line, hidden characters escaped)."""
    rows = [[untrusted.escape(cell) for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


@dataclass
class Reporter:
    """Writes what tasks have to say."""

    out: IO[str] = field(default_factory=lambda: sys.stdout)
    err: IO[str] = field(default_factory=lambda: sys.stderr)
    json: bool = False
    #: A progress line was started and not finished ("applying X ..." awaiting its result).
    line_open: bool = False

    def __post_init__(self) -> None:
        from . import github

        # With --json stdout carries one JSON document: GitHub's workflow commands go to stderr.
        github.commands_to(self.err if self.json else None)

    def say(self, text: str) -> None:
        """Print a result line (stdout), unless JSON output was asked for."""
        if not self.json:
            print(text, file=self.out, flush=True)

    def progress(self, text: str) -> None:
        """Print a progress line (stderr)."""
        print(text, file=self.err, flush=True)

    def warn(self, text: str) -> None:
        """Print a warning (stderr)."""
        print(f"warning: {text}", file=self.err, flush=True)

    def document(self, data: dict[str, Any]) -> None:
        """Print one JSON document (stdout)."""
        print(jsonlib.dumps(data, indent=2, default=str), file=self.out, flush=True)

    def error(self, exc: MigrationsTasksError) -> None:
        """Print an error and what to do next (stderr); a SQL error as PostgreSQL prints it."""
        text = exc.describe() if isinstance(exc, SqlError) else exc.message
        print(f"error: {text}", file=self.err, flush=True)
        if exc.hint and not isinstance(exc, SqlError):
            print(f"  hint: {exc.hint}", file=self.err, flush=True)
        if self.json:
            self.document(error_document(exc))


def error_document(exc: MigrationsTasksError) -> dict[str, Any]:
    """Return an error as a JSON-able dict."""
    doc: dict[str, Any] = {
        "status": "error",
        "exit_code": exc.exit_code,
        "error": exc.message,
        "kind": type(exc).__name__,
    }
    if exc.hint:
        doc["hint"] = exc.hint
    if isinstance(exc, MigrationFileError):
        doc.update({"file": exc.path, "line": exc.line, "column": exc.column})
    if isinstance(exc, SqlError):
        doc.update({"sqlstate": exc.sqlstate, "detail": exc.detail})
    sql_error = getattr(exc, "sql_error", None)
    if isinstance(sql_error, SqlError):
        doc.update(
            {"sqlstate": sql_error.sqlstate, "file": getattr(exc, "path", None), "line": getattr(exc, "line", None)}
        )
    return doc
