"""The data checks whose rows come from elsewhere than one column of the table a statement names (pure);
those of ``INSERT``, ``UPDATE`` and ``DELETE`` are in :mod:`.writechecks`.

* ``EXCLUDE`` constraints: live rows that conflict with another live row (23P01);
* ``ALTER DOMAIN ... ADD CONSTRAINT``, ``VALIDATE CONSTRAINT``, ``SET NOT NULL``: the live columns of that
  domain (23514, 23502);
* ``ATTACH PARTITION``: the partition's rows outside its bound, and the parent's default partition's rows
  inside it (23514);
* ``PRIMARY KEY USING INDEX`` (NULLs in its columns), ``MATCH FULL`` foreign keys (partly NULL keys), a new
  column's CHECK or FOREIGN KEY evaluated with its default on every live row, a CHECK over columns added
  earlier with their default, ``varchar(n)``/``char(n)`` narrowing (values too long), and a cast to a type
  the pending migrations make or change (a new enum's labels; else unknown).

Mixed into :class:`.datachecks._Deriver`, whose ``add``, ``effects`` and ``checks`` it uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pglast import ast, enums

from ..lint import tree
from .effects import constraints, plain_default, type_key
from .names import columns, ident, relation, sql_of
from .rowsql import (
    KEY,
    RESOLVED,
    Reads,
    bounded,
    domain_find_sql,
    domain_rows_sql,
    index_nulls_sql,
    other_partitions_sql,
    partition_rows_sql,
    primary_key_match_sql,
)

_CT = enums.ConstrType
_CHAR_TYPES = {"varchar", "bpchar"}
_SPECIAL = {"minvalue", "maxvalue"}


def _special(datum: Any) -> str:
    """Return "minvalue" or "maxvalue" for such a range bound datum, else ""."""
    fields = list(datum.fields or ()) if isinstance(datum, ast.ColumnRef) else []
    if len(fields) == 1:
        name = str(getattr(fields[0], "sval", ""))
        return name if name in _SPECIAL else ""
    return ""


def _range_side(datums: Sequence[Any], plain: str, open_end: str) -> str | None:
    """Return one side of a range bound over :data:`KEY` ("true": unbounded; None: not followed)."""
    kinds = [_special(d) for d in datums]
    if not any(kinds):
        return f"ROW({KEY}) {plain} ROW({', '.join(sql_of(d) for d in datums)})"
    if all(k == open_end for k in kinds):
        return "true"
    return None  # MINVALUE/MAXVALUE after some values: a prefix of a many-column key


def bound_sql(bound: Any, parent: str) -> str | None:
    """Return the condition "a row with this key belongs to this partition", over :data:`KEY` (None: unknown)."""
    if bound.strategy == "l":
        values = [sql_of(v) for v in bound.listdatums or () if not (isinstance(v, ast.A_Const) and v.isnull)]
        parts = [f"({KEY}) IN ({', '.join(values)})"] if values else []
        if len(values) < len(bound.listdatums or ()):
            parts.append(f"({KEY}) IS NULL")
        return "(" + " OR ".join(parts or ["false"]) + ")"
    if bound.strategy == "r":
        low = _range_side(bound.lowerdatums or (), ">=", "minvalue")
        high = _range_side(bound.upperdatums or (), "<", "maxvalue")
        return None if low is None or high is None else f"(ROW({KEY}) IS NOT NULL AND {low} AND {high})"
    if bound.strategy == "h":
        parent_oid = f"pg_catalog.to_regclass('{parent.replace(chr(39), chr(39) * 2)}')"
        return f"pg_catalog.satisfies_hash_partition({parent_oid}, {bound.modulus}, {bound.remainder}, {KEY})"
    return None


class MoreChecks:
    """The checks of :mod:`.rowchecks` (a mixin of the deriver)."""

    effects: Any
    checks: list[Any]
    server_version: int
    add: Any
    _not_null: Any
    _added: Any
    type_doubt: str

    def _exclusion(self, table: str, c: Any) -> None:
        """Check an EXCLUDE constraint: live rows that conflict with another live row."""
        what = str(c.conname or f"EXCLUDE on {table}")
        items, matches, read = [], [], set()
        for number, (elem, operator) in enumerate(c.exclusions or (), 1):
            items.append(f"{ident(elem.name) if elem.name else f'({sql_of(elem.expr)})'} AS mt_{number}")
            read |= {str(elem.name)} if elem.name else set(columns(elem.expr))
            names = [str(o.sval) for o in operator]
            op = names[-1] if len(names) == 1 else f"OPERATOR({'.'.join(ident(n) for n in names[:-1])}.{names[-1]})"
            matches.append(f"a.mt_{number} {op} b.mt_{number}")
        where = f" WHERE {sql_of(c.where_clause)}" if c.where_clause is not None else ""
        rows = f"(SELECT ctid AS mt_id, {', '.join(items)} FROM {table}{where})"
        if [col for col in read if (table, col) in self.effects.added]:
            self.add(table, what, "23P01", unknown="it reads a column added by a pending migration")
            return
        body = (
            f"FROM {rows} a WHERE EXISTS (SELECT 1 FROM {rows} b WHERE b.mt_id <> a.mt_id AND {' AND '.join(matches)})"
        )
        self.add(table, what, "23P01", body, Reads(sorted(read)))

    def _domain(self, node: Any) -> None:
        """Check ALTER DOMAIN ... ADD CONSTRAINT, VALIDATE CONSTRAINT and SET NOT NULL on the live columns."""
        domain = ".".join(ident(str(n.sval)) for n in node.typeName)
        definition, live = node.def_, ""
        if node.subtype == "C" and isinstance(definition, ast.Constraint) and definition.contype == _CT.CONSTR_CHECK:
            if definition.skip_validation:
                self.effects.domain_checks[(domain, str(definition.conname))] = definition
                return
            condition = f"NOT coalesce(({sql_of(definition.raw_expr)}), true)"
            what, sqlstate = str(definition.conname or f"CHECK on domain {domain}"), "23514"
        elif node.subtype == "O":
            condition, what, sqlstate = "value IS NULL", f"NOT NULL on domain {domain}", "23502"
        elif node.subtype == "V" and node.name:
            found = self.effects.domain_checks.get((domain, str(node.name)))
            condition = "" if found is None else f"NOT coalesce(({sql_of(found.raw_expr)}), true)"
            what, sqlstate, live = ident(str(node.name)), "23514", "" if found is not None else str(node.name)
        else:
            return
        if domain in self.effects.domains:  # made by a pending migration: no live column has it, unless
            if domain in self.effects.types_on_live:  # a pending ALTER COLUMN ... TYPE gave it to one
                self.add(domain, what, sqlstate, unknown="a pending migration gives this new domain to live columns")
            return
        writes = self.effects.opaque or next(iter(self.effects.updated.values()), "")
        self.add(
            domain,
            what,
            sqlstate,
            count_sql=bounded(RESOLVED),
            find_sql=domain_find_sql(domain, condition or f"NOT (<the check of {what}>)"),
            resolve=domain_rows_sql(domain, condition, live),
            **({"unknown": f"{writes} may change the rows of its columns"} if writes else {}),
        )

    def _attach(self, parent: str, cmd: Any) -> None:
        """Check ATTACH PARTITION: the partition's rows outside its bound, the default partition's inside it."""
        if not isinstance(cmd.def_, ast.PartitionCmd) or cmd.def_.bound is None or cmd.def_.name is None:
            return  # ALTER INDEX ... ATTACH PARTITION: no rows to check
        child, bound = relation(cmd.def_.name), cmd.def_.bound
        what, new = f"the bound of partition {child} of {parent}", parent in self.effects.created
        keys = self.effects.partition_keys.get(parent)
        if bound.is_default:
            if self.effects.existing(child):
                other = other_partitions_sql(parent)
                resolve = f"SELECT format('FROM %s WHERE %s', '{child.replace(chr(39), chr(39) * 2)}', ({other}))"
                more = {"unknown": "its parent is new: its other partitions are not followed"} if new else {}
                self.add(
                    child,
                    what,
                    "23514",
                    count_sql=bounded(RESOLVED),
                    find_sql=f"SELECT count(*) {RESOLVED}",
                    resolve=resolve,
                    **more,
                )
            return
        inside = bound_sql(bound, parent)
        if inside is None or (new and (keys is None or bound.strategy == "h")):
            if self.effects.existing(child):
                self.add(child, what, "23514", unknown="its bound or its parent's key is not followed")
            return
        outside = f"NOT coalesce({inside}, false)"
        if self.effects.existing(child):
            if keys is not None:
                self.add(child, what, "23514", f"FROM {child} WHERE {outside.replace(KEY, keys)}")
            else:
                self.add(
                    child,
                    what,
                    "23514",
                    count_sql=bounded(RESOLVED),
                    find_sql=f"SELECT count(*) {RESOLVED}",
                    resolve=partition_rows_sql(parent, child, outside),
                )
        if self.effects.existing(parent):
            self.add(
                parent,
                f"the rows of the default partition of {parent} that belong to {child}",
                "23514",
                count_sql=bounded(RESOLVED),
                find_sql=f"SELECT count(*) {RESOLVED}",
                resolve=partition_rows_sql(parent, "default", f"coalesce({inside}, false)"),
            )

    def _primary_key_using_index(self, table: str, schema: str, index: str, what: str) -> None:
        """Check PRIMARY KEY USING INDEX: its columns get NOT NULL."""
        found = self.effects.indexes.get(f"{schema}.{ident(index)}")
        if found is not None:
            self._not_null(table, found, what)
            return
        body = f"FROM {table} WHERE {RESOLVED}"
        self.add(
            table,
            what,
            "23502",
            count_sql=bounded(body),
            find_sql=f"SELECT count(*) {body}",
            resolve=index_nulls_sql(f"{schema}.{ident(index)}"),
        )

    def _match_full(self, table: str, what: str, fks: Sequence[str]) -> None:
        """Check a MATCH FULL foreign key of several columns: rows whose key is partly NULL."""
        nulls = " OR ".join(f"{ident(k)} IS NULL" for k in fks)
        sets = " OR ".join(f"{ident(k)} IS NOT NULL" for k in fks)
        self.add(
            table,
            f"{what} (MATCH FULL: a key partly NULL)",
            "23503",
            f"FROM {table} WHERE ({nulls}) AND ({sets})",
            Reads(list(fks)),
        )

    def _new_column(self, table: str, column: Any) -> None:
        """Check a new column's CHECK and FOREIGN KEY with its default (or NULL) on every live row."""
        name, typ = str(column.colname), sql_of(column.typeName)
        default = plain_default(column)
        if default is None:
            return
        lateral = f"CROSS JOIN LATERAL (SELECT CAST({default} AS {typ}) AS {ident(name)}) c"
        for c in constraints(column):
            if c.contype == _CT.CONSTR_CHECK and c.raw_expr is not None and not c.skip_validation:
                what = str(c.conname or f"CHECK ({sql_of(c.raw_expr)}) on {table}")
                body = f"FROM {table} {lateral} WHERE NOT coalesce(({sql_of(c.raw_expr)}), true)"
                self.add(table, what, "23514", body, Reads(columns(c.raw_expr)))
            elif c.contype == _CT.CONSTR_FOREIGN and c.pktable is not None and default != "NULL":
                parent, what = relation(c.pktable), str(c.conname or f"FOREIGN KEY on {table}.{ident(name)}")
                if not self.effects.existing(parent):
                    self.add(table, what, "23503", unknown=f"the rows of {parent} are not followed")
                    continue
                pks = [str(k.sval) for k in c.pk_attrs or ()]
                match = f"p.{ident(pks[0])} = c.{ident(name)}" if pks else RESOLVED
                orphan = f"NOT EXISTS (SELECT 1 FROM {parent} p WHERE {match})"
                body = f"FROM {table} {lateral} WHERE c.{ident(name)} IS NOT NULL AND {orphan}"
                more = {} if pks else {"resolve": primary_key_match_sql(parent, [name])}
                self.add(
                    table,
                    what,
                    "23503",
                    reads=Reads([], parent, pks),
                    count_sql=bounded(body),
                    find_sql=f"SELECT count(*) {body}",
                    **more,
                )

    def _lateral(self, table: str, added: Sequence[str], alias: str) -> str | None:
        """Return `` CROSS JOIN LATERAL (SELECT <default> AS <column>, ...) <alias>``: the columns added earlier in
        the pending migrations, as every live row has them (None: a default that is not followed)."""
        known = [self.effects.defaults.get((table, c)) for c in added]
        if any(k is None for k in known):
            return None
        values = ", ".join(f"CAST({k[1]} AS {k[0]}) AS {ident(c)}" for c, k in zip(added, known) if k is not None)
        return f" CROSS JOIN LATERAL (SELECT {values}) {alias}"

    def _check_added(self, table: str, what: str, expr: str, read: Sequence[str], added: Sequence[str]) -> None:
        """Check a CHECK over columns added earlier in the pending migrations, with their defaults."""
        lateral = self._lateral(table, added, "mt_n")
        if lateral is None:
            self.add(table, what, "23514", unknown=f"it reads {', '.join(added)}, added by a pending migration")
            return
        self.add(table, what, "23514", f"FROM {table}{lateral} WHERE NOT ({expr})", Reads(list(read)))

    def _added_foreign_key(self, table: str, what: str, c: Any, fks: Sequence[str], pks: Sequence[str]) -> None:
        """Check a foreign key over columns added earlier, with their default on every live row."""
        parent = relation(c.pktable)
        defaults = [self.effects.defaults.get((table, k)) for k in fks]
        if any(d is not None and d[1] == "NULL" for d in defaults) and c.fk_matchtype != "f":
            return  # a NULL key references nothing
        lateral = self._lateral(table, fks, "c")
        if lateral is None or len(self._added(table, fks)) < len(fks) or not self.effects.existing(parent):
            unknown = "it reads columns added by a pending migration, with values not followed"
            self.add(table, what, "23503", unknown=unknown)
            return
        match = " AND ".join(f"p.{ident(p)} = c.{ident(f)}" for p, f in zip(pks, fks)) if pks else RESOLVED
        present = " AND ".join(f"c.{ident(k)} IS NOT NULL" for k in fks)
        body = f"FROM {table} mt_t{lateral} WHERE {present} AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {match})"
        more = {} if pks else {"resolve": primary_key_match_sql(parent, list(fks))}
        reads = Reads(list(fks), parent, list(pks))
        self.add(table, what, "23503", reads=reads, count_sql=bounded(body), find_sql=f"SELECT count(*) {body}", **more)

    def _char_length(self, table: str, column: str, definition: Any, reads: Reads) -> bool:
        """Check a change to varchar(n) or char(n): values longer than n (trailing spaces apart) fail (22001)."""
        names = [str(n.sval) for n in definition.typeName.names or () if isinstance(n, ast.String)]
        mods = list(definition.typeName.typmods or ())
        if not names or names[-1] not in _CHAR_TYPES or len(mods) != 1:
            return False
        length = getattr(getattr(mods[0], "val", None), "ival", None)
        if not isinstance(length, int):
            return False
        using = definition.raw_default
        source = ident(column) if using is None else f"({sql_of(using)})"
        target = sql_of(definition.typeName)
        body = f"FROM {table} WHERE char_length(rtrim(({source})::text, ' ')) > {length}"
        self.add(table, f"the cast of {table}.{ident(column)} to {target}", "22001", body, reads)
        return True

    def _pending_type(self, table: str, column: str, definition: Any, reads: Reads) -> bool:
        """Check a type change to (or through) a type the pending migrations make or change: the live one differs.

        A new enum's labels are known: a live value that is not one of them fails (22P02). Anything else is
        unknown.
        """
        names = {type_key(n) for n in tree.walk(definition) if isinstance(n, ast.TypeName)}
        pending = sorted(n for n in names if n in self.effects.types)
        if not pending:
            return False
        target, using = type_key(definition.typeName), definition.raw_default
        labels = self.effects.types.get(target)
        what = f"the cast of {table}.{ident(column)} to {sql_of(definition.typeName)}"
        plain = using is None or _casts_of(using, column)
        self.type_doubt = ""  # followed here
        if pending != [target] or labels is None or not plain:
            self.add(
                table,
                what,
                "22xxx",
                reads=reads,
                unknown=f"it casts to {pending[0]}, which a pending migration makes or changes",
            )
            return True
        allowed = ", ".join("'" + label.replace("'", "''") + "'" for label in labels) or "NULL"
        body = f"FROM {table} WHERE {ident(column)} IS NOT NULL AND {ident(column)}::text NOT IN ({allowed})"
        self.add(table, what, "22P02", body, reads)
        return True

    def _sequence(self, sequence: str, node: Any) -> None:
        """Check ALTER SEQUENCE ... MAXVALUE, MINVALUE or AS against the live sequence's last value (22023)."""
        if sequence in self.effects.sequences:
            return
        limits = {"smallint": (-32768, 32767), "int2": (-32768, 32767), "integer": (-(2**31), 2**31 - 1)}
        limits["int4"] = limits["int"] = limits["integer"]
        bounds: list[str] = []
        for option in node.options or ():
            arg = getattr(option, "arg", None)
            value = getattr(arg, "ival", None) if isinstance(arg, ast.Integer) else getattr(arg, "fval", None)
            if option.defname == "maxvalue" and value is not None:
                bounds.append(f"last_value > {value}")
            elif option.defname == "minvalue" and value is not None:
                bounds.append(f"last_value < {value}")
            elif option.defname == "as" and isinstance(option.arg, ast.TypeName):
                names = [str(n.sval) for n in option.arg.names or () if isinstance(n, ast.String)]
                low, high = limits.get(names[-1] if names else "", (None, None))
                bounds += [f"last_value NOT BETWEEN {low} AND {high}"] if low is not None else []
        if bounds:
            what = f"the new bounds of sequence {sequence} (its last value)"
            self.add(sequence, what, "22023", f"FROM {sequence} WHERE {' OR '.join(bounds)}")


def _casts_of(node: Any, column: str) -> bool:
    """Return True for ``column``, ``column::T`` or ``column::text::T`` (a value kept as its text)."""
    while isinstance(node, ast.TypeCast):
        node = node.arg
    return isinstance(node, ast.ColumnRef) and columns(node) == [column]
