"""Which pending statements depend on the rows already in a live table, and the bounded queries that ask the
live database whether they would fail (pure: pglast's tree in, :class:`Check` values out).

The throwaway database has the schema but not the rows, so a statement that succeeds there may still fail on
the live project: ``ADD COLUMN ... NOT NULL`` without a default (23502), ``SET NOT NULL`` (23502), a UNIQUE
constraint, primary key or unique index (23505), a new column with a default under a UNIQUE or PRIMARY KEY
(every row gets the same value: 23505), a FOREIGN KEY (23503) or CHECK (23514) added valid or validated later
in the pending migrations, a column type change and its USING expression (22xxx).

The statements are read in the order ``db.apply`` runs them, and what the earlier ones do to the live rows
(:mod:`.effects`) tells which answers still hold. Each query counts at most :data:`CAP` + 1 rows and never
returns a row's values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pglast import ast, enums

from ..history.migrations import Migration
from ..lint import tree
from .effects import Doubts, Effects, constraints, do_statements, has_default
from .names import columns, ident, relation, schema_of, sql_of
from .rowchecks import MoreChecks
from .rowsql import CAP, LOCKED_CAP, RESOLVED, Reads, bounded, constraint_rows_sql, literal, primary_key_match_sql
from .writechecks import WriteChecks, alias_of

__all__ = ["CAP", "LOCKED_CAP", "RESOLVED", "Check", "derive"]

#: The first server version with ``pg_input_is_valid`` (PostgreSQL 16).
INPUT_IS_VALID = 160000
_TEXT_TYPES = "('text'::regtype, 'character varying'::regtype, 'character'::regtype)"
_CHAR_TYPES = ("varchar", "bpchar", "char", "character", "character varying")
_AT = enums.AlterTableType
_ON_A_TABLE = (ast.AlterTableStmt, ast.IndexStmt, ast.UpdateStmt, ast.DeleteStmt, ast.InsertStmt)
_CT = enums.ConstrType
_NO_READS = Reads()


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
    doubts: Doubts = field(default_factory=Doubts)  # why an answer would not hold after the earlier pending statements
    #: A SQL expression the live database evaluates into the part of ``count_sql`` written RESOLVED (the
    #: primary key a foreign key references, an applied constraint's definition).
    resolve: str = ""
    #: True: not a question with a wrong answer but how many live rows an UPDATE or DELETE locks to COMMIT.
    counts_locks: bool = False


class _Deriver(MoreChecks, WriteChecks):
    """Walk the pending statements in order, following their effects, and make the checks."""

    def __init__(self, live: frozenset[str], server_version: int) -> None:
        self.effects = Effects(live)
        self.server_version = server_version
        self.checks: list[Check] = []
        self.version, self.index = "", 0
        self.type_doubt = ""  # the statement uses a type the pending migrations make or change

    def add(self, table: str, what: str, sqlstate: str, body: str = "", reads: Reads = _NO_READS, **more: Any) -> None:
        """Add a check of ``table``: ``body`` is the FROM ... WHERE of the offending rows."""
        doubts = self.effects.doubts(table, reads.columns, reads.parent, reads.parent_columns)
        if doubts.either and "unknown" not in more:
            more["unknown"] = doubts.either
        if self.type_doubt and "unknown" not in more:
            more["unknown"] = self.type_doubt
        counted = {"count_sql": bounded(body), "find_sql": f"SELECT count(*) {body}"} if body else {}
        fields: dict[str, Any] = {**counted, **more, "doubts": doubts}
        self.checks.append(Check(self.version, self.index, table, what, sqlstate, **fields))

    def statement(self, node: Any, label: str) -> None:
        """Make the checks of one statement, then record what it does to the rows."""
        self.type_doubt = self.effects.pending_objects(node)
        rv = getattr(node, "relation", None) if isinstance(node, _ON_A_TABLE) else None
        if rv is not None and self.effects.existing(relation(rv)):
            self._on_table(self.effects.live_name(relation(rv)), node)
        elif isinstance(node, ast.AlterTableStmt) and rv is not None:
            for cmd in node.cmds or ():
                if cmd.subtype == _AT.AT_AttachPartition:
                    self._attach(self.effects.live_name(relation(rv)), cmd)
        elif isinstance(node, ast.AlterDomainStmt):
            self._domain(node)
        elif isinstance(node, ast.InsertStmt) and rv is not None:
            self._into_new(self.effects.live_name(relation(rv)), node)
        elif isinstance(node, ast.CreateTableAsStmt) and node.into is not None and not node.into.skipData:
            read = sorted({relation(r) for r in tree.walk(node.query) if isinstance(r, ast.RangeVar)})
            self._query(relation(node.into.rel), f"the query of {relation(node.into.rel)}", sql_of(node.query), read)
        elif isinstance(node, ast.AlterSeqStmt) and node.sequence is not None:
            self._sequence(relation(node.sequence), node)
        elif isinstance(node, ast.DoStmt):
            inner, opaque = do_statements(node)
            for statement in inner:
                self.statement(statement, label)
            if opaque:
                self.effects.opaque = self.effects.opaque or label
        self.effects.record(node, label)

    def _on_table(self, table: str, node: Any) -> None:
        """Make the checks of a statement on a live table with rows."""
        if isinstance(node, ast.AlterTableStmt):
            for cmd in node.cmds or ():
                self._alter(table, cmd)
                self.effects.alter(table, cmd)  # the next command of the statement meets it
        elif isinstance(node, ast.IndexStmt):
            self._index(table, node)
        elif isinstance(node, ast.UpdateStmt) and not node.fromClause:
            self._update(table, node)
            self._update_rows(table, node)
            self._locked(table, "UPDATE", node)
        elif isinstance(node, ast.DeleteStmt) and not node.usingClause:
            self._delete_rows(table, node)
            self._locked(table, "DELETE", node)
        elif isinstance(node, ast.InsertStmt):
            self._insert(table, node)

    def _index(self, table: str, node: Any) -> None:
        """Check a unique index for duplicates, and an index's expressions on every live row."""
        params = list(node.indexParams or ())
        where = sql_of(node.whereClause) if node.whereClause is not None else ""
        what = str(node.idxname or ("the unique index" if node.unique else "the index"))
        expressions = [f"({sql_of(e.expr)})" for e in params if e.expr is not None]
        if expressions:
            filtered = f"FROM {table}" + (f" WHERE {where}" if where else "")
            probe = f"SELECT count(ROW({', '.join(expressions)})) {filtered}"
            read = sorted({c for e in params for c in columns(e.expr)})
            self.add(table, f"the expressions of {what}", "22xxx", reads=Reads(read), probe_sql=probe, find_sql=probe)
        if node.unique:
            keys = [ident(e.name) if e.name else f"({sql_of(e.expr)})" for e in params]
            read = sorted({str(e.name) for e in params if e.name} | {c for e in params for c in columns(e.expr)})
            self._unique(table, what, keys, read, where, bool(node.nulls_not_distinct))

    def _update(self, table: str, node: Any) -> None:
        """Evaluate an UPDATE's new values on the live rows it matches (a cast may fail on some)."""
        values = [t.val for t in node.targetList or () if isinstance(t, ast.ResTarget) and t.val is not None]
        if not values or all(isinstance(v, (ast.A_Const, ast.SetToDefault)) for v in values):
            return
        where = f" WHERE {sql_of(node.whereClause)}" if node.whereClause is not None else ""
        source = f"{table} {alias_of(node)}".rstrip()
        probe = f"SELECT count(ROW({', '.join(f'({sql_of(v)})' for v in values)})) FROM {source}{where}"
        read = sorted({c for v in values for c in columns(v)} | set(columns(node.whereClause)))
        self.add(
            table,
            f"the new values of the UPDATE of {table}",
            "22xxx",
            reads=Reads(read),
            probe_sql=probe,
            find_sql=probe,
        )

    def _locked(self, table: str, verb: str, node: Any) -> None:
        """Count the live rows an UPDATE or DELETE locks until COMMIT (writers of those rows wait)."""
        where = node.whereClause
        body = f"FROM {f'{table} {alias_of(node)}'.rstrip()}" + (f" WHERE {sql_of(where)}" if where is not None else "")
        read = columns(where) if where is not None else []
        count = bounded(body, LOCKED_CAP)
        what = f"the {verb} of {table}"
        self.add(
            table, what, "", reads=Reads(read), count_sql=count, find_sql=f"SELECT count(*) {body}", counts_locks=True
        )

    def _alter(self, table: str, cmd: Any) -> None:
        definition = cmd.def_
        if cmd.subtype == _AT.AT_AttachPartition:
            self._attach(table, cmd)
        if cmd.subtype == _AT.AT_AddColumn and isinstance(definition, ast.ColumnDef):
            self._add_column(table, definition)
        elif cmd.subtype == _AT.AT_SetNotNull and cmd.name:
            self._not_null(table, [cmd.name], f"NOT NULL on {table}.{ident(cmd.name)}")
        elif cmd.subtype == _AT.AT_AddConstraint and isinstance(definition, ast.Constraint):
            if definition.contype == _CT.CONSTR_PRIMARY and definition.indexname:
                what = f"NOT NULL of the primary key {ident(str(definition.conname or definition.indexname))}"
                self._primary_key_using_index(table, schema_of(table), str(definition.indexname), what)
            elif not definition.skip_validation:
                self._constraint(table, definition)
        elif cmd.subtype == _AT.AT_ValidateConstraint and cmd.name:
            found = self.effects.not_valid.get((table, cmd.name))
            if found is None:
                self._validate_live(table, str(cmd.name))
            else:
                self._constraint(table, found)
        elif cmd.subtype == _AT.AT_AlterColumnType and isinstance(definition, ast.ColumnDef) and cmd.name:
            self._type(table, cmd.name, definition)

    def _add_column(self, table: str, definition: Any) -> None:
        column = f"{table}.{ident(str(definition.colname))}"
        self._new_column(table, definition)
        kinds = {c.contype for c in constraints(definition)}
        generated = [c.raw_expr for c in constraints(definition) if c.contype == _CT.CONSTR_GENERATED]
        if generated and generated[0] is not None:
            probe = f"SELECT count(({sql_of(generated[0])})) FROM {table}"
            what = f"the generated column {column}"
            self.add(table, what, "22xxx", reads=Reads(columns(generated[0])), probe_sql=probe, find_sql=probe)
        if kinds & {_CT.CONSTR_NOTNULL, _CT.CONSTR_PRIMARY} and not has_default(definition):
            self.add(table, f"NOT NULL on the new column {column}, which has no default", "23502", f"FROM {table}")
        elif kinds & {_CT.CONSTR_UNIQUE, _CT.CONSTR_PRIMARY} and _same_default(definition):
            what = f"UNIQUE on the new column {column}, whose default gives every row the same value"
            group = f"FROM {table} GROUP BY true HAVING count(*) > 1"
            self.add(table, what, "23505", count_sql=bounded(group), find_sql=f"SELECT count(*) FROM {table}")

    def _added(self, table: str, names: Sequence[str]) -> list[str]:
        return [c for c in names if (table, c) in self.effects.added]

    def _not_null(self, table: str, names: Sequence[str], what: str) -> None:
        added = self._added(table, names)
        if any(not self.effects.added[(table, c)] for c in added):
            self.add(table, f"{what} (added by a pending migration without a default)", "23502", f"FROM {table}")
            return
        rest = [c for c in names if c not in added and (table, c) not in self.effects.filled]
        if rest:
            nulls = " OR ".join(f"{ident(c)} IS NULL" for c in rest)
            self.add(table, what, "23502", f"FROM {table} WHERE {nulls}", Reads(rest))

    def _constraint(self, table: str, c: Any) -> None:
        name = str(c.conname or "")
        if c.contype == _CT.CONSTR_CHECK and c.raw_expr is not None:
            expr, read = sql_of(c.raw_expr), columns(c.raw_expr)
            what, added = name or f"CHECK ({expr}) on {table}", self._added(table, read)
            if added:
                self._check_added(table, what, expr, read, added)
            else:
                self.add(table, what, "23514", f"FROM {table} WHERE NOT ({expr})", Reads(read))
        elif c.contype in (_CT.CONSTR_UNIQUE, _CT.CONSTR_PRIMARY) and not c.indexname:
            keys = [str(k.sval) for k in c.keys or ()]
            if c.contype == _CT.CONSTR_PRIMARY:
                self._not_null(table, keys, f"NOT NULL of the primary key ({', '.join(keys)}) of {table}")
            what = name or f"UNIQUE ({', '.join(keys)}) on {table}"
            self._unique(table, what, [ident(k) for k in keys], keys, "", bool(c.nulls_not_distinct))
        elif c.contype == _CT.CONSTR_FOREIGN and c.pktable is not None:
            self._foreign_key(table, c)
        elif c.contype == _CT.CONSTR_EXCLUSION:
            self._exclusion(table, c)

    def _unique(self, table: str, what: str, keys: list[str], read: list[str], where: str, nulls_equal: bool) -> None:
        added = self._added(table, read)
        lateral = self._lateral(table, added, "mt_n") if added else ""
        if lateral is None:
            self.add(table, what, "23505", unknown=f"its key reads {', '.join(added)}, added by a pending migration")
            return
        filters = [f"({where})"] if where else []
        filters += [] if nulls_equal else [f"{k} IS NOT NULL" for k in keys]
        body = f"FROM {table}{lateral}" + (" WHERE " + " AND ".join(filters) if filters else "")
        group = f"{body} GROUP BY {', '.join(keys)} HAVING count(*) > 1"
        find = f"SELECT {', '.join(keys)}, count(*) {group}"
        self.add(table, what, "23505", reads=Reads(read), count_sql=bounded(group), find_sql=find)

    def _foreign_key(self, table: str, c: Any) -> None:
        parent = relation(c.pktable)
        what = str(c.conname or f"FOREIGN KEY on {table} to {parent}")
        fks = [str(k.sval) for k in c.fk_attrs or ()]
        pks = [str(k.sval) for k in c.pk_attrs or ()]
        if not fks:
            return
        if self._added(table, fks):  # a new column is NULL or its default on every live row
            self._added_foreign_key(table, what, c, fks, pks)
            return
        if c.fk_matchtype == "f" and len(fks) > 1:
            self._match_full(table, what, fks)
        present = " AND ".join(f"c.{ident(k)} IS NOT NULL" for k in fks)
        reads = Reads(fks, parent, pks)
        if not self.effects.existing(parent):
            seeded = self._seeded(parent, pks, fks)
            if seeded is None:
                self.add(
                    table, what, "23503", reads=reads, unknown=f"the rows {parent} is seeded with are not followed"
                )
            else:
                self.add(table, what, "23503", f"FROM {table} c WHERE {present}{seeded}", reads)
            return
        if not pks:  # the referenced table's primary key, as the live catalog has it
            body = f"FROM {table} c WHERE {present} AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {RESOLVED})"
            find = body.replace(RESOLVED, f"p.<primary key> = c.{ident(fks[0])}")
            count = bounded(body)
            resolve = primary_key_match_sql(parent, fks)
            self.add(
                table, what, "23503", reads=reads, count_sql=count, find_sql=f"SELECT count(*) {find}", resolve=resolve
            )
            return
        match = " AND ".join(f"p.{ident(p)} = c.{ident(f)}" for p, f in zip(pks, fks))
        missing = f"NOT EXISTS (SELECT 1 FROM {parent} p WHERE {match})"
        self.add(table, what, "23503", f"FROM {table} c WHERE {present} AND {missing}", reads)

    def _seeded(self, parent: str, pks: list[str], fks: list[str]) -> str | None:
        """Return `` AND (c.fk) NOT IN (VALUES ...)`` of a new table's seed ("": no seed; None: not followed)."""
        keys = pks or self.effects.primary_key(parent)
        seed = self.effects.seeded.get(parent, [])
        if not seed:
            return ""
        if len(keys) != len(fks) or len(seed) > CAP or any(k not in row for row in seed for k in keys):
            return None
        values = ", ".join("(" + ", ".join(row[k] for k in keys) + ")" for row in seed)
        return f" AND ({', '.join(f'c.{ident(f)}' for f in fks)}) NOT IN (VALUES {values})"

    def _validate_live(self, table: str, name: str) -> None:
        """Check a constraint an applied migration added NOT VALID, from its definition in the live catalog."""
        what = ident(name)
        count = bounded(RESOLVED)
        find = (
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
            f" WHERE conrelid = {literal(table)}::regclass AND conname = {literal(name)}"
        )
        updated = [c for t, c in self.effects.updated if t == table]
        self.add(
            table,
            what,
            "23514 or 23503",
            reads=Reads(updated),
            count_sql=count,
            find_sql=find,
            resolve=constraint_rows_sql(table, name),
        )

    def _type(self, table: str, column: str, definition: Any) -> None:
        if self._added(table, [column]):
            return
        target = sql_of(definition.typeName)
        what = f"the cast of {table}.{ident(column)} to {target}"
        using = definition.raw_default
        reads = Reads([column, *([] if using is None else columns(using))])
        if self._pending_type(table, column, definition, reads) or self._char_length(table, column, definition, reads):
            return
        source = ident(column) if using is None else _cast_source(using, target)
        expr = f"CAST({ident(column)} AS {target})" if using is None else f"CAST(({sql_of(using)}) AS {target})"
        probe = f"SELECT count({expr}) FROM {table}"
        if source is None or self.server_version < INPUT_IS_VALID:
            self.add(table, what, "22xxx", reads=reads, probe_sql=probe, find_sql=f"SELECT {expr} FROM {table}")
            return
        literal = "'" + target.replace("'", "''") + "'"
        invalid = f"FROM {table} WHERE {source} IS NOT NULL AND NOT pg_input_is_valid({source}::text, {literal})"
        text = f"pg_catalog.pg_typeof({source}) IN {_TEXT_TYPES}"  # else the cast is not the type's text input
        count = bounded(invalid.replace(" AND NOT pg_input", f" AND {text} AND NOT pg_catalog.pg_input"))
        self.add(
            table, what, "22xxx", reads=reads, count_sql=count, find_sql=f"SELECT count(*) {invalid}", probe_sql=probe
        )

    def run(self, pending: Sequence[Migration]) -> list[Check]:
        """Return the checks of every pending statement, in order."""
        for migration in pending:
            for index, st in enumerate(migration.statements):
                self.version, self.index = migration.version, index
                node = tree.parse(st.text)
                if node is not None:
                    self.statement(node, f"{migration.path.name} [{index + 1}]")
        return self.checks


def _same_default(column: Any) -> bool:
    """Return True when a new column's default is one constant for every row (not serial, identity, now())."""
    defaults = [c.raw_expr for c in constraints(column) if c.contype == _CT.CONSTR_DEFAULT]
    defaults += [column.raw_default] if column.raw_default is not None else []
    return any(isinstance(d, ast.A_Const) and not d.isnull for d in defaults)


def _cast_source(using: Any, target: str) -> str | None:
    """Return the column a USING expression casts to the target type (``amount::int``), else None."""
    if isinstance(using, ast.TypeCast) and sql_of(using.typeName) == target and isinstance(using.arg, ast.ColumnRef):
        return sql_of(using.arg)
    return None


def derive(pending: Sequence[Migration], live: frozenset[str], server_version: int) -> list[Check]:
    """Return the data checks of the pending migrations (see the module docstring)."""
    return _Deriver(live, server_version).run(pending)
