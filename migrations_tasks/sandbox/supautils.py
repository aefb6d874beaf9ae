"""supautils' rules for ``postgres`` on hosted Supabase, as data and as decisions on parsed statements (pure).

On hosted Supabase ``postgres`` is not a superuser; the supautils extension hooks every utility statement:
it refuses what touches reserved roles and memberships, and runs a listed set of superuser-only statements
as ``supabase_admin``. The sandbox cannot load C code, so it emulates that hook: the rules below decide, for
one parsed statement (a pglast node), whether Supabase refuses it (:func:`refusal`) or runs it as
``supabase_admin`` (:func:`privileged`). :mod:`.rewrite` applies them to a request.

The settings are those of hosted projects (shared/reference/supabase-privileges.md). What plain PostgreSQL
already decides as Supabase does (ownership, schema privileges, ``ALTER SYSTEM``, ``COPY ... PROGRAM``,
trusted extensions, ``SET`` of granted parameters) is left to PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pglast import ast, enums

from .trusted import PRIVILEGED_EXTENSIONS

PRIVILEGED_ROLE = "postgres"
#: supautils.reserved_roles: nobody but a superuser may change them.
RESERVED_ROLES = (
    "supabase_admin",
    "supabase_auth_admin",
    "supabase_storage_admin",
    "supabase_read_only_user",
    "supabase_realtime_admin",
    "supabase_replication_admin",
    "supabase_etl_admin",
    "dashboard_user",
    "pgbouncer",
)
#: Reserved roles marked ``*`` on Supabase: ``ALTER ROLE ... SET`` (and granting them) stays allowed.
CONFIGURABLE_RESERVED_ROLES = ("service_role", "authenticator", "authenticated", "anon")
#: supautils.reserved_memberships: only a superuser may grant them.
RESERVED_MEMBERSHIPS = (
    "pg_read_server_files",
    "pg_write_server_files",
    "pg_execute_server_program",
    "authenticator",
    *RESERVED_ROLES,
)
#: supautils.policy_grants and drop_trigger_grants for postgres (the same list on hosted projects).
POLICY_GRANT_TABLES = frozenset(
    [
        f"auth.{t}"
        for t in (
            "audit_log_entries",
            "flow_state",
            "identities",
            "instances",
            "mfa_amr_claims",
            "mfa_challenges",
            "mfa_factors",
            "oauth_clients",
            "one_time_tokens",
            "refresh_tokens",
            "saml_providers",
            "saml_relay_states",
            "sessions",
            "sso_domains",
            "sso_providers",
            "users",
        )
    ]
    + ["realtime.messages", "realtime.subscription"]
    + [
        f"storage.{t}"
        for t in (
            "buckets",
            "buckets_analytics",
            "objects",
            "prefixes",
            "s3_multipart_uploads",
            "s3_multipart_uploads_parts",
        )
    ]
)
#: supautils.privileged_role_allowed_configs: a name, or a prefix ending in ``.`` (``pgaudit.log`` also covers
#: ``pgaudit.log_*``).
ALLOWED_CONFIGS = (
    "auto_explain.",
    "deadlock_timeout",
    "log_duration",
    "log_lock_waits",
    "log_min_duration_statement",
    "log_min_error_statement",
    "log_min_messages",
    "log_parameter_max_length",
    "log_replication_commands",
    "log_statement",
    "log_temp_files",
    "pg_net.batch_size",
    "pg_net.ttl",
    "pg_stat_statements.",
    "pgaudit.log",
    "pgaudit.role",
    "pgrst.",
    "plan_filter.",
    "safeupdate.enabled",
    "session_replication_role",
    "track_io_timing",
    "wal_compression",
)
#: Roles every sandbox database has: CREATE ROLE of one of them fails in PostgreSQL first (42710).
EXISTING_ROLES = frozenset((*RESERVED_ROLES, *CONFIGURABLE_RESERVED_ROLES, PRIVILEGED_ROLE))

#: (SQLSTATE, message, DETAIL or None, HINT or None), as Supabase answers.
Refusal = tuple[str, str, "str | None", "str | None"]

_ALTER_PRIVILEGED = "Only superusers can alter privileged roles."
_SUPERUSER_ATTRIBUTE = "Only roles with the SUPERUSER attribute may {} roles with the SUPERUSER attribute."


def reserved_role(name: str) -> Refusal:
    """Return supautils' error for a change to a reserved role."""
    return ("42501", f'"{name}" is a reserved role, only superusers can modify it', None, None)


def reserved_membership(name: str) -> Refusal:
    """Return supautils' error for a grant of a reserved membership."""
    return ("42501", f'"{name}" role memberships are reserved, only superusers can grant them', None, None)


def is_reserved(name: str | None, *, allow_configurable: bool) -> bool:
    """Return True when ``name`` is reserved (the ``*`` roles only when ``allow_configurable`` is False)."""
    if name is None:
        return False
    return name in RESERVED_ROLES or (name in CONFIGURABLE_RESERVED_ROLES and not allow_configurable)


def role_name(spec: Any) -> str | None:
    """Return the role a RoleSpec names, for a request that runs as postgres (None: PUBLIC or absent)."""
    if spec is None:
        return None
    kind = spec.roletype
    if kind == enums.RoleSpecType.ROLESPEC_CSTRING:
        return str(spec.rolename)
    if kind in (
        enums.RoleSpecType.ROLESPEC_CURRENT_USER,
        enums.RoleSpecType.ROLESPEC_CURRENT_ROLE,
        enums.RoleSpecType.ROLESPEC_SESSION_USER,
    ):
        return PRIVILEGED_ROLE
    return None


def _truthy(option: Any) -> bool:
    arg = option.arg
    if arg is None:
        return True
    if isinstance(arg, ast.Boolean):
        return bool(arg.boolval)
    if isinstance(arg, ast.Integer):
        return bool(arg.ival)
    return str(getattr(arg, "sval", "true")).lower() in ("true", "on", "1", "yes")


def _alter_role(stmt: Any) -> Refusal | None:
    name = role_name(stmt.role)
    if name is not None and is_reserved(name, allow_configurable=False):
        return reserved_role(name)
    if name == PRIVILEGED_ROLE:
        return ("42501", "permission denied to alter role", _ALTER_PRIVILEGED, None)
    if any(o.defname == "superuser" for o in stmt.options or ()):
        return ("42501", "permission denied to alter role", _SUPERUSER_ATTRIBUTE.format("alter"), None)
    return None


def _alter_role_set(stmt: Any) -> Refusal | None:
    name = role_name(stmt.role)
    return reserved_role(name) if name is not None and is_reserved(name, allow_configurable=True) else None


def _create_role(stmt: Any) -> Refusal | None:
    if stmt.role in EXISTING_ROLES:
        return None  # PostgreSQL: role "..." already exists
    has_members = False
    for option in stmt.options or ():
        if option.defname == "superuser" and _truthy(option):
            return ("42501", "permission denied to create role", _SUPERUSER_ATTRIBUTE.format("create"), None)
        if option.defname == "addroleto":
            for spec in option.arg or ():
                name = role_name(spec)
                if name in RESERVED_MEMBERSHIPS:
                    return reserved_membership(str(name))
        has_members = has_members or option.defname in ("rolemembers", "adminmembers")
    if has_members and stmt.role in RESERVED_MEMBERSHIPS:
        return reserved_membership(str(stmt.role))
    return None


def _drop_role(stmt: Any) -> Refusal | None:
    for spec in stmt.roles or ():
        if spec.roletype != enums.RoleSpecType.ROLESPEC_CSTRING:
            break  # supautils stops at the first CURRENT_USER/SESSION_USER
        if is_reserved(spec.rolename, allow_configurable=False):
            return reserved_role(str(spec.rolename))
    return None


def _grant_role(stmt: Any) -> Refusal | None:
    if stmt.is_grant:
        for privilege in stmt.granted_roles or ():
            if privilege.priv_name in RESERVED_MEMBERSHIPS:
                return reserved_membership(str(privilege.priv_name))
    for spec in stmt.grantee_roles or ():
        name = role_name(spec)
        if name is not None and is_reserved(name, allow_configurable=True):
            return reserved_role(name)
    return None


def _rename(stmt: Any) -> Refusal | None:
    if stmt.renameType != enums.ObjectType.OBJECT_ROLE:
        return None
    for name in (stmt.subname, stmt.newname):
        if is_reserved(name, allow_configurable=False):
            return reserved_role(str(name))
    return None


_REFUSALS: dict[type, Callable[[Any], Refusal | None]] = {
    ast.AlterRoleStmt: _alter_role,
    ast.AlterRoleSetStmt: _alter_role_set,
    ast.CreateRoleStmt: _create_role,
    ast.DropRoleStmt: _drop_role,
    ast.GrantRoleStmt: _grant_role,
    ast.RenameStmt: _rename,
}


def refusal(stmt: Any) -> Refusal | None:
    """Return Supabase's error when supautils refuses ``stmt`` (run by postgres), else None."""
    rule = _REFUSALS.get(type(stmt))
    return rule(stmt) if rule else None


def _listed(schema: str | None, table: str) -> str | None:
    name = f"{schema}.{table}" if schema else None
    return name if name in POLICY_GRANT_TABLES else None


def _policy(stmt: Any) -> tuple[str, str] | None:
    table = _listed(stmt.table.schemaname, stmt.table.relname)
    kind = "CREATE POLICY" if isinstance(stmt, ast.CreatePolicyStmt) else "ALTER POLICY"
    return (kind, table) if table else None


def _drop(stmt: Any) -> tuple[str, str] | None:
    if stmt.removeType not in (enums.ObjectType.OBJECT_POLICY, enums.ObjectType.OBJECT_TRIGGER):
        return None
    names = [s.sval for s in stmt.objects[0]]  # one object: [schema, table, name]
    table = _listed(names[0], names[1]) if len(names) == 3 else None
    kind = "DROP POLICY" if stmt.removeType == enums.ObjectType.OBJECT_POLICY else "DROP TRIGGER"
    return (kind, table) if table else None


def _comment(stmt: Any) -> tuple[str, str] | None:
    if stmt.objtype != enums.ObjectType.OBJECT_POLICY:
        return None
    names = [s.sval for s in stmt.object]
    table = ".".join(names[:-1])
    return ("COMMENT ON POLICY", table) if len(names) == 3 and table in POLICY_GRANT_TABLES else None


def allowed_config(name: str | None) -> bool:
    """Return True for a parameter of privileged_role_allowed_configs."""
    if not name:
        return False
    name = name.lower()
    return any(
        name.startswith(item)
        if item.endswith(".")
        else name == item or (item == "pgaudit.log" and name.startswith(item))
        for item in ALLOWED_CONFIGS
    )


def _config_for_role(stmt: Any) -> tuple[str, str] | None:
    name = role_name(stmt.role)
    setting = stmt.setstmt.name if stmt.setstmt is not None else None
    if name is None or name == PRIVILEGED_ROLE or not allowed_config(setting):
        return None
    return ("ALTER ROLE SET", name)


def _set_schema(stmt: Any) -> tuple[str, str] | None:
    if stmt.objectType != enums.ObjectType.OBJECT_EXTENSION:
        return None
    name = str(stmt.object.sval)
    return ("ALTER EXTENSION", name) if name in PRIVILEGED_EXTENSIONS else None


_PRIVILEGED: dict[type, Callable[[Any], tuple[str, str] | None]] = {
    ast.CreatePolicyStmt: _policy,
    ast.AlterPolicyStmt: _policy,
    ast.DropStmt: _drop,
    ast.CommentStmt: _comment,
    ast.CreateEventTrigStmt: lambda s: ("CREATE EVENT TRIGGER", str(s.trigname)),
    ast.CreateFdwStmt: lambda s: ("CREATE FOREIGN DATA WRAPPER", str(s.fdwname)),
    ast.CreatePublicationStmt: lambda s: ("CREATE PUBLICATION", str(s.pubname)),
    ast.AlterPublicationStmt: lambda s: ("ALTER PUBLICATION", str(s.pubname)),
    ast.AlterRoleStmt: lambda s: ("ALTER ROLE", role_name(s.role) or ""),
    ast.AlterRoleSetStmt: _config_for_role,
    ast.AlterObjectSchemaStmt: _set_schema,
}


def privileged(stmt: Any) -> tuple[str, str] | None:
    """Return (kind, object) for a statement supautils runs as supabase_admin, else None.

    Policies and ``DROP TRIGGER`` on the listed tables (policy_grants, drop_trigger_grants; the table must
    be schema-qualified), event triggers, foreign data wrappers, publications, ``ALTER ROLE`` (not
    refused by :func:`refusal`; no ADMIN OPTION is needed on Supabase), ``ALTER ROLE ... SET`` of an allowed
    config, and ``ALTER EXTENSION ... SET SCHEMA`` of a privileged extension.
    """
    rule = _PRIVILEGED.get(type(stmt))
    return rule(stmt) if rule else None


def extension_command(stmt: Any) -> bool:
    """Return True for ``CREATE EXTENSION`` and ``ALTER EXTENSION ... UPDATE``, which supautils runs as a superuser.

    The sandbox runs them as the caller (trusted control files), with postgres's event triggers quiet: on
    Supabase no event trigger function of a non-superuser runs while the current user is a superuser.
    """
    return isinstance(stmt, (ast.CreateExtensionStmt, ast.AlterExtensionStmt))
