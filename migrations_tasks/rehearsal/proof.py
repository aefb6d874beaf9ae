"""The rollback proof: a migration's down SQL must give back the catalog it started from, and the migration
must apply again after it.

On the throwaway database, right after the rehearsal applied the migration: its down SQL runs as
``db.rollback`` sends it, the catalog is read again and compared with the one read before the migration
(:func:`migrations_tasks.catalog.compare`, the one comparison drift and ``db.pull`` use), then the migration
is applied again as ``db.apply`` sends it. A down that makes a dropped table or column again restores the
catalog but not the rows: the proof says so (``restores the shape, not the data``).
"""

from __future__ import annotations

from .. import catalog
from ..config.settings import Settings
from ..engine import Engine
from ..errors import MigrationFailed, MigrationsTasksError
from ..history.migrations import LocalMigrations, Migration
from ..transport.database import Database
from .results import Proof, ProofResult

_WORDS = {
    catalog.ONLY_MIGRATIONS: "removed by apply + down, not restored",
    catalog.ONLY_DATABASE: "left behind by down",
    catalog.DIFFERS: "not restored",
}


def read(db: Database, settings: Settings) -> catalog.Snapshot:
    """Return the catalog as the proof compares it: the one snapshot every comparison reads."""
    vs = settings.verify
    return catalog.Snapshot.from_row(
        db.execute(catalog.request(vs.drift_schemas, vs.drift_ignore_schemas), write=False)[0]
    )


def differences(before: catalog.Snapshot, after: catalog.Snapshot) -> list[str]:
    """Return every way ``after`` (apply + down) differs from ``before``, one line each."""
    lines = []
    for d in catalog.compare(before, after):
        detail = d.detail.replace(" in migrations", " before").replace(" in database", " after")
        lines.append(f"{_WORDS[d.kind]}: {d.category} {d.object}" + (f": {detail}" if detail else ""))
    return lines


def _columns(snapshot: catalog.Snapshot) -> set[str]:
    """Return every table and every column (``table.column``) of a snapshot."""
    out = set()
    for name, table in snapshot.normal.get("tables", {}).items():
        out.add(name)
        out.update(f"{name}.{column}" for column in table.get("columns", {}))
    return out


def shape_only(before: catalog.Snapshot, up: catalog.Snapshot, down: catalog.Snapshot) -> list[str]:
    """Return the tables and columns the migration dropped and its down SQL made again: empty now."""
    gone = _columns(before) - _columns(up)
    back = sorted(gone & _columns(down))
    tables = {name for name in back if name in before.normal.get("tables", {})}
    return [
        f"{'table' if name in tables else 'column'} {name} is made again by the down SQL, but its rows are gone"
        for name in back
        if name in tables or name.rsplit(".", 1)[0] not in tables
    ]


def prove(engine: Engine, local: LocalMigrations, migration: Migration, before: catalog.Snapshot) -> ProofResult:
    """Run the down SQL of ``migration`` (the newest of ``local``), compare, and apply it again."""
    result = ProofResult()
    up = read(engine.db, engine.ctx.settings)
    try:
        engine.rollback(local, version=migration.version, force=True)
    except MigrationsTasksError as exc:
        return ProofResult(Proof.FAIL, message=f"the down SQL failed: {_cause(exc)}")
    down = read(engine.db, engine.ctx.settings)
    result.differences = differences(before, down)
    lost = shape_only(before, up, down)
    try:
        engine.apply(local, include_all=True)
    except MigrationFailed as exc:
        result.status, result.in_place = Proof.FAIL, False
        result.message = f"the migration does not apply again after its down SQL: {_cause(exc)}"
        return result
    if result.differences:
        result.status = Proof.FAIL
    elif lost:
        result.status, result.message = Proof.SHAPE_ONLY, "restores the shape, not the data: " + "; ".join(lost)
    else:
        result.status = Proof.PASS
    return result


def _cause(exc: MigrationsTasksError) -> str:
    """Return the SQL error of a failure in one line (``line 3: 42710: type "mood" already exists``)."""
    error = getattr(exc, "sql_error", None)
    if error is None:
        return exc.message.splitlines()[0]
    line = getattr(exc, "line", None)
    return (f"line {line}: " if line else "") + str(error.describe()).splitlines()[0]
