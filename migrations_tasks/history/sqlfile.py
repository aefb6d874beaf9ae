"""Read a SQL file and split it into located statements (pure apart from reading the file).

Used for migration files, down SQL and verify scripts alike: UTF-8 text with LF line ends (a BOM and CR
line ends are accepted), no NUL, at most :data:`MAX_FILE_BYTES`; statements split by PostgreSQL's parser,
each with the line and column where it starts. Problems are
:class:`~migrations_tasks.errors.MigrationFileError` values naming ``path:line:col``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .. import sql
from ..errors import MigrationFileError, SqlSyntaxError

MAX_FILE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Statement:
    """One statement of a migration file, with where it starts in the file."""

    text: str
    line: int
    column: int
    no_transaction: str | None = None
    transaction_control: str | None = None


def combine(problems: list[MigrationFileError]) -> MigrationFileError:
    """Return one error that lists every problem, keeping the first one's location."""
    if len(problems) == 1:
        return problems[0]
    first = problems[0]
    error = type(first)(
        f"{len(problems)} migration files have problems:\n" + "\n".join(f"  {p.message}" for p in problems),
        path=first.path,
        line=first.line,
        column=first.column,
        hint=first.hint if all(p.hint == first.hint for p in problems) else None,
    )
    error.problems = problems  # type: ignore[attr-defined]
    return error


def read_text(path: Path) -> str:
    """Read a migration file as UTF-8 text with LF line ends; refuse what PostgreSQL cannot take."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise MigrationFileError(
                f"{path}: {size / 1048576:.1f} MB is larger than the {MAX_FILE_BYTES // 1048576} MB limit.",
                path=str(path),
                hint="Split the file into smaller migrations or load the data another way.",
            )
        data = path.read_bytes()
    except IsADirectoryError:
        raise MigrationFileError(f"{path} is a directory, not a migration file.", path=str(path)) from None
    except OSError as exc:
        raise MigrationFileError(
            f"{path}: cannot read the file ({exc.strerror}).", path=str(path), hint="Check the file's permissions."
        ) from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n") + 1
        raise MigrationFileError.at(
            path, line, None, f"not valid UTF-8 (byte 0x{data[exc.start]:02x}).", hint="Save the file as UTF-8."
        ) from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        offset = text.index("\x00")
        line, col = sql.LineIndex(text).position(offset)
        raise MigrationFileError.at(
            path, line, col, "the file contains a NUL byte.", hint="PostgreSQL text cannot hold NUL; is it binary?"
        )
    return text


#: Why a file with ``COPY ... FROM STDIN`` cannot be sent, and what to write instead.
COPY_FROM_STDIN = (
    "COPY ... FROM STDIN reads its rows from the client, and no Management API request (nor this tool's direct "
    'connection) can send them: postgres-meta answers 57014 "COPY from stdin failed: No source stream defined".'
)
COPY_HINT = (
    "Write the rows as INSERT statements (`pg_dump --data-only --inserts` or `--column-inserts` writes them); "
    "nothing was sent."
)


def parse_statements(
    text: str,
    path: Path | str,
    *,
    shifts: Mapping[int, int] | None = None,
    suffix: str = "",
    hint: str = "Fix the SQL; nothing was sent.",
) -> tuple[Statement, ...]:
    """Split text into located statements; raise SqlSyntaxError as ``path:line:col: message{suffix}``.

    ``shifts`` adds, per line, the characters removed from its start (the ``--`` of a down block), so
    columns point into the file as written.
    """
    shifts = shifts or {}
    index = sql.LineIndex(text)
    copy_at = sql.copy_from_stdin(text)
    if copy_at is not None:  # before the split: the rows a pg_dump file puts after it do not parse
        line, col = index.position(copy_at)
        raise MigrationFileError.at(path, line, col + shifts.get(line, 0), COPY_FROM_STDIN, hint=COPY_HINT)
    try:
        pieces = sql.split(text)
    except sql.SyntaxProblem as problem:
        line, col = index.position(problem.offset)
        col += shifts.get(line, 0)
        raise SqlSyntaxError.at(path, line, col, f"{problem.message}{suffix}", hint=hint) from None
    out = []
    for piece in pieces:
        line, col = index.position(piece.start)
        out.append(
            Statement(
                text[piece.start : piece.end],
                line,
                col + shifts.get(line, 0),
                piece.no_transaction,
                piece.transaction_control,
            )
        )
    return tuple(out)
