"""Discover and parse local migration files (pure apart from reading the directory).

File names follow the Supabase CLI: ``<digits>_<name>.sql`` in ``supabase/migrations``. Every file is
parsed by PostgreSQL's parser before anything is sent; problems in any file stop everything.

How a file runs is decided here, as a list of *units* (each its own transaction; the engine batches
transactional units of consecutive migrations into one request):

* an ordinary file is one transactional unit;
* a file wrapped in its own ``BEGIN; ... COMMIT;`` is the same: its transaction merges into the
  per-migration transaction, so lock, guard and ledger row stay atomic with it;
* a file with statements PostgreSQL refuses in a transaction (``CREATE INDEX CONCURRENTLY``, ``VACUUM``...)
  or with several ``BEGIN ... COMMIT`` blocks runs unit by unit: each such statement alone, each block
  (and each run of statements between them) as its own transaction, in file order;
* ``ROLLBACK``, savepoints and two-phase commit statements are refused.
* so is ``CREATE INDEX CONCURRENTLY`` without an index name: a lost answer could not be settled (nothing
  names the index to look for) and running it again would build a second index.

Down SQL is found and parsed by :mod:`migrations_tasks.history.down`; statements are read by
:mod:`migrations_tasks.history.sqlfile`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import MigrationFileError
from ..sql import unnamed_concurrent_index
from .down import DownSql, parse_down, split_down_block
from .sqlfile import Statement, combine, parse_statements, read_text

FILE_RE = re.compile(r"^([0-9]+)_(.*)\.sql$")
#: The phases a file may state on its first lines, and the comment that states one.
STATED_PHASES = ("expand", "contract")
PHASE_RE = re.compile(r"^--\s*phase\s*:\s*(\S*)\s*$", re.IGNORECASE)
MAX_VERSION_DIGITS = 20
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
    down: DownSql | None = None
    #: The phase the file states on its first lines (``-- phase: expand``), None when it states none.
    stated_phase: str | None = None

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


def _entries(directory: Path) -> list[os.DirEntry[str]]:
    """Return the directory's entries by name, or raise a MigrationFileError saying what is wrong with it."""
    if not directory.exists():
        raise MigrationFileError(
            f"Migrations directory {directory} does not exist.",
            path=str(directory),
            hint="Create it (supabase migration new <name>) or point --migrations-dir at yours.",
        )
    if not directory.is_dir():
        raise MigrationFileError(
            f"{directory} is not a directory.",
            path=str(directory),
            hint="--migrations-dir must name a directory of .sql files.",
        )
    try:
        return sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as exc:
        raise MigrationFileError(f"Cannot list {directory}: {exc.strerror}.", path=str(directory)) from None


def _entry_problem(directory: Path, entry: os.DirEntry[str], version: str) -> MigrationFileError | None:
    """Return what makes a file named like a migration unusable (None: nothing)."""
    path = directory / entry.name
    if entry.is_symlink() and not path.exists():
        return MigrationFileError(
            f"{path}: broken symbolic link.", path=str(path), hint="Fix the link's target or remove the link."
        )
    if entry.is_dir():
        return MigrationFileError(
            f"{path} is a directory, not a migration file.", path=str(path), hint="Rename or move the directory."
        )
    if len(version) > MAX_VERSION_DIGITS:
        return MigrationFileError(
            f"{path}: version {version[:30]}... has {len(version)} digits; at most {MAX_VERSION_DIGITS} are accepted.",
            path=str(path),
            hint="Use a 14-digit UTC timestamp: YYYYMMDDHHMMSS_name.sql.",
        )
    return None


def discover(directory: Path) -> tuple[list[MigrationFileName], list[str]]:
    """List migration files by the Supabase CLI's rule; warn about and skip other files."""
    files: list[MigrationFileName] = []
    warnings: list[str] = []
    problems: list[MigrationFileError] = []
    seen: dict[int, MigrationFileName] = {}
    for entry in _entries(directory):
        name = entry.name
        path = directory / name
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            shown = directory / os.fsencode(name).decode("utf-8", "backslashreplace")
            problems.append(
                MigrationFileError(
                    f"{shown}: the file name is not valid UTF-8.",
                    path=str(shown),
                    hint="Rename the file using UTF-8 characters.",
                )
            )
            continue
        match = FILE_RE.match(name)
        if not match:
            if not name.startswith("."):
                warnings.append(f"Skipping {path}: file name does not match <version>_<name>.sql")
            continue
        version, label = match.group(1), match.group(2)
        problem = _entry_problem(directory, entry, version)
        other = seen.get(int(version)) if problem is None else None
        if other is not None:
            problem = MigrationFileError(
                f"Duplicate migration version {version}: {other.path.name} and {name}.",
                path=str(path),
                hint="Give one of them a new version (a later timestamp).",
            )
        if problem is not None:
            problems.append(problem)
            continue
        seen[int(version)] = MigrationFileName(path, version, label)
        files.append(seen[int(version)])
    if problems:
        raise combine(problems)
    files.sort(key=lambda f: version_key(f.version))
    return files, warnings


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
            raise MigrationFileError.at(
                path,
                st.line,
                st.column,
                f"{control} in a migration file: {_REFUSED_CONTROL[control]}.",
                hint="Remove it; each migration already runs in its own transaction.",
            )
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
                raise MigrationFileError.at(
                    path,
                    st.line,
                    st.column,
                    f"{st.no_transaction} cannot run inside the file's BEGIN ... COMMIT block.",
                    hint="Move it after COMMIT or into its own migration file.",
                )
            if unnamed_concurrent_index(st.text):
                raise MigrationFileError.at(
                    path,
                    st.line,
                    st.column,
                    "CREATE INDEX CONCURRENTLY without an index name: after a lost answer nothing can tell "
                    "whether it ran, and running it again would build a second index.",
                    hint="Name the index: CREATE INDEX CONCURRENTLY <table>_<columns>_idx ON ...",
                )
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


def stated_phase(text: str, path: Path) -> str | None:
    """Return the phase a file states in the comment lines before its first statement (``-- phase: expand``)."""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("--"):
            return None
        match = PHASE_RE.match(stripped)
        if match is None:
            continue
        word = match.group(1).lower()
        if word not in STATED_PHASES:
            raise MigrationFileError.at(
                path,
                number,
                1,
                f"unknown phase {match.group(1)!r}: a file may state `-- phase: expand` or `-- phase: contract`.",
                hint="Correct the comment, or remove it to let the statements decide the phase.",
            )
        return word
    return None


def parse_file(item: MigrationFileName, rollback: MigrationFileName | None = None) -> Migration:
    """Read and parse one migration file, with its down SQL (block or rollback file) when it has one."""
    text = read_text(item.path)
    up, down_text, shifts = split_down_block(text, item.path)
    statements = parse_statements(up, item.path)
    units = plan_units(statements, item.path)
    block = None
    if down_text is not None:
        block = parse_down(down_text, origin="block", path=item.path, label=str(item.path), shifts=shifts)
    if block is not None and rollback is not None and block.statements:
        raise MigrationFileError(
            f"{item.path}: down SQL is written twice, in its migrate:down block and in {rollback.path}.",
            path=str(item.path),
            hint="Keep one of them.",
        )
    down = block
    if rollback is not None and not (block and block.statements):
        down = parse_down(read_text(rollback.path), origin="file", path=rollback.path, label=str(rollback.path))
    # An empty down block (db.new's template before it is filled) or rollback file is no down SQL at all:
    # rolling back must refuse, not remove the ledger row and leave the schema as it is.
    down = down if down is not None and down.statements else None
    return Migration(item.version, item.name, item.path, statements, units, down, stated_phase(up, item.path))


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
            warnings.append(
                f"{rollback.path}: named differently from {item.path.name}; used for version {item.version} anyway."
            )
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
