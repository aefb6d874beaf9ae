"""Every statement that turns one catalog into another, in an order PostgreSQL accepts (pure).

:func:`ddl` covers every kind of object but grants; :func:`.grants.grants` runs on the catalog a rehearsal
of the DDL leaves behind (see :mod:`.proof`), so new objects' default privileges are taken into account.
"""

from __future__ import annotations

from ...catalog import Snapshot
from .attributes import attributes, invalid_indexes
from .database import database_settings, default_privileges, event_triggers, publications
from .definitions import collations, rules, statistics, types
from .objects import enums, functions, policies, schemas_and_extensions, triggers, views
from .others import others
from .properties import properties
from .publishing import schema_members
from .steps import Script
from .tables import sequences, table_parts, tables


def dropped_relations(source: Snapshot, target: Snapshot) -> set[str]:
    """Return the tables and views the source has and the target lacks (their parts go with them)."""
    return {
        name for category in ("tables", "views") for name in set(source.items(category)) - set(target.items(category))
    }


def barriers(source: Snapshot, target: Snapshot) -> list[int]:
    """Return the object ids of new functions, sequences and tables: a column default after one is set later."""
    out = []
    for category in ("functions", "sequences", "tables"):
        have = source.items(category)
        out += [int(item.get("oid") or 0) for name, item in target.items(category).items() if name not in have]
    return sorted(out)


def ddl(source: Snapshot, target: Snapshot) -> Script:
    """Return the statements (grants aside) that turn ``source`` into ``target``; drops are marked."""
    gone = dropped_relations(source, target)
    script = Script()
    for part in (
        schemas_and_extensions(source, target),
        collations(source, target),
        enums(source, target),
        types(source, target),
        sequences(source, target, gone),
        tables(source, target, barriers(source, target)),
        table_parts(source, target, gone),
        functions(source, target),
        views(source, target),
        triggers(source, target, gone),
        policies(source, target, gone),
        properties(source, target, gone),
        attributes(source, target),
        rules(source, target, gone),
        statistics(source, target, gone),
        publications(source, target),
        schema_members(source, target),
        default_privileges(source, target),
        database_settings(source, target),
        event_triggers(source, target),
        others(source, target),
    ):
        script.extend(part)
    script.unsupported += invalid_indexes(target)
    return script
