"""Down SQL: what ``inv db.rollback`` runs to undo a migration, parsed before anything is sent.

It lives where ``supabase db push`` ignores it:

* a ``-- migrate:down`` line at the end of the migration file, followed only by commented lines (each
  line starts with ``--``; the rest of the line is the down SQL); the block is cut off before the file's
  statements are split, so it never changes what the ledger records for the migration;
* or a file ``<version>_<name>.sql`` in the rollbacks directory (``supabase/rollbacks`` by default),
  holding plain SQL.

Down SQL runs in one transaction with the migration lock and the deletion of the ledger row, so it may
not contain statements that cannot run in a transaction, nor transaction control (a single wrapping
``BEGIN; ... COMMIT;`` is accepted and merged).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .. import sql
from ..errors import MigrationFileError
from .sqlfile import Statement, parse_statements

_ONE_TRANSACTION = "a rollback runs in one transaction with the migration lock and the deletion of its ledger row."
DOWN_MARKER_RE = re.compile(r"^--\s*migrate:down\s*$", re.IGNORECASE)
DOWN_HINT = (
    "Add the SQL that undoes it at the end of the migration file, after a line "
    "`-- migrate:down`, every line commented with `--`; or put it in supabase/rollbacks/<file name>."
)


@dataclass(frozen=True)
class DownSql:
    """The statements that undo a migration, and where they were written.

    ``path`` is the file the statements' lines refer to (the migration file for a ``-- migrate:down``
    block, the rollback file, or None for statements read from the ledger's ``rollback`` column).
    """

    statements: tuple[Statement, ...]
    origin: str  # "block" | "file" | "ledger"
    path: Path | None = None

    @property
    def texts(self) -> list[str]:
        """Return every statement as written, for the ledger's ``rollback`` column."""
        return [s.text for s in self.statements]

    @property
    def source(self) -> str:
        """Return a short description of where the down SQL comes from."""
        if self.origin == "block":
            return f"the migrate:down block of {self.path}"
        if self.origin == "file":
            return str(self.path)
        return "the ledger's rollback column"

    def where(self, statement: Statement) -> str:
        """Return ``path:line`` of a statement (or its number, for SQL from the ledger)."""
        if self.path is None:
            return f"statement {self.statements.index(statement) + 1} of {len(self.statements)}"
        return f"{self.path}:{statement.line}"


def split_down_block(text: str, path: Path) -> tuple[str, str | None, dict[int, int]]:
    """Cut a ``-- migrate:down`` block off a migration file's text.

    Return the text before the marker line (what runs on apply), the down SQL with the comment prefixes
    removed (or None when there is no marker) and, per 1-based line, how many characters were removed
    from its start. The down SQL keeps the file's line numbers: its first lines are empty.
    """
    if "migrate:down" not in text.lower():
        return text, None, {}
    markers = []
    for start, end in sql.comment_spans(text):
        line_start = text.rfind("\n", 0, start) + 1
        if DOWN_MARKER_RE.match(text[start:end].rstrip()) and not text[line_start:start].strip():
            markers.append((line_start, end))
    if not markers:
        return text, None, {}
    index = sql.LineIndex(text)
    if len(markers) > 1:
        second, col = index.position(markers[1][0])
        raise MigrationFileError.at(
            path, second, col, "a second `-- migrate:down` marker.", hint="Keep one down block, at the end of the file."
        )
    line_start, end = markers[0]
    marker_line = index.position(line_start)[0]
    rest = text[end:]
    lines = rest.split("\n")[1:] if rest else []
    down_lines: list[str] = []
    shifts: dict[int, int] = {}
    for number, raw in enumerate(lines, marker_line + 1):
        stripped = raw.lstrip()
        if not stripped:
            down_lines.append("")
            continue
        if not stripped.startswith("--"):
            col = len(raw) - len(stripped) + 1
            raise MigrationFileError.at(
                path,
                number,
                col,
                "this line after `-- migrate:down` is not commented, so `supabase db push` would "
                "run it as part of the migration.",
                hint="Start every line of the down block with `--` and keep the block at the end of the file.",
            )
        body = stripped[2:]
        shift = len(raw) - len(stripped) + 2
        if body.startswith(" "):
            body, shift = body[1:], shift + 1
        down_lines.append(body)
        shifts[number] = shift
    return text[:line_start], "\n" * marker_line + "\n".join(down_lines), shifts


def parse_down(
    text: str,
    *,
    origin: str,
    path: Path | None,
    label: str,
    shifts: dict[int, int] | None = None,
) -> DownSql:
    """Parse down SQL with PostgreSQL's parser; ``label`` prefixes messages (a path, or a description).

    Errors are SqlSyntaxError (``label:line:col: message``) or MigrationFileError for statements that
    cannot run in the rollback's single transaction.
    """
    statements = list(
        parse_statements(
            text, label, shifts=shifts, suffix=" (in down SQL)", hint="Fix the down SQL; nothing was sent."
        )
    )
    controls = [s for s in statements if s.transaction_control]
    if controls:
        wrapped = (
            len(controls) == 2
            and statements[0].transaction_control == "BEGIN"
            and statements[-1].transaction_control == "COMMIT"
        )
        if not wrapped:
            bad = controls[0]
            raise MigrationFileError.at(
                label,
                bad.line,
                bad.column,
                f"{bad.transaction_control} in down SQL: {_ONE_TRANSACTION}",
                hint="Remove it (one BEGIN; ... COMMIT; around all of the down SQL is accepted).",
            )
        statements = statements[1:-1]
    for st in statements:
        if st.no_transaction:
            raise MigrationFileError.at(
                label,
                st.line,
                st.column,
                f"{st.no_transaction} cannot run in down SQL: {_ONE_TRANSACTION}",
                hint="Use the form that runs in a transaction (e.g. DROP INDEX without CONCURRENTLY).",
            )
    return DownSql(tuple(statements), origin, path)
