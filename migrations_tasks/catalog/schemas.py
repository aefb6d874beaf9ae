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
