"""Security and safety advisories as SQL (pure text builders), in the spirit of Supabase's advisors.

:func:`findings_sql` returns one SQL expression whose value is a JSON array of findings, each
``{"rule", "object", "relation", "detail"}``; :data:`RULES` adds each rule's level and one-line remedy.
The expression is embedded in ``db.verify``'s single request, so the advisories cost no extra round trip.

"Exposed" schemas are the ones the Data API serves (``public`` and ``graphql_public`` unless configured);
"user" schemas are every schema except PostgreSQL's and the platform's own (see :data:`PLATFORM_SCHEMAS`).
Objects that belong to an extension are never reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..catalog.schemas import text_array, user_schema_condition

#: Roles that bypass RLS anyway: a permissive policy only for them allows nothing new.
PRIVILEGED_ROLES = ("service_role", "postgres", "supabase_admin")

ERROR, WARN, INFO = "error", "warn", "info"
LEVELS = (ERROR, WARN, INFO)


@dataclass(frozen=True)
class Rule:
    """One advisory: how serious it is, what it means, and what to do about it."""

    name: str
    level: str
    title: str
    remedy: str


RULES: dict[str, Rule] = {
    r.name: r
    for r in (
        Rule(
            "rls_disabled_in_public",
            ERROR,
            "Table in an API-exposed schema without row level security",
            "ALTER TABLE ... ENABLE ROW LEVEL SECURITY and add policies (or move the table out of exposed schemas).",
        ),
        Rule(
            "policy_exists_rls_disabled",
            ERROR,
            "Policies exist but row level security is disabled",
            "ALTER TABLE ... ENABLE ROW LEVEL SECURITY so the policies take effect (or drop them).",
        ),
        Rule(
            "security_definer_view",
            ERROR,
            "View in an API-exposed schema runs with its owner's rights",
            "ALTER VIEW ... SET (security_invoker = true), so RLS applies to the querying user.",
        ),
        Rule(
            "auth_users_exposed",
            ERROR,
            "auth.users is exposed through a view in an API-exposed schema",
            "Drop the view or move it to an unexposed schema; REVOKE SELECT from anon and authenticated.",
        ),
        Rule(
            "function_search_path_mutable",
            WARN,
            "Function with a mutable search_path",
            "Add SET search_path = '' (and qualify every name), or a fixed search_path, to the function.",
        ),
        Rule(
            "rls_policy_always_true",
            WARN,
            "Write policy that allows everything",
            "Replace USING (true) / WITH CHECK (true) with a condition, e.g. (select auth.uid()) = user_id.",
        ),
        Rule(
            "extension_in_public",
            WARN,
            "Extension installed in the public schema",
            "Install it in the extensions schema: ALTER EXTENSION ... SET SCHEMA extensions.",
        ),
        Rule(
            "materialized_view_in_api",
            WARN,
            "Materialized view in an API-exposed schema (RLS does not apply)",
            "Move it to an unexposed schema, or REVOKE SELECT from anon and authenticated.",
        ),
        Rule(
            "rls_enabled_no_policy",
            INFO,
            "Row level security enabled but no policy: nobody can use the table",
            "Add policies for the roles that should reach it, or silence this if only service_role may.",
        ),
        Rule(
            "invalid_index",
            ERROR,
            "INVALID index: a build that failed or was cancelled; queries ignore it and a UNIQUE one enforces nothing",
            "Fix what made it fail (duplicate rows, a timeout), then DROP INDEX CONCURRENTLY it and build it again "
            "(or REINDEX INDEX CONCURRENTLY it).",
        ),
        Rule(
            "no_primary_key",
            INFO,
            "Table without a primary key",
            "Add a primary key: replication, realtime and row-level edits need one.",
        ),
        Rule(
            "unindexed_foreign_keys",
            INFO,
            "Foreign key without a covering index",
            "CREATE INDEX on the referencing column(s), so joins and cascading deletes stay fast.",
        ),
    )
}


def _not_extension_member(classid: str, objid: str) -> str:
    return (
        f"NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep WHERE dep.classid = '{classid}'::regclass "
        f"AND dep.objid = {objid} AND dep.deptype = 'e')"
    )


def findings_sql(exposed: Sequence[str]) -> str:
    """Return an expression whose value is the JSON array of every finding (before silencing)."""
    exp = text_array(exposed)
    user = user_schema_condition("n.nspname")
    rel = "format('%I.%I', n.nspname, c.relname)"
    not_ext = _not_extension_member("pg_class", "c.oid")
    tables = "pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    privileged = text_array(PRIVILEGED_ROLES)
    can_read = (
        "(CASE WHEN to_regrole('anon') IS NULL THEN false ELSE has_table_privilege('anon', c.oid, "
        "'SELECT') END OR CASE WHEN to_regrole('authenticated') IS NULL THEN false ELSE "
        "has_table_privilege('authenticated', c.oid, 'SELECT') END)"
    )
    invoker = (
        "EXISTS (SELECT 1 FROM unnest(coalesce(c.reloptions, '{}')) o WHERE lower(o) IN "
        "('security_invoker=true', 'security_invoker=on', 'security_invoker=1', 'security_invoker=yes'))"
    )
    cmd = (
        "CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' "
        "WHEN 'd' THEN 'DELETE' ELSE 'ALL' END"
    )
    parts = [
        # Tables the Data API serves without RLS: anyone with the anon key reads and writes them.
        f"""SELECT 'rls_disabled_in_public' AS rule, {rel} AS object, {rel} AS relation,
  'RLS is disabled, so the anon and authenticated roles reach every row' AS detail
FROM {tables}
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY({exp}) AND NOT c.relrowsecurity
  AND {not_ext}""",
        f"""SELECT 'policy_exists_rls_disabled', {rel}, {rel},
  format('%s polic%s (%s) but RLS is disabled, so none of them applies', count(*),
         CASE WHEN count(*) = 1 THEN 'y' ELSE 'ies' END, string_agg(format('%L', p.polname), ', ' ORDER BY p.polname))
FROM {tables} JOIN pg_catalog.pg_policy p ON p.polrelid = c.oid
WHERE NOT c.relrowsecurity AND {user} AND {not_ext}
GROUP BY n.nspname, c.relname""",
        f"""SELECT 'rls_enabled_no_policy', {rel}, {rel}, 'RLS is enabled and no policy exists'
FROM {tables}
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY({exp}) AND c.relrowsecurity
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid) AND {not_ext}""",
        f"""SELECT 'security_definer_view', {rel}, {rel},
  'the view is not security_invoker: it reads its tables with its owner''s rights, bypassing their RLS'
FROM {tables}
WHERE c.relkind = 'v' AND n.nspname = ANY({exp}) AND NOT {invoker} AND {not_ext}""",
        f"""SELECT 'auth_users_exposed', {rel}, {rel},
  'the view reads auth.users and anon or authenticated may select from it'
FROM {tables}
WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY({exp}) AND {can_read} AND {not_ext}
  AND EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_depend d
              ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
              WHERE r.ev_class = c.oid AND d.refobjid = to_regclass('auth.users'))""",
        f"""SELECT 'function_search_path_mutable',
  format('%I.%I(%s)', n.nspname, f.proname, pg_get_function_identity_arguments(f.oid)),
  format('%I.%I', n.nspname, f.proname),
  'the function does not set search_path, so callers can change what its unqualified names mean'
FROM pg_catalog.pg_proc f JOIN pg_catalog.pg_namespace n ON n.oid = f.pronamespace
WHERE f.prokind IN ('f', 'p') AND {user} AND {_not_extension_member("pg_proc", "f.oid")}
  AND NOT EXISTS (SELECT 1 FROM unnest(coalesce(f.proconfig, '{{}}')) cfg WHERE cfg LIKE 'search_path=%')""",
        f"""SELECT 'rls_policy_always_true', format('%s (policy %I)', {rel}, p.polname), {rel},
  format('%s policy %L for %s allows every row (%s)', {cmd}, p.polname,
         CASE WHEN 0 = ANY(p.polroles) THEN 'everyone' ELSE
           (SELECT string_agg(r.rolname, ', ' ORDER BY r.rolname) FROM pg_catalog.pg_roles r
             WHERE r.oid = ANY(p.polroles)) END,
         concat_ws(' and ',
           CASE WHEN pg_get_expr(p.polqual, p.polrelid) = 'true' THEN 'USING (true)' END,
           CASE WHEN pg_get_expr(p.polwithcheck, p.polrelid) = 'true' THEN 'WITH CHECK (true)' END))
FROM {tables} JOIN pg_catalog.pg_policy p ON p.polrelid = c.oid
WHERE p.polpermissive AND p.polcmd IN ('a', 'w', 'd', '*') AND {user} AND {not_ext}
  AND (pg_get_expr(p.polqual, p.polrelid) = 'true' OR pg_get_expr(p.polwithcheck, p.polrelid) = 'true')
  AND NOT (NOT 0 = ANY(p.polroles) AND p.polroles <@ ARRAY(
           SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = ANY({privileged})))""",
        """SELECT 'extension_in_public', format('extension %I', e.extname), format('%I', e.extname),
  format('extension %I is installed in schema %I', e.extname, n.nspname)
FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
WHERE n.nspname = 'public'""",
        f"""SELECT 'materialized_view_in_api', {rel}, {rel},
  'a materialized view in an exposed schema is served without RLS'
FROM {tables}
WHERE c.relkind = 'm' AND n.nspname = ANY({exp}) AND {not_ext}""",
        f"""SELECT 'invalid_index', format('%I.%I', n.nspname, ix.relname), {rel},
  format('index %I is INVALID%s', ix.relname, CASE WHEN i.indisunique THEN ': its uniqueness is not enforced' END)
FROM {tables} JOIN pg_catalog.pg_index i ON i.indrelid = c.oid JOIN pg_catalog.pg_class ix ON ix.oid = i.indexrelid
WHERE NOT i.indisvalid AND n.nspname !~ '^pg_' AND {not_ext}
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_progress_create_index b WHERE b.index_relid = i.indexrelid)""",
        f"""SELECT 'no_primary_key', {rel}, {rel}, 'the table has no primary key'
FROM {tables}
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY({exp}) AND {not_ext}
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p')""",
        f"""SELECT 'unindexed_foreign_keys', format('%s (constraint %I)', {rel}, k.conname), {rel},
  format('foreign key %I on (%s) has no index starting with those columns', k.conname,
         (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
           WHERE a.attrelid = k.conrelid AND a.attnum = ANY(k.conkey)))
FROM {tables} JOIN pg_catalog.pg_constraint k ON k.conrelid = c.oid AND k.contype = 'f'
WHERE {user} AND {not_ext}
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = k.conrelid
        AND (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(k.conkey)] @> k.conkey
        AND (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(k.conkey)] <@ k.conkey)""",
    ]
    union = "\nUNION ALL\n".join(f"({p})" for p in parts)
    return (
        f"(SELECT coalesce(json_agg(json_build_object('rule', x.rule, 'object', x.object, "
        f"'relation', x.relation, 'detail', x.detail) ORDER BY x.rule, x.object), '[]'::json)\n"
        f" FROM (\n{union}\n) x)"
    )
