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
from .steps import Phase, Script

_REPLICA = {"d": "DEFAULT", "n": "NOTHING", "f": "FULL"}


def _publications(source: Snapshot, target: Snapshot, gone: Collection[str], script: Script) -> None:
    have, want = source.items("publications"), target.items("publications")
    for name, item in sorted(want.items()):
        if name not in have:
            sql = f"ALTER PUBLICATION {item['pub']} ADD TABLE {item['table']}"
            script.add(sql, Phase.FLAGS, 0, f"add {item['table']} to publication {item['pub']}")
    for name, item in sorted(have.items()):
        if name not in want and item.get("table") not in gone:
            sql = f"ALTER PUBLICATION {item['pub']} DROP TABLE {item['table']}"
            script.add(sql, Phase.FLAGS, 0, f"remove {item['table']} from publication {item['pub']}")


def _comments(source: Snapshot, target: Snapshot, gone: Collection[str], script: Script) -> None:
    have, want = source.items("comments"), target.items("comments")
    for name, item in sorted(want.items()):
        if have.get(name, {}).get("text") != item.get("text"):
            script.add(f"COMMENT ON {name} IS {quote_literal(str(item['text']))}", Phase.FLAGS, 0, f"comment on {name}")
    for name, item in sorted(have.items()):
        if name not in want and item.get("relation") not in gone:
            script.add(f"COMMENT ON {name} IS NULL", Phase.FLAGS, 0, f"remove the comment on {name}")


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
