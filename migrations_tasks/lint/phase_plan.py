"""Which pending migrations run before the switch and which after health, and what cannot be phased.

:func:`split` orders the pending migrations into the two phases of a release (expand and data before the
switch, contract after health) and refuses, before anything is applied:

* a migration mixing expand and contract statements that states no phase (split it, or state its phase);
* a contract migration whose version sorts before an expand (or data) migration of the same run: applying the
  later one while the contract waits would put the ledger out of order (renumber or split the release). With
  ``carry=True`` (the ``next-release`` policy) such a contract is taken as an earlier release's, left
  waiting then, and runs first, before the switch: the release that is live does not use what it removes.
  So do the contracts named in ``carried`` (those the previous run's record says it left waiting).

:func:`refuse_needed_contracts` refuses a waiting contract that the new release needs first: dropping a
column that is NOT NULL without a default (the new code no longer writes it, so its inserts fail until the
contract runs), unless an expand migration of the same run relaxes it. It reads the live catalog (one query).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from pglast import ast, enums

from ..errors import MigrationsTasksError, Refused
from ..history.migrations import Migration
from ..sql import quote_literal
from ..transport.database import Database
from .phases import MigrationPhase, Phase, classify_pending
from .tree import parse, qualified

AT = enums.AlterTableType
SPLIT_HINT = "Split it into an expand migration and a contract migration, or state its phase on its first line: "
ORDER_HINT = (
    "Renumber the contract migration after the release's expand migrations (a later version), or ship the "
    "expand migrations in a release of their own first."
)


@dataclass
class PhasePlan:
    """The pending migrations' phases, and the versions for each side of the switch, in version order."""

    phases: list[MigrationPhase] = field(default_factory=list)
    before: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    #: Contracts an earlier release left waiting, run before the switch (``next-release``).
    carried: list[str] = field(default_factory=list)

    def phase_of(self, version: str) -> MigrationPhase | None:
        """Return the phase of pending migration ``version``."""
        return next((p for p in self.phases if p.version == version), None)


def split(phases: Sequence[MigrationPhase], *, carry: bool = False, carried: Collection[str] = ()) -> PhasePlan:
    """Return the migrations before and after the switch; raise Refused for what cannot be phased."""
    mixed = [p for p in phases if p.mixed]
    if mixed:
        lines = [f"{p.filename}: {p.reason}" for p in mixed]
        raise Refused(
            "Cannot phase a migration that mixes expand and contract statements; nothing was applied:\n  "
            + "\n  ".join(lines),
            hint=SPLIT_HINT + "`-- phase: expand` or `-- phase: contract`.",
        )
    plan = PhasePlan(list(phases))
    last_early = max((i for i, p in enumerate(phases) if p.phase is not Phase.CONTRACT), default=-1)
    for index, item in enumerate(phases):
        if item.phase is not Phase.CONTRACT:
            plan.before.append(item.version)
        elif (index < last_early and carry) or item.version in carried:
            plan.before.append(item.version)
            plan.carried.append(item.version)
        elif index < last_early:
            later = phases[last_early]
            raise Refused(
                f"Contract migration {item.filename} sorts before {later.phase.value} migration {later.filename} "
                "of the same release: applying that one before the switch while the contract waits for health "
                "would put the ledger out of order; nothing was applied.",
                hint=ORDER_HINT,
            )
        else:
            plan.after.append(item.version)
    return plan


def _dropped_columns(migration: Migration) -> list[tuple[str, str]]:
    """Return the (table, column) pairs a migration drops with ALTER TABLE ... DROP COLUMN."""
    out = []
    for statement in migration.statements:
        node = parse(statement.text)
        if isinstance(node, ast.AlterTableStmt) and node.relation is not None:
            for cmd in node.cmds or ():
                if isinstance(cmd, ast.AlterTableCmd) and cmd.subtype == AT.AT_DropColumn and cmd.name:
                    out.append((qualified(node.relation), str(cmd.name)))
    return out


def _relaxed(migrations: Sequence[Migration]) -> set[tuple[str, str]]:
    """Return the (table, column) pairs these migrations relax: DROP NOT NULL or SET DEFAULT."""
    out = set()
    for migration in migrations:
        for statement in migration.statements:
            node = parse(statement.text)
            if not isinstance(node, ast.AlterTableStmt) or node.relation is None:
                continue
            for cmd in node.cmds or ():
                relaxes = cmd.subtype == AT.AT_DropNotNull or (cmd.subtype == AT.AT_ColumnDefault and cmd.def_)
                if isinstance(cmd, ast.AlterTableCmd) and relaxes:
                    out.add((qualified(node.relation), str(cmd.name)))
    return out


def required_columns_sql(pairs: Sequence[tuple[str, str]]) -> str:
    """Return a query naming which of ``pairs`` (table, column) are NOT NULL without a default, live."""
    values = ", ".join(f"({quote_literal(t)}, {quote_literal(c)})" for t, c in pairs)
    return (
        "SELECT coalesce(json_agg(json_build_array(p.t, p.c)), '[]'::json) AS required "
        f"FROM (VALUES {values}) AS p(t, c) JOIN pg_catalog.pg_attribute a "
        "ON a.attrelid = to_regclass(p.t) AND a.attname = p.c AND NOT a.attisdropped "
        "WHERE a.attnotnull AND NOT a.atthasdef AND a.attidentity = '' AND a.attgenerated = ''"
    )


def refuse_needed_contracts(db: Database, plan: PhasePlan, migrations: Sequence[Migration]) -> None:
    """Refuse a waiting contract that drops a column the new release cannot write without (see the docstring)."""
    by_version = {m.version: m for m in migrations}
    waiting = [by_version[v] for v in plan.after if v in by_version]
    relaxed = _relaxed([by_version[v] for v in plan.before if v in by_version])
    drops = {pair: m for m in waiting for pair in _dropped_columns(m) if pair not in relaxed}
    if not drops:
        return
    rows = db.execute(required_columns_sql(list(drops)), write=False)
    found = rows[0].get("required") if rows else None
    required = [(str(t), str(c)) for t, c in found] if isinstance(found, list) else []
    if not required:
        return
    lines = [
        f"{drops[pair].filename} drops {pair[0]}.{pair[1]}, which is NOT NULL without a default" for pair in required
    ]
    raise Refused(
        "A contract migration the new release needs before it can start: its inserts leave the column out and fail "
        "until the contract runs after health; nothing was applied:\n  " + "\n  ".join(lines),
        hint="Relax it in an expand step first: DROP NOT NULL or SET DEFAULT "
        "(ALTER TABLE ... ALTER COLUMN ... DROP NOT NULL, in an expand migration of this release).",
    )


#: ``db.apply --phase`` and the gate's choices.
PHASE_CHOICES = ("expand", "contract", "all")


def selector(
    db: Database, every: Sequence[Migration], phase: str, *, carry: bool = False, carried: Collection[str] = ()
) -> Callable[[list[Migration]], tuple[list[Migration], list[tuple[str, str]]]]:
    """Return the engine's ``select`` for ``phase``: expand (and data) only, contract only, or all.

    ``expand`` refuses what cannot be phased (see :func:`split`) and a waiting contract the new release
    needs first; ``contract`` refuses while expand migrations are pending (they sort before, or the ledger
    would be out of order); ``all`` takes every pending migration, as before phases.
    """
    if phase not in PHASE_CHOICES:
        raise MigrationsTasksError(f"Unknown phase {phase!r}: use {', '.join(PHASE_CHOICES)}.")

    def select(todo: list[Migration]) -> tuple[list[Migration], list[tuple[str, str]]]:
        if phase == "all":
            return todo, []
        plan = split(classify_pending(every, todo), carry=carry, carried=carried)
        if phase == "contract" and plan.before:
            raise Refused(
                f"Expand or data migrations are pending ({', '.join(plan.before)}): the contract phase runs after "
                "them; nothing was applied.",
                hint="Run `inv db.apply --phase expand` first (and switch the app), then --phase contract.",
            )
        if phase == "expand":
            refuse_needed_contracts(db, plan, todo)
        chosen = set(plan.before if phase == "expand" else plan.after)
        waiting = [] if phase == "contract" else plan.after
        why = {v: f"contract ({p.reason}): runs with --phase contract" for v in waiting if (p := plan.phase_of(v))}
        return [m for m in todo if m.version in chosen], [(v, why[v]) for v in waiting]

    return select
