"""Which pending statements depend on the rows already in a live table, and the bounded queries that ask the
live database whether they would fail (pure: pglast's tree in, :class:`Check` values out).

The throwaway database has the schema but not the rows, so a statement that succeeds there may still fail on
the live project: ``ADD COLUMN ... NOT NULL`` without a default (23502), ``SET NOT NULL`` (23502), a UNIQUE
constraint, primary key or unique index (23505), a FOREIGN KEY (23503) or CHECK (23514) added valid or
validated later in the pending migrations, a column type change and its USING expression (22xxx).

The statements are read in the order ``db.apply`` runs them, so the earlier pending ones are taken into
account where their effect is known: a table they create (or truncate) is empty, a column they add without a
default is NULL. Where it is not known (an INSERT, UPDATE or DELETE, a ``DO`` block, a table created from a
query), the check says so and is "unknown", never "passes". Each query counts at most :data:`CAP` + 1 rows
and never returns a row's values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pglast import ast, enums
from pglast.keywords import COL_NAME_KEYWORDS, RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS
from pglast.stream import RawStream

from ..history.migrations import Migration
from ..lint import tree

#: The most offending rows a check counts: "more than 1,000" beyond it.
CAP = 1000
#: The first server version with ``pg_input_is_valid`` (PostgreSQL 16).
INPUT_IS_VALID = 160000
_SERIALS = {"serial", "serial2", "serial4", "serial8", "smallserial", "bigserial"}
_TEXT_TYPES = "('text'::regtype, 'character varying'::regtype, 'character'::regtype)"
_AT = enums.AlterTableType
_CT = enums.ConstrType


#: Words PostgreSQL does not take as a bare identifier everywhere: quoted, as ``format('%I')`` does.
_KEYWORDS = frozenset(RESERVED_KEYWORDS | COL_NAME_KEYWORDS | TYPE_FUNC_NAME_KEYWORDS)


def ident(name: str) -> str:
    """Quote an identifier as PostgreSQL prints it (``todos``, ``"Todo"``, ``"user"``)."""
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) and name not in _KEYWORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


def relation(rv: Any) -> str:
    """Return a RangeVar's name as the catalog prints it (``public.todos``)."""
    return f"{ident(rv.schemaname or tree.DEFAULT_SCHEMA)}.{ident(rv.relname)}"


def sql_of(node: Any) -> str:
    """Return a syntax tree node as SQL text."""
    return str(RawStream()(node))


@dataclass(frozen=True)
class Check:
    """One question to the live rows about one pending statement."""

    version: str
    index: int  # the statement, 0-based in its migration
    table: str
    what: str  # "items_qty_small", "NOT NULL on public.todos.priority"...
    sqlstate: str  # what db.apply would fail with
    count_sql: str = ""  # counts the offending rows, at most CAP + 1
    find_sql: str = ""  # what a user runs to find them (never run by db.plan)
    probe_sql: str = ""  # evaluates every row; an error of class 22 or 23 means the statement fails
    unknown: str = ""  # why it cannot be asked at all


@dataclass
class _State:
    """What the earlier pending statements did to the live tables, as far as it is known."""

    live: frozenset[str]
    empty: set[str] = field(default_factory=set)  # created or truncated: no rows
    changed: dict[str, str] = field(default_factory=dict)  # rows changed by a statement we cannot follow
    opaque: str = ""  # a DO block or CALL: any table may have changed
    added: dict[tuple[str, str], bool] = field(default_factory=dict)  # (table, column) -> has a default
    not_valid: dict[tuple[str, str], Any] = field(default_factory=dict)  # (table, name) -> Constraint


def _bounded(body: str) -> str:
    return f"SELECT count(*) FROM (SELECT 1 {body} LIMIT {CAP + 1}) s"


def _columns(node: Any) -> set[str]:
    """Return the column names an expression refers to (last part of each reference)."""
    names: set[str] = set()
    for item in tree.walk(node):
        if isinstance(item, ast.ColumnRef):
            parts = [p.sval for p in item.fields or () if isinstance(p, ast.String)]
            if parts:
                names.add(str(parts[-1]))
    return names


class _Deriver:
    """Walk the pending statements in order, keeping :class:`_State`, and make the checks."""

    def __init__(self, live: frozenset[str], server_version: int) -> None:
        self.state = _State(live)
        self.server_version = server_version
        self.checks: list[Check] = []
        self.version, self.index, self.label = "", 0, ""

    def add(self, table: str, what: str, sqlstate: str, body: str = "", **more: str) -> None:
        """Add a check of ``table`` (or the reason it cannot be asked)."""
        unknown = self._unknown(table)
        if unknown:
            self.checks.append(Check(self.version, self.index, table, what, sqlstate, unknown=unknown))
            return
        counted = {"count_sql": _bounded(body), "find_sql": f"SELECT count(*) {body}"} if body else {}
        self.checks.append(Check(self.version, self.index, table, what, sqlstate, **{**counted, **more}))

    def _unknown(self, table: str) -> str:
        if self.state.opaque:
            return f"{self.state.opaque} may have changed the rows"
        if table in self.state.changed:
            return f"{self.state.changed[table]} changed the rows of {table}"
        return ""

    def existing(self, table: str) -> bool:
        """Return True when ``table`` holds live rows the statement meets (not new, not emptied)."""
        return table in self.state.live and table not in self.state.empty

    def statement(self, node: Any) -> None:
        """Make the checks of one statement, then record what it does to the rows."""
        if isinstance(node, ast.AlterTableStmt) and node.relation is not None:
            table = relation(node.relation)
            for cmd in node.cmds or ():
                if self.existing(table):
                    self._alter(table, cmd)
                self._record_alter(table, cmd)
        elif isinstance(node, ast.IndexStmt) and node.unique and node.relation is not None:
            table = relation(node.relation)
            if self.existing(table):
                keys = [ident(e.name) if e.name else f"({sql_of(e.expr)})" for e in node.indexParams or ()]
                where = sql_of(node.whereClause) if node.whereClause is not None else ""
                self._unique(table, node.idxname or "the unique index", keys, where, bool(node.nulls_not_distinct))
        self._record(node)

    def _record(self, node: Any) -> None:
        state = self.state
        if isinstance(node, ast.CreateStmt) and node.relation is not None:
            state.empty.add(relation(node.relation))
            state.changed.pop(relation(node.relation), None)
        elif isinstance(node, ast.CreateTableAsStmt) and node.into is not None:
            state.changed[relation(node.into.rel)] = self.label
        elif isinstance(node, ast.TruncateStmt):
            for rv in node.relations or ():
                state.empty.add(relation(rv))
                state.changed.pop(relation(rv), None)
        elif isinstance(node, (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt)) and node.relation is not None:
            state.empty.discard(relation(node.relation))
            state.changed[relation(node.relation)] = self.label
        elif isinstance(node, (ast.DoStmt, ast.CallStmt)):
            state.opaque = self.label

    def _record_alter(self, table: str, cmd: Any) -> None:
        definition = cmd.def_
        if cmd.subtype == _AT.AT_AddColumn and isinstance(definition, ast.ColumnDef):
            self.state.added[(table, str(definition.colname))] = _has_default(definition)
        elif cmd.subtype == _AT.AT_AddConstraint and _not_valid(definition):
            self.state.not_valid[(table, str(definition.conname))] = definition

    def _alter(self, table: str, cmd: Any) -> None:
        definition = cmd.def_
        if cmd.subtype == _AT.AT_AddColumn and isinstance(definition, ast.ColumnDef):
            if _not_null(definition) and not _has_default(definition):
                what = f"NOT NULL on the new column {table}.{ident(str(definition.colname))}, which has no default"
                self.add(table, what, "23502", f"FROM {table}")
        elif cmd.subtype == _AT.AT_SetNotNull and cmd.name:
            self._not_null(table, [cmd.name], f"NOT NULL on {table}.{ident(cmd.name)}")
        elif cmd.subtype == _AT.AT_AddConstraint and isinstance(definition, ast.Constraint):
            if not definition.skip_validation:
                self._constraint(table, definition)
        elif cmd.subtype == _AT.AT_ValidateConstraint and cmd.name:
            found = self.state.not_valid.get((table, cmd.name))
            if found is None:
                what = f"VALIDATE CONSTRAINT {ident(cmd.name)} on {table}"
                self.add(table, what, "23514", unknown="its definition is in an applied migration: not checked")
            else:
                self._constraint(table, found)
        elif cmd.subtype == _AT.AT_AlterColumnType and isinstance(definition, ast.ColumnDef) and cmd.name:
            self._type(table, cmd.name, definition)

    def _added(self, table: str, columns: Sequence[str]) -> list[str]:
        return [c for c in columns if (table, c) in self.state.added]

    def _not_null(self, table: str, columns: Sequence[str], what: str) -> None:
        added = self._added(table, columns)
        if any(not self.state.added[(table, c)] for c in added):
            self.add(table, f"{what} (added by a pending migration without a default)", "23502", f"FROM {table}")
            return
        rest = [c for c in columns if c not in added]
        if rest:
            self.add(table, what, "23502", f"FROM {table} WHERE " + " OR ".join(f"{ident(c)} IS NULL" for c in rest))

    def _constraint(self, table: str, c: Any) -> None:
        name = c.conname or ""
        if c.contype == _CT.CONSTR_CHECK and c.raw_expr is not None:
            expr = sql_of(c.raw_expr)
            what = name or f"CHECK ({expr}) on {table}"
            added = self._added(table, sorted(_columns(c.raw_expr)))
            if added:
                self.add(table, what, "23514", unknown=f"it reads {', '.join(added)}, added by a pending migration")
            else:
                self.add(table, what, "23514", f"FROM {table} WHERE NOT ({expr})")
        elif c.contype in (_CT.CONSTR_UNIQUE, _CT.CONSTR_PRIMARY) and not c.indexname:
            keys = [str(k.sval) for k in c.keys or ()]
            if c.contype == _CT.CONSTR_PRIMARY:
                self._not_null(table, keys, f"NOT NULL of the primary key ({', '.join(keys)}) of {table}")
            self._unique(table, name or f"UNIQUE ({', '.join(keys)}) on {table}", [ident(k) for k in keys], "")
        elif c.contype == _CT.CONSTR_FOREIGN and c.pktable is not None:
            self._foreign_key(table, c)

    def _unique(self, table: str, what: str, keys: list[str], where: str, nulls_equal: bool = False) -> None:
        plain = [k.strip('"') for k in keys if not k.startswith("(")]
        if self._added(table, plain):
            self.add(table, what, "23505", unknown=f"its key has {', '.join(plain)}, added by a pending migration")
            return
        filters = [f"({where})"] if where else []
        filters += [] if nulls_equal else [f"{k} IS NOT NULL" for k in keys]
        body = f"FROM {table}" + (" WHERE " + " AND ".join(filters) if filters else "")
        group = f"{body} GROUP BY {', '.join(keys)} HAVING count(*) > 1"
        find = f"SELECT {', '.join(keys)}, count(*) {group}"
        self.add(table, what, "23505", count_sql=_bounded(group), find_sql=find)

    def _foreign_key(self, table: str, c: Any) -> None:
        parent = relation(c.pktable)
        what = c.conname or f"FOREIGN KEY on {table} to {parent}"
        fks = [str(k.sval) for k in c.fk_attrs or ()]
        pks = [str(k.sval) for k in c.pk_attrs or ()]
        if self._added(table, fks):
            return  # a new column is NULL (or its default, which the rehearsal does not see either)
        present = " AND ".join(f"c.{ident(k)} IS NOT NULL" for k in fks)
        if parent not in self.state.live or parent in self.state.empty:
            self.add(table, what, "23503", f"FROM {table} c WHERE {present}")
            return
        if not pks or len(pks) != len(fks):
            self.add(table, what, "23503", unknown="the referenced columns are not named")
            return
        match = " AND ".join(f"p.{ident(p)} = c.{ident(f)}" for p, f in zip(pks, fks))
        missing = f"NOT EXISTS (SELECT 1 FROM {parent} p WHERE {match})"
        self.add(table, what, "23503", f"FROM {table} c WHERE {present} AND {missing}")

    def _type(self, table: str, column: str, definition: Any) -> None:
        target = sql_of(definition.typeName)
        what = f"the cast of {table}.{ident(column)} to {target}"
        if self._added(table, [column]):
            return
        using = definition.raw_default
        source = ident(column) if using is None else _cast_source(using, target)
        expr = f"CAST({ident(column)} AS {target})" if using is None else f"CAST(({sql_of(using)}) AS {target})"
        probe = f"SELECT count({expr}) FROM {table}"
        if source is None or self.server_version < INPUT_IS_VALID:
            self.add(table, what, "22000", probe_sql=probe, find_sql=f"SELECT {expr} {f'FROM {table}'}")
            return
        literal = "'" + target.replace("'", "''") + "'"
        body = (
            f"FROM {table} WHERE {source} IS NOT NULL AND pg_catalog.pg_typeof({source}) IN {_TEXT_TYPES}"
            f" AND NOT pg_catalog.pg_input_is_valid({source}::text, {literal})"
        )
        self.add(table, what, "22000", body, probe_sql=probe)

    def run(self, pending: Sequence[Migration]) -> list[Check]:
        """Return the checks of every pending statement, in order."""
        for migration in pending:
            for index, st in enumerate(migration.statements):
                self.version, self.index = migration.version, index
                self.label = f"{migration.path.name} [{index + 1}]"
                node = tree.parse(st.text)
                if node is not None:
                    self.statement(node)
        return self.checks


def _has_default(column: Any) -> bool:
    """Return True when a new column gets a value on existing rows (default, identity, generated, serial)."""
    if column.raw_default is not None or column.identity not in (None, "", "\x00"):
        return True
    names = [p.sval for p in column.typeName.names or () if isinstance(p, ast.String)] if column.typeName else []
    if names and names[-1] in _SERIALS:
        return True
    kinds = {_CT.CONSTR_DEFAULT, _CT.CONSTR_IDENTITY, _CT.CONSTR_GENERATED}
    return any(c.contype in kinds and not _null(c.raw_expr) for c in _constraints(column))


def _not_valid(definition: Any) -> bool:
    """Return True for a named constraint added NOT VALID (a later VALIDATE checks it)."""
    return isinstance(definition, ast.Constraint) and bool(definition.skip_validation) and bool(definition.conname)


def _null(expr: Any) -> bool:
    return isinstance(expr, ast.A_Const) and bool(expr.isnull)


def _not_null(column: Any) -> bool:
    return any(c.contype in (_CT.CONSTR_NOTNULL, _CT.CONSTR_PRIMARY) for c in _constraints(column))


def _constraints(column: Any) -> Iterator[Any]:
    yield from (c for c in column.constraints or () if isinstance(c, ast.Constraint))


def _cast_source(using: Any, target: str) -> str | None:
    """Return the column a USING expression casts to the target type (``amount::int``), else None."""
    if isinstance(using, ast.TypeCast) and sql_of(using.typeName) == target and isinstance(using.arg, ast.ColumnRef):
        return sql_of(using.arg)
    return None


def derive(pending: Sequence[Migration], live: frozenset[str], server_version: int) -> list[Check]:
    """Return the data checks of the pending migrations (see the module docstring)."""
    return _Deriver(live, server_version).run(pending)
