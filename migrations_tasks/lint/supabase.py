"""Our Supabase rules, on PostgreSQL's syntax tree of each statement (pure).

Facts (what a migration running as ``postgres`` may do on hosted Supabase) are in
``shared/reference/supabase-privileges.md``; each rule's message and help are in :mod:`.rules`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pglast import ast, enums

from . import tree
from .rules import words

#: Schemas whose tables belong to the platform's own roles (postgres is not their owner).
OWNED_SCHEMAS = frozenset({"auth", "storage", "realtime"})
#: Storage tables whose rows a statement-level trigger refuses to DELETE (since 2026-01-28).
STORAGE_TABLES = frozenset({"storage.objects", "storage.buckets"})
STORAGE_DELETE_SETTING = "storage.allow_delete_query"
#: Extensions every Supabase project already has: CREATE EXTENSION without IF NOT EXISTS fails (42710).
PREINSTALLED = frozenset({"plpgsql", "pgcrypto", "uuid-ossp", "pg_graphql", "pg_stat_statements", "supabase_vault"})
#: supautils' privileged_extensions on hosted projects, and the queue and partition extensions Supabase offers.
AVAILABLE = PREINSTALLED | words(
    """
    address_standardizer address_standardizer_data_us autoinc bloom btree_gin btree_gist citext cube dblink dict_int
    dict_xsyn earthdistance fuzzystrmatch hstore http hypopg index_advisor insert_username intarray isn ltree
    moddatetime orioledb pg_buffercache pg_cron pg_hashids pg_jsonschema pg_net pg_partman pg_prewarm pg_repack pgmq
    pg_stat_monitor pg_tle pg_trgm pg_walinspect pgaudit pgjwt pgroonga pgroonga_database pgrouting pgrowlocks
    pgsodium pgstattuple pgtap plcoffee pljava plls plpgsql_check plv8 postgis postgis_raster postgis_sfcgal
    postgis_tiger_geocoder postgis_topology postgres_fdw refint rum seg sslinfo supautils tablefunc tcn timescaledb
    tsm_system_rows tsm_system_time unaccent vector wrappers
    """
)
_WRITES = frozenset({"insert", "update", "delete", "truncate"})
#: Schemas whose default privileges (FOR ROLE postgres and supabase_admin) grant ALL on tables, sequences and
#: functions to anon, authenticated and service_role: a GRANT of those to anon there changes nothing.
DEFAULT_GRANT_SCHEMAS = frozenset({"public"})
DEFAULT_GRANT_OWNERS = frozenset({"postgres", "supabase_admin"})
EVERY_SCHEMA = "*"
_OWNER_ONLY = {
    enums.AlterTableType.AT_EnableRowSecurity: "ENABLE ROW LEVEL SECURITY",
    enums.AlterTableType.AT_DisableRowSecurity: "DISABLE ROW LEVEL SECURITY",
    enums.AlterTableType.AT_ChangeOwner: "OWNER TO",
}


@dataclass
class Context:
    """What the rules know beyond one statement: the exposed schemas and the rest of the linted set."""

    exposed_schemas: frozenset[str]
    #: Tables that get ``ENABLE ROW LEVEL SECURITY`` somewhere in the linted set.
    rls_enabled: set[str] = field(default_factory=set)
    #: Functions that get ``ALTER FUNCTION ... SET search_path`` somewhere in the linted set.
    search_path_fixed: set[str] = field(default_factory=set)
    #: The current file has set ``storage.allow_delete_query`` to 'true' (SET, SET LOCAL or set_config())
    #: before this statement, and not set it to anything else since.
    storage_delete_allowed: bool = False
    #: Schemas and tables on which some REVOKE ... FROM anon of the linted set takes privileges away
    #: (``EVERY_SCHEMA`` for an ALTER DEFAULT PRIVILEGES without IN SCHEMA).
    revoked: set[str] = field(default_factory=set)


Found = tuple[str, str]  # (rule, what exactly, for the message)


def _owner_only(node: Any, ctx: Context) -> Iterator[Found]:
    if isinstance(node, (ast.AlterTableStmt, ast.IndexStmt, ast.RenameStmt)) and node.relation is not None:
        name = tree.qualified(node.relation)
        if tree.schema_of(name) in OWNED_SCHEMAS:
            verb = "CREATE INDEX ON" if isinstance(node, ast.IndexStmt) else "ALTER"
            what = [_OWNER_ONLY[s] for s in tree.alter_subtypes(node) if s in _OWNER_ONLY]
            yield "supabase-owner-only-table", f"{verb} {name}" + (f" {what[0]}" if what else "")
    if isinstance(node, ast.DropStmt):
        for name in sorted(tree.targets(node)):
            if tree.schema_of(name) in OWNED_SCHEMAS:
                yield "supabase-owner-only-table", f"DROP {name}"


def _schema_not_writable(node: Any, ctx: Context) -> Iterator[Found]:
    made = tree.created_object(node)
    if made is not None and tree.schema_of(made[1]) in OWNED_SCHEMAS:
        yield "supabase-schema-not-writable", f"{made[0]} {made[1]} in schema {tree.schema_of(made[1])}"


def _storage_delete(node: Any, ctx: Context) -> Iterator[Found]:
    if ctx.storage_delete_allowed:
        return
    for sub in tree.walk(node):  # also a DELETE in a CTE
        if isinstance(sub, ast.DeleteStmt) and (name := tree.qualified(sub.relation)) in STORAGE_TABLES:
            yield "supabase-storage-direct-delete", f"DELETE FROM {name}"


def _rls_not_enabled(node: Any, ctx: Context) -> Iterator[Found]:
    if not isinstance(node, (ast.CreateStmt, ast.CreateTableAsStmt)):
        return
    relation: Any = node.relation if isinstance(node, ast.CreateStmt) else getattr(node.into, "rel", None)
    if (
        relation is None
        or relation.relpersistence == "t"
        or (isinstance(node, ast.CreateTableAsStmt) and node.objtype != enums.ObjectType.OBJECT_TABLE)
    ):
        return
    name = tree.qualified(relation)
    if tree.schema_of(name) in ctx.exposed_schemas and name not in ctx.rls_enabled:
        yield "supabase-rls-not-enabled", f"table {name}"


def _rls_disabled(node: Any, ctx: Context) -> Iterator[Found]:
    if enums.AlterTableType.AT_DisableRowSecurity in tree.alter_subtypes(node):
        yield "supabase-rls-disabled", f"table {tree.qualified(node.relation)}"


def _security_definer(node: Any, ctx: Context) -> Iterator[Found]:
    if not isinstance(node, ast.CreateFunctionStmt):
        return
    options: dict[str, Any] = {str(o.defname): o.arg for o in node.options or () if isinstance(o, ast.DefElem)}
    definer = isinstance(options.get("security"), ast.Boolean) and bool(options["security"].boolval)
    sets = [o.arg for o in node.options or () if isinstance(o, ast.DefElem) and o.defname == "set"]
    fixed = any(tree.sets_variable(s, "search_path") for s in sets)
    fixed = fixed or tree.name_of(node.funcname) in ctx.search_path_fixed
    if definer and not fixed:
        yield "supabase-security-definer-search-path", f"function {tree.name_of(node.funcname)}"


def _extension(node: Any, ctx: Context) -> Iterator[Found]:
    if not isinstance(node, ast.CreateExtensionStmt):
        return
    name = node.extname
    if name not in AVAILABLE:
        yield "supabase-extension-not-available", f"extension {name} is not on Supabase's list"
    elif name in PREINSTALLED and not node.if_not_exists:
        yield "supabase-extension-not-available", f"extension {name} is pre-installed: without IF NOT EXISTS, 42710"


def _grantees(grant: Any) -> list[str]:
    out = []
    for role in grant.grantees or ():
        if role.roletype == enums.RoleSpecType.ROLESPEC_PUBLIC:
            out.append("PUBLIC")
        elif role.rolename == "anon":
            out.append("anon")
    return out


def _option(node: Any, name: str) -> Any:
    return next((o.arg for o in node.options or () if isinstance(o, ast.DefElem) and o.defname == name), None)


def _covered(node: Any, grant: Any) -> list[str]:
    """Return what a GRANT or REVOKE on tables covers: schemas (all tables in, or defaults) or tables by name."""
    if isinstance(node, ast.AlterDefaultPrivilegesStmt):
        schemas = _option(node, "schemas")
        return [str(s.sval) for s in schemas] if schemas else [EVERY_SCHEMA]
    if grant.targtype == enums.GrantTargetType.ACL_TARGET_ALL_IN_SCHEMA:
        return [str(s.sval) for s in grant.objects or () if isinstance(s, ast.String)]
    return [tree.qualified(rv) for rv in grant.objects or () if isinstance(rv, ast.RangeVar)]


def _table_grant(node: Any) -> Any:
    grant = node.action if isinstance(node, ast.AlterDefaultPrivilegesStmt) else node
    if isinstance(grant, ast.GrantStmt) and grant.objtype == enums.ObjectType.OBJECT_TABLE:
        return grant
    return None


def revoked_from_anon(node: Any) -> list[str]:
    """Return the schemas and tables a REVOKE ... FROM anon on tables names (defaults too)."""
    grant = _table_grant(node)
    if grant is None or grant.is_grant or "anon" not in _grantees(grant):
        return []
    return _covered(node, grant)


def _granted_by_default(node: Any, grant: Any, roles: list[str], ctx: Context) -> bool:
    """Return True when Supabase's default privileges already give anon what ``grant`` gives."""
    if "PUBLIC" in roles or grant.grant_option or EVERY_SCHEMA in ctx.revoked:
        return False
    if isinstance(node, ast.AlterDefaultPrivilegesStmt):
        owners = {str(r.rolename) for r in _option(node, "roles") or ()} or {"postgres"}  # migrations run as postgres
        if not owners <= DEFAULT_GRANT_OWNERS:
            return False
    names = _covered(node, grant)
    return bool(names) and all(
        tree.schema_of(n) in DEFAULT_GRANT_SCHEMAS and not {n, tree.schema_of(n)} & ctx.revoked for n in names
    )


def _grant_write(node: Any, ctx: Context) -> Iterator[Found]:
    grant = _table_grant(node)
    if grant is None or not grant.is_grant:
        return
    privileges = {p.priv_name for p in grant.privileges} if grant.privileges else {"all"}
    writes = sorted(privileges & (_WRITES | {"all"}))
    roles = _grantees(grant)
    if writes and roles and not _granted_by_default(node, grant, roles, ctx):
        yield "supabase-grant-write-to-anon", f"{', '.join(w.upper() for w in writes)} to {', '.join(roles)}"


CHECKS: tuple[Callable[[Any, Context], Iterator[Found]], ...] = (
    _owner_only,
    _schema_not_writable,
    _storage_delete,
    _rls_not_enabled,
    _rls_disabled,
    _security_definer,
    _extension,
    _grant_write,
)


def check(node: Any, ctx: Context) -> list[Found]:
    """Return (rule, what) for every Supabase rule ``node`` breaks."""
    if node is None:
        return []
    found = [item for rule in CHECKS for item in rule(node, ctx)]
    value = tree.setting_value(node, STORAGE_DELETE_SETTING)
    if value is not None:  # the storage trigger lets a DELETE through only when it reads exactly 'true'
        ctx.storage_delete_allowed = value == "true"
    return found
