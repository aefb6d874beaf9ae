"""Schemas, extensions, enums, functions, views, triggers and policies: catalog differences into SQL (pure).

Definitions are PostgreSQL's own: ``pg_get_functiondef``, ``pg_get_viewdef``, ``pg_get_triggerdef`` and
``pg_get_expr`` for policies. An enum that gained values gets ``ALTER TYPE ... ADD VALUE`` (in place); one
that lost or reordered values is made again under its name and its columns are moved to it (which is also
how an added value is taken back); the views and policies that use it are dropped first and created again
from the target's definitions (:func:`rebuilt`). A view whose column list changes other than by columns
added at the end is dropped and created again (CREATE OR REPLACE VIEW cannot do it).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from ...catalog import Snapshot
from ...catalog.core import PLATFORM_EXTENSIONS
from ...catalog.snapshot import Item
from ...sql import quote_ident, quote_literal
from .steps import Phase, Script

_POLICY_COMMANDS = {"r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE", "*": "ALL"}
_TRIGGER_STATES = {"O": "ENABLE", "D": "DISABLE", "R": "ENABLE REPLICA", "A": "ENABLE ALWAYS"}
_OLD_SUFFIX = "_mt_old"


def _oid(item: Mapping[str, Any] | None) -> int:
    value = (item or {}).get("oid")
    return int(value) if value is not None else 0


def _changed(source: Snapshot, target: Snapshot, category: str, name: str) -> bool:
    return source.normal[category][name] != target.normal[category][name]


def schemas_and_extensions(source: Snapshot, target: Snapshot) -> Script:
    """Return the statements for schemas and extensions (Supabase's pre-installed ones are left alone)."""
    script = Script()
    have, want = source.items("schemas"), target.items("schemas")
    for name, item in want.items():
        if name not in have:
            script.add(f"CREATE SCHEMA {item['ident']}", Phase.SCHEMA, _oid(item), f"create schema {item['ident']}")
    for name, item in have.items():
        if name not in want:
            ident = item.get("ident") or quote_ident(name)
            script.drop(f"DROP SCHEMA {ident}", "schema", _oid(item), f"drop schema {ident}")
    have, want = source.items("extensions"), target.items("extensions")
    for name, item in want.items():
        if name not in have and name not in PLATFORM_EXTENSIONS:
            script.add(
                f"CREATE EXTENSION IF NOT EXISTS {item['ident']} WITH SCHEMA {item['schema_ident']}",
                Phase.EXTENSION,
                _oid(item),
                f"create extension {name}",
            )
        elif name in have and have[name].get("schema") != item.get("schema"):
            script.add(
                f"ALTER EXTENSION {item['ident']} SET SCHEMA {item['schema_ident']}",
                Phase.EXTENSION,
                _oid(item),
                f"move extension {name}",
            )
    for name, item in have.items():
        if name not in want:
            script.drop(f"DROP EXTENSION {item['ident']}", "extension", _oid(item), f"drop extension {name}")
    return script


def _labels(values: Sequence[str]) -> str:
    return ", ".join(quote_literal(v) for v in values)


def _add_values(name: str, old: Sequence[str], new: Sequence[str], key: int, script: Script) -> None:
    """Add ``ALTER TYPE ... ADD VALUE`` for each label of ``new`` that ``old`` lacks, in place."""
    for index, label in enumerate(new):
        if label in old:
            continue
        following = next((v for v in new[index + 1 :] if v in old), None)
        where = f" BEFORE {quote_literal(following)}" if following is not None else ""
        script.add(
            f"ALTER TYPE {name} ADD VALUE {quote_literal(label)}{where}",
            Phase.TYPE,
            key,
            f"add value {label!r} to {name}",
        )


def _is_subsequence(old: Sequence[str], new: Sequence[str]) -> bool:
    rest = iter(new)
    return all(label in rest for label in old)


def _unhook(dependants: Collection[str], source: Snapshot, key: int, script: Script) -> None:
    """Drop the views and policies that use an enum about to be made again, newest first.

    :func:`views` and :func:`policies` create again those the target has (see :func:`rebuilt`).
    """
    found = [("views", source.items("views").get(n), n) for n in dependants]
    found += [("policies", source.items("policies").get(n), n) for n in dependants]
    for category, item, name in sorted((f for f in found if f[1]), key=lambda f: -_oid(f[1])):
        assert item is not None
        if category == "views":
            script.add(_view_drop(name, item), Phase.TYPE, key, f"drop {_view_kind(item)} {name} (uses the enum)")
        else:
            script.add(f"DROP POLICY {item['ident']} ON {item['table']}", Phase.TYPE, key, f"drop policy {name}")


def _recreated(source: Snapshot, target: Snapshot) -> dict[str, Item]:
    """Return the enums (by name, the source's item) that are made again rather than altered in place."""
    have, want = source.items("enums"), target.items("enums")
    out = {}
    for name, item in want.items():
        if name not in have:
            continue
        old, new = [str(v) for v in have[name].get("labels") or []], [str(v) for v in item.get("labels") or []]
        if old != new and not _is_subsequence(old, new) and not _renames(old, new):
            out[name] = have[name]
    return out


def rebuilt(source: Snapshot, target: Snapshot) -> set[str]:
    """Return the views and policies dropped around an enum made again (created again when the target has them)."""
    return {str(d) for item in _recreated(source, target).values() for d in item.get("dependants") or []}


def _recreate_enum(name: str, item: Item, labels: Sequence[str], source: Snapshot, script: Script) -> None:
    """Make an enum again with ``labels`` and move the columns of the source's tables that use it."""
    key = _oid(item)
    _unhook([str(d) for d in item.get("dependants") or []], source, key, script)
    old = f"{item['schema']}.{quote_ident(str(item['typname']) + _OLD_SUFFIX)}"
    script.add(
        f"ALTER TYPE {name} RENAME TO {quote_ident(str(item['typname']) + _OLD_SUFFIX)}",
        Phase.TYPE,
        key,
        f"make {name} again",
    )
    script.add(f"CREATE TYPE {name} AS ENUM ({_labels(labels)})", Phase.TYPE, key)
    for table, spec in source.items("tables").items():
        for column in spec.get("columns") or []:
            if column.get("elem") != name:
                continue
            alter = f"ALTER TABLE {table} ALTER COLUMN {column['ident']}"
            cast = f"{column['ident']}::text[]::{name}[]" if column.get("array") else f"{column['ident']}::text::{name}"
            if column.get("default") is not None:
                script.add(f"{alter} DROP DEFAULT", Phase.TYPE, key)
            script.add(f"{alter} TYPE {name}{'[]' if column.get('array') else ''} USING {cast}", Phase.TYPE, key)
            if column.get("default") is not None:
                script.add(f"{alter} SET DEFAULT {column['default']}", Phase.TYPE, key)
    script.add(f"DROP TYPE {old}", Phase.TYPE, key)


def _renames(old: Sequence[str], new: Sequence[str]) -> list[tuple[str, str]]:
    """Return the (old, new) label pairs when ``new`` only renames labels of ``old`` in place, else []."""
    if len(old) != len(new):
        return []
    pairs = [(a, b) for a, b in zip(old, new) if a != b]
    return [] if any(a in new or b in old for a, b in pairs) else pairs


def enums(source: Snapshot, target: Snapshot) -> Script:
    """Return the statements for enum types."""
    script = Script()
    have, want = source.items("enums"), target.items("enums")
    for name, item in want.items():
        labels = [str(v) for v in item.get("labels") or []]
        if name not in have:
            script.add(f"CREATE TYPE {name} AS ENUM ({_labels(labels)})", Phase.TYPE, _oid(item), f"create enum {name}")
            continue
        old = [str(v) for v in have[name].get("labels") or []]
        if old == labels:
            continue
        if _is_subsequence(old, labels):
            _add_values(name, old, labels, _oid(item), script)
        elif _renames(old, labels):
            for before, after in _renames(old, labels):
                script.add(
                    f"ALTER TYPE {name} RENAME VALUE {quote_literal(before)} TO {quote_literal(after)}",
                    Phase.TYPE,
                    _oid(item),
                    f"rename value {before!r} of {name} to {after!r}",
                )
        else:
            _recreate_enum(name, {**have[name], **{"oid": item.get("oid")}}, labels, source, script)
    for name, item in have.items():
        if name not in want:
            script.drop(f"DROP TYPE {name}", "enum", _oid(item), f"drop enum {name}")
    return script


def _routine(item: Mapping[str, Any]) -> str:
    return "PROCEDURE" if item.get("kind") == "p" else "FUNCTION"


def functions(source: Snapshot, target: Snapshot) -> Script:
    """Return the statements for functions and procedures (CREATE OR REPLACE, or DROP and CREATE)."""
    script = Script()
    have, want = source.items("functions"), target.items("functions")
    for name, item in want.items():
        create = str(item["definition"]).rstrip()
        if item.get("implicit"):  # a range type's constructor: made with its type
            continue
        if name not in have:
            script.add(create, Phase.CREATE, _oid(item), f"create {_routine(item).lower()} {name}")
        elif _changed(source, target, "functions", name):
            before = have[name]
            if any(before.get(k) != item.get(k) for k in ("arguments", "result", "kind")):
                script.add(f"DROP {_routine(before)} {name}", Phase.CHANGE, _oid(item), f"replace {name}")
            script.add(create, Phase.CHANGE, _oid(item), f"replace {_routine(item).lower()} {name}")
    for name, item in have.items():
        if name not in want and not item.get("implicit"):
            script.drop(f"DROP {_routine(item)} {name}", "function", _oid(item), f"drop {name}")
    return script


def _view_create(name: str, item: Mapping[str, Any], *, replace: bool = False) -> str:
    options = item.get("options") or []
    with_options = f" WITH ({', '.join(str(o) for o in options)})" if options else ""
    body = str(item["definition"]).strip().rstrip(";").rstrip()
    if item.get("kind") == "m":
        return f"CREATE MATERIALIZED VIEW {name}{with_options} AS\n{body}"
    return f"CREATE {'OR REPLACE ' if replace else ''}VIEW {name}{with_options} AS\n{body}"


def _view_kind(item: Mapping[str, Any]) -> str:
    return "materialized view" if item.get("kind") == "m" else "view"


def _view_drop(name: str, item: Mapping[str, Any]) -> str:
    return f"DROP {_view_kind(item).upper()} {name}"


def _appends(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Return True when ``after``'s columns are ``before``'s (same names and types) with others at the end.

    Only then may CREATE OR REPLACE VIEW change a view; otherwise it is dropped and made again (its
    grants are then brought back with the others).
    """
    old, new = list(before.get("view_columns") or []), list(after.get("view_columns") or [])
    return new[: len(old)] == old


def views(source: Snapshot, target: Snapshot) -> Script:
    """Return the statements for views and materialized views."""
    script = Script()
    have, want = source.items("views"), target.items("views")
    again = rebuilt(source, target)
    for name, item in want.items():
        if name in again and name in have:
            script.add(_view_create(name, item), Phase.CHANGE, _oid(item), f"create {_view_kind(item)} {name} again")
        elif name not in have:
            script.add(_view_create(name, item), Phase.CREATE, _oid(item), f"create {_view_kind(item)} {name}")
        elif _changed(source, target, "views", name):
            in_place = item.get("kind") == "v" and have[name].get("kind") == "v" and _appends(have[name], item)
            if not in_place:
                script.add(_view_drop(name, have[name]), Phase.CHANGE, _oid(item))
            script.add(_view_create(name, item, replace=in_place), Phase.CHANGE, _oid(item), f"replace view {name}")
    for name, item in have.items():
        if name not in want and name not in again:
            script.drop(_view_drop(name, item), "view", _oid(item), f"drop view {name}")
    return script


def _trigger_state(item: Mapping[str, Any]) -> str:
    return (
        f"ALTER TABLE {item['table']} {_TRIGGER_STATES.get(str(item.get('enabled')), 'ENABLE')} TRIGGER {item['ident']}"
    )


def triggers(source: Snapshot, target: Snapshot, gone: Collection[str]) -> Script:
    """Return the statements for triggers, also on platform tables such as auth.users."""
    script = Script()
    have, want = source.items("triggers"), target.items("triggers")
    for name, item in want.items():
        if item.get("inherited"):
            continue
        before = have.get(name)
        if before is None:
            script.add(str(item["definition"]), Phase.CREATE, _oid(item), f"create trigger {name}")
        elif source.normal["triggers"][name].get("definition") != target.normal["triggers"][name].get("definition"):
            script.add(
                f"DROP TRIGGER {before['ident']} ON {before['table']}",
                Phase.CHANGE,
                _oid(item),
                f"replace trigger {name}",
            )
            script.add(str(item["definition"]), Phase.CHANGE, _oid(item))
            before = None
        if (before or {}).get("enabled", "O") != item.get("enabled", "O"):
            script.add(_trigger_state(item), Phase.FLAGS, _oid(item), f"set the state of trigger {name}")
    for name, item in have.items():
        if name in want or item.get("inherited") or item.get("table") in gone:
            continue
        script.drop(f"DROP TRIGGER {item['ident']} ON {item['table']}", "trigger", _oid(item), f"drop trigger {name}")
    return script


def _policy_create(item: Mapping[str, Any]) -> str:
    kind = "PERMISSIVE" if item.get("permissive", True) else "RESTRICTIVE"
    command = _POLICY_COMMANDS.get(str(item.get("command")), "ALL")
    roles = ", ".join(str(r) for r in item.get("role_idents") or ["PUBLIC"])
    text = f"CREATE POLICY {item['ident']} ON {item['table']} AS {kind} FOR {command} TO {roles}"
    if item.get("using") is not None:
        text += f"\n  USING ({item['using']})"
    if item.get("check") is not None:
        text += f"\n  WITH CHECK ({item['check']})"
    return text


def policies(source: Snapshot, target: Snapshot, gone: Collection[str]) -> Script:
    """Return the statements for row level security policies (also on auth and storage tables)."""
    script = Script()
    have, want = source.items("policies"), target.items("policies")
    again = rebuilt(source, target)
    for name, item in want.items():
        if name in again and name in have:
            script.add(_policy_create(item), Phase.CHANGE, _oid(item), f"create policy {name} again")
        elif name not in have:
            script.add(_policy_create(item), Phase.CREATE, _oid(item), f"create policy {name}")
        elif _changed(source, target, "policies", name):
            before = have[name]
            script.add(
                f"DROP POLICY {before['ident']} ON {before['table']}",
                Phase.CHANGE,
                _oid(item),
                f"replace policy {name}",
            )
            script.add(_policy_create(item), Phase.CHANGE, _oid(item))
    for name, item in have.items():
        if name not in want and item.get("table") not in gone and name not in again:
            script.drop(f"DROP POLICY {item['ident']} ON {item['table']}", "policy", _oid(item), f"drop policy {name}")
    return script
