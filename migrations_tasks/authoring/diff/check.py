"""The CI question: do ``supabase/schemas`` and the migrations agree? (``db.check``, ``db.diff --check``).

Nothing is asked of a project without a declarative schema. Otherwise both schemas are built on throwaway
databases (:mod:`.build`) and compared with the one catalog model: a schema file changed without its
migration shows as differences (the line to print: :data:`~migrations_tasks.wording.SCHEMAS_AHEAD`). The
cost is that of db.diff without its proof: one embedded PostgreSQL started (or two databases made on
``MIGRATIONS_DRIFT_DB_URL``'s server), the migrations and the schema files applied, two catalog reads;
docs/declarative.md has timings.

    python -m migrations_tasks.authoring.diff.check [--migrations-dir supabase/migrations]

(what ``nox -s migrations_pr`` runs): silent, exit 0, without schema files; else one line, and exit 1 when
they differ, each difference listed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ...catalog import compare
from ...config.settings import Settings, load_settings
from ...errors import EXIT_FAILED, MigrationsTasksError
from ...history.migrations import LocalMigrations, load
from ...progress import Notify, quiet
from ...wording import SCHEMAS_AHEAD
from ..pull.proof import Unproven
from .build import benches
from .maintain import one_sided
from .results import worded
from .sources import SCHEMAS_DIR, declared, parse_schema, schema_files


def schemas_differences(
    local: LocalMigrations, settings: Settings, supabase_dir: Path, notify: Notify | None = None
) -> list[str] | None:
    """Return how the declared schema differs from the migrations' (empty: they agree; None: no schema files)."""
    if not declared(supabase_dir):
        return None
    say = notify or quiet
    schema = parse_schema(schema_files(supabase_dir), supabase_dir / SCHEMAS_DIR)
    try:
        with benches(local, schema, settings, say) as built:
            found = compare(built.history.snapshot(), built.declared)
            return [worded(d.describe()) for d in found if not one_sided(d)]
    except Unproven as exc:
        raise MigrationsTasksError(
            f"Cannot compare supabase/schemas with the migrations: {exc.message}.", hint=exc.hint or None
        ) from None


def main(argv: list[str] | None = None) -> int:
    """Compare the schema files with the migrations of ``--migrations-dir``; print and return the exit code."""
    parser = argparse.ArgumentParser(description="Fail when supabase/schemas is ahead of the migrations.")
    parser.add_argument("--migrations-dir", default=None)
    args = parser.parse_args(argv)
    try:
        flags = {"migrations_dir": args.migrations_dir}
        s = load_settings(None, flags=flags, environ=os.environ, dotenv_path=None, require_database=False)
        found = schemas_differences(load(s.migrations_dir, s.rollbacks_dir), s, s.migrations_dir.parent)
    except MigrationsTasksError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    if found is None:
        return 0
    if not found:
        print("supabase/schemas agrees with the migrations.", flush=True)
        return 0
    print(f"{SCHEMAS_AHEAD}:", flush=True)
    for line in found:
        print(f"  {line}", flush=True)
    return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
