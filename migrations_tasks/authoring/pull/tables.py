"""Tables, columns, constraints, indexes, sequences and row level security: catalog differences into SQL.

Pure: each function takes the source catalog (what exists) and the target (what should), and returns a
:class:`~.steps.Script`. Definitions are PostgreSQL's own (``pg_get_constraintdef``, ``pg_get_indexdef``,
``pg_get_expr``, ``format_type``), read with an empty search_path, so every name is schema-qualified.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from ...catalog import Snapshot
from ...catalog.snapshot import Item
from .steps import Phase, Script

#: Object ids below this one belong to PostgreSQL itself.
FIRST_USER_OID = 16384
_IDENTITY = {"a": "ALWAYS", "d": "BY DEFAULT"}


def _oid(item: Mapping[str, Any] | None, name: str = "oid") -> int:
    value = (item or {}).get(name)
    return int(value) if value is not None else 0


def column_definition(column: Mapping[str, Any], *, with_default: bool = True) -> str:
    """Return a column as CREATE TABLE / ADD COLUMN write it."""
    parts = [str(column.get("ident") or column["name"]), str(column["type"])]
    if column.get("collation"):
        parts += ["COLLATE", str(column["collation"])]
    generated = column.get("generated") or ""
    if generated:
        parts.append(f"GENERATED ALWAYS AS ({column['default']}) {'VIRTUAL' if generated == 'v' else 'STORED'}")
    elif column.get("default") is not None and with_default:
        parts.append(f"DEFAULT {column['default']}")
    if column.get("identity"):
        parts.append(f"GENERATED {_IDENTITY.get(str(column['identity']), 'BY DEFAULT')} AS IDENTITY")
    named = column.get("not_null_name")
    if column.get("not_null") and (named or not column.get("identity")):
        # PostgreSQL 18 names NOT NULL constraints; a renamed column (or one copied by LIKE) keeps its old
        # constraint's name, identity columns' included.
        parts.append(f"CONSTRAINT {named} NOT NULL" if named else "NOT NULL")
    return " ".join(parts)


def _inline(table_oid: int, default_oid: int, barriers: Sequence[int]) -> bool:
    """Return True when nothing else was created between a table and its column default."""
    return not any(table_oid < b < default_oid for b in barriers)


def _typed_options(columns: Sequence[Mapping[str, Any]], late: Sequence[Mapping[str, Any]]) -> str:
    """Return the column options of a typed table (``OF type (c WITH OPTIONS NOT NULL ...)``), or ""."""
    defs = []
    for column in columns:
        options = [f"DEFAULT {column['default']}"] if column.get("default") is not None and column not in late else []
        if column.get("not_null"):
            named = column.get("not_null_name")
            options.append(f"CONSTRAINT {named} NOT NULL" if named else "NOT NULL")
        if options:
            defs.append(f"{column['ident']} WITH OPTIONS {' '.join(options)}")
    return " (\n    " + ",\n    ".join(defs) + "\n)" if defs else ""


def _create_table(name: str, table: Item, barriers: Sequence[int], script: Script) -> None:
    """Add the CREATE TABLE of a table the source lacks (defaults made later are set in their own step)."""
    oid = _oid(table)
    if table.get("kind") == "f":
        script.unsupported.append(f"foreign table {name}: create it (and its server) in a migration by hand")
        return
    columns = table.get("columns") or []
    late = [c for c in columns if c.get("default") is not None and not c.get("generated")]
    late = [c for c in late if not _inline(oid, _oid(c, "default_oid"), barriers)]
    unlogged = "UNLOGGED " if table.get("persistence") == "u" else ""
    # a table made on its own and attached later keeps its own NOT NULL constraints' names (PARTITION OF takes
    # the parent's): made and attached as pg_dump does
    attached = bool(table.get("parent")) and any(c.get("not_null") and not c.get("not_null_name") for c in columns)
    partition_of = bool(table.get("parent")) and not attached
    if partition_of:
        body = f"PARTITION OF {table['parent']} {table.get('bound') or 'DEFAULT'}"
    elif table.get("of_type"):
        body = f"OF {table['of_type']}{_typed_options(columns, late)}"
    else:
        local = [c for c in columns if c.get("local", True) or attached]
        defs = [column_definition(c, with_default=c not in late) for c in local]
        body = "(\n    " + ",\n    ".join(defs) + "\n)" if defs else "()"
        if table.get("inherits"):
            body += f" INHERITS ({', '.join(str(p) for p in table['inherits'])})"
        if table.get("partkey"):
            body += f" PARTITION BY {table['partkey']}"
    script.add(f"CREATE {unlogged}TABLE {name} {body}", Phase.CREATE, oid, f"create table {name}")
    if attached:
        attach = f"ALTER TABLE {table['parent']} ATTACH PARTITION {name} {table.get('bound') or 'DEFAULT'}"
        script.add(attach, Phase.CREATE, oid, f"attach {name} to {table['parent']}")
    for column in late if not partition_of else []:
        script.add(
            f"ALTER TABLE {name} ALTER COLUMN {column['ident']} SET DEFAULT {column['default']}",
            Phase.CREATE,
            _oid(column, "default_oid"),
            f"set the default of {name}.{column['ident']}",
        )


def _column_key(table_oid: int, column: Mapping[str, Any]) -> int:
    type_oid = _oid(column, "type_oid")
    return max(table_oid, _oid(column, "default_oid"), type_oid if type_oid >= FIRST_USER_OID else 0)


def _reshape(table: str, ident: str, want: Mapping[str, Any], have: Mapping[str, Any], script: Script) -> None:
    """Add the statements that change a column's type, identity, generation and nullability."""
    alter = f"ALTER TABLE {table} ALTER COLUMN {ident}"
    what = f"{table}.{ident}"
    if (have.get("generated") or "") != (want.get("generated") or "") or (
        have.get("generated") and have.get("default") != want.get("default")
    ):
        if have.get("generated") and not want.get("generated"):
            script.add(f"{alter} DROP EXPRESSION", Phase.RESHAPE, 0, f"make {what} an ordinary column")
        elif have.get("generated") == want.get("generated") and have.get("type") == want.get("type"):
            # PostgreSQL 17+ changes a generation expression in place (the table is rewritten if stored)
            sql = f"{alter} SET EXPRESSION AS ({want['default']})"
            script.add(sql, Phase.RESHAPE, 0, f"change the generation expression of {what}")
        else:
            script.unsupported.append(
                f"column {what}: its generation differs (stored or virtual, or its type); change it by hand"
            )
            return
    if have.get("type") != want.get("type"):
        if have.get("default") is not None and not have.get("generated"):
            script.add(f"{alter} DROP DEFAULT", Phase.RESHAPE, 0, f"drop the default of {what}")
        collate = f" COLLATE {want['collation']}" if want.get("collation") else ""
        script.add(
            f"{alter} TYPE {want['type']}{collate} USING {ident}::{want['type']}",
            Phase.RESHAPE,
            0,
            f"change the type of {what} to {want['type']}",
        )
    old, new = have.get("identity") or "", want.get("identity") or ""
    if old != new:
        if not old:
            if have.get("default") is not None and have.get("type") == want.get("type"):
                script.add(f"{alter} DROP DEFAULT", Phase.RESHAPE, 0, f"drop the default of {what}")
            script.add(f"{alter} ADD GENERATED {_IDENTITY[new]} AS IDENTITY", Phase.RESHAPE, 0, f"make {what} identity")
        elif not new:
            script.add(f"{alter} DROP IDENTITY", Phase.RESHAPE, 0, f"drop the identity of {what}")
        else:
            script.add(f"{alter} SET GENERATED {_IDENTITY[new]}", Phase.RESHAPE, 0, f"change the identity of {what}")
    if bool(have.get("not_null")) != bool(want.get("not_null")) and not (new and want.get("not_null")):
        verb = "SET" if want.get("not_null") else "DROP"
        script.add(f"{alter} {verb} NOT NULL", Phase.RESHAPE, 0, f"{verb.lower()} NOT NULL on {what}")


def _default(table: str, ident: str, want: Mapping[str, Any], have: Mapping[str, Any], script: Script) -> None:
    """Add the statement that sets or drops a column default (after a type change dropped it)."""
    if want.get("generated") or want.get("identity"):
        return
    dropped = have.get("type") != want.get("type") or (want.get("identity") or "") != (have.get("identity") or "")
    before = None if dropped else have.get("default")
    if want.get("default") == before:
        return
    alter = f"ALTER TABLE {table} ALTER COLUMN {ident}"
    if want.get("default") is None:
        script.add(f"{alter} DROP DEFAULT", Phase.CHANGE, 0, f"drop the default of {table}.{ident}")
    else:
        script.add(f"{alter} SET DEFAULT {want['default']}", Phase.CHANGE, 0, f"set the default of {table}.{ident}")


def _columns(name: str, source: Snapshot, target: Snapshot, script: Script) -> None:
    """Add the statements for the columns of a table both catalogs have."""
    table = target.items("tables")[name]
    oid = _oid(table)
    have_raw = {str(c["name"]): c for c in source.items("tables")[name].get("columns") or []}
    want_raw = {str(c["name"]): c for c in table.get("columns") or []}
    have_norm = source.normal["tables"][name]["columns"]
    want_norm = target.normal["tables"][name]["columns"]
    for column, spec in want_raw.items():
        if column not in have_raw:
            script.add(
                f"ALTER TABLE {name} ADD COLUMN {column_definition(spec)}",
                Phase.CREATE,
                _column_key(oid, spec),
                f"add column {name}.{spec['ident']}",
            )
        elif have_norm[column] != want_norm[column]:
            ident = str(spec["ident"])
            _reshape(name, ident, {**spec, **want_norm[column]}, {**have_raw[column], **have_norm[column]}, script)
            _default(name, ident, spec, have_raw[column], script)
    for column, spec in have_raw.items():
        if column not in want_raw:
            script.drop(
                f"ALTER TABLE {name} DROP COLUMN {spec['ident']}",
                "column",
                _oid(source.items("tables")[name]),
                f"drop column {name}.{spec['ident']}",
            )


def _row_security(name: str, want: Mapping[str, Any], have: Mapping[str, Any], script: Script) -> None:
    for flag, on, off in (("rls", "ENABLE", "DISABLE"), ("force_rls", "FORCE", "NO FORCE")):
        if bool(want.get(flag)) != bool(have.get(flag)):
            verb = on if want.get(flag) else off
            script.add(
                f"ALTER TABLE {name} {verb} ROW LEVEL SECURITY",
                Phase.FLAGS,
                _oid(want),
                f"{verb.lower()} RLS on {name}",
            )


def tables(source: Snapshot, target: Snapshot, barriers: Sequence[int]) -> Script:
    """Return the statements for tables, their columns and their row level security flags."""
    script = Script()
    have, want = source.items("tables"), target.items("tables")
    for name, table in want.items():
        if name not in have:
            _create_table(name, table, barriers, script)
        elif have[name].get("kind") != table.get("kind"):
            script.unsupported.append(f"table {name}: {have[name].get('kind')} here, {table.get('kind')} there")
            continue
        else:
            _columns(name, source, target, script)
        _row_security(name, table, have.get(name, {}), script)
    for name, table in have.items():
        if name not in want:
            script.drop(f"DROP TABLE {name}", "table", _oid(table), f"drop table {name}")
    return script


def _part(category: str, name: str, item: Item) -> tuple[str, str]:
    """Return (create statement, drop statement) of a constraint or an index."""
    if category == "constraints":
        table = item["table"]
        return (
            f"ALTER TABLE {table} ADD CONSTRAINT {item['ident']} {item['definition']}",
            f"ALTER TABLE {table} DROP CONSTRAINT {item['ident']}",
        )
    definition = str(item["definition"])
    if item.get("partitioned"):
        definition = definition.replace(" ON ONLY ", " ON ", 1)
    return definition, f"DROP INDEX {item['schema']}.{item['ident']}"


def table_parts(source: Snapshot, target: Snapshot, gone: Collection[str]) -> Script:
    """Return the statements for constraints and indexes; ``gone``: tables dropped whole."""
    script = Script()
    for category, label in (("constraints", "constraint"), ("indexes", "index")):
        have, want = source.items(category), target.items(category)
        for name, item in want.items():
            if item.get("inherited") or item.get("type") == "t":
                continue
            create = _part(category, name, item)[0]
            if name not in have:
                script.add(
                    create, Phase.CREATE, _oid(item), f"{'add' if label == 'constraint' else 'create'} {label} {name}"
                )
            elif source.normal[category][name] != target.normal[category][name]:
                script.add(_part(category, name, have[name])[1], Phase.CHANGE, _oid(item), f"replace {label} {name}")
                script.add(create, Phase.CHANGE, _oid(item))
        for name, item in have.items():
            if name in want or item.get("inherited") or item.get("type") == "t":
                continue
            if item.get("table") in gone and not _references_other(item, gone):
                continue
            rank = "foreign key" if item.get("type") == "f" else label
            script.drop(_part(category, name, item)[1], rank, _oid(item), f"drop {label} {name}")
    return script


def _references_other(item: Mapping[str, Any], gone: Collection[str]) -> bool:
    """Return True for a foreign key to another dropped table: it goes first, whichever table is dropped first."""
    definition = str(item.get("definition") or "")
    return item.get("type") == "f" and any(
        f"REFERENCES {other}(" in definition for other in gone if other != item.get("table")
    )


def _sequence_options(item: Mapping[str, Any]) -> str:
    cycle = "CYCLE" if item.get("cycle") else "NO CYCLE"
    return (
        f"AS {item['type']} INCREMENT BY {item['increment']} MINVALUE {item['min']} MAXVALUE {item['max']} "
        f"START WITH {item['start']} CACHE {item['cache']} {cycle}"
    )


def sequences(source: Snapshot, target: Snapshot, gone: Collection[str]) -> Script:
    """Return the statements for sequences not made by identity columns (``gone``: dropped tables)."""
    script = Script()
    have, want = source.items("sequences"), target.items("sequences")
    for name, item in want.items():
        before = have.get(name)
        if before is None:
            script.add(
                f"CREATE SEQUENCE {name} {_sequence_options(item)}", Phase.CREATE, _oid(item), f"create sequence {name}"
            )
        elif _sequence_options(before) != _sequence_options(item):
            script.add(
                f"ALTER SEQUENCE {name} {_sequence_options(item)}", Phase.CHANGE, _oid(item), f"change sequence {name}"
            )
        if (before or {}).get("owned_by") != item.get("owned_by"):
            owner = item.get("owned_by") or "NONE"
            script.add(
                f"ALTER SEQUENCE {name} OWNED BY {owner}", Phase.FLAGS, _oid(item), f"set the owner column of {name}"
            )
    for name, item in have.items():
        owner = str(item.get("owned_by") or "")
        if name in want or (owner and (owner.rpartition(".")[0] in gone or _column_gone(owner, target))):
            continue
        script.drop(f"DROP SEQUENCE {name}", "sequence", _oid(item), f"drop sequence {name}")
    return script


def _column_gone(owner: str, target: Snapshot) -> bool:
    """Return True when the column a sequence belongs to is dropped (the sequence goes with it)."""
    table, _, column = owner.rpartition(".")
    spec = target.items("tables").get(table)
    return spec is None or not any(str(c.get("ident")) == column for c in spec.get("columns") or [])
