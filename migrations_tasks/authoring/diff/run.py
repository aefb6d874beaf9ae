"""``diff()``: build the migrations' schema and the declared one, generate, prove, write (no live database).

1. the schema files are found and parsed (:mod:`.sources`); the statements a declarative file cannot hold
   are reported;
2. both schemas are built on throwaway databases (:mod:`.build`);
3. a probable rename stops it: both choices are reported, nothing is written (:mod:`.renames`);
4. db.pull's generation and proof run with the declared catalog as the target
   (:func:`~migrations_tasks.authoring.pull.run.prove_on`), drops included: the files are the truth;
5. only a proven file is written.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ... import untrusted
from ...config.settings import Settings
from ...errors import ConfigError, MigrationFileError
from ...history.migrations import LocalMigrations
from ...progress import Notify, quiet
from ..new import free_version, normalise_name
from ..pull.proof import Unproven
from ..pull.results import PullResult
from ..pull.run import PullOptions, prove_on
from .build import benches
from .maintain import maintain_grants
from .renames import probable_renames, probable_table_renames
from .results import COLUMN_ORDER_HINT, DiffResult, DiffStatus, worded
from .sources import SCHEMAS_DIR, caveats, parse_schema, schema_files

DEFAULT_NAME = "declarative_schema"
#: db.diff's generators beside db.pull's, run on the rehearsed catalog: MAINTAIN (both schemas on one server).
LATE = (maintain_grants,)
FOUND = "diff: {} difference(s) between the migrations and the schema files"


@dataclass(frozen=True)
class DiffOptions:
    """What the user asked for."""

    name: str = DEFAULT_NAME
    dry_run: bool = False
    #: The tables and columns reported as probable renames are new ones: drop the old and add the new.
    not_renamed: bool = False


def diff_intro(name: str, stamp: str) -> list[str]:
    """Return the first lines of the file's header."""
    return [
        f"-- {untrusted.escape(name)}: what supabase/schemas declares and the migrations lack, written by inv db.diff "
        f"on {stamp}.",
        "-- db.diff writes a file only once it is proven on a throwaway database: applied on top of the",
        "-- migrations it leaves no difference from the declared schema, and its down SQL restores theirs.",
    ]


def diff(
    local: LocalMigrations,
    settings: Settings,
    supabase_dir: Path,
    options: DiffOptions = DiffOptions(),
    *,
    now: datetime | None = None,
    notify: Notify | None = None,
) -> DiffResult:
    """Turn what the schema files declare and the migrations lack into a proven file (see the module docstring)."""
    say = notify or quiet
    started = time.perf_counter()
    moment = now or datetime.now(timezone.utc)
    files = schema_files(supabase_dir)
    if not files:
        raise ConfigError(
            f"No schema files in {supabase_dir / SCHEMAS_DIR} (nor in supabase/config.toml's schema_paths).",
            hint="Declare the schema in supabase/schemas/*.sql first (docs/declarative.md).",
        )
    schema = parse_schema(files, supabase_dir / SCHEMAS_DIR)
    proof = PullResult(target="supabase/schemas", name=normalise_name(options.name))
    result = DiffResult(proof, schema_files=[str(f) for f in files], caveats=caveats(schema))
    proof.version = free_version(local.directory, (m.version for m in local.migrations), moment)
    try:
        text = _prove(result, local, schema, settings, options, moment, say)
        if text is not None and options.dry_run:
            result.status = DiffStatus.DRY_RUN
        elif text is not None:
            result.path = _write(local.directory / proof.filename, text)
            result.status = DiffStatus.WRITTEN
    except Unproven as exc:
        result.status = DiffStatus.UNPROVEN
        proof.problem, proof.remaining, proof.hint = exc.message, [worded(r) for r in exc.remaining], exc.hint
        if any("column order" in line for line in exc.remaining):
            proof.hint = COLUMN_ORDER_HINT
    finally:
        proof.seconds = time.perf_counter() - started
    return result


def _prove(
    result: DiffResult,
    local: LocalMigrations,
    schema: LocalMigrations,
    settings: Settings,
    options: DiffOptions,
    now: datetime,
    say: Notify,
) -> str | None:
    """Build both schemas, generate the file and prove it; return its text (None: nothing to write)."""
    proof = result.proof
    with benches(local, schema, settings, say) as built, tempfile.TemporaryDirectory(prefix="mt-diff-") as scratch:
        proof.where = built.info.where
        result.migrations_applied = len(local.migrations)
        history = built.history.snapshot()
        if not options.not_renamed:
            result.renames = [r.describe() for r in probable_table_renames(history, built.declared)]
            result.renames += [r.describe() for r in probable_renames(history, built.declared)]
        if result.renames:
            result.status = DiffStatus.DECIDE
            return None
        pull = PullOptions(name=proof.name, include_drops=True, record=False, dry_run=options.dry_run, renames=False)
        scratch_dir = Path(scratch)
        migration = prove_on(
            built.history, proof, local, built.declared, pull, now, scratch_dir, say, diff_intro, FOUND, late=LATE
        )
        return proof.text if migration is not None else None


def _write(path: Path, text: str) -> Path:
    try:
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError:
        raise MigrationFileError(f"{path} already exists; nothing was written.", path=str(path)) from None
    except OSError as exc:
        raise MigrationFileError(f"Cannot write {path}: {exc.strerror}; nothing was written.", path=str(path)) from None
    return path
