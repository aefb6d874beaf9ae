"""The rollback proof: a migration's down SQL must give back the catalog it started from, and the migration
must apply again after it.

On the throwaway database, right after the rehearsal applied the migration: its down SQL runs as
``db.rollback`` sends it, the catalog is read again and compared with the one read before the migration
(the drift check's comparison, plus privileges, comments, sequences, other types, publications, column
order and owners), then the migration is applied again as ``db.apply`` sends it.
"""

from __future__ import annotations

from typing import Any

from ..config.settings import Settings
from ..engine import Engine
from ..errors import MigrationFailed, MigrationsTasksError
from ..history.migrations import LocalMigrations, Migration
from ..transport.database import Database
from ..verify import drift, rollback_parts
from .results import Proof, ProofResult

_WORDS = {
    drift.ONLY_MIGRATIONS: "removed by apply + down, not restored",
    drift.ONLY_DATABASE: "left behind by down",
    drift.DIFFERS: "not restored",
}


def snapshot_sql(settings: Settings) -> str:
    """Return the read of the catalog a rollback must restore."""
    vs = settings.verify
    return (
        f"SELECT {drift.snapshot_sql(vs.drift_schemas, vs.drift_ignore_schemas)} AS catalog, "
        f"{rollback_parts.rollback_parts_sql()} AS extra"
    )


def read(db: Database, settings: Settings) -> dict[str, Any]:
    """Return the catalog as the proof compares it."""
    row = db.execute(snapshot_sql(settings), write=False)[0]
    return {"catalog": drift.normalise(row["catalog"]), "extra": row["extra"]}


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Return every way ``after`` (apply + down) differs from ``before``, one line each."""
    found = drift.diff(before["catalog"], after["catalog"])
    found += rollback_parts.rollback_differences(before["extra"], after["extra"])
    lines = []
    for d in found:
        detail = d.detail.replace(" in migrations", " before").replace(" in database", " after")
        lines.append(f"{_WORDS[d.kind]}: {d.category} {d.object}" + (f": {detail}" if detail else ""))
    return lines


def prove(engine: Engine, local: LocalMigrations, migration: Migration, before: dict[str, Any]) -> ProofResult:
    """Run the down SQL of ``migration`` (the newest of ``local``), compare, and apply it again."""
    result = ProofResult()
    try:
        engine.rollback(local, version=migration.version, force=True)
    except MigrationsTasksError as exc:
        return ProofResult(Proof.FAIL, message=f"the down SQL failed: {_cause(exc)}")
    result.differences = differences(before, read(engine.db, engine.ctx.settings))
    try:
        engine.apply(local, include_all=True)
    except MigrationFailed as exc:
        result.status, result.in_place = Proof.FAIL, False
        result.message = f"the migration does not apply again after its down SQL: {_cause(exc)}"
        return result
    result.status = Proof.FAIL if result.differences else Proof.PASS
    return result


def _cause(exc: MigrationsTasksError) -> str:
    """Return the SQL error of a failure in one line (``line 3: 42710: type "mood" already exists``)."""
    error = getattr(exc, "sql_error", None)
    if error is None:
        return exc.message.splitlines()[0]
    line = getattr(exc, "line", None)
    return (f"line {line}: " if line else "") + str(error.describe()).splitlines()[0]
