"""Publication membership, comments, replica identity and storage parameters: differences into SQL (pure).

Realtime reads ``supabase_realtime``'s tables and, for old row values, ``REPLICA IDENTITY FULL``; both are
often set in the dashboard. Comments are compared on tables, columns, views, functions, schemas, types,
sequences and indexes. A dropped table's membership and comments go with it. Identity columns' sequence options
(:func:`identity_options`) are compared after a rehearsal, like grants, so new columns start from what
PostgreSQL gave them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from ...catalog import Snapshot
from ...sql import quote_literal
from .publishing import switched
from .steps import Phase, Script

_REPLICA = {"d": "DEFAULT", "n": "NOTHING", "f": "FULL"}


def _member(item: Mapping[str, Any]) -> str:
    """Return a publication member as ADD TABLE writes it: the table, its column list and its row filter."""
    text = str(item["table"])
    if item.get("columns"):
        text += f" ({item['columns']})"
    if item.get("filter") is not None:
        text += f" WHERE ({item['filter']})"
    return text


def _publications(source: Snapshot, target: Snapshot, gone: Collection[str], script: Script) -> None:
    have, want = source.items("publications"), target.items("publications")
    dropped = set(source.parts.get("publications") or {}) - set(target.parts.get("publications") or {})
    dropped |= switched(source, target)  # made again: its old members go with it
    for name, item in sorted(want.items()):
        before = have.get(name)
        if before is not None and (before.get("columns"), before.get("filter")) != (
            item.get("columns"),
            item.get("filter"),
        ):
            sql = f"ALTER PUBLICATION {item['pub']} DROP TABLE {item['table']}"
            script.add(sql, Phase.FLAGS, 0, f"change the columns or rows {item['pub']} publishes of {item['table']}")
        if before is None or (before.get("columns"), before.get("filter")) != (item.get("columns"), item.get("filter")):
            sql = f"ALTER PUBLICATION {item['pub']} ADD TABLE {_member(item)}"
            script.add(sql, Phase.FLAGS, 0, f"add {item['table']} to publication {item['pub']}")
    for name, item in sorted(have.items()):
        if name not in want and item.get("table") not in gone and item.get("pub") not in dropped:
            sql = f"ALTER PUBLICATION {item['pub']} DROP TABLE {item['table']}"
            script.add(sql, Phase.FLAGS, 0, f"remove {item['table']} from publication {item['pub']}")


def _unwritable(name: str, item: Mapping[str, Any]) -> str:
    """Return why a comment cannot be written, or ""."""
    if item.get("platform"):
        return f"comment {name}: COMMENT ON needs the table's owner, and postgres does not own Supabase's tables"
    if not item.get("writable"):
        return f"comment {name}: comments on this kind of object are not written as statements"
    return ""


def _comments(source: Snapshot, target: Snapshot, gone: Collection[str], script: Script) -> None:
    have, want = source.items("comments"), target.items("comments")
    for name, item in sorted(want.items()):
        if have.get(name, {}).get("text") == item.get("text"):
            continue
        if _unwritable(name, item):
            script.unsupported.append(_unwritable(name, item))
            continue
        sql = f"COMMENT ON {item['target']} IS {quote_literal(str(item['text']))}"
        script.add(sql, Phase.FLAGS, 0, f"comment on {item['target']}")
    for name, item in sorted(have.items()):
        if name in want or item.get("relation") in gone:
            continue
        if _unwritable(name, item):
            script.unsupported.append(_unwritable(name, item))
            continue
        script.add(f"COMMENT ON {item['target']} IS NULL", Phase.FLAGS, 0, f"remove the comment on {item['target']}")


def _table(name: str, want: Mapping[str, Any], have: Mapping[str, Any], script: Script) -> None:
    kind = str(want.get("replica") or "d")
    if (kind, want.get("replica_index")) != (str(have.get("replica") or "d"), have.get("replica_index")):
        identity = f"USING INDEX {want['replica_index']}" if kind == "i" else _REPLICA.get(kind, "DEFAULT")
        script.add(f"ALTER TABLE {name} REPLICA IDENTITY {identity}", Phase.FLAGS, 0, f"replica identity of {name}")
    before, after = [str(o) for o in have.get("options") or []], [str(o) for o in want.get("options") or []]
    if before != after:
        keys = {o.partition("=")[0] for o in after}
        reset = [o.partition("=")[0] for o in before if o.partition("=")[0] not in keys]
        if reset:
            script.add(f"ALTER TABLE {name} RESET ({', '.join(reset)})", Phase.FLAGS, 0, f"reset options of {name}")
        if after:
            script.add(f"ALTER TABLE {name} SET ({', '.join(after)})", Phase.FLAGS, 0, f"set options of {name}")


def properties(source: Snapshot, target: Snapshot, gone: Collection[str]) -> Script:
    """Return the statements for publication membership, comments, replica identity and table options."""
    script = Script()
    _publications(source, target, gone, script)
    _comments(source, target, gone, script)
    have = source.items("tables")
    for name, item in target.items("tables").items():
        _table(name, item, have.get(name, {}), script)
    return script


def _identity_sql(table: str, ident: str, options: Mapping[str, Any]) -> str:
    cycle = "SET CYCLE" if options.get("cycle") else "SET NO CYCLE"
    return (
        f"ALTER TABLE {table} ALTER COLUMN {ident} SET INCREMENT BY {options['increment']} "
        f"SET MINVALUE {options['min']} SET MAXVALUE {options['max']} SET START WITH {options['start']} "
        f"SET CACHE {options['cache']} {cycle}"
    )


def identity_options(source: Snapshot, target: Snapshot) -> Script:
    """Return ``ALTER COLUMN ... SET INCREMENT BY ...`` for identity columns both catalogs have, where they differ."""
    script = Script()
    have = source.items("tables")
    for name, table in target.items("tables").items():
        before = {str(c["name"]): c for c in (have.get(name) or {}).get("columns") or []}
        for column in table.get("columns") or []:
            options, old = column.get("identity_options"), before.get(str(column["name"]))
            if options and old is not None and old.get("identity_options") and old["identity_options"] != options:
                sql = _identity_sql(name, str(column["ident"]), options)
                script.add(sql, Phase.FLAGS, 0, f"set the identity options of {name}.{column['ident']}")
    return script
