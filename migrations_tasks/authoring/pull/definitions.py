"""Composite types, domains, range types, collations, rules and statistics objects into SQL (pure).

Types and collations are made in the type phase, in the live database's creation order, so a table or a
domain made after them finds them; a range type brings its multirange type and constructors along (they
are not made on their own). Rules and statistics objects come after the tables. A type whose definition
changed is not altered: the pull refuses it with its name (write it by hand).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from ...catalog import Snapshot
from ...sql import quote_literal
from .steps import Phase, Script

_KIND = {"c": "type", "d": "domain", "r": "range type", "m": "multirange type", "b": "base type"}
_RANGE_OPTIONS = ("subtype", "subtype_opclass", "collation", "canonical", "subtype_diff", "multirange_type_name")


def _oid(item: Mapping[str, Any]) -> int:
    return int(item.get("oid") or 0)


def _domain(name: str, item: Mapping[str, Any], script: Script) -> None:
    """Add CREATE DOMAIN with its valid constraints, then ADD CONSTRAINT ... NOT VALID for the others."""
    text = f"CREATE DOMAIN {name} AS {item['base']}"
    if item.get("collation"):
        text += f" COLLATE {item['collation']}"
    if item.get("default") is not None:
        text += f" DEFAULT {item['default']}"
    constraints = list(item.get("constraints") or [])
    if item.get("not_null") and not any(c.get("not_null") for c in constraints):
        text += " NOT NULL"
    later = [c for c in constraints if not c.get("valid", True)]
    text += "".join(f" {c['sql']}" for c in constraints if c.get("valid", True))
    script.add(text, Phase.TYPE, _oid(item), f"create domain {name}")
    for constraint in later:
        script.add(f"ALTER DOMAIN {name} ADD {constraint['sql']}", Phase.TYPE, _oid(item))


def _create_type(name: str, item: Mapping[str, Any], script: Script) -> None:
    kind = str(item.get("kind"))
    if kind == "c":
        attributes = ",\n    ".join(str(a) for a in item.get("attributes") or [])
        script.add(f"CREATE TYPE {name} AS (\n    {attributes}\n)", Phase.TYPE, _oid(item), f"create type {name}")
    elif kind == "d":
        _domain(name, item, script)
    elif kind == "r":
        spec = item.get("range") or {}
        options = ", ".join(f"{key} = {spec[key]}" for key in _RANGE_OPTIONS if spec.get(key))
        script.add(f"CREATE TYPE {name} AS RANGE ({options})", Phase.TYPE, _oid(item), f"create range type {name}")
    elif kind != "m":  # a multirange type comes with its range type
        script.unsupported.append(f"{_KIND.get(kind, 'type')} {name}: not made as a statement; write it by hand")


def _definition(item: Mapping[str, Any]) -> Any:
    return {k: v for k, v in item.items() if k not in ("oid", "name")}


def _alter_composite(name: str, have: Mapping[str, Any], want: Mapping[str, Any], script: Script) -> bool:
    """Add ALTER TYPE ... ATTRIBUTE statements if kept attributes keep their order (ADD only appends), else False."""
    old = dict(zip(have.get("attribute_idents") or [], have.get("attributes") or []))
    new = dict(zip(want.get("attribute_idents") or [], want.get("attributes") or []))
    kept = [a for a in old if a in new]
    if list(new)[: len(kept)] != kept:
        return False
    key = _oid(want)
    for ident in old:
        if ident not in new:
            script.add(f"ALTER TYPE {name} DROP ATTRIBUTE {ident}", Phase.TYPE, key, f"change type {name}")
        elif old[ident] != new[ident]:
            kind = str(new[ident])[len(str(ident)) + 1 :]
            script.add(f"ALTER TYPE {name} ALTER ATTRIBUTE {ident} TYPE {kind}", Phase.TYPE, key, f"change type {name}")
    for ident in list(new)[len(kept) :]:
        script.add(f"ALTER TYPE {name} ADD ATTRIBUTE {new[ident]}", Phase.TYPE, key, f"change type {name}")
    return True


def _alter_in_place(name: str, have: Mapping[str, Any], want: Mapping[str, Any], script: Script) -> bool:
    """Add ALTER DOMAIN (or ALTER TYPE for a composite) for what changed in place; False if it cannot be."""
    same = ("kind", "base", "collation")
    if want.get("kind") == "m":
        return True
    if want.get("kind") == "c" and have.get("kind") == "c":
        return _alter_composite(name, have, want, script)
    if want.get("kind") != "d" or any(have.get(k) != want.get(k) for k in same):
        return False
    key, alter = _oid(want), f"ALTER DOMAIN {name}"
    if have.get("default") != want.get("default"):
        default = "DROP DEFAULT" if want.get("default") is None else f"SET DEFAULT {want['default']}"
        script.add(f"{alter} {default}", Phase.TYPE, key, f"set the default of domain {name}")
    before = {str(c["sql"]): c for c in have.get("constraints") or []}
    after = {str(c["sql"]): c for c in want.get("constraints") or []}
    named = any(c.get("not_null") for c in [*before.values(), *after.values()])
    if not named and bool(have.get("not_null")) != bool(want.get("not_null")):
        verb = "SET" if want.get("not_null") else "DROP"
        script.add(f"{alter} {verb} NOT NULL", Phase.TYPE, key, f"{verb.lower()} NOT NULL on domain {name}")
    for sql, constraint in before.items():
        if sql not in after:
            script.add(f"{alter} DROP CONSTRAINT {constraint['ident']}", Phase.TYPE, key, f"change domain {name}")
    for sql in after:
        if sql not in before:
            script.add(f"{alter} ADD {sql}", Phase.TYPE, key, f"change domain {name}")
    return True


def types(source: Snapshot, target: Snapshot) -> Script:
    """Return the statements for composite types, domains and range types."""
    script = Script()
    have, want = source.items("user_types"), target.items("user_types")
    for name, item in want.items():
        if name not in have:
            _create_type(name, item, script)
        elif _definition(have[name]) != _definition(item) and not _alter_in_place(name, have[name], item, script):
            script.unsupported.append(
                f"{_KIND.get(str(item.get('kind')), 'type')} {name}: its definition differs; "
                "change it by hand (inv db.new NAME)"
            )
    for name, item in have.items():
        if name not in want and item.get("kind") != "m":
            keyword = "DOMAIN" if item.get("kind") == "d" else "TYPE"
            script.drop(
                f"DROP {keyword} {name}", "type", _oid(item), f"drop {_KIND.get(str(item.get('kind')), 'type')} {name}"
            )
    return script


def _collation_create(item: Mapping[str, Any]) -> str:
    """Return CREATE COLLATION from its catalog row (``pg_collation``'s columns of this server's version)."""
    provider = {"c": "libc", "i": "icu", "b": "builtin"}.get(str(item.get("collprovider")), "libc")
    locale = item.get("colllocale") or item.get("colliculocale")
    options = [f"provider = {provider}"]
    if provider == "libc":
        collate, ctype = item.get("collcollate"), item.get("collctype")
        options += (
            [f"locale = {quote_literal(str(collate))}"]
            if collate == ctype
            else [f"lc_collate = {quote_literal(str(collate))}", f"lc_ctype = {quote_literal(str(ctype))}"]
        )
    elif locale is not None:
        options.append(f"locale = {quote_literal(str(locale))}")
    if item.get("collicurules"):
        options.append(f"rules = {quote_literal(str(item['collicurules']))}")
    if item.get("collisdeterministic") is False:
        options.append("deterministic = false")
    return f"CREATE COLLATION {item['ident']} ({', '.join(options)})"


def collations(source: Snapshot, target: Snapshot) -> Script:
    """Return the statements for collations (made before the types and tables that use them)."""
    script = Script()
    have, want = source.items("collations"), target.items("collations")
    for name, item in want.items():
        if name not in have:
            script.add(_collation_create(item), Phase.TYPE, _oid(item), f"create {name}")
    for name, item in have.items():
        if name not in want:
            script.drop(f"DROP COLLATION {item['ident']}", "type", _oid(item), f"drop {name}")
    return script


def rules(source: Snapshot, target: Snapshot, gone: Collection[str]) -> Script:
    """Return the statements for rules (PostgreSQL's own definitions, ``pg_get_ruledef``)."""
    script = Script()
    have, want = source.items("rules"), target.items("rules")
    for name, item in want.items():
        create = str(item["definition"]).strip().rstrip(";").rstrip()
        if name not in have:
            script.add(create, Phase.CHANGE, _oid(item), f"create rule {name}")
        elif have[name].get("definition") != item.get("definition"):
            replace = create.replace("CREATE RULE", "CREATE OR REPLACE RULE", 1)
            script.add(replace, Phase.CHANGE, _oid(item), f"replace rule {name}")
    for name, item in have.items():
        if name not in want and item.get("table") not in gone:
            script.drop(f"DROP RULE {item['ident']} ON {item['table']}", "policy", _oid(item), f"drop rule {name}")
    return script


def statistics(source: Snapshot, target: Snapshot, gone: Collection[str]) -> Script:
    """Return the statements for extended statistics objects and their statistics targets."""
    script = Script()
    have, want = source.items("statistics"), target.items("statistics")
    for name, item in want.items():
        before = have.get(name)
        if before is not None and before.get("definition") != item.get("definition"):
            script.add(f"DROP STATISTICS {name}", Phase.CHANGE, _oid(item), f"replace statistics {name}")
            before = None
        if before is None:
            script.add(str(item["definition"]), Phase.CHANGE, _oid(item), f"create statistics {name}")
        changed = item.get("target") != before.get("target") if before else item.get("target") not in (None, -1)
        if changed:
            value = -1 if item.get("target") is None else int(item["target"])
            sql = f"ALTER STATISTICS {name} SET STATISTICS {value}"
            script.add(sql, Phase.FLAGS, _oid(item), f"set the statistics target of {name}")
    for name, item in have.items():
        if name not in want and item.get("table") not in gone:
            script.drop(f"DROP STATISTICS {name}", "index", _oid(item), f"drop statistics {name}")
    return script
