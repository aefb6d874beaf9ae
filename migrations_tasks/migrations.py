"""Discover and parse local migration files (pure apart from reading the directory).

File names follow the Supabase CLI: ``<digits>_<name>.sql`` in ``supabase/migrations``. Every file is
parsed by PostgreSQL's parser before anything is sent; problems in any file stop everything.

How a file runs is decided here, as a list of *units* (one request each):

* an ordinary file is one transactional unit;
* a file wrapped in its own ``BEGIN; ... COMMIT;`` is the same: its transaction merges into the
  per-migration transaction, so lock, guard and ledger row stay atomic with it;
* a file with statements PostgreSQL refuses in a transaction (``CREATE INDEX CONCURRENTLY``, ``VACUUM``...)
  or with several ``BEGIN ... COMMIT`` blocks runs unit by unit: each such statement alone, each block
  (and each run of statements between them) as its own transaction, in file order;
* ``ROLLBACK``, savepoints and two-phase commit statements are refused.

Down SQL (what ``inv db.rollback`` runs) lives where ``supabase db push`` ignores it, and is parsed here
with the same parser, so a syntax error in it stops everything before anything is sent:

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

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from . import sql
from .errors import MigrationFileError, SqlSyntaxError

FILE_RE = re.compile(r"^([0-9]+)_(.*)\.sql$")
DOWN_MARKER_RE = re.compile(r"^--\s*migrate:down\s*$", re.IGNORECASE)
DOWN_HINT = ("Add the SQL that undoes it at the end of the migration file, after a line "
             "`-- migrate:down`, every line commented with `--`; or put it in supabase/rollbacks/<file name>.")
MAX_VERSION_DIGITS = 20
MAX_FILE_BYTES = 16 * 1024 * 1024
_REFUSED_CONTROL = {
    "ROLLBACK": "ROLLBACK would undo the migration and skip its ledger row",
    "ROLLBACK TO SAVEPOINT": "savepoints are not supported in migration files",
    "SAVEPOINT": "savepoints are not supported in migration files",
    "RELEASE": "savepoints are not supported in migration files",
    "PREPARE": "two-phase commit is not supported in migration files",
    "COMMIT PREPARED": "two-phase commit is not supported in migration files",
    "ROLLBACK PREPARED": "two-phase commit is not supported in migration files",
    "COMMIT AND CHAIN": "COMMIT AND CHAIN is not supported in migration files",
}


@dataclass(frozen=True)
class Statement:
    """One statement of a migration file, with where it starts in the file."""

    text: str
    line: int
    column: int
    no_transaction: str | None = None
    transaction_control: str | None = None


@dataclass(frozen=True)
class Unit:
    """Statements sent in one request; ``transactional`` units run in one transaction."""

    statements: tuple[Statement, ...]
    transactional: bool


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


@dataclass(frozen=True)
class Migration:
    """A parsed migration file."""

    version: str
    name: str
    path: Path
    statements: tuple[Statement, ...]
    units: tuple[Unit, ...]
    down: DownSql | None = None

    @property
    def filename(self) -> str:
        """Return the file's name."""
        return self.path.name

    @property
    def texts(self) -> list[str]:
        """Return every statement as written, for the ledger's ``statements`` column."""
        return [s.text for s in self.statements]

    @property
    def atomic(self) -> bool:
        """Return True when the migration and its ledger row commit in one transaction."""
        return len(self.units) <= 1 and all(u.transactional for u in self.units)

    @property
    def empty(self) -> bool:
        """Return True when the file holds no statement that runs."""
        return not self.units

    @property
    def sort_key(self) -> tuple[int, str]:
        """Return the key that orders migrations by version."""
        return version_key(self.version)


@dataclass(frozen=True)
class LocalMigrations:
    """The migrations of a directory, in version order, and the warnings found on the way."""

    directory: Path
    migrations: tuple[Migration, ...]
    warnings: tuple[str, ...] = field(default=())

    def by_version(self) -> dict[str, Migration]:
        """Return the migrations keyed by version."""
        return {m.version: m for m in self.migrations}


def version_key(version: str) -> tuple[int, str]:
    """Order versions numerically (``0002`` < ``10``), ties by text."""
    try:
        return int(version), version
    except ValueError:
        return -1, version


@dataclass(frozen=True)
class MigrationFileName:
    """A file that looks like a migration."""

    path: Path
    version: str
    name: str


def discover(directory: Path) -> tuple[list[MigrationFileName], list[str]]:
    """List migration files by the Supabase CLI's rule; warn about and skip other files."""
    if not directory.exists():
        raise MigrationFileError(
            f"Migrations directory {directory} does not exist.",
            path=str(directory),
            hint="Create it (supabase migration new <name>) or point --migrations-dir at yours.",
        )
    if not directory.is_dir():
        raise MigrationFileError(f"{directory} is not a directory.", path=str(directory),
                                 hint="--migrations-dir must name a directory of .sql files.")
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as exc:
        raise MigrationFileError(f"Cannot list {directory}: {exc.strerror}.", path=str(directory)) from None

    files: list[MigrationFileName] = []
    warnings: list[str] = []
    problems: list[MigrationFileError] = []
    seen: dict[int, MigrationFileName] = {}
    for entry in entries:
        name = entry.name
        path = directory / name
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            shown = directory / os.fsencode(name).decode("utf-8", "backslashreplace")
            problems.append(MigrationFileError(
                f"{shown}: the file name is not valid UTF-8.", path=str(shown),
                hint="Rename the file using UTF-8 characters."))
            continue
        match = FILE_RE.match(name)
        if not match:
            if not name.startswith("."):
                warnings.append(f"Skipping {path}: file name does not match <version>_<name>.sql")
            continue
        version, label = match.group(1), match.group(2)
        if entry.is_symlink() and not path.exists():
            problems.append(MigrationFileError(f"{path}: broken symbolic link.", path=str(path),
                                               hint="Fix the link's target or remove the link."))
            continue
        if entry.is_dir():
            problems.append(MigrationFileError(f"{path} is a directory, not a migration file.",
                                               path=str(path), hint="Rename or move the directory."))
            continue
        if len(version) > MAX_VERSION_DIGITS:
            problems.append(MigrationFileError(
                f"{path}: version {version[:30]}... has {len(version)} digits; at most "
                f"{MAX_VERSION_DIGITS} are accepted.", path=str(path),
                hint="Use a 14-digit UTC timestamp: YYYYMMDDHHMMSS_name.sql."))
            continue
        item = MigrationFileName(path, version, label)
        other = seen.get(int(version))
        if other is not None:
            problems.append(MigrationFileError(
                f"Duplicate migration version {version}: {other.path.name} and {name}.", path=str(path),
                hint="Give one of them a new version (a later timestamp)."))
            continue
        seen[int(version)] = item
        files.append(item)
    if problems:
        raise combine(problems)
    files.sort(key=lambda f: version_key(f.version))
    return files, warnings


def combine(problems: list[MigrationFileError]) -> MigrationFileError:
    """Return one error that lists every problem, keeping the first one's location."""
    if len(problems) == 1:
        return problems[0]
    first = problems[0]
    error = type(first)(
        f"{len(problems)} migration files have problems:\n" + "\n".join(f"  {p.message}" for p in problems),
        path=first.path, line=first.line, column=first.column,
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
                path=str(path), hint="Split the file into smaller migrations or load the data another way.")
        data = path.read_bytes()
    except IsADirectoryError:
        raise MigrationFileError(f"{path} is a directory, not a migration file.", path=str(path)) from None
    except OSError as exc:
        raise MigrationFileError(f"{path}: cannot read the file ({exc.strerror}).", path=str(path),
                                 hint="Check the file's permissions.") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n") + 1
        raise MigrationFileError(
            f"{path}:{line}: not valid UTF-8 (byte 0x{data[exc.start]:02x}).", path=str(path), line=line,
            hint="Save the file as UTF-8.") from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        offset = text.index("\x00")
        line, col = sql.LineIndex(text).position(offset)
        raise MigrationFileError(f"{path}:{line}:{col}: the file contains a NUL byte.", path=str(path),
                                 line=line, column=col, hint="PostgreSQL text cannot hold NUL; is it binary?")
    return text


def parse_statements(text: str, path: Path) -> tuple[Statement, ...]:
    """Split a file's text into statements; raise SqlSyntaxError as path:line:col: message."""
    try:
        pieces = sql.split(text)
    except sql.SyntaxProblem as problem:
        line, col = sql.LineIndex(text).position(problem.offset)
        raise SqlSyntaxError(f"{path}:{line}:{col}: {problem.message}", path=str(path), line=line,
                             column=col, hint="Fix the SQL; nothing was sent.") from None
    index = sql.LineIndex(text)
    out = []
    for piece in pieces:
        line, col = index.position(piece.start)
        out.append(Statement(text[piece.start : piece.end], line, col, piece.no_transaction,
                             piece.transaction_control))
    return tuple(out)


def plan_units(statements: Iterable[Statement], path: Path) -> tuple[Unit, ...]:
    """Group statements into requests by the rules in this module's docstring."""
    units: list[Unit] = []
    current: list[Statement] = []
    in_block = False
    blocks = 0
    separate = False

    def flush() -> None:
        if current:
            units.append(Unit(tuple(current), True))
            current.clear()

    for st in statements:
        control = st.transaction_control
        if control in _REFUSED_CONTROL:
            raise MigrationFileError(
                f"{path}:{st.line}:{st.column}: {control} in a migration file: {_REFUSED_CONTROL[control]}.",
                path=str(path), line=st.line, column=st.column,
                hint="Remove it; each migration already runs in its own transaction.")
        if control == "BEGIN":
            flush()
            in_block, blocks = True, blocks + 1
            continue
        if control == "COMMIT":
            flush()
            in_block = False
            continue
        if st.no_transaction:
            if in_block:
                raise MigrationFileError(
                    f"{path}:{st.line}:{st.column}: {st.no_transaction} cannot run inside the file's "
                    "BEGIN ... COMMIT block.", path=str(path), line=st.line, column=st.column,
                    hint="Move it after COMMIT or into its own migration file.")
            flush()
            units.append(Unit((st,), False))
            separate = True
            continue
        current.append(st)
    flush()
    if not separate and blocks <= 1 and len(units) > 1:
        merged = tuple(s for u in units for s in u.statements)
        return (Unit(merged, True),)
    return tuple(units)


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
        raise MigrationFileError(f"{path}:{second}:{col}: a second `-- migrate:down` marker.", path=str(path),
                                 line=second, column=col, hint="Keep one down block, at the end of the file.")
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
            raise MigrationFileError(
                f"{path}:{number}:{col}: this line after `-- migrate:down` is not commented, so "
                "`supabase db push` would run it as part of the migration.", path=str(path), line=number,
                column=col, hint="Start every line of the down block with `--` and keep the block at the end "
                "of the file.")
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
    shifts = shifts or {}
    index = sql.LineIndex(text)
    try:
        pieces = sql.split(text)
    except sql.SyntaxProblem as problem:
        line, col = index.position(problem.offset)
        col += shifts.get(line, 0)
        raise SqlSyntaxError(f"{label}:{line}:{col}: {problem.message} (in down SQL)", path=str(path or label),
                             line=line, column=col, hint="Fix the down SQL; nothing was sent.") from None
    statements: list[Statement] = []
    for piece in pieces:
        line, col = index.position(piece.start)
        statements.append(Statement(text[piece.start : piece.end], line, col + shifts.get(line, 0),
                                    piece.no_transaction, piece.transaction_control))
    controls = [s for s in statements if s.transaction_control]
    if controls:
        wrapped = (len(controls) == 2 and statements[0].transaction_control == "BEGIN"
                   and statements[-1].transaction_control == "COMMIT")
        if not wrapped:
            bad = controls[0]
            raise MigrationFileError(
                f"{label}:{bad.line}:{bad.column}: {bad.transaction_control} in down SQL: a rollback runs in "
                "one transaction with the migration lock and the deletion of its ledger row.",
                path=str(path or label), line=bad.line, column=bad.column,
                hint="Remove it (one BEGIN; ... COMMIT; around all of the down SQL is accepted).")
        statements = statements[1:-1]
    for st in statements:
        if st.no_transaction:
            raise MigrationFileError(
                f"{label}:{st.line}:{st.column}: {st.no_transaction} cannot run in down SQL: a rollback runs "
                "in one transaction with the migration lock and the deletion of its ledger row.",
                path=str(path or label), line=st.line, column=st.column,
                hint="Use the form that runs in a transaction (e.g. DROP INDEX without CONCURRENTLY).")
    return DownSql(tuple(statements), origin, path)


def parse_file(item: MigrationFileName, rollback: MigrationFileName | None = None) -> Migration:
    """Read and parse one migration file, with its down SQL (block or rollback file) when it has one."""
    text = read_text(item.path)
    up, down_text, shifts = split_down_block(text, item.path)
    statements = parse_statements(up, item.path)
    units = plan_units(statements, item.path)
    down: DownSql | None = None
    if down_text is not None:
        if rollback is not None:
            raise MigrationFileError(
                f"{item.path}: down SQL is written twice, in its migrate:down block and in {rollback.path}.",
                path=str(item.path), hint="Keep one of them.")
        down = parse_down(down_text, origin="block", path=item.path, label=str(item.path), shifts=shifts)
    elif rollback is not None:
        down = parse_down(read_text(rollback.path), origin="file", path=rollback.path, label=str(rollback.path))
    return Migration(item.version, item.name, item.path, statements, units, down)


def discover_rollbacks(directory: Path | None) -> tuple[dict[str, MigrationFileName], list[str]]:
    """Return the rollback files of ``directory`` by version (none when it does not exist)."""
    if directory is None or not directory.is_dir():
        return {}, []
    files, warnings = discover(directory)
    return {f.version: f for f in files}, [w.replace("Skipping", "Skipping rollback file") for w in warnings]


def load(directory: Path, rollbacks_dir: Path | None = None) -> LocalMigrations:
    """Discover and parse every migration in ``directory`` with its down SQL; report all problems at once.

    ``rollbacks_dir`` defaults to ``rollbacks`` beside ``directory`` (``supabase/rollbacks``).
    """
    files, warnings = discover(directory)
    if rollbacks_dir is None:
        rollbacks_dir = directory.parent / "rollbacks"
    rollbacks, rollback_warnings = discover_rollbacks(rollbacks_dir)
    warnings.extend(rollback_warnings)
    versions = {f.version for f in files}
    for version, item in rollbacks.items():
        if version not in versions:
            warnings.append(f"{item.path}: no migration {version} in {directory}; this rollback file is unused.")
    migrations: list[Migration] = []
    problems: list[MigrationFileError] = []
    for item in files:
        rollback = rollbacks.get(item.version)
        if rollback is not None and rollback.name != item.name:
            warnings.append(f"{rollback.path}: named differently from {item.path.name}; used for version "
                            f"{item.version} anyway.")
        try:
            migration = parse_file(item, rollback)
        except MigrationFileError as exc:
            problems.append(exc)
            continue
        if migration.empty:
            warnings.append(f"{item.path}: no SQL statements; it will be recorded as applied and run nothing.")
        migrations.append(migration)
    if problems:
        raise combine(problems)
    return LocalMigrations(directory, tuple(migrations), tuple(warnings))
