"""What a rollback must also restore, beyond drift's snapshot: privileges, sequences, types, comments,
publication membership, column order and owners (db.plan's rollback proof; db.verify does not compare these)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .drift import ATTACHED_SCHEMAS, DIFFERS, ONLY_DATABASE, ONLY_MIGRATIONS, Difference, short
from .lints import user_schema_condition

_USER = user_schema_condition("n.nspname")
_USER_OR_ATTACHED = f"({_USER} OR n.nspname IN ({', '.join(repr(s) for s in ATTACHED_SCHEMAS)}))"
_ACL = "(SELECT coalesce(json_agg(a::text ORDER BY a::text), '[]') FROM unnest({acl}) a)"
_TABLE_ACL = """coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))"""
_CLS = "pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"

#: Catalog parts beyond :func:`snapshot_sql`, each a JSON array of ``{"name": ..., "value": ...}``: privileges
#: (a NULL ACL compares equal to the explicit default), sequence definitions (not their values), composite,
#: domain and range types, comments, publication membership, column order and owners. Objects are keyed by
#: name only: oids, file nodes, statistics and dropped-column remnants change when an object is re-created.
ROLLBACK_PARTS: dict[str, str] = {
    "privileges": f"""SELECT format('%s %I.%I', CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view'
         ELSE 'table' END, n.nspname, c.relname),
       {_ACL.format(acl=_TABLE_ACL)}
  FROM {_CLS} WHERE {_USER_OR_ATTACHED} AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
UNION ALL
SELECT format('function %I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
       {_ACL.format(acl="coalesce(p.proacl, acldefault('f', p.proowner))")}
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE {_USER}
UNION ALL
SELECT format('schema %I', n.nspname), {_ACL.format(acl="coalesce(n.nspacl, acldefault('n', n.nspowner))")}
  FROM pg_catalog.pg_namespace n WHERE {_USER}
UNION ALL
SELECT format('column %I.%I.%I', n.nspname, c.relname, a.attname), {_ACL.format(acl="a.attacl")}
  FROM pg_catalog.pg_attribute a JOIN {_CLS} ON c.oid = a.attrelid
 WHERE {_USER} AND a.attnum > 0 AND NOT a.attisdropped AND a.attacl IS NOT NULL""",
    "sequences": f"""SELECT format('%I.%I', s.schemaname, s.sequencename), json_build_array(s.data_type::text,
       s.start_value, s.increment_by, s.min_value, s.max_value, s.cycle, s.cache_size)
  FROM pg_catalog.pg_sequences s JOIN pg_catalog.pg_namespace n ON n.nspname = s.schemaname WHERE {_USER}""",
    "types": f"""SELECT format('%I.%I', n.nspname, t.typname), json_build_object('kind', t.typtype,
       'base', CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
       'attributes', (SELECT json_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod))
                      ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
                      WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped),
       'checks', (SELECT json_agg(pg_get_constraintdef(k.oid) ORDER BY k.conname) FROM pg_catalog.pg_constraint k
                  WHERE k.contypid = t.oid))
  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
 WHERE {_USER} AND t.typtype IN ('c', 'd', 'r', 'm', 'b') AND t.typcategory <> 'A'
   AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_type'::regclass
                   AND d.objid = t.oid AND d.deptype IN ('e', 'i'))""",
    "comments": """SELECT format('%s %s', o.type, o.identity), to_json(d.description)
  FROM pg_catalog.pg_description d CROSS JOIN LATERAL pg_catalog.pg_identify_object(d.classoid, d.objoid, d.objsubid) o
 WHERE d.objoid >= 16384""",
    "publications": """SELECT format('%I: %I.%I', pt.pubname, pt.schemaname, pt.tablename), 'true'::json
  FROM pg_catalog.pg_publication_tables pt""",
    "column order": f"""SELECT format('%I.%I', n.nspname, c.relname), (SELECT json_agg(a.attname ORDER BY a.attnum)
       FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
  FROM {_CLS} WHERE {_USER} AND c.relkind IN ('r', 'p')""",
    "owners": f"""SELECT format('%I.%I', n.nspname, c.relname), to_json(pg_catalog.pg_get_userbyid(c.relowner)::text)
  FROM {_CLS} WHERE {_USER} AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')""",
}


def rollback_parts_sql() -> str:
    """Return an expression: a JSON object of :data:`ROLLBACK_PARTS`, each ``{name: value}``."""
    parts = ",\n ".join(
        f"'{key}', (SELECT coalesce(json_object_agg(x.name, x.value), '{{}}') FROM ({query}) x(name, value))"
        for key, query in ROLLBACK_PARTS.items()
    )
    return f"json_build_object(\n {parts})"


def rollback_differences(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Difference]:
    """Return how the :data:`ROLLBACK_PARTS` after apply + down differ from before the migration."""
    out: list[Difference] = []
    for key in ROLLBACK_PARTS:
        want, have = before.get(key) or {}, after.get(key) or {}
        for name in sorted(set(want) | set(have)):
            if name not in have:
                out.append(Difference(ONLY_MIGRATIONS, key, name))
            elif name not in want:
                out.append(Difference(ONLY_DATABASE, key, name))
            elif want[name] != have[name]:
                out.append(Difference(DIFFERS, key, name, f"{short(want[name])} before, {short(have[name])} after"))
    return out
