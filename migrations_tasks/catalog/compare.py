"""The one comparison of two catalog snapshots: drift, db.pull's proof and the rollback proof all call
:func:`compare`, and :data:`NOT_COMPARED` says, in one place, what it leaves out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .detail import GRANTED, SEQUENCE_FIELDS
from .diff import DIFFERS, ONLY_DATABASE, ONLY_MIGRATIONS, Difference, diff, short
from .parts import EXISTENCE_ELSEWHERE
from .snapshot import Snapshot

#: What the comparison leaves out; printed by the commands that rely on it (docs/drift.md).
NOT_COMPARED = (
    "the members of operator classes and families (their operators and support functions)",
    "security labels of objects without a schema (roles, databases)",
    "secret options of foreign servers, and the options of user mappings (never read)",
    "settings of roles other than anon, authenticated, service_role, authenticator and postgres",
    "the MAINTAIN privilege (PostgreSQL 17+; a project on 15 has none)",
)


def grant_set(item: Mapping[str, Any]) -> set[str]:
    """Return an object's grants (``grantee PRIVILEGE [WITH GRANT OPTION]``)."""
    return {str(entry) for entry in item.get("acl") or []}


def _sequence_differences(want: Snapshot, have: Snapshot) -> list[Difference]:
    out = []
    mine, theirs = want.items("sequences"), have.items("sequences")
    for name in sorted(set(mine) | set(theirs)):
        if name not in theirs:
            out.append(Difference(ONLY_MIGRATIONS, "sequence", name))
        elif name not in mine:
            out.append(Difference(ONLY_DATABASE, "sequence", name))
        else:
            changed = [
                f"{f}: {mine[name].get(f)} in migrations, {theirs[name].get(f)} in database"
                for f in SEQUENCE_FIELDS
                if mine[name].get(f) != theirs[name].get(f)
            ]
            if changed:
                out.append(Difference(DIFFERS, "sequence", name, "; ".join(changed)))
    return out


def _grant_differences(want: Snapshot, have: Snapshot) -> list[Difference]:
    out = []
    for category, keyword in GRANTED.items():
        mine, theirs = want.items(category), have.items(category)
        for name in sorted(set(mine) & set(theirs)):
            if "acl" not in mine[name] or "acl" not in theirs[name]:
                continue
            ours, live = grant_set(mine[name]), grant_set(theirs[name])
            only_mine, only_theirs = ours - live, live - ours
            if only_mine or only_theirs:
                parts = [f"{g} in migrations only" for g in sorted(only_mine)]
                parts += [f"{g} in database only" for g in sorted(only_theirs)]
                out.append(Difference(DIFFERS, "grants", f"{keyword.lower()} {name}", "; ".join(parts)))
    return out


def _identity_differences(want: Snapshot, have: Snapshot) -> list[Difference]:
    """Return the differences in identity columns' sequence options."""
    out = []
    mine, theirs = want.items("tables"), have.items("tables")
    for name in sorted(set(mine) & set(theirs)):
        options = {str(c["name"]): c.get("identity_options") for c in theirs[name].get("columns") or []}
        changed = [
            f"identity options of {c['name']}: {c.get('identity_options')} in migrations, "
            f"{options[str(c['name'])]} in database"
            for c in mine[name].get("columns") or []
            if str(c["name"]) in options and c.get("identity_options") != options[str(c["name"])]
        ]
        if changed:
            out.append(Difference(DIFFERS, "table", name, "; ".join(changed)))
    return out


def _without_maintain(entry: str) -> str:
    """Return an ACL item (``grantee=privileges/grantor``) without MAINTAIN, which only PostgreSQL 17+ has."""
    grantee, equals, rest = entry.partition("=")
    privileges, slash, grantor = rest.partition("/")
    return f"{grantee}{equals}{privileges.replace('m*', '').replace('m', '')}{slash}{grantor}"


def _comparable(part: str, value: Any) -> Any:
    """Return a part's value as compared: privilege lists without MAINTAIN."""
    if part in ("default privileges", "type privileges") and isinstance(value, list):
        return sorted(_without_maintain(str(v)) for v in value)
    return value


def _value_changes(want: Any, have: Any) -> str:
    """Return how two values of a part differ, key by key for objects."""
    if isinstance(want, dict) and isinstance(have, dict):
        return "; ".join(
            f"{key}: {short(want.get(key, 'none'))} in migrations, {short(have.get(key, 'none'))} in database"
            for key in sorted(set(want) | set(have))
            if want.get(key) != have.get(key)
        )
    return f"{short(want)} in migrations, {short(have)} in database"


#: How a part's objects are named in a difference line ("differs: table properties public.t: ...").
_LABELS = {
    "types": "type",
    "comments": "comment",
    "rules": "rule",
    "statistics objects": "statistics object",
    "publications": "publication",
    "publication tables": "publication member",
    "default privileges": "default privileges",
    "settings": "settings of",
    "event triggers": "event trigger",
    "foreign servers": "foreign server",
    "extensions": "extension",
    "other objects": "object",
    "owners": "owner of",
    "type privileges": "privileges on type",
    "security labels": "security label",
    "user mappings": "user mapping",
}


def _part_differences(want: Snapshot, have: Snapshot) -> list[Difference]:
    out = []
    for part in sorted(set(want.parts) | set(have.parts)):
        mine, theirs = want.parts.get(part) or {}, have.parts.get(part) or {}
        label = _LABELS.get(part, part)
        for name in sorted(set(mine) | set(theirs)):
            if name not in theirs or name not in mine:
                if part not in EXISTENCE_ELSEWHERE:
                    kind = ONLY_MIGRATIONS if name not in theirs else ONLY_DATABASE
                    value = mine.get(name) if name not in theirs else theirs.get(name)
                    out.append(Difference(kind, label, name, "" if value is True else short(value)))
                continue
            a, b = _comparable(part, mine[name]), _comparable(part, theirs[name])
            if part == "column order":  # added and dropped columns are the core's differences
                a, b = [c for c in a if c in b], [c for c in b if c in a]
            if a != b:
                out.append(Difference(DIFFERS, label, name, _value_changes(a, b)))
    return out


def compare(want: Snapshot, have: Snapshot) -> list[Difference]:
    """Return every difference between two snapshots (``want``: what the migrations build), one line each."""
    return [
        *diff(want.normal, have.normal),
        *_sequence_differences(want, have),
        *_grant_differences(want, have),
        *_identity_differences(want, have),
        *_part_differences(want, have),
    ]
