"""Publications, default privileges and database settings into SQL (pure).

A publication is made empty, with its options; its tables are added as members (:mod:`.properties`), its
schemas too (:mod:`.publishing`, which also makes again one that turns ``FOR ALL TABLES`` or back).
Default privileges are granted and revoked per grantee, ``FOR ROLE`` the role that holds them; Supabase
refuses that for its reserved roles, so those are refused here. A database setting is written for the
database the migration runs in, whatever its name (``ALTER DATABASE`` through ``current_database()``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ...catalog import Snapshot
from ...sql import quote_literal
from .grants import EVERY as _OWNER_DEFAULTS
from .grants import _changes, _entries, _statement, all_or
from .publishing import remake
from .steps import Phase, Script

#: Roles whose default privileges postgres may not change on hosted Supabase (it cannot SET ROLE to them), with
#: every other ``supabase_`` role.
RESERVED_ROLES = frozenset(
    {
        "supabase_admin",
        "supabase_auth_admin",
        "supabase_storage_admin",
        "supabase_read_only_user",
        "supabase_realtime_admin",
        "supabase_replication_admin",
        "supabase_etl_admin",
        "dashboard_user",
        "pgbouncer",
    }
)
_PUBLIC_DEFAULTS = {"functions": "EXECUTE", "types": "USAGE"}
#: Settings whose value is a list PostgreSQL quotes element by element: not written (see docs/pull.md).
_LIST_SETTINGS = frozenset({"search_path", "temp_tablespaces", "session_preload_libraries", "local_preload_libraries"})
_SETTING_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


def _options(value: Mapping[str, Any]) -> str:
    publish = ", ".join(k for k in ("insert", "update", "delete", "truncate") if value.get(k))
    return (
        f"publish = {quote_literal(publish)}, publish_via_partition_root = {str(bool(value.get('via root'))).lower()}"
    )


def publications(source: Snapshot, target: Snapshot) -> Script:
    """Return CREATE, ALTER ... SET (options) and DROP PUBLICATION (members are added elsewhere)."""
    script = Script()
    have, want = source.parts.get("publications") or {}, target.parts.get("publications") or {}
    for name, value in sorted(want.items()):
        before = have.get(name)
        if before is None:
            every = " FOR ALL TABLES" if value.get("all tables") else ""
            script.add(
                f"CREATE PUBLICATION {name}{every} WITH ({_options(value)})",
                Phase.CHANGE,
                0,
                f"create publication {name}",
            )
        elif bool(before.get("all tables")) != bool(value.get("all tables")):
            remake(name, value, _options(value), target, script)
        elif before != value:
            script.add(
                f"ALTER PUBLICATION {name} SET ({_options(value)})",
                Phase.CHANGE,
                0,
                f"set the options of publication {name}",
            )
    for name in sorted(set(have) - set(want)):
        script.drop(f"DROP PUBLICATION {name}", "publication", 0, f"drop publication {name}")
    return script


def _default_entries(
    item: Mapping[str, Any] | None, kind: str, role: str, *, global_: bool
) -> dict[tuple[str, str], bool]:
    """Return an entry's grants; a missing global entry holds PostgreSQL's defaults, a missing schema one none."""
    if item is not None:
        return _entries(str(g) for g in item.get("grants") or [])
    if not global_:
        return {}
    out = {(role, privilege): False for privilege in _OWNER_DEFAULTS.get(kind, ())}
    if kind in _PUBLIC_DEFAULTS:
        out[("PUBLIC", _PUBLIC_DEFAULTS[kind])] = False
    return out


def default_privileges(source: Snapshot, target: Snapshot) -> Script:
    """Return ALTER DEFAULT PRIVILEGES ... GRANT / REVOKE so each role's defaults match the target's."""
    script = Script()
    have, want = source.items("default_acls"), target.items("default_acls")
    for name in sorted(set(have) | set(want)):
        item = want.get(name) or have[name]
        kind, role = str(item["kind"]), str(item["role"])
        global_ = item.get("schema") is None
        before = _default_entries(have.get(name), kind, role, global_=global_)
        after = _default_entries(want.get(name), kind, role, global_=global_)
        changes = _changes(before, after)
        if changes and (item.get("role_name") in RESERVED_ROLES or str(item.get("role_name")).startswith("supabase_")):
            script.unsupported.append(f"default privileges {name}: postgres may not change {role}'s on Supabase")
            continue
        prefix = f"ALTER DEFAULT PRIVILEGES FOR ROLE {role}" + ("" if global_ else f" IN SCHEMA {item['schema']}")
        for (grantee, action), privileges in sorted(changes.items()):
            privileges = all_or(privileges, kind, grantee, action, before, after)
            sql = f"{prefix} {_statement(action, privileges, kind.upper(), grantee)}"
            verb = f"{action} {', '.join(privileges)} {'to' if action.startswith('grant') else 'from'} {grantee}"
            script.add(sql, Phase.FLAGS, 0, f"default privileges {name}: {verb}")
    return script


_EVENT_STATES = {"D": "DISABLE", "R": "ENABLE REPLICA", "A": "ENABLE ALWAYS", "O": "ENABLE"}


def _event_trigger(name: str, value: Mapping[str, Any]) -> str:
    tags = value.get("tags") or []
    when = f" WHEN TAG IN ({', '.join(quote_literal(str(t)) for t in tags)})" if tags else ""
    return f"CREATE EVENT TRIGGER {name} ON {value['event']}{when} EXECUTE FUNCTION {value['function']}"


def event_triggers(source: Snapshot, target: Snapshot) -> Script:
    """Return CREATE, ALTER (enabled state) and DROP EVENT TRIGGER, after the functions they call."""
    script = Script()
    have, want = source.parts.get("event triggers") or {}, target.parts.get("event triggers") or {}
    for name, value in sorted(want.items()):
        before = have.get(name)
        if before is not None and {**before, "enabled": ""} != {**value, "enabled": ""}:
            script.add(f"DROP EVENT TRIGGER {name}", Phase.FLAGS, 0, f"replace event trigger {name}")
            before = None
        if before is None:
            script.add(_event_trigger(name, value), Phase.FLAGS, 0, f"create event trigger {name}")
        if (before or {}).get("enabled", "O") != value.get("enabled", "O"):
            state = _EVENT_STATES.get(str(value.get("enabled")), "ENABLE")
            script.add(f"ALTER EVENT TRIGGER {name} {state}", Phase.FLAGS, 0, f"set the state of event trigger {name}")
    for name in sorted(set(have) - set(want)):
        script.drop(f"DROP EVENT TRIGGER {name}", "trigger", 0, f"drop event trigger {name}")
    return script


def _settings(value: Any) -> dict[str, str]:
    return dict(str(entry).partition("=")[::2] for entry in value or [])


def database_settings(source: Snapshot, target: Snapshot) -> Script:
    """Return ``ALTER DATABASE <this one> SET / RESET`` for the database's own settings, by name."""
    script = Script()
    before, after = source.parts.get("settings") or {}, target.parts.get("settings") or {}
    for role in sorted(k for k in set(before) | set(after) if k != "database" and before.get(k) != after.get(k)):
        script.unsupported.append(
            f"settings of {role}: ALTER ROLE ... SET is not written, since a role belongs to the whole "
            "server and the proof would change it on the drift check's server too; write it by hand"
        )
    have, want = _settings(before.get("database")), _settings(after.get("database"))
    for name in sorted(set(have) | set(want)):
        if have.get(name) == want.get(name):
            continue
        if name in _LIST_SETTINGS or not _SETTING_NAME.fullmatch(name):
            script.unsupported.append(f"database setting {name}: not written as a statement; set it by hand")
            continue
        if name in want:
            value = quote_literal(want[name])
            sql = f"format('ALTER DATABASE %I SET %I = %L', current_database(), {quote_literal(name)}, {value})"
            what = f"set {name} for the database"
        else:
            sql = f"format('ALTER DATABASE %I RESET %I', current_database(), {quote_literal(name)})"
            what = f"reset {name} for the database"
        script.add(f"DO {quote_literal(f'BEGIN EXECUTE {sql}; END')}", Phase.FLAGS, 0, what)
    return script
