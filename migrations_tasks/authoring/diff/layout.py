"""How ``db.pull --schemas`` lays a whole schema out in files: one per schema, in an order that applies (pure).

The statements come in the generator's order (one that PostgreSQL accepts, see ``pull/steps.py``). Each
goes to the file of its schema: the first schema-qualified name it holds (every name is qualified: the
catalog is read with an empty ``search_path``), ``CREATE SCHEMA x`` and ``... ON SCHEMA x`` to x's.
Extensions go to a first file; publications, event triggers, default privileges and database settings,
which concern the whole database and whose place matters (default privileges shape the grants of what is
created after them), to a last one. Files are named ``NN_<schema>.sql`` so that their lexical order (the
order the Supabase CLI applies them in) puts a schema after every schema its statements name (Supabase's
own schemas exist already: naming them orders nothing); when two schemas name each other, every statement
goes to one file, in the generator's order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ...catalog.schemas import PLATFORM_SCHEMAS

#: The group of extensions (first) and of what concerns the whole database (last).
EXTENSIONS = "extensions"
DATABASE = "database"
ONE_FILE = "schema"

_TOKEN = re.compile(
    r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|\$([A-Za-z_][A-Za-z0-9_]*)?\$.*?\$\1\$|[A-Za-z_][A-Za-z0-9_$]*|\.|\S""",
    re.S,
)
_WHOLE_DATABASE = re.compile(
    r"^(CREATE|ALTER|DROP|COMMENT ON) (PUBLICATION|EVENT TRIGGER)\b|^ALTER DEFAULT PRIVILEGES\b|^DO\b", re.I
)
_EXTENSION = re.compile(r"^(CREATE|ALTER|DROP|COMMENT ON) EXTENSION\b", re.I)
_SCHEMA = re.compile(r"^(?:CREATE|ALTER|DROP|COMMENT ON|GRANT .*? ON|REVOKE .*? ON) SCHEMA\s+(\S+)", re.I | re.S)


def _name(token: str) -> str:
    """Return an identifier as PostgreSQL stores it: quoted ones unquoted, others lower-cased."""
    if token.startswith('"'):
        return token[1:-1].replace('""', '"')
    return token.lower()


def _is_ident(token: str) -> bool:
    return token.startswith('"') or bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", token))


def qualifiers(sql: str) -> list[str]:
    """Return the schemas the statement's qualified names start with (``a.b``, ``a.b.c``), in order."""
    tokens = [m.group(0) for m in _TOKEN.finditer(sql)]
    out = []
    for i in range(len(tokens) - 2):
        if tokens[i + 1] == "." and _is_ident(tokens[i]) and _is_ident(tokens[i + 2]):
            if i >= 2 and tokens[i - 1] == "." and _is_ident(tokens[i - 2]):
                continue  # the middle of a.b.c
            out.append(_name(tokens[i]))
    return out


def home(sql: str) -> str:
    """Return the group a statement goes to: its schema, :data:`EXTENSIONS` or :data:`DATABASE`."""
    text = sql.lstrip()
    if _EXTENSION.match(text):
        return EXTENSIONS
    if _WHOLE_DATABASE.match(text):
        return DATABASE
    schema = _SCHEMA.match(text)
    if schema:
        return _name(schema.group(1))
    named = qualifiers(text)
    return named[0] if named else DATABASE


@dataclass
class Layout:
    """The files to write, in order: (file name, statements)."""

    files: list[tuple[str, list[str]]] = field(default_factory=list)
    #: Why every statement went to one file ("" when split by schema).
    merged: str = ""


def _order(groups: dict[str, list[str]]) -> list[str] | None:
    """Return the schema groups so that each comes after those its statements name (None: they name each other).

    Supabase's schemas (``auth``, ``storage``...) exist before any file runs, and what a file adds to them
    (a policy on ``storage.objects``, a trigger on ``auth.users``) nothing else needs: naming them
    (``auth.uid()``) orders nothing.
    """
    needs = {
        g: {q for s in statements for q in qualifiers(s) if q in groups and q != g and q not in PLATFORM_SCHEMAS}
        for g, statements in groups.items()
    }
    order: list[str] = []
    while len(order) < len(groups):
        ready = [g for g in groups if g not in order and needs[g] <= set(order)]
        if not ready:
            return None
        order.append(ready[0])  # groups keep the order of their first statement
    return order


def _file_name(rank: int, width: int, group: str) -> str:
    return f"{rank:0{width}d}_{re.sub(r'[^A-Za-z0-9_]+', '_', group).strip('_') or 'schema'}.sql"


def lay_out(statements: Sequence[str]) -> Layout:
    """Return one file per schema for ``statements`` (in the generator's order); see the module docstring."""
    groups: dict[str, list[str]] = {}
    for sql in statements:
        groups.setdefault(home(sql), []).append(sql)
    first = groups.pop(EXTENSIONS, [])
    last = groups.pop(DATABASE, [])
    order = _order(groups)
    if order is None:
        return Layout([(f"10_{ONE_FILE}.sql", list(statements))], "schemas whose statements name each other")
    named = [(EXTENSIONS, first)] if first else []
    named += [(g, groups[g]) for g in order]
    named += [(DATABASE, last)] if last else []
    width = max(2, len(str(10 * len(named))))
    return Layout([(_file_name(10 * (i + 1), width, g), s) for i, (g, s) in enumerate(named)])
