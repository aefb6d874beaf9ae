"""Rehearse one pending migration on the throwaway database exactly as ``db.apply`` sends it, statement by
statement: the engine's requests (lock and guard, the statements, the ledger row), with a probe
(:mod:`.probe`) after each statement, sent through the engine's one write path.

A statement that runs outside a transaction (CREATE INDEX CONCURRENTLY...) is its own request and cannot be
probed: its documented lock mode is reported instead. A failure is reported exactly as ``db.apply`` reports
it (file, line, SQLSTATE, message).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from ..engine.apply import migration_requests
from ..engine.context import Context
from ..engine.failures import apply_failure
from ..engine.request import Request
from ..engine.send import Write, send
from ..errors import SqlError
from ..history import ledger
from ..history.migrations import Migration
from ..history.sqlfile import Statement
from ..lint import tree
from ..wording import first_line
from .locks import OUTSIDE_TRANSACTION_MODE, RANK
from .probe import SAME, Relation, baseline_sql, collect_sql, decode_baseline, decode_probe, key, probe_sql
from .results import Lock, MigrationReport, Rehearsed, StatementReport


@dataclass
class Watch:
    """The relations that existed before the pending migrations, and each one's last known file node."""

    relations: dict[int, Relation]
    filenodes: dict[int, int | None]
    by_name: dict[str, Relation] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_name = {r.name: r for r in self.relations.values()}


@dataclass
class _Probed:
    """One request with its probes, and which statement each probe follows."""

    request: Request
    keys: list[str]  # the request's baseline's key, then each statement's probe's
    indexes: list[int]


def _with_probes(request: Request, number: int, index_of: Mapping[int, int]) -> _Probed:
    """Add a baseline before the request's first statement and a probe after each statement (transactional only).

    One baseline is enough: a table no earlier statement of the transaction locked has not been scanned in it
    since, and the probes record the scans of every table locked so far.
    """
    transactional = any(part.role == "lock and guard" for part in request.parts)
    out = _Probed(Request(), [], [])
    for part in request.parts:
        probed = transactional and part.statement is not None
        if probed and not out.keys:
            out.keys.append(key(number, index_of[id(part.statement)]) + "b")
            out.request.add(baseline_sql(out.keys[-1]), role="probe")
        out.request.add(part.text, part.statement, part.role)
        if probed:
            index = index_of[id(part.statement)]
            out.keys.append(key(number, index))
            out.indexes.append(index)
            out.request.add(probe_sql(out.keys[-1]), role="probe")
    return out


def _attribute(statements: Sequence[StatementReport], probed: _Probed, probes: Sequence[object], watch: Watch) -> None:
    """Give each statement the locks it was first to take, the rewrites and the scans it caused."""
    if not probes:
        return
    scans_before = decode_baseline(probes[0])
    held_before: dict[int, frozenset[str]] = {}
    strongest: dict[int, tuple[str, int]] = {}  # the strongest mode held so far, and the statement that took it
    for position, index in enumerate(probed.indexes):
        raw = probes[position + 1] if len(probes) > position + 1 else None
        if raw is None:
            break
        if raw == SAME:  # nothing new since the statement before: no lock, rewrite or scan
            continue
        view = decode_probe(raw, watch.relations)
        report = statements[index]
        changed = [
            oid
            for oid, held in view.items()
            if held.modes != held_before.get(oid)
            or (held.filenode is not None and held.filenode != watch.filenodes.get(oid))
            or held.scans > scans_before.get(oid, 0)
        ]
        for oid in sorted(changed, key=lambda o: watch.relations[o].name):
            held, relation = view[oid], watch.relations[oid]
            new = held.modes - held_before.get(oid, frozenset())
            if new:
                lock = Lock(relation.name, tuple(sorted(new, key=RANK.__getitem__)), relation.table)
                earlier = strongest.get(oid)
                if earlier is not None and RANK[earlier[0]] > RANK[lock.strongest]:
                    lock = replace(lock, held=earlier[0], since=earlier[1])
                else:
                    strongest[oid] = (lock.strongest, index + 1)
                report.locks.append(lock)
            if held.filenode is not None and held.filenode != watch.filenodes.get(oid):
                report.rewritten.append(relation.label)
                watch.filenodes[oid] = held.filenode
            if held.scans > scans_before.get(oid, 0):
                report.scanned.append(relation.name)
        held_before = {oid: held.modes for oid, held in view.items()}
        scans_before.update((oid, held.scans) for oid, held in view.items())


def _outside_transaction(report: StatementReport, statement: Statement, watch: Watch) -> None:
    """Give a statement that runs outside a transaction its documented lock mode."""
    for name in sorted(tree.targets(tree.parse(statement.text))):
        relation = watch.by_name.get(name)
        if relation is not None:
            report.locks.append(Lock(relation.name, (OUTSIDE_TRANSACTION_MODE,), relation.table, observed=False))


def rehearse(
    ctx: Context, migration: Migration, number: int, columns: Mapping[str, ledger.Column], watch: Watch
) -> MigrationReport:
    """Apply ``migration`` to the throwaway database as db.apply would, watching every statement."""
    report = MigrationReport(migration.version, migration.name, str(migration.path))
    report.statements = [StatementReport(i, st.line, first_line(st.text)) for i, st in enumerate(migration.statements)]
    index_of = {id(st): i for i, st in enumerate(migration.statements)}
    probed = [_with_probes(r, number, index_of) for r, _records in migration_requests(ctx, migration, columns)]
    done: list[Statement] = []
    for position, item in enumerate(probed):
        try:
            send(ctx, Write(item.request.sql, migration.version, migration=migration))
        except SqlError as exc:
            later = [p.request for p in probed[position + 1 :]]
            failure = apply_failure(ctx, migration, item.request, exc, done, later)
            report.status, report.failure = Rehearsed.FAILED, failure.message
            report.failure_line, report.sqlstate = failure.line, exc.sqlstate
            return report
        done.extend(item.request.statements())
        if item.keys:
            rows = ctx.db.execute(collect_sql(item.keys), write=False)
            _attribute(report.statements, item, list(rows[0]["probes"]) if rows else [], watch)
        else:
            for statement in item.request.statements():
                _outside_transaction(report.statements[index_of[id(statement)]], statement, watch)
    report.status = Rehearsed.OK
    return report
