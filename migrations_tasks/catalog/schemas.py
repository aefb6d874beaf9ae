"""Which schemas are the user's: every schema but PostgreSQL's and the platform's own (pure SQL text)."""

from __future__ import annotations

from collections.abc import Sequence

from ..sql import quote_literal

#: Schemas Supabase (or PostgreSQL) manages; migrations' objects are compared and linted outside them.
PLATFORM_SCHEMAS = (
    "information_schema",
    "auth",
    "storage",
    "extensions",
    "graphql",
    "graphql_public",
    "realtime",
    "_realtime",
    "supabase_functions",
    "supabase_migrations",
    "vault",
    "pgsodium",
    "pgsodium_masks",
    "net",
    "cron",
    "pgbouncer",
    "_analytics",
    "pgtle",
    "topology",
    "tiger",
    "tiger_data",
    "_supavisor",
    "_sandbox",  # the sandbox's emulation of supautils (sandbox/sql/90_strict.sql); not on Supabase
)


def text_array(values: Sequence[str]) -> str:
    """Return a ``text[]`` literal (``'{}'`` when empty)."""
    if not values:
        return "'{}'::text[]"
    return "ARRAY[" + ", ".join(quote_literal(v) for v in values) + "]::text[]"


def user_schema_condition(column: str, schemas: Sequence[str] = (), ignore: Sequence[str] = ()) -> str:
    """Return a condition on a schema-name column: the given schemas, else every non-platform schema."""
    if schemas:
        return f"{column} = ANY({text_array(schemas)})"
    skipped = text_array([*PLATFORM_SCHEMAS, *ignore])
    return f"({column} <> ALL({skipped}) AND {column} !~ '^pg_')"


def commented_objects_sql(user: str, writable: str) -> str:
    """Return the FROM and WHERE of the comments the catalog reads: on objects in the user schemas, on
    policies, triggers and rules of the writable platform tables, on publications and event triggers
    (``d``: pg_description, ``o``: pg_identify_object, ``n``: the object's schema, its table's for
    policies, triggers and rules)."""
    return f"""FROM pg_catalog.pg_description d
  CROSS JOIN LATERAL pg_catalog.pg_identify_object(d.classoid, d.objoid, d.objsubid) o
  LEFT JOIN pg_catalog.pg_namespace n ON n.oid = CASE d.classoid
    WHEN 'pg_catalog.pg_namespace'::regclass THEN d.objoid
    WHEN 'pg_catalog.pg_policy'::regclass THEN (SELECT t.relnamespace FROM pg_catalog.pg_policy x
      JOIN pg_catalog.pg_class t ON t.oid = x.polrelid WHERE x.oid = d.objoid)
    WHEN 'pg_catalog.pg_trigger'::regclass THEN (SELECT t.relnamespace FROM pg_catalog.pg_trigger x
      JOIN pg_catalog.pg_class t ON t.oid = x.tgrelid WHERE x.oid = d.objoid)
    WHEN 'pg_catalog.pg_rewrite'::regclass THEN (SELECT t.relnamespace FROM pg_catalog.pg_rewrite x
      JOIN pg_catalog.pg_class t ON t.oid = x.ev_class WHERE x.oid = d.objoid)
    ELSE (SELECT s.oid FROM pg_catalog.pg_namespace s WHERE s.nspname = o.schema) END
 WHERE d.objoid >= 16384 AND d.classoid <> 'pg_catalog.pg_database'::regclass
   AND ({user} OR ({writable} AND o.type IN ('policy', 'trigger', 'rule'))
        OR o.type IN ('publication', 'event trigger'))"""
