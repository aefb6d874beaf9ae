"""Names and expressions of a syntax tree as SQL text, quoted as PostgreSQL prints them (pure)."""

from __future__ import annotations

import re
from typing import Any

from pglast import ast
from pglast.keywords import COL_NAME_KEYWORDS, RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS
from pglast.stream import RawStream

from ..lint import tree

#: Words PostgreSQL does not take as a bare identifier everywhere: quoted, as ``format('%I')`` does.
_KEYWORDS = frozenset(RESERVED_KEYWORDS | COL_NAME_KEYWORDS | TYPE_FUNC_NAME_KEYWORDS)


def ident(name: str) -> str:
    """Quote an identifier as PostgreSQL prints it (``todos``, ``"Todo"``, ``"user"``)."""
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) and name not in _KEYWORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


def relation(rv: Any) -> str:
    """Return a RangeVar's name as the catalog prints it (``public.todos``)."""
    return f"{ident(rv.schemaname or tree.DEFAULT_SCHEMA)}.{ident(rv.relname)}"


def sql_of(node: Any) -> str:
    """Return a syntax tree node as SQL text."""
    return str(RawStream()(node))


def columns(node: Any) -> list[str]:
    """Return the column names an expression refers to (the last part of each reference), sorted."""
    names: set[str] = set()
    for item in tree.walk(node):
        if isinstance(item, ast.ColumnRef):
            parts = [p.sval for p in item.fields or () if isinstance(p, ast.String)]
            if parts:
                names.add(str(parts[-1]))
    return sorted(names)


def schema_of(table: str) -> str:
    """Return the schema part of a name :func:`relation` printed (``public``, ``"My schema"``)."""
    if table.startswith('"'):
        end = 1
        while True:
            end = table.index('"', end)
            if table[end + 1 : end + 2] == '"':
                end += 2
                continue
            return table[: end + 1]
    return table.split(".", 1)[0]
