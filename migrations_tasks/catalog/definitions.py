"""More of the detail: the definitions db.pull needs for types, rules, statistics, collations, default
privileges and comments on any object (pure SQL text).

Names are PostgreSQL's own quoting (``quote_ident``, ``format('%I')``, ``regtype`` under an empty
search_path), so a generator never splits a name to quote its parts. Each entry is named as the part of
:mod:`.parts` that compares it, so a difference found there is found here under the same name.
"""

from __future__ import annotations

from .core import ATTACHED_SCHEMAS
from .schemas import commented_objects_sql

_CLS = "pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
#: The objects COMMENT ON accepts by their ``pg_identify_object`` type, upper-cased (but for these).
COMMENT_KINDS = """CASE WHEN o.type LIKE '% column' THEN 'COLUMN' WHEN o.type = 'table constraint' THEN 'CONSTRAINT'
  WHEN o.type = 'statistics object' THEN 'STATISTICS' WHEN o.type = 'foreign-data wrapper' THEN 'FOREIGN DATA WRAPPER'
  WHEN o.type = 'domain constraint' THEN 'CONSTRAINT' ELSE upper(o.type) END"""
#: The ``pg_identify_object`` types whose comments db.pull writes.
COMMENTABLE = (
    "('table', 'table column', 'view', 'view column', 'materialized view', 'materialized view column', "
    "'foreign table', 'foreign table column', 'composite type column', 'function', 'procedure', "
    "'aggregate', 'schema', 'type', 'domain', 'sequence', 'index', 'policy', 'trigger', 'rule', 'table constraint', "
    "'domain constraint', 'publication', 'event trigger', 'collation', 'statistics object', 'extension', "
    "'text search configuration', 'text search dictionary', 'server', 'foreign-data wrapper', 'conversion')"
)


def _not_member(catalog: str, oid: str) -> str:
    return (
        f"NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep WHERE dep.classid = '{catalog}'::regclass "
        f"AND dep.objid = {oid} AND dep.deptype = 'e')"
    )


def _types_sql(user: str) -> str:
    """Return the detail entry of composite types, domains and ranges (named as the ``types`` part names them)."""
    constraints = """(SELECT coalesce(json_agg(json_build_object('sql', format('CONSTRAINT %I %s', k.conname,
        pg_catalog.pg_get_constraintdef(k.oid)), 'valid', k.convalidated, 'ident', quote_ident(k.conname),
        'not_null', k.contype = 'n') ORDER BY k.conname), '[]')
        FROM pg_catalog.pg_constraint k WHERE k.contypid = t.oid AND k.contype IN ('c', 'n'))"""
    return f"""'user_types', (SELECT coalesce(json_agg(json_build_object('name', format('%I.%I', n.nspname, t.typname),
      'oid', t.oid::bigint, 'kind', t.typtype,
      'attribute_idents', (SELECT json_agg(quote_ident(a.attname) ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped),
      'attributes', (SELECT json_agg(format('%I %s%s', a.attname, format_type(a.atttypid, a.atttypmod),
          CASE WHEN a.attcollation <> at.typcollation THEN (SELECT format(' COLLATE %I.%I', cn.nspname, co.collname)
            FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
            WHERE co.oid = a.attcollation) ELSE '' END) ORDER BY a.attnum)
        FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type at ON at.oid = a.atttypid
        WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped),
      'base', CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
      'collation', CASE WHEN t.typtype = 'd' AND t.typcollation <> (SELECT b.typcollation FROM pg_catalog.pg_type b
          WHERE b.oid = t.typbasetype) THEN (SELECT format('%I.%I', cn.nspname, co.collname)
          FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
          WHERE co.oid = t.typcollation) END,
      'default', t.typdefault, 'not_null', t.typnotnull, 'constraints', {constraints},
      'range', (SELECT json_strip_nulls(json_build_object('subtype', format_type(r.rngsubtype, NULL),
          'subtype_opclass', (SELECT format('%I.%I', ocn.nspname, oc.opcname) FROM pg_catalog.pg_opclass oc
            JOIN pg_catalog.pg_namespace ocn ON ocn.oid = oc.opcnamespace
            WHERE oc.oid = r.rngsubopc AND NOT oc.opcdefault),
          'collation', (SELECT format('%I.%I', cn.nspname, co.collname) FROM pg_catalog.pg_collation co
            JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = r.rngcollation
            AND r.rngcollation <> (SELECT s.typcollation FROM pg_catalog.pg_type s WHERE s.oid = r.rngsubtype)),
          'canonical', nullif(r.rngcanonical, 0)::regproc::text, 'subtype_diff', nullif(r.rngsubdiff, 0)::regproc::text,
          'multirange_type_name', r.rngmultitypid::regtype::text))
        FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid))), '[]')
   FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
   WHERE {user} AND t.typtype IN ('c', 'd', 'r', 'm', 'b') AND t.typcategory <> 'A'
     AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')
     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_type'::regclass
                     AND d.objid = t.oid AND d.deptype IN ('e', 'i')))"""


def _objects_sql(user: str) -> list[str]:
    """Return the detail entries of rules, statistics objects and collations."""
    return [
        f"""'rules', (SELECT coalesce(json_agg(json_build_object('name', format('%I on %I.%I', r.rulename, n.nspname,
      c.relname), 'ident', quote_ident(r.rulename), 'table', format('%I.%I', n.nspname, c.relname),
      'oid', r.oid::bigint, 'definition', pg_catalog.pg_get_ruledef(r.oid))), '[]')
   FROM pg_catalog.pg_rewrite r JOIN {_CLS} ON c.oid = r.ev_class WHERE {user} AND r.rulename <> '_RETURN')""",
        f"""'statistics', (SELECT coalesce(json_agg(json_build_object('name', format('%I.%I', n.nspname, s.stxname),
      'oid', s.oid::bigint, 'table', (SELECT format('%I.%I', tn.nspname, tc.relname) FROM pg_catalog.pg_class tc
        JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace WHERE tc.oid = s.stxrelid),
      'definition', pg_catalog.pg_get_statisticsobjdef(s.oid), 'target', s.stxstattarget)), '[]')
   FROM pg_catalog.pg_statistic_ext s JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace WHERE {user})""",
        f"""'collations', (SELECT coalesce(json_agg(to_jsonb(co) - 'oid' || jsonb_build_object(
      'name', format('collation %s', o.identity), 'ident', format('%I.%I', n.nspname, co.collname),
      'oid', co.oid::bigint)), '[]')
   FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace n ON n.oid = co.collnamespace
   CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_collation'::regclass, co.oid, 0) o
   WHERE {user} AND {_not_member("pg_collation", "co.oid")})""",
    ]


def type_acls_sql(user: str) -> str:
    """Return the detail entry of privileges on types and domains, as ``grantee PRIVILEGE`` (the owner's aside)."""
    entry = (
        "CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(x.grantee)) END "
        "|| ' ' || x.privilege_type || CASE WHEN x.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END"
    )
    return f"""'type_acls', (SELECT coalesce(json_agg(json_build_object('name', format('%I.%I', n.nspname, t.typname),
      'oid', t.oid::bigint, 'keyword', CASE WHEN t.typtype = 'd' THEN 'DOMAIN' ELSE 'TYPE' END,
      'acl', (SELECT coalesce(json_agg(DISTINCT {entry}), '[]')
        FROM aclexplode(coalesce(t.typacl, acldefault('T', t.typowner))) x WHERE x.grantee <> t.typowner))), '[]')
   FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
   WHERE {user} AND t.typtype IN ('e', 'c', 'd', 'r', 'm') AND t.typcategory <> 'A'
     AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')
     AND {_not_member("pg_type", "t.oid")})"""


def default_acls_sql(writable: str) -> str:
    """Return the detail entry of default privileges: each entry's role, schema, kind and grants (owner's too)."""
    return f"""'default_acls', (SELECT coalesce(json_agg(json_build_object(
      'name', format('for %s in %s on %s', quote_ident(pg_get_userbyid(d.defaclrole)),
        coalesce(quote_ident(n.nspname), 'all schemas'), k.kind), 'kind', k.kind,
      'role', quote_ident(pg_get_userbyid(d.defaclrole)), 'role_name', pg_get_userbyid(d.defaclrole),
      'schema', quote_ident(n.nspname),
      'grants', (SELECT coalesce(json_agg(DISTINCT CASE WHEN x.grantee = 0 THEN 'PUBLIC'
          ELSE quote_ident(pg_get_userbyid(x.grantee)) END || ' ' || x.privilege_type
          || CASE WHEN x.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END), '[]')
        FROM aclexplode(d.defaclacl) x WHERE x.privilege_type <> 'MAINTAIN'))), '[]')
   FROM pg_catalog.pg_default_acl d LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
   CROSS JOIN LATERAL (SELECT CASE d.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences'
     WHEN 'f' THEN 'functions' WHEN 'T' THEN 'types' WHEN 'n' THEN 'schemas' END AS kind) k
   WHERE n.oid IS NULL OR {writable})"""


def comments_sql(user: str, writable: str) -> str:
    """Return the detail entry of comments: the COMMENT ON target of each comment the ``comments`` part compares."""
    target = f"""CASE WHEN o.type = 'domain constraint' THEN (SELECT format('CONSTRAINT %I ON DOMAIN %s', k.conname,
        k.contypid::regtype) FROM pg_catalog.pg_constraint k WHERE k.oid = d.objoid)
      ELSE format('%s %s', {COMMENT_KINDS}, o.identity) END"""
    relation = """CASE d.classoid WHEN 'pg_catalog.pg_class'::regclass THEN d.objoid
      WHEN 'pg_catalog.pg_policy'::regclass THEN (SELECT x.polrelid FROM pg_catalog.pg_policy x WHERE x.oid = d.objoid)
      WHEN 'pg_catalog.pg_trigger'::regclass THEN (SELECT x.tgrelid FROM pg_catalog.pg_trigger x WHERE x.oid = d.objoid)
      WHEN 'pg_catalog.pg_rewrite'::regclass THEN (SELECT x.ev_class FROM pg_catalog.pg_rewrite x
        WHERE x.oid = d.objoid)
      WHEN 'pg_catalog.pg_constraint'::regclass THEN (SELECT nullif(x.conrelid, 0) FROM pg_catalog.pg_constraint x
        WHERE x.oid = d.objoid) END"""
    return f"""'comments', (SELECT coalesce(json_agg(json_build_object(
      'name', format('%s %s', o.type, o.identity), 'target', {target}, 'text', d.description,
      'writable', o.type IN {COMMENTABLE},
      'relation', (SELECT format('%I.%I', rn.nspname, rc.relname) FROM pg_catalog.pg_class rc
        JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace WHERE rc.oid = {relation}),
      'platform', n.nspname IN ({", ".join(repr(s) for s in ATTACHED_SCHEMAS)}))), '[]')
   {commented_objects_sql(user, writable)})"""


def definitions_sql(user: str, writable: str) -> list[str]:
    """Return every entry of this module for :func:`.detail.detail_sql`."""
    return [
        _types_sql(user),
        *_objects_sql(user),
        type_acls_sql(user),
        default_acls_sql(writable),
        comments_sql(user, writable),
    ]
