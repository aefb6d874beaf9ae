"""Say which of hosted Supabase's restrictions an error comes from, and since when (pure).

The sandbox answers with Supabase's own SQLSTATE and message; for the errors of the reference's statement
table it adds one ``HINT`` line starting with ``sandbox:`` that names the restriction and when it arrived,
so a migration that worked on Supabase years ago and fails now is explained (shared/reference/
supabase-privileges.md, "When this changed").
"""

from __future__ import annotations

import re

from .supautils import POLICY_GRANT_TABLES

_REPAIR = (
    "Delete the statement; where the migration already ran, `supabase migration repair --status applied "
    "<version>` records the edited file."
)
_OWNERSHIP_2025 = (
    "sandbox: hosted Supabase refuses this since 2025-04-21, when postgres stopped being a member of "
    "supabase_auth_admin and supabase_storage_admin and lost CREATE on auth, storage and realtime. " + _REPAIR
)
_REALTIME_2026 = (
    "sandbox: hosted Supabase refuses this since 2026-07-07, when realtime's migration revoked "
    "supabase_realtime_admin from postgres. " + _REPAIR
)
_DELETE_2026 = (
    "sandbox: hosted Supabase refuses this since 2026-01-28 (a statement trigger on storage's tables); "
    "delete files through the Storage API, or SET storage.allow_delete_query = 'true' first."
)
_SUPAUTILS = "sandbox: hosted Supabase refuses this: postgres is not a superuser there (supautils' {})."

#: The tables Supabase's services own besides the listed ones, as schema.table.
_UNLISTED_TABLES = (
    "auth.oauth_authorizations",
    "auth.oauth_client_states",
    "auth.oauth_consents",
    "auth.schema_migrations",
    "storage.migrations",
    "realtime.messages_default",
)
#: Names of the tables Supabase's services own, and the schema (auth, storage, realtime) each is in.
PLATFORM_TABLES: dict[str, str] = {
    name.split(".")[1]: name.split(".")[0] for name in (*_UNLISTED_TABLES, *sorted(POLICY_GRANT_TABLES))
}
PLATFORM_TABLES["schema_migrations"] = "auth"  # also realtime's; auth's restriction is the older

_OWNER = re.compile(r"^must be owner of (?:table|relation|index) (\S+)$")
_OWNER_OF_OBJECT = re.compile(r"^must be owner of \w+(?: \w+)? (auth|storage|realtime)\.")
_SCHEMA = re.compile(r"^permission denied for schema (auth|storage|realtime)$")
_ROLES = re.compile(
    r'^"[^"]+" (is a reserved role|role memberships are reserved)|^permission denied to (alter|create) role$'
)
_EXTENSION = re.compile(r'^permission denied to create extension "[^"]+"$')


def _names(sql: str | None, schema: str, table: str) -> bool:
    """Return True when ``sql`` is unknown or names ``schema.table`` (the error names the bare table)."""
    if sql is None:
        return True
    return re.search(rf'(?i)(?<![\w$]){schema}"?\s*\.\s*"?{re.escape(table)}(?![\w$])', sql) is not None


def restriction(sqlstate: str | None, message: str, sql: str | None = None) -> str | None:
    """Return the ``sandbox:`` note for an error of the reference's statement table, else None.

    ``sql``, the request: PostgreSQL names the table without its schema, so an error about ``public.users``
    gets no note when the request never names ``auth.users``.
    """
    if sqlstate == "XX000" and message.startswith("Non-superuser owned event trigger"):
        return _SUPAUTILS.format("event trigger rules")
    if sqlstate != "42501":
        return None
    owner = _OWNER.match(message)
    if owner and owner.group(1) in PLATFORM_TABLES and _names(sql, PLATFORM_TABLES[owner.group(1)], owner.group(1)):
        return _REALTIME_2026 if PLATFORM_TABLES[owner.group(1)] == "realtime" else _OWNERSHIP_2025
    if _OWNER_OF_OBJECT.match(message) or _SCHEMA.match(message):
        return _OWNERSHIP_2025
    if message.startswith("Direct deletion from storage tables is not allowed"):
        return _DELETE_2026
    if _ROLES.match(message):
        return _SUPAUTILS.format("reserved_roles and reserved_memberships")
    if _EXTENSION.match(message):
        return _SUPAUTILS.format("privileged_extensions")
    if message.startswith("permission denied to set parameter"):
        return _SUPAUTILS.format("privileged_role; only privileged_role_allowed_configs may be set")
    if message.startswith("permission denied to COPY to or from"):
        return _SUPAUTILS.format("privileged_role")
    return None
