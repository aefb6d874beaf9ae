"""What the earlier pending statements do to the live rows, as far as their syntax tree tells (pure).

A data check asks the live rows as they are now, but ``db.apply`` runs each statement after the pending
ones before it. Rows a migration writes into a table it creates are on the throwaway database too, so the
rehearsal sees them; what matters here is what happens to the rows already live:

* a table created or truncated by an earlier pending statement holds no live rows;
* a column added without a default is NULL on every live row;
* an ``INSERT`` adds rows: a check that passes on the live rows may fail after it (and an ``INSERT`` into a
  referenced table may give orphans their parent);
* a ``DELETE`` removes rows: a check that fails may pass after it;
* an ``UPDATE`` changes the columns it sets, either way; ``SET c = <constant> [WHERE c IS NULL]`` fills ``c``;
* a ``DO`` block's statements count as written (PL/pgSQL parsed by pglast); its ``EXECUTE`` of a string, a
  ``CALL``, or a block that cannot be parsed, may do anything.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pglast import ast, enums, parse_plpgsql

from ..lint import tree
from .names import ident as _ident
from .names import relation, sql_of

_AT = enums.AlterTableType
_OT = enums.ObjectType


@dataclass(frozen=True)
class Doubts:
    """Why a check's answer would not hold after the earlier pending statements ("" when it would)."""

    if_fails: str = ""  # rows were removed, or parents added: a failure may be gone
    if_passes: str = ""  # rows were added or parents removed: a pass may not hold
    either: str = ""  # the columns the check reads were changed, or anything may have been


@dataclass
class Effects:
    """The live tables, and what the pending statements read so far do to their rows."""

    live: frozenset[str]
    empty: set[str] = field(default_factory=set)
    opaque: str = ""
    inserted: dict[str, str] = field(default_factory=dict)
    deleted: dict[str, str] = field(default_factory=dict)
    updated: dict[tuple[str, str], str] = field(default_factory=dict)
    filled: set[tuple[str, str]] = field(default_factory=set)
    added: dict[tuple[str, str], bool] = field(default_factory=dict)  # (table, column) -> has a default
    not_valid: dict[tuple[str, str], Any] = field(default_factory=dict)  # (table, name) -> Constraint
    #: Tables created by the pending statements: their columns in order, and their primary key.
    created: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)
    #: Rows of constants inserted into a created table (a lookup table's seed): column -> SQL literal, per row.
    seeded: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    #: (table, column) -> (type, default as SQL, "NULL" for none) of a column added with a known value
    defaults: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    #: A table renamed (or moved to another schema) by a pending statement: its new name -> its live name.
    renamed: dict[str, str] = field(default_factory=dict)
    moved: set[str] = field(default_factory=set)  # live names no longer in use
    indexes: dict[str, list[str]] = field(default_factory=dict)  # an index made pending -> its columns
    partition_keys: dict[str, str] = field(default_factory=dict)  # a partitioned table made pending -> its key
    domains: set[str] = field(default_factory=set)  # domains made pending
    domain_checks: dict[tuple[str, str], Any] = field(default_factory=dict)  # (domain, name) -> NOT VALID check
    #: Types a pending statement makes or changes: an enum's labels (None: not followed), and the ones a live
    #: column was changed to.
    types: dict[str, list[str] | None] = field(default_factory=dict)
    types_on_live: set[str] = field(default_factory=set)
    definitions: dict[str, Any] = field(default_factory=dict)  # a table created pending -> its CREATE TABLE
    sequences: set[str] = field(default_factory=set)  # sequences created pending
    functions: set[str] = field(default_factory=set)  # functions created or replaced pending
    triggers: set[str] = field(default_factory=set)  # tables a pending migration gives a trigger

    def existing(self, table: str) -> bool:
        """Return True when ``table`` holds live rows the statement meets (not new, not emptied)."""
        if table in self.empty or (table in self.moved and table not in self.renamed):
            return False
        return self.renamed.get(table, table) in self.live

    def pending_objects(self, node: Any) -> str:
        """Return why a statement's checks cannot be asked of the live database ("" when they can): it uses a
        type or calls a function a pending migration makes or changes (the live one is another), or writes a
        table a pending migration gives a trigger."""
        types, calls = set(), set()
        for item in tree.walk(node):
            if isinstance(item, ast.TypeName):
                types.add(type_key(item))
            elif isinstance(item, ast.FuncCall):
                calls.add(_type_name(item.funcname))
        pending = sorted(types & set(self.types)) + sorted(calls & self.functions)
        if pending:
            return f"it uses {pending[0]}, which a pending migration makes or changes"
        target = getattr(node, "relation", None)
        written = isinstance(node, (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt)) and target is not None
        if written and self.live_name(relation(target)) in self.triggers:
            return f"a trigger a pending migration creates on {relation(target)} may change the rows it writes"
        return ""

    def live_name(self, table: str) -> str:
        """Return the name the live database knows a table by (its name before a pending rename)."""
        return self.renamed.get(table, table)

    def written(self) -> set[str]:
        """Return the tables whose rows the pending statements read so far write, empty or make."""
        updated = {t for t, _ in self.updated}
        return {*self.inserted, *self.deleted, *updated, *self.empty, *self.created, *self.seeded}

    def doubts(
        self, table: str, columns: Sequence[str], parent: str = "", parent_columns: Sequence[str] = ()
    ) -> Doubts:
        """Return why a check reading ``columns`` of ``table`` (and a referenced table's) may not hold."""
        if self.opaque:
            return Doubts(either=f"{self.opaque} may change any row")
        changed = [self.updated[(table, c)] for c in columns if (table, c) in self.updated]
        if parent:
            keys = parent_columns or [c for t, c in self.updated if t == parent]
            changed += [self.updated[(parent, c)] for c in keys if (parent, c) in self.updated]
        if changed:
            return Doubts(either=f"{changed[0]} updates the rows it reads")
        if_fails = self.deleted.get(table, "") or (self.inserted.get(parent, "") if parent else "")
        if_passes = self.inserted.get(table, "") or (self.deleted.get(parent, "") if parent else "")
        return Doubts(
            if_fails=f"{if_fails} changes the rows before it" if if_fails else "",
            if_passes=f"{if_passes} changes the rows before it" if if_passes else "",
        )

    def record(self, node: Any, label: str) -> None:
        """Note what one statement does to the rows."""
        if isinstance(node, ast.CreateStmt) and node.relation is not None:
            self._created(node)
        elif isinstance(node, ast.CreateTableAsStmt) and node.into is not None:
            self.inserted[relation(node.into.rel)] = label  # live rows the rehearsal does not have
        elif isinstance(node, ast.TruncateStmt):
            self.empty.update(self.live_name(relation(rv)) for rv in node.relations or ())
        elif isinstance(node, ast.InsertStmt) and node.relation is not None:
            seed = self._seed(node)
            if seed is None:
                self.inserted.setdefault(self.live_name(relation(node.relation)), label)
            else:
                self.seeded.setdefault(relation(node.relation), []).extend(seed)
        elif isinstance(node, ast.DeleteStmt) and node.relation is not None:
            self.deleted.setdefault(self.live_name(relation(node.relation)), label)
        elif isinstance(node, ast.UpdateStmt) and node.relation is not None:
            self._update(node, label)
        elif isinstance(node, ast.AlterTableStmt) and node.relation is not None:
            for cmd in node.cmds or ():
                self.alter(self.live_name(relation(node.relation)), cmd)
        elif isinstance(node, ast.CallStmt):
            self.opaque = self.opaque or label
        elif isinstance(node, (ast.MergeStmt, ast.CopyStmt)) and node.relation is not None:
            self._merged(node, label)
        else:
            self._record_more(node)

    def _merged(self, node: Any, label: str) -> None:
        """Note a MERGE (rows added, removed, their columns changed) or a COPY FROM (rows added)."""
        table = self.live_name(relation(node.relation))
        if isinstance(node, ast.CopyStmt):
            if node.is_from:
                self.inserted.setdefault(table, label)
            return
        self.inserted.setdefault(table, label)
        self.deleted.setdefault(table, label)
        for clause in node.mergeWhenClauses or ():
            for target in clause.targetList or ():
                if isinstance(target, ast.ResTarget) and target.name:
                    self.updated.setdefault((table, str(target.name)), label)

    def _created(self, node: Any) -> None:
        """Note a table a pending statement creates: empty, its columns, keys, partition key and definition."""
        table = relation(node.relation)
        self.empty.add(table)
        if node.partspec is not None:
            self.partition_keys[table] = ", ".join(
                _ident(str(e.name)) if e.name else f"({sql_of(e.expr)})" for e in node.partspec.partParams or ()
            )
        self.created[table] = _shape(node)
        self.definitions[table] = node
        self.seeded.pop(table, None)

    def _record_more(self, node: Any) -> None:
        """Note renames, indexes, partitioned tables and domains the later checks need."""
        if isinstance(node, (ast.RenameStmt, ast.AlterObjectSchemaStmt)) and node.relation is not None:
            kind = node.renameType if isinstance(node, ast.RenameStmt) else node.objectType
            if kind == _OT.OBJECT_TABLE and not getattr(node, "subname", None):
                old = relation(node.relation)
                schema = node.relation.schemaname or "public"
                new = (
                    relation(ast.RangeVar(schemaname=schema, relname=node.newname))
                    if isinstance(node, ast.RenameStmt)
                    else relation(ast.RangeVar(schemaname=node.newschema, relname=node.relation.relname))
                )
                if old in self.empty:
                    self.empty.add(new)
                self.renamed[new] = self.renamed.pop(old, old)
                self.moved.add(old)
        elif isinstance(node, ast.IndexStmt) and node.idxname and node.relation is not None:
            params = list(node.indexParams or ())
            if all(e.name for e in params):
                schema = node.relation.schemaname or "public"
                self.indexes[relation(ast.RangeVar(schemaname=schema, relname=node.idxname))] = [
                    str(e.name) for e in params
                ]
        elif isinstance(node, ast.CreateSeqStmt) and node.sequence is not None:
            self.sequences.add(relation(node.sequence))
        elif isinstance(node, ast.CreateFunctionStmt):
            self.functions.add(_type_name(node.funcname))
        elif isinstance(node, ast.CreateTrigStmt) and node.relation is not None:
            self.triggers.add(self.live_name(relation(node.relation)))
        else:
            self._record_type(node)

    def _record_type(self, node: Any) -> None:
        """Note a type a pending statement makes or changes: the live one, if any, is another."""
        if isinstance(node, ast.CreateDomainStmt):
            self.domains.add(_type_name(node.domainname))
            self.types[_type_name(node.domainname)] = None
        elif isinstance(node, ast.CreateEnumStmt):
            self.types[_type_name(node.typeName)] = [str(v.sval) for v in node.vals or ()]
        elif isinstance(node, (ast.AlterEnumStmt, ast.CreateRangeStmt)):
            self.types[_type_name(node.typeName)] = None
        elif isinstance(node, ast.CompositeTypeStmt) and node.typevar is not None:
            self.types[relation(node.typevar)] = None
        elif isinstance(node, ast.RenameStmt) and node.renameType in (_OT.OBJECT_TYPE, _OT.OBJECT_DOMAIN):
            names = node.object if isinstance(node.object, (list, tuple)) else getattr(node.object, "names", ())
            old = _type_name(names)
            self.types[old] = None
            self.types[_type_name([*list(names)[:-1], ast.String(sval=node.newname)])] = None

    def _seed(self, node: Any) -> list[dict[str, str]] | None:
        """Return the rows an INSERT ... VALUES of constants writes into a created table (None: not that)."""
        table = relation(node.relation)
        select = node.selectStmt
        if table not in self.created or not isinstance(select, ast.SelectStmt) or not select.valuesLists:
            return None
        names = [str(t.name) for t in node.cols or ()] or self.created[table][0]
        rows = []
        for values in select.valuesLists:
            if len(values) != len(names) or not all(_constant(v) for v in values):
                return None
            rows.append({name: sql_of(v) for name, v in zip(names, values)})
        return rows

    def primary_key(self, table: str) -> list[str]:
        """Return the primary key of a table the pending statements created ([]: unknown)."""
        return self.created.get(table, ([], []))[1]

    def _update(self, node: Any, label: str) -> None:
        table = self.live_name(relation(node.relation))
        for target in node.targetList or ():
            if not isinstance(target, ast.ResTarget) or not target.name:
                continue
            column = str(target.name)
            self.updated.setdefault((table, column), label)
            if _constant(target.val) and (node.whereClause is None or _is_null_of(node.whereClause, column)):
                self.filled.add((table, column))

    def alter(self, table: str, cmd: Any) -> None:
        """Note what one ALTER TABLE command does (called again for the whole statement: the same)."""
        definition = cmd.def_
        changed = cmd.subtype == _AT.AT_AlterColumnType and isinstance(definition, ast.ColumnDef)
        if changed and self.existing(table) and type_key(definition.typeName) in self.types:
            self.types_on_live.add(type_key(definition.typeName))
        if cmd.subtype == _AT.AT_AddColumn and isinstance(definition, ast.ColumnDef):
            self.added[(table, str(definition.colname))] = has_default(definition)
            value = plain_default(definition)
            if value is not None:
                self.defaults[(table, str(definition.colname))] = (sql_of(definition.typeName), value)
        elif cmd.subtype == _AT.AT_AddConstraint and _not_valid(definition):
            self.not_valid[(table, str(definition.conname))] = definition


def _shape(node: Any) -> tuple[list[str], list[str]]:
    """Return a CREATE TABLE's columns in order and its primary key columns."""
    names, key = [], []
    for element in node.tableElts or ():
        if isinstance(element, ast.ColumnDef):
            names.append(str(element.colname))
            if any(c.contype == _CT.CONSTR_PRIMARY for c in constraints(element)):
                key = [str(element.colname)]
        elif isinstance(element, ast.Constraint) and element.contype == _CT.CONSTR_PRIMARY:
            key = [str(k.sval) for k in element.keys or ()]
    return names, key


def do_statements(node: Any) -> tuple[list[Any], bool]:
    """Return the syntax trees of the SQL statements in a ``DO`` block, and whether it may do more."""
    body = next((str(a.arg.sval) for a in node.args or () if a.defname == "as"), None)
    language = next((str(a.arg.sval) for a in node.args or () if a.defname == "language"), "plpgsql")
    if body is None or language.lower() != "plpgsql":
        return [], True
    tag = "mt_body"
    while f"${tag}$" in body:
        tag += "_"
    try:
        parsed = parse_plpgsql(f"CREATE FUNCTION mt_do() RETURNS void LANGUAGE plpgsql AS ${tag}${body}${tag}$")
    except Exception:
        return [], True
    found: list[Any] = []
    opaque = False
    for kind, item in _walk(parsed):
        if kind in ("PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_call"):
            opaque = True
        elif kind == "PLpgSQL_stmt_execsql":
            query = item.get("sqlstmt", {}).get("PLpgSQL_expr", {}).get("query", "")
            statement = tree.parse(query)
            if statement is None:
                opaque = True
            else:
                found.append(statement)
    return found, opaque


def _walk(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key.startswith("PLpgSQL_stmt") and isinstance(item, dict):
                yield key, item
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _constant(value: Any) -> bool:
    """Return True for a non-NULL constant (``0``, ``''``, ``'x'::text``)."""
    if isinstance(value, ast.TypeCast):
        return _constant(value.arg)
    return isinstance(value, ast.A_Const) and not value.isnull


def _is_null_of(where: Any, column: str) -> bool:
    if not isinstance(where, ast.NullTest) or where.nulltesttype != enums.NullTestType.IS_NULL:
        return False
    ref = where.arg
    parts = [p.sval for p in getattr(ref, "fields", None) or () if isinstance(p, ast.String)]
    return isinstance(ref, ast.ColumnRef) and bool(parts) and parts[-1] == column


def _not_valid(definition: Any) -> bool:
    """Return True for a named constraint added NOT VALID (a later VALIDATE checks it)."""
    return isinstance(definition, ast.Constraint) and bool(definition.skip_validation) and bool(definition.conname)


_SERIALS = {"serial", "serial2", "serial4", "serial8", "smallserial", "bigserial"}
_CT = enums.ConstrType


def has_default(column: Any) -> bool:
    """Return True when a new column gets a value on existing rows (default, identity, generated, serial)."""
    if column.raw_default is not None or column.identity not in (None, "", "\x00"):
        return True
    names = [p.sval for p in column.typeName.names or () if isinstance(p, ast.String)] if column.typeName else []
    if names and names[-1] in _SERIALS:
        return True
    kinds = {_CT.CONSTR_DEFAULT, _CT.CONSTR_IDENTITY, _CT.CONSTR_GENERATED}
    return any(c.contype in kinds and not _null(c.raw_expr) for c in constraints(column))


def _null(expr: Any) -> bool:
    return isinstance(expr, ast.A_Const) and bool(expr.isnull)


def constraints(column: Any) -> Iterator[Any]:
    """Yield the constraints written on a column definition."""
    yield from (c for c in column.constraints or () if isinstance(c, ast.Constraint))


def plain_default(column: Any) -> str | None:
    """Return the value a new column gets on live rows as SQL ("NULL": none; None: identity, serial, generated)."""
    names = [p.sval for p in column.typeName.names or () if isinstance(p, ast.String)] if column.typeName else []
    kinds = {_CT.CONSTR_IDENTITY, _CT.CONSTR_GENERATED}
    if (names and names[-1] in _SERIALS) or column.identity not in (None, "", "\x00"):
        return None
    if any(c.contype in kinds for c in constraints(column)):
        return None
    defaults = [c.raw_expr for c in constraints(column) if c.contype == _CT.CONSTR_DEFAULT and c.raw_expr is not None]
    value = column.raw_default if column.raw_default is not None else (defaults[0] if defaults else None)
    return "NULL" if value is None else sql_of(value)


def _type_name(names: Any) -> str:
    """Return a type's (or function's) name as :func:`type_key` does, from its name parts."""
    parts = [str(n.sval) for n in names or () if isinstance(n, ast.String)]
    return ".".join(_ident(p) for p in (parts if len(parts) > 1 else ["public", *parts]))


def type_key(type_name: Any) -> str:
    """Return a TypeName as ``schema.name`` (an unqualified one in ``public``, where the pending ones go)."""
    return _type_name(getattr(type_name, "names", None))
