"""Aggregates and text search configurations and dictionaries into SQL (pure).

They are read from the ``other objects`` part of :mod:`...catalog.parts`, keyed ``<type> <identity>`` as
``pg_identify_object`` prints them (names quoted and schema-qualified), so a generator never quotes a name
itself. An aggregate is written ``CREATE OR REPLACE AGGREGATE`` (PostgreSQL 12+), made or changed alike; a
text search configuration is made with its parser and its token mappings by alias (``ts_token_type``), and
a changed one gets ``ADD``, ``ALTER`` and ``DROP MAPPING``. What is not written is refused with its reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...catalog import Snapshot
from ...sql import quote_literal
from .steps import Phase, Script

_AGGREGATE = "aggregate "
_CONFIG = "text search configuration "
_DICTIONARY = "text search dictionary "
#: An unset function or operator, as ``regproc`` and ``regoper`` print it.
_UNSET = (None, "-", "0")
#: Aggregate options written from the catalog's fields, in CREATE AGGREGATE's order.
_FUNCTIONS = (
    ("final", "FINALFUNC"),
    ("combine", "COMBINEFUNC"),
    ("serial", "SERIALFUNC"),
    ("deserial", "DESERIALFUNC"),
)
_MODIFY = {"r": "READ_ONLY", "s": "SHAREABLE", "w": "READ_WRITE"}
_PARALLEL = {"s": "SAFE", "r": "RESTRICTED", "u": "UNSAFE"}


def _set(value: Any) -> bool:
    return value not in _UNSET


def _aggregate(identity: str, value: Mapping[str, Any]) -> str | None:
    """Return CREATE OR REPLACE AGGREGATE for a plain aggregate; None for what is not written (moving, ordered)."""
    if value.get("kind") != "n" or _set(value.get("moving")):
        return None
    options = [f"SFUNC = {value['transition']}", f"STYPE = {value['state']}"]
    if int(value.get("state space") or 0):
        options.append(f"SSPACE = {int(value['state space'])}")
    for field, keyword in _FUNCTIONS:
        if _set(value.get(field)):
            options.append(f"{keyword} = {value[field]}")
    if _set(value.get("final")):
        if value.get("final extra"):
            options.append("FINALFUNC_EXTRA")
        if value.get("final modify") in _MODIFY and value.get("final modify") != "r":
            options.append(f"FINALFUNC_MODIFY = {_MODIFY[str(value['final modify'])]}")
    if value.get("initial") is not None:
        options.append(f"INITCOND = {quote_literal(str(value['initial']))}")
    if _set(value.get("sort")):
        options.append(f"SORTOP = {value['sort']}")
    if value.get("parallel") in ("s", "r"):
        options.append(f"PARALLEL = {_PARALLEL[str(value['parallel'])]}")
    return f"CREATE OR REPLACE AGGREGATE {identity} (\n    " + ",\n    ".join(options) + "\n)"


def _mappings(value: Mapping[str, Any]) -> dict[str, list[str]]:
    """Return a configuration's dictionaries by token type alias, in their order."""
    out: dict[str, list[str]] = {}
    for entry in value.get("mappings") or []:
        alias, _, dictionary = str(entry).partition(": ")
        out.setdefault(alias, []).append(dictionary)
    return out


def _configuration(identity: str, have: Mapping[str, Any] | None, want: Mapping[str, Any], script: Script) -> None:
    """Add the statements that make a text search configuration, or change its mappings."""
    alter = f"ALTER TEXT SEARCH CONFIGURATION {identity}"
    if have is not None and have.get("parser") != want.get("parser"):
        script.add(f"DROP TEXT SEARCH CONFIGURATION {identity}", Phase.CHANGE, 1, f"replace {_CONFIG}{identity}")
        have = None
    if have is None:
        create = f"CREATE TEXT SEARCH CONFIGURATION {identity} (PARSER = {want['parser']})"
        script.add(create, Phase.CHANGE, 1, f"create {_CONFIG}{identity}")
    before, after = _mappings(have or {}), _mappings(want)
    for alias in before:
        if alias not in after:
            script.add(f"{alter} DROP MAPPING FOR {alias}", Phase.CHANGE, 1, f"change {_CONFIG}{identity}")
    for alias, dictionaries in after.items():
        if before.get(alias) != dictionaries:
            verb = "ALTER" if alias in before else "ADD"
            sql = f"{alter} {verb} MAPPING FOR {alias} WITH {', '.join(dictionaries)}"
            script.add(sql, Phase.CHANGE, 1, f"change {_CONFIG}{identity}")


def _dictionary(identity: str, have: Mapping[str, Any] | None, want: Mapping[str, Any], script: Script) -> None:
    """Add CREATE TEXT SEARCH DICTIONARY (made again when its template changed) or ALTER its options."""
    options = str(want.get("options") or "")
    if have is not None and have.get("template") == want.get("template"):
        script.add(f"ALTER TEXT SEARCH DICTIONARY {identity} ({options})", Phase.CHANGE, 0, f"change {identity}")
        return
    if have is not None:
        script.add(f"DROP TEXT SEARCH DICTIONARY {identity}", Phase.CHANGE, 0, f"replace {_DICTIONARY}{identity}")
    spec = ", ".join([f"TEMPLATE = {want['template']}", *([options] if options else [])])
    script.add(f"CREATE TEXT SEARCH DICTIONARY {identity} ({spec})", Phase.CHANGE, 0, f"create {_DICTIONARY}{identity}")


def others(source: Snapshot, target: Snapshot) -> Script:
    """Return the statements for aggregates and text search configurations and dictionaries (dictionaries
    first: a configuration maps to them)."""
    script = Script()
    have, want = source.parts.get("other objects") or {}, target.parts.get("other objects") or {}
    for name in sorted(set(want) | set(have)):
        before, after = have.get(name), want.get(name) or {}
        if before == (want.get(name)):
            continue
        kind = next((k for k in (_AGGREGATE, _CONFIG, _DICTIONARY) if name.startswith(k)), None)
        if kind is None:  # collations are written elsewhere; the rest stays a difference the proof names
            continue
        identity = name[len(kind) :]
        if name not in want:
            keyword = kind.strip().upper()
            # a configuration goes before the dictionaries it maps to (drops run newest key first)
            script.drop(f"DROP {keyword} {identity}", "function", 0 if kind == _DICTIONARY else 1, f"drop {name}")
        elif kind == _AGGREGATE and (sql := _aggregate(identity, after)) is not None:
            script.add(sql, Phase.CHANGE, 1, f"{'replace' if before else 'create'} {name}")
        elif kind == _CONFIG:
            _configuration(identity, before, after, script)
        elif kind == _DICTIONARY:
            _dictionary(identity, before, after, script)
        else:
            script.unsupported.append(
                f"{name}: an ordered-set or moving aggregate: db.pull does not write it; write it by hand"
            )
    return script
