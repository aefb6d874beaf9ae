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
class Migration:
    """A parsed migration file."""

    version: str
    name: str
    path: Path
    statements: tuple[Statement, ...]
    units: tuple[Unit, ...]

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


def parse_file(item: MigrationFileName) -> Migration:
    """Read and parse one migration file."""
    text = read_text(item.path)
    statements = parse_statements(text, item.path)
    units = plan_units(statements, item.path)
    return Migration(item.version, item.name, item.path, statements, units)


def load(directory: Path) -> LocalMigrations:
    """Discover and parse every migration in ``directory``; report all file problems at once."""
    files, warnings = discover(directory)
    migrations: list[Migration] = []
    problems: list[MigrationFileError] = []
    for item in files:
        try:
            migration = parse_file(item)
        except MigrationFileError as exc:
            problems.append(exc)
            continue
        if migration.empty:
            warnings.append(f"{item.path}: no SQL statements; it will be recorded as applied and run nothing.")
        migrations.append(migration)
    if problems:
        raise combine(problems)
    return LocalMigrations(directory, tuple(migrations), tuple(warnings))
