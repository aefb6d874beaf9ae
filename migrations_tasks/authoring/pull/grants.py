"""Grants on user objects: GRANT and REVOKE so each object's privileges match the target's (pure).

The source is the catalog *after* the other statements ran in a rehearsal (so a new table already holds
what the schema's default privileges gave it); see :mod:`.proof`. An entry is ``grantee PRIVILEGE`` with
``WITH GRANT OPTION`` when it may be passed on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from ...catalog import Snapshot
from ...catalog.compare import grant_set
from ...catalog.detail import GRANTED
from .steps import Phase, Script

_OPTION = " WITH GRANT OPTION"
#: What an object's owner holds when no default privileges say otherwise (``acldefault``), MAINTAIN aside:
#: every privilege of the kind.
EVERY = {
    "tables": ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"),
    "sequences": ("SELECT", "UPDATE", "USAGE"),
    "functions": ("EXECUTE",),
    "types": ("USAGE",),
    "schemas": ("USAGE", "CREATE"),
}
_KIND = {"views": "tables", "schema_grants": "schemas", "identity_sequences": "sequences"}
Entries = dict[tuple[str, str], bool]


def all_or(privileges: list[str], kind: str, grantee: str, action: str, before: Entries, after: Entries) -> list[str]:
    """Return ``["ALL"]`` for a grantee given or losing every privilege (MAINTAIN, not compared, follows the
    server: ``REVOKE ALL`` live took it too)."""
    if action == "revoke" and not any(g == grantee for g, _ in after):
        return ["ALL"]
    if action == "grant" and not any(g == grantee for g, _ in before) and set(privileges) == set(EVERY.get(kind, ())):
        return ["ALL"]
    return privileges


def _entries(grants: Iterable[str]) -> dict[tuple[str, str], bool]:
    """Return {(grantee, privilege): grantable} from ``grantee PRIVILEGE [WITH GRANT OPTION]`` entries."""
    out: dict[tuple[str, str], bool] = {}
    for entry in grants:
        option = entry.endswith(_OPTION)
        grantee, _, privilege = entry.removesuffix(_OPTION).rpartition(" ")
        out[(grantee, privilege)] = option
    return out


def _object(category: str, keyword: str, name: str, item: Mapping[str, Any]) -> str:
    if category == "schema_grants":
        return f"SCHEMA {item.get('ident') or name}"
    if category == "functions" and item.get("kind") == "p":
        return f"PROCEDURE {name}"
    return f"{keyword} {name}"


def _changes(have: dict[tuple[str, str], bool], want: dict[tuple[str, str], bool]) -> dict[tuple[str, str], list[str]]:
    """Return {(grantee, action): privileges}; actions are GRANT, GRANT+option, REVOKE, REVOKE option."""
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (grantee, privilege), option in sorted(want.items()):
        if (grantee, privilege) not in have:
            out[(grantee, "grant option" if option else "grant")].append(privilege)
        elif option != have[(grantee, privilege)]:
            out[(grantee, "grant option" if option else "revoke option")].append(privilege)
    for (grantee, privilege), _ in sorted(have.items()):
        if (grantee, privilege) not in want:
            out[(grantee, "revoke")].append(privilege)
    return out


def _statement(action: str, privileges: list[str], target: str, grantee: str, column: str = "") -> str:
    listed = ", ".join(f"{p} ({column})" if column else p for p in privileges)
    return {
        "grant": f"GRANT {listed} ON {target} TO {grantee}",
        "grant option": f"GRANT {listed} ON {target} TO {grantee}{_OPTION}",
        "revoke": f"REVOKE {listed} ON {target} FROM {grantee}",
        "revoke option": f"REVOKE GRANT OPTION FOR {listed} ON {target} FROM {grantee}",
    }[action]


def grants(source: Snapshot, target: Snapshot) -> Script:
    """Return the GRANT and REVOKE statements for objects both catalogs have."""
    script = Script()
    for category, keyword in GRANTED.items():
        have, want = source.items(category), target.items(category)
        for name in sorted(set(have) & set(want)):
            if "acl" not in have[name] or "acl" not in want[name]:
                continue
            before, after = _entries(grant_set(have[name])), _entries(grant_set(want[name]))
            target_sql = _object(category, keyword, name, want[name])
            oid = int(want[name].get("oid") or 0)
            kind = _KIND.get(category, category)
            for (grantee, action), privileges in sorted(_changes(before, after).items()):
                privileges = all_or(privileges, kind, grantee, action, before, after)
                statement = _statement(action, privileges, target_sql, grantee)
                script.add(statement, Phase.GRANT, oid, statement.lower())
    _column_grants(source, target, script)
    _type_grants(source, target, script)
    return script


def _type_grants(source: Snapshot, target: Snapshot, script: Script) -> None:
    """Add GRANT and REVOKE USAGE on types and domains both catalogs have."""
    have, want = source.items("type_acls"), target.items("type_acls")
    for name in sorted(set(have) & set(want)):
        changes = _changes(_entries(grant_set(have[name])), _entries(grant_set(want[name])))
        for (grantee, action), privileges in sorted(changes.items()):
            statement = _statement(action, privileges, f"{want[name]['keyword']} {name}", grantee)
            script.add(statement, Phase.GRANT, int(want[name].get("oid") or 0), statement.lower())


def _has_column(snapshot: Snapshot, table: str, column: str) -> bool:
    for category in ("tables", "views"):
        item = snapshot.items(category).get(table)
        if item is not None:
            return category == "views" or any(str(c.get("name")) == column for c in item.get("columns") or [])
    return False


def _column_grants(source: Snapshot, target: Snapshot, script: Script) -> None:
    """Add column privileges (``GRANT SELECT (col) ON TABLE ...``), after the tables' own grants.

    A column without privileges of its own is missing from a catalog: it counts as having none when its
    table and column exist on both sides. Revoking a table privilege revokes it on every column, so the
    column statements come after the table's (same key, added later).
    """
    have, want = source.items("column_grants"), target.items("column_grants")
    for name in sorted(set(have) | set(want)):
        item = want.get(name) or have[name]
        table, column = str(item.get("table")), str(item.get("column"))
        if not (_has_column(source, table, column) and _has_column(target, table, column)):
            continue
        before = _entries(have.get(name, {}).get("grants") or [])
        after = _entries(want.get(name, {}).get("grants") or [])
        owner = target.items("tables").get(table) or target.items("views").get(table) or {}
        oid = int(owner.get("oid") or 0)
        for (grantee, action), privileges in sorted(_changes(before, after).items()):
            statement = _statement(action, privileges, f"TABLE {table}", grantee, str(item.get("ident")))
            script.add(statement, Phase.GRANT, oid, statement.lower())
