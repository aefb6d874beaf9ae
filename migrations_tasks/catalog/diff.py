"""One diff of two catalogs, as drift, db.pull and the rollback proof report it: :class:`Difference` lines."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import untrusted
from ..sql import normal_tokens, quote_ident
from .core import PLATFORM_EXTENSIONS

ONLY_MIGRATIONS = "only in migrations"
ONLY_DATABASE = "only in database"
DIFFERS = "differs"


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
