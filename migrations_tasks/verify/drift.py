"""Drift: is the live schema what the migrations build? (catalog snapshot, normalisation, diff).

The same catalog query (:func:`snapshot_sql`, one SQL expression returning JSON) runs against the live
database, inside ``db.verify``'s single request, and against a throwaway database to which the
migrations were just applied (:func:`build_expected`). :func:`normalise` turns either answer into plain
dicts keyed by object name; :func:`diff` reports each difference as ``only in migrations``,
``only in database`` or ``differs``, naming the object and what differs.

The throwaway database comes from :mod:`.throwaway`. Compared, in the user schemas:
tables (RLS flags; columns with types, nullability, defaults, identity, generation), constraints (NOT NULL
is compared as a column's nullability, so PostgreSQL 18's named NOT NULL constraints are left out), indexes,
policies, functions, triggers (also those on platform tables such as ``auth.users`` calling user
functions), views, enums, extensions and column privileges (``GRANT SELECT (col) ON ...``, which a
table-level comparison cannot see). Definitions are compared as PostgreSQL prints them
(``pg_get_*def``), ignoring whitespace and case where SQL does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .. import untrusted
from ..sql import normal_tokens, quote_ident
from .lints import user_schema_condition

ONLY_MIGRATIONS = "only in migrations"
ONLY_DATABASE = "only in database"
DIFFERS = "differs"

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
ATTACHED_SCHEMAS = ("auth", "storage")


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


@dataclass(frozen=True)
class Difference:
    """One way the live database differs from what the migrations build."""

    kind: str  # ONLY_MIGRATIONS | ONLY_DATABASE | DIFFERS
    category: str  # "table", "column", "policy", ...
    object: str
    detail: str = ""

    def describe(self) -> str:
        """Return the difference as one line (names with hidden characters shown escaped and flagged)."""
        detail = f": {untrusted.escape(self.detail)}" if self.detail else ""
        return f"{self.kind}: {self.category} {untrusted.flagged(self.object)}{detail}"


Catalog = dict[str, dict[str, dict[str, Any]]]

_CATEGORIES = {
    "tables": "table",
    "constraints": "constraint",
    "indexes": "index",
    "policies": "policy",
    "functions": "function",
    "triggers": "trigger",
    "views": "view",
    "enums": "enum",
    "extensions": "extension",
    "column_grants": "column grants",
}
_KIND_NAMES = {"r": "table", "p": "partitioned table", "f": "foreign table", "v": "view", "m": "materialized view"}
_POLICY_COMMANDS = {"r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE", "*": "ALL"}


def _canonical(text: str | None) -> str | None:
    """Return SQL text with whitespace, comments and case normalised (None stays None)."""
    if text is None:
        return None
    try:
        return " ".join(normal_tokens(text))
    except Exception:
        return " ".join(text.split())


def normalise(raw: Mapping[str, Any]) -> Catalog:
    """Turn a snapshot (the JSON of :func:`snapshot_sql`) into ``{category: {object name: attributes}}``."""
    out: Catalog = {"schemas": {name: {} for name in raw.get("schemas") or []}}
    for key in _CATEGORIES:
        items: dict[str, dict[str, Any]] = {}
        for item in raw.get(key) or []:
            item = dict(item)
            name = str(item.pop("name"))
            if key == "tables":
                item["columns"] = {str(c.pop("name")): c for c in (dict(col) for col in item["columns"] or [])}
            for attr in ("definition", "using", "check"):
                if attr in item:
                    item[attr] = _canonical(item[attr])
            if key == "tables":
                for column in item["columns"].values():
                    column["default"] = _canonical(column.get("default"))
            for attr in ("roles", "grants"):
                if isinstance(item.get(attr), list):
                    item[attr] = sorted(item[attr])
            items[name] = item
        out[key] = items
    return out


def _describe_column(column: Mapping[str, Any]) -> str:
    parts = [str(column.get("type"))]
    if column.get("not_null"):
        parts.append("NOT NULL")
    if column.get("default") is not None:
        parts.append(f"DEFAULT {column['default']}")
    if column.get("identity"):
        parts.append("GENERATED AS IDENTITY")
    if column.get("generated"):
        parts.append("GENERATED")
    return " ".join(parts)


def _column_changes(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> list[str]:
    changes = []
    if expected.get("type") != actual.get("type"):
        changes.append(f"type {expected.get('type')} in migrations, {actual.get('type')} in database")
    if bool(expected.get("not_null")) != bool(actual.get("not_null")):
        want = "NOT NULL" if expected.get("not_null") else "nullable"
        have = "NOT NULL" if actual.get("not_null") else "nullable"
        changes.append(f"{want} in migrations, {have} in database")
    if expected.get("default") != actual.get("default"):
        changes.append(
            f"default {expected.get('default') or 'none'} in migrations, {actual.get('default') or 'none'} in database"
        )
    if (expected.get("identity") or "") != (actual.get("identity") or ""):
        changes.append("identity differs")
    if (expected.get("generated") or "") != (actual.get("generated") or ""):
        changes.append("generation differs")
    return changes


def short(text: Any, limit: int = 160) -> str:
    value = str(text)
    return value if len(value) <= limit else value[: limit - 3] + "..."


def _attribute_changes(category: str, expected: Mapping[str, Any], actual: Mapping[str, Any]) -> list[str]:
    changes = []
    for attr in sorted(set(expected) | set(actual)):
        want, have = expected.get(attr), actual.get(attr)
        if want == have:
            continue
        if attr == "command":
            want, have = _POLICY_COMMANDS.get(str(want), want), _POLICY_COMMANDS.get(str(have), have)
        if attr == "kind":
            want, have = _KIND_NAMES.get(str(want), want), _KIND_NAMES.get(str(have), have)
        label = {
            "definition": "definition",
            "using": "USING",
            "check": "WITH CHECK",
            "roles": "roles",
            "permissive": "permissive",
            "labels": "labels",
            "options": "options",
            "schema": "schema",
            "enabled": "enabled",
        }.get(attr, attr)
        changes.append(f"{label}: {short(want)} in migrations, {short(have)} in database")
    return changes


def diff(expected: Catalog, actual: Catalog) -> list[Difference]:
    """Return every difference between the catalog the migrations build and the live one."""
    out: list[Difference] = []
    for name in sorted(set(expected.get("schemas", {})) - set(actual.get("schemas", {}))):
        out.append(Difference(ONLY_MIGRATIONS, "schema", name))
    for name in sorted(set(actual.get("schemas", {})) - set(expected.get("schemas", {}))):
        out.append(Difference(ONLY_DATABASE, "schema", name))
    for key, category in _CATEGORIES.items():
        want, have = expected.get(key, {}), actual.get(key, {})
        for name in sorted(set(want) | set(have)):
            if name not in have:
                out.append(Difference(ONLY_MIGRATIONS, category, name))
                continue
            if name not in want:
                if key == "extensions" and name in PLATFORM_EXTENSIONS:
                    continue
                out.append(Difference(ONLY_DATABASE, category, name))
                continue
            if key == "tables":
                out.extend(_table_differences(name, want[name], have[name]))
                continue
            changes = _attribute_changes(category, want[name], have[name])
            if changes:
                out.append(Difference(DIFFERS, category, name, "; ".join(changes)))
    return out


def _table_differences(name: str, want: Mapping[str, Any], have: Mapping[str, Any]) -> list[Difference]:
    out: list[Difference] = []
    flags = []
    if want.get("kind") != have.get("kind"):
        flags.append(
            f"{_KIND_NAMES.get(str(want.get('kind')))} in migrations, "
            f"{_KIND_NAMES.get(str(have.get('kind')))} in database"
        )
    for attr, label in (("rls", "row level security"), ("force_rls", "forced row level security")):
        if bool(want.get(attr)) != bool(have.get(attr)):
            flags.append(
                f"{label} {'enabled' if want.get(attr) else 'disabled'} in migrations, "
                f"{'enabled' if have.get(attr) else 'disabled'} in database"
            )
    if flags:
        out.append(Difference(DIFFERS, "table", name, "; ".join(flags)))
    want_cols, have_cols = want.get("columns", {}), have.get("columns", {})
    for column in want_cols:
        if column not in have_cols:
            out.append(
                Difference(
                    ONLY_MIGRATIONS, "column", f"{name}.{quote_ident(column)}", _describe_column(want_cols[column])
                )
            )
    for column in have_cols:
        if column not in want_cols:
            out.append(
                Difference(
                    ONLY_DATABASE, "column", f"{name}.{quote_ident(column)}", _describe_column(have_cols[column])
                )
            )
    for column in want_cols:
        if column in have_cols:
            changes = _column_changes(want_cols[column], have_cols[column])
            if changes:
                out.append(Difference(DIFFERS, "column", f"{name}.{quote_ident(column)}", "; ".join(changes)))
    return out
