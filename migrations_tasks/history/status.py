"""Compare local migrations with the ledger and decide what to do (pure).

Every version gets one status:

* ``applied``: in the ledger and locally, the same SQL;
* ``pending``: local only, newer than everything applied;
* ``out-of-order``: local only, older than the newest applied version (the CLI's "insert before");
* ``remote-only``: in the ledger, no local file;
* ``changed``: in the ledger, but the file's SQL differs from the recorded statements.

``applied``/``pending`` are in sync or merely behind; the other three are history conflicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..sql import same_statements
from ..wording import TextEnum
from .ledger import Ledger, LedgerRow
from .migrations import Migration, version_key


class Status(TextEnum):
    """What one version's state is."""

    APPLIED, PENDING = "applied", "pending"
    OUT_OF_ORDER, REMOTE_ONLY, CHANGED = "out-of-order", "remote-only", "changed"  # the conflicts


CONFLICTS = frozenset({Status.OUT_OF_ORDER, Status.REMOTE_ONLY, Status.CHANGED})

REMOTE_ONLY_MESSAGE = "Remote migration versions not found in local migrations directory."
OUT_OF_ORDER_MESSAGE = "Found local migration files to be inserted before the last migration on remote database."


@dataclass(frozen=True)
class Entry:
    """One version's status, with the local file and the ledger row where they exist."""

    version: str
    status: Status
    migration: Migration | None = None
    row: LedgerRow | None = None

    @property
    def name(self) -> str:
        """Return the migration's name from the file, else from the ledger."""
        if self.migration is not None:
            return self.migration.name
        return (self.row.name if self.row else None) or ""


@dataclass(frozen=True)
class Comparison:
    """Every version's status, in version order."""

    entries: tuple[Entry, ...]
    ledger_exists: bool

    def with_status(self, *statuses: Status) -> list[Entry]:
        """Return the entries with one of ``statuses``."""
        return [e for e in self.entries if e.status in statuses]

    @property
    def conflicts(self) -> list[Entry]:
        """Return the entries that are history conflicts."""
        return [e for e in self.entries if e.status in CONFLICTS]

    @property
    def pending(self) -> list[Entry]:
        """Return pending and out-of-order entries, in version order."""
        return self.with_status(Status.PENDING, Status.OUT_OF_ORDER)

    def to_apply(self, include_all: bool) -> list[Migration]:
        """Return the migrations to apply: pending ones, plus out-of-order ones when ``include_all``."""
        wanted = (Status.PENDING, Status.OUT_OF_ORDER) if include_all else (Status.PENDING,)
        return [e.migration for e in self.with_status(*wanted) if e.migration is not None]

    def blocking_conflicts(self, include_all: bool) -> list[Entry]:
        """Return the conflicts that stop an apply (out-of-order ones are allowed by ``include_all``)."""
        return [e for e in self.conflicts if not (include_all and e.status is Status.OUT_OF_ORDER)]


def build(local: Sequence[Migration], ledger: Ledger) -> Comparison:
    """Return the status of every local and recorded version."""
    rows = {r.version: r for r in ledger.rows}
    newest_applied = max((version_key(v) for v in rows), default=None)
    entries: list[Entry] = []
    local_versions = set()
    for migration in local:
        local_versions.add(migration.version)
        row = rows.get(migration.version)
        if row is None:
            late = newest_applied is not None and migration.sort_key < newest_applied
            entries.append(Entry(migration.version, Status.OUT_OF_ORDER if late else Status.PENDING, migration))
        elif row.statements is not None and not same_statements(migration.texts, row.statements):
            entries.append(Entry(migration.version, Status.CHANGED, migration, row))
        else:
            entries.append(Entry(migration.version, Status.APPLIED, migration, row))
    for version, row in rows.items():
        if version not in local_versions:
            entries.append(Entry(version, Status.REMOTE_ONLY, None, row))
    entries.sort(key=lambda e: version_key(e.version))
    return Comparison(tuple(entries), ledger.exists)


@dataclass(frozen=True)
class RollbackSelection:
    """The applied versions a rollback undoes, newest first, and what to warn about."""

    entries: tuple[Entry, ...]
    warnings: tuple[str, ...] = ()


def select_rollback(
    plan: Comparison,
    *,
    steps: int | None = None,
    to: str | None = None,
    version: str | None = None,
    force: bool = False,
) -> RollbackSelection:
    """Choose what a rollback undoes: the newest applied migration, the newest ``steps``, everything
    newer than ``to`` (``"0"``: everything), or exactly ``version`` (which needs ``force`` when newer
    migrations are applied after it). Raise Refused or ConfigError when the request cannot be met."""
    from ..errors import ConfigError, Refused

    if sum(x is not None for x in (steps, to, version)) > 1:
        raise ConfigError("Give at most one of --steps, --to and --version.")
    if steps is not None and steps < 1:
        raise ConfigError(f"--steps must be 1 or more, not {steps}.")
    applied = [e for e in plan.entries if e.row is not None]
    newest_first = sorted(applied, key=lambda e: version_key(e.version), reverse=True)
    listed = ", ".join(e.version for e in newest_first[:10]) or "none"
    if version is not None:
        match = [e for e in applied if e.version == version]
        if not match:
            raise Refused(
                f"Migration {version} is not applied, so there is nothing to roll back.",
                hint=f"Applied versions, newest first: {listed}.",
            )
        newer = [e for e in newest_first if version_key(e.version) > version_key(version)]
        warnings: tuple[str, ...] = ()
        if newer:
            names = ", ".join(e.version for e in newer)
            if not force:
                raise Refused(
                    f"Migrations applied after {version} ({names}) stay applied if {version} alone is rolled "
                    "back, and may depend on it.",
                    hint=f"Roll them back too with `--to {_previous(applied, version)}`, or rerun with --force "
                    "to undo only this one.",
                )
            warnings = (f"Rolling back {version} alone although newer migrations are applied after it: {names}.",)
        return RollbackSelection((match[0],), warnings)
    if to is not None:
        known = {e.version for e in plan.entries}
        if to != "0" and to not in known:
            raise Refused(
                f"Version {to} is neither applied nor a local migration.",
                hint=f"Give an applied version (newest first: {listed}), or --to 0 to roll back everything.",
            )
        return RollbackSelection(tuple(e for e in newest_first if version_key(e.version) > version_key(to)))
    return RollbackSelection(tuple(newest_first[: steps or 1]))


def _previous(applied: Sequence[Entry], version: str) -> str:
    older = [e.version for e in applied if version_key(e.version) < version_key(version)]
    return max(older, key=version_key) if older else "0"
