"""The proof, on the throwaway database: rehearse statements, apply the candidate, roll it back, compare.

:class:`Workbench` is a direct connection to the drift check's throwaway database
(:mod:`migrations_tasks.verify.throwaway`) with an :class:`~migrations_tasks.engine.Engine` on it. The
migrations are applied and the candidate applied and rolled back through the engine, exactly as
``db.apply`` and ``db.rollback`` would. A rehearsal runs statements inside a transaction that is always
rolled back, one statement per call so a failure names its statement, and reads the catalog they leave
(the grants of new objects come from it). It runs as the throwaway's ``postgres`` and needs no superuser.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ... import untrusted
from ...catalog import ONLY_MIGRATIONS, Difference, Snapshot, compare
from ...catalog import request as snapshot_request
from ...config.settings import Settings
from ...engine import Engine
from ...errors import MigrationFailed, SqlError
from ...history.migrations import LocalMigrations, Migration, MigrationFileName, parse_file
from ...secret import Secret
from ...verify.throwaway import connect
from .attributes import owners
from .generate import ddl
from .grants import grants
from .properties import identity_options
from .script import statements_sql
from .steps import Phase, Script, Step
from .warnings import renaming


class Unproven(Exception):
    """The generated migration could not be proven; ``remaining`` lists what still differs."""

    def __init__(self, message: str, remaining: Sequence[str] = (), *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.remaining = list(remaining)
        self.hint = hint


@dataclass
class Generated:
    """Statements that turn one catalog into another: the DDL, then the grants; and what could not be done."""

    steps: list[Step] = field(default_factory=list)
    commented: list[Step] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    #: The source catalog with the renames made (what the rest of the statements start from).
    start: Snapshot | None = None


#: Counts the rows of one table; made in the session's temporary schema, so nothing of it outlives the proof.
ROW_COUNT_FUNCTION = """CREATE OR REPLACE FUNCTION pg_temp.mt_row_count(t regclass) RETURNS bigint
LANGUAGE plpgsql AS $$ DECLARE n bigint;
BEGIN EXECUTE format('SELECT count(*) FROM ONLY %s', t) INTO n; RETURN n; END $$"""
#: Rows per table the throwaway's postgres may read, in one query whatever the number of tables; tables that
#: belong to an extension (filled by CREATE EXTENSION) and the ledger are left out.
ROW_COUNTS_SQL = """SELECT coalesce(json_object_agg(format('%I.%I', n.nspname, c.relname),
  pg_temp.mt_row_count(c.oid)), '{}') AS counts
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'supabase_migrations')
  AND n.nspname NOT LIKE 'pg\\_%' AND pg_catalog.has_table_privilege(c.oid, 'SELECT')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')"""


class Workbench:
    """The throwaway database, reached directly, with an engine on it."""

    def __init__(self, url: str, settings: Settings, command: str = "db.pull") -> None:
        #: The command the proof runs for (db.pull, db.diff): its messages name it.
        self.command = command
        secret = Secret(url)
        self.db = connect(secret, timeout=settings.request_timeout)
        self.settings = settings.with_overrides(transport="postgres", db_url=secret)
        self.engine = Engine(self.db, self.settings)
        vs = settings.verify
        self._snapshot_sql = snapshot_request(vs.drift_schemas, vs.drift_ignore_schemas)

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def snapshot(self) -> Snapshot:
        """Return the catalog as it is now."""
        return Snapshot.from_row(self.db.execute(self._snapshot_sql, write=False)[0])

    def row_counts(self) -> dict[str, int]:
        """Return how many rows each table holds now (see :data:`ROW_COUNTS_SQL`)."""
        self.db.execute(ROW_COUNT_FUNCTION, write=False)
        counts = self.db.execute(ROW_COUNTS_SQL, write=False)[0]["counts"]
        return {str(k): int(v) for k, v in (json.loads(counts) if isinstance(counts, str) else counts).items()}

    def same_rows(self, before: dict[str, int], what: str) -> None:
        """Refuse a file that changed rows: db.pull writes schema changes only (``what``: the part that ran)."""
        after = self.row_counts()
        changed = [
            f"{untrusted.escape(name)}: {before.get(name, 0)} rows before, {count} after"
            for name, count in sorted(after.items())
            if count != before.get(name, 0)
        ]
        if changed:
            raise Unproven(
                f"{what} changed rows on the migrations' database, though {self.command} writes schema changes only",
                changed,
                hint="A name or text in the live catalog may smuggle a statement into the file: report it; "
                "nothing was written.",
            )

    def rehearse(self, statements: Sequence[str], what: str) -> Snapshot:
        """Run ``statements`` (``what``: "the migration" or "its down SQL") in a transaction that is rolled
        back; return the catalog they left behind."""
        self.db.execute("BEGIN", write=False)
        try:
            for number, sql in enumerate(statements, 1):
                try:
                    self.db.execute(sql, write=False)
                except SqlError as exc:
                    raise Unproven(
                        f"statement {number} of {len(statements)} of {what} fails on the migrations' database: "
                        f"{exc.describe()}\n    {_first_line(sql)}",
                        hint=_hint(sql, exc, self.command),
                    ) from None
            return self.snapshot()
        finally:
            self.db.execute("ROLLBACK", write=False)

    def apply(self, local: LocalMigrations) -> None:
        """Apply every pending migration of ``local`` through the engine."""
        self.engine.apply(local, include_all=True)

    def apply_history(self, local: LocalMigrations) -> None:
        """Apply the migrations the proof starts from; one that fails on a fresh database is Unproven."""
        try:
            self.apply(local)
        except MigrationFailed as exc:
            raise Unproven(
                f"the migrations do not apply to a fresh database: {exc.version} failed",
                [exc.message],
                hint="Fix that migration first (inv db.verify shows the same in its drift check).",
            ) from None

    def roll_back(self, local: LocalMigrations, version: str) -> None:
        """Roll ``version`` back with its down SQL through the engine."""
        self.engine.rollback(local, version=version)


#: The hint of a failing statement that moves a column to an enum made again (see docs/pull.md, "Enums"); ``{}``:
#: the command that runs.
ENUM_HINT = (
    "The enum is made again (a value was removed, or this is the down SQL of an added value), and something "
    "{} does not drop and create again uses it: views and policies it handles, functions, other types "
    "and defaults it does not (docs/pull.md, Enums). Write this change by hand (inv db.new NAME)."
)


def _hint(sql: str, exc: SqlError, command: str) -> str:
    """Return what to do about a statement that fails in a rehearsal (``command``: db.pull or db.diff)."""
    moving = sql.startswith("ALTER TABLE") and "::text::" in sql and " TYPE " in sql
    if moving or (sql.startswith("DROP TYPE") and exc.sqlstate == "2BP01"):
        return ENUM_HINT.format(command)
    return "Write this change by hand (inv db.new NAME), or make it live in smaller steps."


def _first_line(sql: str) -> str:
    line = sql.strip().splitlines()[0] if sql.strip() else ""
    return line if len(line) <= 120 else line[:117] + "..."


#: More DDL from one catalog to another, beside :func:`.generate.ddl`'s (db.diff adds its own this way).
Extra = Callable[[Snapshot, Snapshot], Script]


def generate(
    bench: Workbench,
    source: Snapshot,
    target: Snapshot,
    *,
    down: bool = False,
    include_drops: bool,
    extra: Sequence[Extra] = (),
    late: Sequence[Extra] = (),
    renames: bool = True,
) -> Generated:
    """Return the statements from ``source`` to ``target``: renames (``renames``: probable ones are written as
    such), the DDL from the renamed catalog, rehearsed, then owners and grants that remain (``late``: more
    generators run, like the grants, on the rehearsed catalog)."""
    what = "its down SQL" if down else "the migration"
    renamed, start = Script(), source
    for tables in (True, False) if renames else ():
        found = renaming(start, target, tables=tables)
        if found.steps:
            renamed.extend(found)
            start = bench.rehearse(statements_sql(renamed.ordered()), what)
    script: Script = ddl(start, target)
    for more in extra:
        script.extend(more(start, target))
    script.extend(renamed)
    runs = script.runs(include_drops)
    rehearsed = bench.rehearse(statements_sql(runs), what) if runs else source
    owned = owners(rehearsed, target).steps  # before the grants: a new owner takes the old one's privileges
    if owned:  # a new owner needs CREATE on the schema first
        schema = [
            replace(s, phase=Phase.OWNER, key=0) for s in grants(rehearsed, target).steps if " ON SCHEMA " in s.sql
        ]
        runs = Script([*runs, *schema, *owned]).ordered()
        rehearsed = bench.rehearse(statements_sql(runs), what)
    after = [*grants(rehearsed, target).steps, *identity_options(rehearsed, target).steps]
    unsupported = list(script.unsupported)
    for more in late:
        done = more(rehearsed, target)
        after += done.steps
        unsupported += done.unsupported
    steps = Script([*runs, *after]).ordered()
    return Generated(steps, script.commented(include_drops), unsupported, start)


def tolerated(initial: Iterable[Difference], include_drops: bool) -> set[tuple[str, str]]:
    """Return the differences a file may leave: objects the live database lacks, when drops stay commented."""
    if include_drops:
        return set()
    return {(d.category, d.object) for d in initial if d.kind == ONLY_MIGRATIONS}


def allowed(d: Difference, permitted: set[tuple[str, str]]) -> bool:
    """Return True for a difference a file may leave: an object whose drop stays commented out, or the
    column order of a table that keeps such a column (a column added live goes last, after it)."""
    if d.category == "column order":
        return any(category == "column" and name.startswith(f"{d.object}.") for category, name in permitted)
    return (d.category, d.object) in permitted and d.kind == ONLY_MIGRATIONS


def readded(expected: Snapshot, live: Snapshot) -> set[tuple[str, str]]:
    """Return the columns a file drops from tables it keeps: its down SQL adds them again, but last, so their
    tables' column order may differ after the rollback (and a warning says the data is not restored)."""
    have, want = expected.items("tables"), live.items("tables")
    return {
        ("column", f"{name}.{column.get('ident') or column['name']}")
        for name in set(have) & set(want)
        for column in have[name].get("columns") or []
        if str(column["name"]) not in {str(c["name"]) for c in want[name].get("columns") or []}
    }


def remaining(after: Snapshot, want: Snapshot, permitted: set[tuple[str, str]]) -> list[str]:
    """Return the differences left between two catalogs, but the allowed ones."""
    return [d.describe() for d in compare(after, want) if not allowed(d, permitted)]


def candidate(
    directory: Path, version: str, name: str, text: str, up: Sequence[str], down: Sequence[str] | None = None
) -> Migration:
    """Write ``text`` as ``<version>_<name>.sql`` in ``directory`` and parse it as ``db.apply`` would; refuse
    it unless it reads back as exactly the statements ``up`` (and ``down``) it was made of."""
    path = directory / f"{version}_{name}.sql"
    path.write_text(text, encoding="utf-8")
    migration = parse_file(MigrationFileName(path, version, name))
    _reads_back("the generated migration", [s.text for s in migration.statements], up)
    if down is not None:
        _reads_back("its down SQL", migration.down.texts if migration.down else [], down)
    return migration


def _reads_back(what: str, read: Sequence[str], meant: Sequence[str]) -> None:
    if list(read) != list(meant):
        extra = [untrusted.escape(s) for s in read if s not in meant][:5]
        raise Unproven(
            f"{what}, read back from the file, is not the statements it was made of ({len(read)} read, "
            f"{len(meant)} meant)",
            extra,
            hint="A name or text in the live catalog breaks the file's layout: report it; nothing was written.",
        )


def apply_candidate(bench: Workbench, local: LocalMigrations, migration: Migration, what: str) -> None:
    """Apply (or, with ``what`` = "rollback", roll back) the candidate; a failure is Unproven."""
    together = LocalMigrations(local.directory, (*local.migrations, migration))
    try:
        if what == "rollback":
            bench.roll_back(together, migration.version)
        else:
            bench.apply(together)
    except MigrationFailed as exc:
        detail = exc.sql_error.describe() if exc.sql_error else exc.message
        raise Unproven(
            f"the generated {'down SQL' if what == 'rollback' else 'migration'} fails on the migrations' database: "
            f"{detail}",
            hint="Write this change by hand (inv db.new NAME); the statements above show where to start.",
        ) from None
