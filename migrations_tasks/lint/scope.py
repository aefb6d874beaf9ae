"""Which files ``db.lint`` lints: the pending migrations (one request for the ledger), every file, or some.

Without any database settings every file is linted and nothing is sent. The ledger read is quick: it
gives up after :data:`LEDGER_DEADLINE` seconds of retries (each request bounded by
:data:`LEDGER_TIMEOUT`), then every file is linted and nothing more is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..config.settings import Settings
from ..errors import MigrationFileError, TransportError
from ..history.migrations import FILE_RE, LocalMigrations, Migration, MigrationFileName, parse_file
from ..progress import Notify, quiet
from ..wording import plural

#: How long db.lint keeps retrying the ledger read before it lints every file instead (seconds).
LEDGER_DEADLINE = 5.0
#: The longest one ledger request may take (seconds).
LEDGER_TIMEOUT = 10.0


@dataclass
class Selection:
    """The migrations to lint, in apply order, and how they were chosen."""

    migrations: list[Migration]
    scope: str  # "pending" | "all" | "files"
    requests: int = 0
    warnings: list[str] = field(default_factory=list)


def configured(settings: Settings) -> bool:
    """Return True when settings name a database (a token and project ref, or a database URL)."""
    return bool((settings.access_token and settings.project_ref) or settings.db_url)


def named_files(local: LocalMigrations, files: Sequence[str]) -> list[Migration]:
    """Return the migrations of the files named (local ones, or other files named like migrations)."""
    by_path = {m.path.resolve(): m for m in local.migrations}
    out: list[Migration] = []
    for name in files:
        path = Path(name)
        known = by_path.get(path.resolve())
        if known is not None:
            out.append(known)
            continue
        match = FILE_RE.match(path.name)
        if match is None or not path.is_file():
            raise MigrationFileError(
                f"{path}: not a migration file (<version>_<name>.sql) that exists.",
                path=str(path),
                hint="Name migration files as the Supabase CLI does, or lint them all with --all.",
            )
        out.append(parse_file(MigrationFileName(path, match.group(1), match.group(2))))
    return out


def select(
    settings: Settings, local: LocalMigrations, *, files: Sequence[str] = (), every: bool = False, say: Notify = quiet
) -> Selection:
    """Return what to lint: ``files``, every file, or the pending migrations of the configured database."""
    if files:
        return Selection(named_files(local, files), "files")
    if every or not configured(settings):
        return Selection(list(local.migrations), "all")
    from ..engine import Engine
    from ..transport.connect import connect

    quick = settings.with_overrides(
        retry_deadline=min(settings.retry_deadline, LEDGER_DEADLINE),
        request_timeout=min(settings.request_timeout, LEDGER_TIMEOUT),
    )
    db = connect(quick.target, quick, on_wait=say)
    try:
        plan = Engine(db, quick).check(local)
    except TransportError as exc:
        tried = f"{plural(db.requests, 'request')} in {quick.retry_deadline:g}s" if db.requests else "no request"
        warning = (
            f"could not read the ledger ({' '.join(exc.message.split()).rstrip('.')}; gave up after {tried}); "
            "linting every migration file instead, nothing more sent."
        )
        return Selection(list(local.migrations), "all", db.requests, [warning])
    finally:
        db.close()
    pending = [e.migration for e in plan.pending if e.migration is not None]
    return Selection(pending, "pending", db.requests)
