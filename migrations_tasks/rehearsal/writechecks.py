"""The data checks of the statements that write rows into a live table (pure): ``INSERT``, ``UPDATE`` and
``DELETE`` against the table's unique indexes and constraints, as the live catalog has them.

* ``INSERT ... SELECT`` and ``INSERT ... VALUES``: the new rows against the unique indexes (live rows, and each
  other; 23505), the NOT NULL and CHECK constraints (23502, 23514) and the foreign keys (23503);
  ``ON CONFLICT`` makes no failure;
* ``UPDATE`` (without ``FROM``): the whole table as it leaves it against the unique indexes, the rows it changes
  against the NOT NULL, CHECK and FOREIGN KEY constraints;
* ``DELETE`` (without ``USING``): the rows it removes against the foreign keys that reference them and forbid
  it (NO ACTION, RESTRICT).

A table with a BEFORE ROW trigger on that event makes the check unknown: the trigger may change the rows.
Mixed into :class:`.datachecks._Deriver`, whose ``add``, ``effects`` and ``checks`` it uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from pglast import ast, enums

from ..lint import tree
from .effects import constraints, has_default
from .names import columns, ident, relation, sql_of
from .rowsql import (
    RESOLVED,
    Reads,
    bounded,
    delete_orphans_sql,
    insert_conflicts_sql,
    insert_violations_sql,
    unless_triggered,
    updated_rows_sql,
)


def _width(select: Any) -> int | None:
    """Return how many columns a SELECT or VALUES gives (None: a ``*`` makes it unknown here)."""
    if select.valuesLists:
        return len(select.valuesLists[0])
    if select.op != enums.SetOperation.SETOP_NONE:
        return _width(select.larg)
    targets = list(select.targetList or ())
    if not targets or any(isinstance(n, ast.A_Star) for t in targets for n in tree.walk(t.val)):
        return None
    return len(targets)


@dataclass(frozen=True)
class Shape:
    """What a CREATE TABLE says its rows must be: unique keys, NOT NULL columns, CHECKs (expression, columns)."""

    unique: list[list[str]]
    not_null: list[str]
    defaulted: set[str]
    checks: list[tuple[str, list[str]]]


def table_shape(node: Any) -> Shape:
    """Return the unique keys, NOT NULL columns (with a default or not) and CHECKs a CREATE TABLE writes."""
    shape = Shape([], [], set(), [])
    found: list[tuple[Any, list[str]]] = []
    for element in node.tableElts or ():
        if isinstance(element, ast.ColumnDef):
            name = str(element.colname)
            if has_default(element):
                shape.defaulted.add(name)
            if element.is_not_null:
                shape.not_null.append(name)
            found += [(c, [name]) for c in constraints(element)]
        elif isinstance(element, ast.Constraint):
            found.append((element, [str(k.sval) for k in element.keys or ()]))
    for c, keys in found:
        if c.contype in (enums.ConstrType.CONSTR_PRIMARY, enums.ConstrType.CONSTR_UNIQUE) and not c.indexname:
            shape.unique.append(keys)
        if c.contype in (enums.ConstrType.CONSTR_PRIMARY, enums.ConstrType.CONSTR_NOTNULL):
            shape.not_null.extend(k for k in keys if k not in shape.not_null)
        if c.contype == enums.ConstrType.CONSTR_CHECK and c.raw_expr is not None:
            shape.checks.append((sql_of(c.raw_expr), columns(c.raw_expr)))
    return shape


def alias_of(node: Any) -> str:
    """Return the alias an UPDATE or DELETE gives its table, quoted ("" for none)."""
    alias = getattr(node.relation, "alias", None)
    return ident(str(alias.aliasname)) if alias is not None and alias.aliasname else ""


class WriteChecks:
    """The checks of :mod:`.writechecks` (a mixin of the deriver)."""

    effects: Any
    checks: list[Any]
    add: Any

    def _insert(self, table: str, node: Any) -> None:
        """Check an INSERT's new rows against the live table's unique indexes and constraints."""
        select = node.selectStmt
        if node.onConflictClause is not None or not isinstance(select, ast.SelectStmt):
            return
        names = [str(t.name) for t in node.cols or ()]
        width = _width(select)
        source = sql_of(select)
        if node.withClause is not None:
            source = f"WITH {'RECURSIVE ' if node.withClause.recursive else ''}{sql_of(node.withClause)} {source}"
        read = sorted({relation(rv) for rv in tree.walk(select) if isinstance(rv, ast.RangeVar)})
        changed = [t for t in read if t in self.effects.written()]
        unknown = ""
        if not names and width is None:
            unknown = "it names no columns and selects *: which columns it writes is not followed"
        elif any(isinstance(v, ast.SetToDefault) for row in select.valuesLists or () for v in row):
            unknown = "DEFAULT in its VALUES is not followed"
        elif changed:
            unknown = f"it reads {changed[0]}, which an earlier pending statement writes"
        what = f"the rows the INSERT adds to {table}"
        if not unknown:
            self._query(table, f"the SELECT of the INSERT into {table}", source, read)
        find = f"SELECT count(*) {RESOLVED}"
        for kind, sqlstate, resolve in (
            ("its unique keys", "23505", insert_conflicts_sql),
            ("its NOT NULL and CHECK constraints", "23502 or 23514", insert_violations_sql),
            ("its foreign keys", "23503", partial(insert_violations_sql, foreign=True)),
        ):
            more = {"unknown": unknown} if unknown else {}
            self.add(
                table,
                f"{what}, against {kind}",
                sqlstate,
                reads=Reads(names),
                count_sql=bounded(RESOLVED),
                find_sql=find,
                resolve=unless_triggered(table, "insert", resolve(table, names, width or 0, source)),
                **more,
            )
        inserted = next(iter(self.effects.inserted.values()), "") or next(iter(self.effects.seeded), "")
        if inserted and not self.checks[-1].doubts.if_fails:  # a parent row may have been added before it
            doubts = replace(self.checks[-1].doubts, if_fails=f"{inserted} adds rows before it")
            self.checks[-1] = replace(self.checks[-1], doubts=doubts)

    def _update_rows(self, table: str, node: Any) -> None:
        """Check the rows an UPDATE leaves against the table's unique indexes (every row), NOT NULL, CHECK and
        FOREIGN KEY constraints (the rows it changes)."""
        targets = [t for t in node.targetList or () if isinstance(t, ast.ResTarget)]
        if not targets or any(not t.name or t.indirection or t.val is None for t in targets):
            return
        sets = [(str(t.name), "DEFAULT" if isinstance(t.val, ast.SetToDefault) else sql_of(t.val)) for t in targets]
        if any(value == "DEFAULT" for _, value in sets):
            return
        where = sql_of(node.whereClause) if node.whereClause is not None else ""
        read = sorted(
            {c for c, _ in sets} | {c for t in targets for c in columns(t.val)} | set(columns(node.whereClause))
        )
        what, all_columns = f"the rows the UPDATE of {table} leaves", 100_000
        alias = alias_of(node)
        every, changed = (f"({updated_rows_sql(table, sets, where, m, alias)})" for m in (False, True))
        for kind, sqlstate, sql in (
            ("its unique keys", "23505", insert_conflicts_sql(table, [], all_columns, every, whole=True)),
            (
                "its NOT NULL and CHECK constraints",
                "23502 or 23514",
                insert_violations_sql(table, [], all_columns, changed),
            ),
            ("its foreign keys", "23503", insert_violations_sql(table, [], all_columns, changed, foreign=True)),
        ):
            self.add(
                table,
                f"{what}, against {kind}",
                sqlstate,
                reads=Reads(read),
                count_sql=bounded(RESOLVED),
                find_sql=f"SELECT count(*) {RESOLVED}",
                resolve=unless_triggered(table, "update", sql),
            )

    def _delete_rows(self, table: str, node: Any) -> None:
        """Check the rows a DELETE removes against the foreign keys that reference them (NO ACTION, RESTRICT)."""
        where = sql_of(node.whereClause) if node.whereClause is not None else ""
        self.add(
            table,
            f"the rows the DELETE removes from {table}, against the foreign keys that reference them",
            "23503",
            reads=Reads(columns(node.whereClause) if node.whereClause is not None else []),
            count_sql=bounded(RESOLVED),
            find_sql=f"SELECT count(*) {RESOLVED}",
            resolve=delete_orphans_sql(table, where, alias_of(node)),
        )
        written = next(iter(self.effects.deleted.values()), "") or next(iter(self.effects.updated.values()), "")
        if written:  # a referencing row may have been removed (or its reference changed) before it
            doubts = replace(self.checks[-1].doubts, if_fails=f"{written} writes rows before it")
            self.checks[-1] = replace(self.checks[-1], doubts=doubts)

    def _query(self, table: str, what: str, query: str, read: Sequence[str]) -> None:
        """Evaluate a query on the live rows it reads (a cast may fail on some: 22xxx), when it reads live rows."""
        live = [t for t in read if self.effects.existing(t)]
        if not live:
            return
        changed = [t for t in read if t in self.effects.written()]
        probe = f"SELECT count(q) FROM ({query}) q"  # a whole-row reference: every column is computed
        more = {"unknown": f"it reads {changed[0]}, which an earlier pending statement writes"} if changed else {}
        self.add(table, what, "22xxx", probe_sql=probe, find_sql=probe, **more)

    def _into_new(self, table: str, node: Any) -> None:
        """Check an INSERT ... SELECT of live rows into a table the pending migrations create: its primary key,
        unique, NOT NULL and CHECK constraints as written, on the rows it would add."""
        select, create = node.selectStmt, self.effects.definitions.get(table)
        if create is None or not isinstance(select, ast.SelectStmt) or node.onConflictClause is not None:
            return
        read = sorted({relation(rv) for rv in tree.walk(select) if isinstance(rv, ast.RangeVar)})
        if not any(self.effects.existing(t) for t in read):
            return  # the rehearsal meets the same rows
        order = self.effects.created[table][0]
        width = _width(select)
        names = [str(t.name) for t in node.cols or ()] or order[: width or 0]
        source = sql_of(select)
        self._query(table, f"the SELECT of the INSERT into {table}", source, read)
        if not names:
            return
        rows = f"FROM ({source}) n({', '.join(ident(c) for c in names)})"
        shape = table_shape(create)
        what = f"the rows the INSERT adds to {table}"
        changed = [t for t in read if t in self.effects.written()] or list(self.effects.seeded.get(table, ()))[:1]
        more = {"unknown": "earlier pending statements write the rows it reads or adds to"} if changed else {}
        for keys in shape.unique:
            if all(k in names for k in keys):
                present = " AND ".join(f"{ident(k)} IS NOT NULL" for k in keys)
                group = f"{rows} WHERE {present} GROUP BY {', '.join(ident(k) for k in keys)} HAVING count(*) > 1"
                find = f"SELECT {', '.join(ident(k) for k in keys)}, count(*) {group}"
                self.add(
                    table,
                    f"{what}, against UNIQUE ({', '.join(keys)})",
                    "23505",
                    count_sql=bounded(group),
                    find_sql=find,
                    **more,
                )
        nulls = [f"{ident(c)} IS NULL" for c in shape.not_null if c in names]
        nulls += ["true"] if any(c not in names and c not in shape.defaulted for c in shape.not_null) else []
        checks = [f"NOT coalesce(({e}), true)" for e, used in shape.checks if set(used) <= set(names)]
        if nulls or checks:
            self.add(
                table,
                f"{what}, against its NOT NULL and CHECK constraints",
                "23502 or 23514",
                f"{rows} WHERE {' OR '.join(nulls + checks)}",
                **more,
            )
