"""The core of the catalog snapshot: one SQL expression returning JSON, objects keyed by name (pure SQL text).

It runs against the live database (inside ``db.verify``'s and ``db.pull``'s one read) and against a
throwaway database the migrations were applied to; :mod:`.diff` compares two answers. Read, in the user
schemas:
tables (RLS flags; columns with types, nullability, defaults, identity, generation), constraints (NOT NULL
is compared as a column's nullability, so PostgreSQL 18's named NOT NULL constraints are left out), indexes,
policies, functions, triggers (also those on platform tables such as ``auth.users`` calling user
functions), views, enums, extensions and column privileges (``GRANT SELECT (col) ON ...``, which a
table-level comparison cannot see). Definitions are compared as PostgreSQL prints them
(``pg_get_*def``), ignoring whitespace and case where SQL does.
"""

from __future__ import annotations

from collections.abc import Sequence

from .schemas import user_schema_condition

#: Extensions a Supabase project has before any migration runs; not reported as "only in database".
PLATFORM_EXTENSIONS = frozenset(
    {
        "plpgsql",
        "pg_graphql",
        "pg_stat_statements",
        "pgcrypto",
        "uuid-ossp",
        "supabase_vault",
        "pgsodium",
        "pgjwt",
        "pg_net",
        "pg_cron",
    }
)

#: A column privilege as ``db.verify`` shows it: ``grantee PRIVILEGE [WITH GRANT OPTION]``.
COLUMN_GRANT = (
    "CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(x.grantee)) END "
    "|| ' ' || x.privilege_type || CASE WHEN x.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END"
)

#: Platform schemas whose tables migrations commonly attach policies or triggers to.
ATTACHED_SCHEMAS = ("auth", "storage", "realtime")


def snapshot_sql(schemas: Sequence[str] = (), ignore: Sequence[str] = ()) -> str:
    """Return an expression whose value is a JSON object describing the user schemas' catalog."""
    user = user_schema_condition("n.nspname", schemas, ignore)
    attached = "n.nspname IN (" + ", ".join(f"'{s}'" for s in ATTACHED_SCHEMAS) + ")"
    rel = "format('%I.%I', n.nspname, c.relname)"
    not_ext = (
        "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep WHERE dep.classid = '{cls}'::regclass "
        "AND dep.objid = {oid} AND dep.deptype = 'e')"
    )
    cls = "pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    return f"""json_build_object(
 'schemas', (SELECT coalesce(json_agg(n.nspname ORDER BY n.nspname), '[]') FROM pg_catalog.pg_namespace n
             WHERE {user} AND n.nspname <> 'public'),
 'tables', (SELECT coalesce(json_agg(json_build_object(
      'name', {rel}, 'kind', c.relkind, 'rls', c.relrowsecurity, 'force_rls', c.relforcerowsecurity,
      'columns', (SELECT coalesce(json_agg(json_build_object(
          'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'not_null', a.attnotnull,
          'default', pg_get_expr(d.adbin, d.adrelid), 'identity', a.attidentity, 'generated', a.attgenerated)
          ORDER BY a.attnum), '[]')
        FROM pg_catalog.pg_attribute a
        LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped))), '[]')
   FROM {cls} WHERE c.relkind IN ('r', 'p', 'f') AND {user} AND {not_ext.format(cls="pg_class", oid="c.oid")}),
 'constraints', (SELECT coalesce(json_agg(json_build_object(
      'name', format('%I on %s', k.conname, {rel}), 'definition', pg_get_constraintdef(k.oid))), '[]')
   FROM pg_catalog.pg_constraint k JOIN {cls} ON c.oid = k.conrelid
   WHERE k.contype <> 'n' AND {user} AND {not_ext.format(cls="pg_class", oid="c.oid")}),
 'indexes', (SELECT coalesce(json_agg(json_build_object(
      'name', format('%I.%I', n.nspname, ic.relname), 'definition', pg_get_indexdef(i.indexrelid))), '[]')
   FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
   JOIN {cls} ON c.oid = i.indrelid
   WHERE {user} AND {not_ext.format(cls="pg_class", oid="c.oid")}
     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid
                     AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x'))),
 'policies', (SELECT coalesce(json_agg(json_build_object(
      'name', format('%I on %s', p.polname, {rel}), 'command', p.polcmd, 'permissive', p.polpermissive,
      'roles', (SELECT coalesce(json_agg(CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r)::text END
                                         ORDER BY 1), '[]') FROM unnest(p.polroles) r),
      'using', pg_get_expr(p.polqual, p.polrelid), 'check', pg_get_expr(p.polwithcheck, p.polrelid))), '[]')
   FROM pg_catalog.pg_policy p JOIN {cls} ON c.oid = p.polrelid WHERE {user} OR {attached}),
 'functions', (SELECT coalesce(json_agg(json_build_object(
      'name', format('%I.%I(%s)', n.nspname, f.proname, pg_get_function_identity_arguments(f.oid)),
      'definition', pg_get_functiondef(f.oid))), '[]')
   FROM pg_catalog.pg_proc f JOIN pg_catalog.pg_namespace n ON n.oid = f.pronamespace
   WHERE f.prokind IN ('f', 'p', 'w') AND {user} AND {not_ext.format(cls="pg_proc", oid="f.oid")}),
 'triggers', (SELECT coalesce(json_agg(json_build_object(
      'name', format('%I on %s', t.tgname, {rel}), 'definition', pg_get_triggerdef(t.oid),
      'enabled', t.tgenabled)), '[]')
   FROM pg_catalog.pg_trigger t JOIN {cls} ON c.oid = t.tgrelid
   JOIN pg_catalog.pg_proc f ON f.oid = t.tgfoid JOIN pg_catalog.pg_namespace fn ON fn.oid = f.pronamespace
   WHERE NOT t.tgisinternal AND ({user} OR {user_schema_condition("fn.nspname", schemas, ignore)})),
 'views', (SELECT coalesce(json_agg(json_build_object(
      'name', {rel}, 'kind', c.relkind, 'definition', pg_get_viewdef(c.oid),
      'options', (SELECT coalesce(json_agg(o ORDER BY o), '[]') FROM unnest(c.reloptions) o))), '[]')
   FROM {cls} WHERE c.relkind IN ('v', 'm') AND {user} AND {not_ext.format(cls="pg_class", oid="c.oid")}),
 'enums', (SELECT coalesce(json_agg(json_build_object(
      'name', format('%I.%I', n.nspname, ty.typname),
      'labels', (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e
                 WHERE e.enumtypid = ty.oid))), '[]')
   FROM pg_catalog.pg_type ty JOIN pg_catalog.pg_namespace n ON n.oid = ty.typnamespace
   WHERE ty.typtype = 'e' AND {user} AND {not_ext.format(cls="pg_type", oid="ty.oid")}),
 'extensions', (SELECT coalesce(json_agg(json_build_object('name', e.extname, 'schema', n.nspname)), '[]')
   FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace),
 'column_grants', (SELECT coalesce(json_agg(json_build_object(
      'name', format('%s.%I', {rel}, a.attname), 'grants', g.grants)), '[]')
   FROM pg_catalog.pg_attribute a JOIN {cls} ON c.oid = a.attrelid
   CROSS JOIN LATERAL (SELECT json_agg(DISTINCT {COLUMN_GRANT}) AS grants FROM aclexplode(a.attacl) x
                       WHERE x.grantee <> c.relowner) g
   WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped AND g.grants IS NOT NULL
     AND c.relkind IN ('r', 'p', 'f', 'v', 'm') AND {user} AND {not_ext.format(cls="pg_class", oid="c.oid")})
)"""
