"""The ``MAINTAIN`` privilege (PostgreSQL 17+) in db.diff: compared, written and proven.

The catalog leaves ``MAINTAIN`` out (``db.verify`` compares a live project on PostgreSQL 15 with a
throwaway on 18, and only 17+ has it). db.diff builds both schemas on one server, so it can compare it:
:class:`MaintainBench` reads two more parts with every snapshot, the ``MAINTAIN`` grants of each relation
(every relation, ``[]`` when none) and of each entry of default privileges on tables, and the comparison
(``catalog.compare``, part by part) sees them. :func:`maintain_grants` writes what differs (``GRANT``,
``REVOKE``, ``ALTER DEFAULT PRIVILEGES ... MAINTAIN``); it runs after the rehearsal, like the other grants,
so a new table starts from what default privileges gave it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...catalog import DIFFERS, Difference, Snapshot
from ...catalog.schemas import user_schema_condition
from ...catalog.snapshot import request
from ...config.settings import Settings
from ..pull.database import RESERVED_ROLES
from ..pull.grants import _changes, _entries, _statement
from ..pull.proof import Workbench
from ..pull.steps import Phase, Script

RELATIONS = "MAINTAIN privileges"
DEFAULTS = "MAINTAIN default privileges"

_ENTRY = (
    "CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(x.grantee)) END || ' MAINTAIN' "
    "|| CASE WHEN x.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END"
)


def maintain_sql(user: str) -> str:
    """Return an expression: a JSON object of both parts (``user``: the condition on ``n.nspname``)."""
    return f"""json_build_object(
 '{RELATIONS}', (SELECT coalesce(json_object_agg(format('%I.%I', n.nspname, c.relname), (SELECT coalesce(
      json_agg(e ORDER BY e), '[]') FROM (SELECT {_ENTRY} AS e
      FROM aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) x
      WHERE x.privilege_type = 'MAINTAIN' AND x.grantee <> c.relowner) s)), '{{}}')
   FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {user}
     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep WHERE dep.classid = 'pg_class'::regclass
                     AND dep.objid = c.oid AND dep.deptype = 'e')),
 '{DEFAULTS}', (SELECT coalesce(json_object_agg(format('for %s in %s on tables', quote_ident(pg_get_userbyid(
      d.defaclrole)), coalesce(quote_ident(n.nspname), 'all schemas')), json_build_object(
      'role', quote_ident(pg_get_userbyid(d.defaclrole)), 'role_name', pg_get_userbyid(d.defaclrole)::text,
      'schema', quote_ident(n.nspname), 'grants', (SELECT coalesce(json_agg(e ORDER BY e), '[]')
        FROM (SELECT {_ENTRY} AS e FROM aclexplode(d.defaclacl) x
              WHERE x.privilege_type = 'MAINTAIN' AND x.grantee <> d.defaclrole) s))), '{{}}')
   FROM pg_catalog.pg_default_acl d LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
   WHERE d.defaclobjtype = 'r'))"""


class MaintainBench(Workbench):
    """A workbench whose snapshots also hold the ``MAINTAIN`` parts (see the module docstring)."""

    def __init__(self, url: str, settings: Settings, command: str = "db.diff") -> None:
        super().__init__(url, settings, command)
        vs = settings.verify
        user = user_schema_condition("n.nspname", vs.drift_schemas, vs.drift_ignore_schemas)
        self._snapshot_sql = request(
            vs.drift_schemas, vs.drift_ignore_schemas, extra=f"{maintain_sql(user)} AS maintain,\n  "
        )

    def snapshot(self) -> Snapshot:
        """Return the catalog as it is now, with the MAINTAIN parts."""
        row = self.db.execute(self._snapshot_sql, write=False)[0]
        base = Snapshot.from_row(row)
        extra = Snapshot.from_row({"parts": row.get("maintain")}).parts
        return Snapshot(base.raw, base.detail, {**base.parts, **extra})


def _relation(snapshot: Snapshot, name: str) -> Mapping[str, Any] | None:
    return snapshot.items("tables").get(name) or snapshot.items("views").get(name)


def _defaults(have: Mapping[str, Any], want: Mapping[str, Any], script: Script) -> None:
    for name in sorted(set(have) | set(want)):
        item = want.get(name) or have[name]
        before = _entries((have.get(name) or {}).get("grants") or [])
        changes = _changes(before, _entries((want.get(name) or {}).get("grants") or []))
        if changes and (item.get("role_name") in RESERVED_ROLES or str(item.get("role_name")).startswith("supabase_")):
            script.unsupported.append(f"MAINTAIN default privileges {name}: postgres may not change them on Supabase")
            continue
        prefix = f"ALTER DEFAULT PRIVILEGES FOR ROLE {item['role']}" + (
            f" IN SCHEMA {item['schema']}" if item.get("schema") else ""
        )
        for (grantee, action), privileges in sorted(changes.items()):
            sql = f"{prefix} {_statement(action, privileges, 'TABLES', grantee)}"
            script.add(sql, Phase.GRANT, 0, f"default privileges {name}: {action} MAINTAIN, {grantee}")


def maintain_grants(source: Snapshot, target: Snapshot) -> Script:
    """Return GRANT / REVOKE MAINTAIN on relations both catalogs have, and the default privileges of it."""
    script = Script()
    have, want = source.parts.get(RELATIONS) or {}, target.parts.get(RELATIONS) or {}
    for name in sorted(set(have) & set(want)):
        owner = _relation(target, name)
        if owner is None or _relation(source, name) is None:
            continue
        for (grantee, action), privileges in sorted(_changes(_entries(have[name]), _entries(want[name])).items()):
            statement = _statement(action, privileges, f"TABLE {name}", grantee)
            script.add(statement, Phase.GRANT, int(owner.get("oid") or 0), statement.lower())
    _defaults(source.parts.get(DEFAULTS) or {}, target.parts.get(DEFAULTS) or {}, script)
    return script


def one_sided(difference: Difference) -> bool:
    """Return True for a MAINTAIN entry on one side only: its relation (or default privileges entry) is, and
    that has a line of its own."""
    return difference.kind != DIFFERS and difference.category in (RELATIONS, DEFAULTS)
