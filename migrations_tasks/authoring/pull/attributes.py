"""Table and column properties: persistence, clustering, access method, inheritance, typed tables, column
statistics targets, storage, compression, attribute options and collations into SQL (pure).

They are read from the ``table properties`` and ``column properties`` parts of :mod:`...catalog.parts`,
whose keys are the names the detail quotes (``schema.table``, ``schema.table.column``): the generator
joins names, it never splits them. New tables get these properties too (after their CREATE TABLE).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...catalog import Snapshot
from ...sql import quote_ident
from .steps import Phase, Script

_STORAGE = {"p": "PLAIN", "e": "EXTERNAL", "m": "MAIN", "x": "EXTENDED"}
_COMPRESSION = {"p": "pglz", "l": "lz4"}


def _part(snapshot: Snapshot, part: str, name: str) -> Mapping[str, Any]:
    value = (snapshot.parts.get(part) or {}).get(name)
    return value if isinstance(value, dict) else {}


def _table_properties(name: str, want: Mapping[str, Any], have: Mapping[str, Any] | None, script: Script) -> None:
    """Add the statements for a table's persistence, clustering index and access method (``have``: None if new)."""
    if have is not None and want.get("persistence") != have.get("persistence"):
        verb = "UNLOGGED" if want.get("persistence") == "unlogged" else "LOGGED"
        script.add(f"ALTER TABLE {name} SET {verb}", Phase.FLAGS, 0, f"make {name} {verb.lower()}")
    have = have or {}
    if want.get("clustered on") != have.get("clustered on"):
        if want.get("clustered on"):
            sql = f"ALTER TABLE {name} CLUSTER ON {want['clustered on']}"
        else:
            sql = f"ALTER TABLE {name} SET WITHOUT CLUSTER"
        script.add(sql, Phase.FLAGS, 0, f"set the clustering index of {name}")
    if want.get("access method") != have.get("access method"):
        method = want.get("access method") or "heap"
        script.add(f"ALTER TABLE {name} SET ACCESS METHOD {method}", Phase.FLAGS, 0, f"set the access method of {name}")


def _inheritance(name: str, want: Mapping[str, Any], have: Mapping[str, Any], script: Script) -> None:
    """Add INHERIT / NO INHERIT and OF / NOT OF for a table both catalogs have."""
    before, after = list(have.get("inherits") or []), list(want.get("inherits") or [])
    for parent in before:
        if parent not in after:
            script.add(
                f"ALTER TABLE {name} NO INHERIT {parent}", Phase.CHANGE, 0, f"{name} no longer inherits {parent}"
            )
    for parent in after:
        if parent not in before:
            script.add(f"ALTER TABLE {name} INHERIT {parent}", Phase.CHANGE, 0, f"{name} inherits {parent}")
    if have.get("of_type") != want.get("of_type"):
        if have.get("of_type"):
            script.add(f"ALTER TABLE {name} NOT OF", Phase.CHANGE, 0, f"{name} is no longer typed")
        if want.get("of_type"):
            script.add(f"ALTER TABLE {name} OF {want['of_type']}", Phase.CHANGE, 0, f"{name} is of {want['of_type']}")


def _options(alter: str, before: list[str], after: list[str]) -> list[str]:
    """Return the RESET and SET of an attribute's options (``key=value`` each)."""
    keys = {o.partition("=")[0] for o in after}
    reset = [o.partition("=")[0] for o in before if o.partition("=")[0] not in keys]
    out = [f"{alter} RESET ({', '.join(reset)})"] if reset else []
    changed = [o for o in after if o not in before]
    return out + ([f"{alter} SET ({', '.join(changed)})"] if changed else [])


def _column(table: str, column: Mapping[str, Any], want: Mapping[str, Any], have: Mapping[str, Any]) -> list[str]:
    """Return the statements that give a column the target's statistics target, storage, compression, options."""
    alter = f"ALTER TABLE {table} ALTER COLUMN {column['ident']}"
    out = []
    if want.get("statistics target") != have.get("statistics target"):
        target = want.get("statistics target")
        out.append(f"{alter} SET STATISTICS {-1 if target is None else int(target)}")
    if want.get("storage") != have.get("storage"):
        letter = str(want.get("storage") or column.get("type_storage") or "x")
        out.append(f"{alter} SET STORAGE {_STORAGE.get(letter, 'EXTENDED')}")
    if want.get("compression") != have.get("compression"):
        out.append(f"{alter} SET COMPRESSION {_COMPRESSION.get(str(want.get('compression')), 'default')}")
    before, after = [str(o) for o in have.get("options") or []], [str(o) for o in want.get("options") or []]
    if before != after:
        out += _options(alter, before, after)
    return out


def _collation(table: str, column: Mapping[str, Any], old: Mapping[str, Any] | None, script: Script) -> None:
    """Add ALTER COLUMN ... TYPE ... COLLATE when only a column's collation changed (a type change sets it)."""
    if old is None or old.get("type") != column.get("type") or old.get("collation") == column.get("collation"):
        return
    collate = f" COLLATE {column['collation']}" if column.get("collation") else ""
    script.add(
        f"ALTER TABLE {table} ALTER COLUMN {column['ident']} TYPE {column['type']}{collate}",
        Phase.RESHAPE,
        0,
        f"change the collation of {table}.{column['ident']}",
    )


def attributes(source: Snapshot, target: Snapshot) -> Script:
    """Return the statements for the table and column properties of every table the target has."""
    script = Script()
    have = source.items("tables")
    for name, table in target.items("tables").items():
        if table.get("kind") == "f":
            continue
        before = _part(source, "table properties", name) if name in have else None
        _table_properties(name, _part(target, "table properties", name), before, script)
        if name in have:
            _inheritance(name, table, have[name], script)
        old = {str(c["name"]): c for c in (have.get(name) or {}).get("columns") or []}
        for column in table.get("columns") or []:
            key = f"{name}.{column['ident']}"
            for sql in _column(
                name, column, _part(target, "column properties", key), _part(source, "column properties", key)
            ):
                script.add(sql, Phase.FLAGS, 0, f"set the properties of {key}")
            _collation(name, column, old.get(str(column["name"])), script)
    return script


def invalid_indexes(target: Snapshot) -> list[str]:
    """Return why the target's INVALID indexes (failed concurrent builds) cannot be pulled."""
    return [
        f"index {name} is INVALID in the live database (a failed CREATE INDEX CONCURRENTLY: it enforces nothing, "
        f"and pg_dump leaves it out): drop it there (DROP INDEX CONCURRENTLY {name}), or remove what made it fail "
        f"(duplicate rows, for a unique index) and rebuild it (REINDEX INDEX CONCURRENTLY {name}), then pull again"
        for name, state in sorted((target.parts.get("index state") or {}).items())
        if isinstance(state, dict) and state.get("valid") is False
    ]


def _owned(name: str, domains: set[str]) -> str:
    """Return the ALTER target of an ``owners`` part key: a relation, ``function f(args)``, ``type t``, ``schema s``."""
    kind, _, rest = name.partition(" ")
    if kind == "function":
        return f"ROUTINE {rest}"
    if kind == "type":
        return f"{'DOMAIN' if rest in domains else 'TYPE'} {rest}"
    if kind == "schema":
        return f"SCHEMA {rest}"
    return f"TABLE {name}"


def owners(source: Snapshot, target: Snapshot) -> Script:
    """Return ALTER ... OWNER TO for objects whose owner differs (``source``: the catalog after a rehearsal)."""
    script = Script()
    have, want = source.parts.get("owners") or {}, target.parts.get("owners") or {}
    domains = {name for name, item in target.items("user_types").items() if item.get("kind") == "d"}
    for name, owner in sorted(want.items()):
        if name in have and have[name] != owner:
            sql = f"ALTER {_owned(name, domains)} OWNER TO {quote_ident(str(owner))}"
            script.add(sql, Phase.OWNER, 1, f"set the owner of {name} to {owner}")
    return script
