"""The two throwaway databases: the migrations' schema in one, the declared schema in the other.

Both are fresh copies of the sandbox's Supabase template on one server (the drift check's:
``MIGRATIONS_DRIFT_DB_URL``'s, else one embedded PostgreSQL started for the run). The migrations go
through the engine as ``db.apply`` sends them; so do the schema files, one after the other, each as one
migration, so a statement Supabase refuses is reported with its file, line and SQLSTATE.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from ...catalog import Snapshot
from ...config.settings import Settings
from ...errors import ConfigError, MigrationFailed
from ...history.migrations import LocalMigrations
from ...progress import Notify
from ...verify.throwaway import Throwaway, throwaway_databases
from ..pull.proof import Workbench
from .maintain import MaintainBench


@dataclass
class Benches:
    """The migrations' database (where the proof runs) and the declared schema's catalog."""

    history: Workbench
    declared: Snapshot
    info: Throwaway


def two_throwaways(stack: ExitStack, settings: Settings, info: Throwaway, what: str) -> list[str]:
    """Return two throwaway databases' URLs on the drift check's server, dropped when ``stack`` closes; a
    missing server is one error saying ``what`` needed them and how to get one."""
    admin = settings.drift_db_url.reveal() if settings.drift_db_url else None
    try:
        return list(stack.enter_context(throwaway_databases(admin, info, 2)))
    except ConfigError as exc:
        raise ConfigError(
            f"{what} on the drift check's throwaway databases: {exc.message}",
            hint="Install the sandbox extra (pip install 'migrations-tasks[sandbox]'), or set "
            "MIGRATIONS_DRIFT_DB_URL to a running sandbox's SANDBOX_DB_URL.",
        ) from None


@contextmanager
def benches(local: LocalMigrations, schema: LocalMigrations, settings: Settings, say: Notify) -> Iterator[Benches]:
    """Yield both schemas built; drop the databases (and stop any server) after."""
    info = Throwaway()
    with ExitStack() as stack:
        urls = two_throwaways(stack, settings, info, "db.diff builds both schemas")
        history = MaintainBench(urls[0], settings)
        stack.callback(history.close)
        declared = MaintainBench(urls[1], settings)
        stack.callback(declared.close)
        say(f"diff: applying {len(local.migrations)} migration(s) to a throwaway database ...")
        history.apply_history(local)
        say(f"diff: applying {len(schema.migrations)} schema file(s) to another ...")
        yield Benches(history, build_declared(declared, schema), info)


def build_declared(bench: Workbench, schema: LocalMigrations) -> Snapshot:
    """Apply the schema files in order; return the catalog they declare. A failure names file, line, SQLSTATE."""
    try:
        bench.apply(schema)
    except MigrationFailed as exc:
        error = exc.sql_error
        raise MigrationFailed(
            f"{exc.path}:{exc.line}: the declared schema does not build: {error.describe() if error else exc.message}",
            version=exc.version,
            path=exc.path,
            line=exc.line,
            sql_error=error,
            hint="Fix the schema file. Files run in lexical order (or supabase/config.toml's [db.migrations] "
            "schema_paths), each as Supabase runs a migration: a file may use what an earlier one creates.",
        ) from None
    return bench.snapshot()
