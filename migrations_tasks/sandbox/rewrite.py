"""Apply supautils' rules to one request's SQL: replace statements in place, map errors back (pure).

Statements Supabase refuses become ``CALL _sandbox.refuse(...)`` (raising Supabase's exact error) and
statements supautils runs as ``supabase_admin`` become ``CALL _sandbox.run_privileged(...)``, at the same
place in the text, so the request still runs as one implicit transaction and fails at the same statement
as on Supabase. Static statements and ``EXECUTE '<constant>'`` inside PL/pgSQL ``DO`` blocks (and ``DO`` blocks nested
there) are rewritten inside the block, found by line and token (never a copy in a comment or a string),
keeping its line numbers; SQL built at run time (``EXECUTE format(...)``) is not seen.

:class:`Rewritten` maps an error's position back to the request's own text and removes the ``CONTEXT``
lines the helper procedures add, so an error reads as PostgreSQL would have written it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pglast
from pglast import ast
from pglast.parser import scan
from pglast.stream import RawStream

from .supautils import extension_command, privileged, refusal


@dataclass(frozen=True)
class Replacement:
    """One statement replaced: where it was in the request, and what took its place."""

    start: int
    end: int
    text: str
    #: Inside a rewritten DO block: replacement text -> the statement it stands for.
    inner: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rewritten:
    """A request's SQL as sent to PostgreSQL, and how to map its errors back to the request's text."""

    original: str
    sql: str
    replacements: tuple[Replacement, ...] = ()

    def original_position(self, position: int) -> int:
        """Map a 1-based error position in :attr:`sql` to the request's text (inside a call: its statement)."""
        offset, shift = position - 1, 0
        for item in self.replacements:
            new_start = item.start + shift
            if offset < new_start:
                break
            if offset < new_start + len(item.text):
                return item.start + 1
            shift += len(item.text) - (item.end - item.start)
        return offset - shift + 1

    def clean_context(self, context: str | None) -> str | None:
        """Drop the CONTEXT lines of the helper procedures; show the original statement inside DO blocks."""
        if not context or not self.replacements:
            return context
        inner = {k: v for r in self.replacements for k, v in r.inner.items()}
        kept: list[str] = []
        restored = False
        for line in context.splitlines():
            if _OUR_CONTEXT.match(line):
                if kept and kept[-1].startswith("SQL statement "):
                    kept.pop()  # the statement run_as_admin EXECUTEd
                continue
            if line.startswith('SQL statement "') and line[15:-1] in inner:
                line, restored = f'SQL statement "{inner[line[15:-1]]}"', True
            elif restored and line.endswith(" at CALL"):
                line, restored = line[: -len("CALL")] + "SQL statement", False
            kept.append(line)
        return "\n".join(kept) or None


_OUR_CONTEXT = re.compile(r"^PL/pgSQL function _sandbox\.\w+\(.*$")


def literal(value: str | None) -> str:
    """Return ``value`` as a standard SQL string literal (or NULL)."""
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


#: A statement led by SELECT is never refused nor run as supabase_admin (supautils hooks utility statements
#: only), so it is not parsed: db.plan's probes make most of a rehearsal's statements, and building pglast's
#: tree of each took most of the time of a large migration's plan.
_SELECT = re.compile(r"\s*select\b", re.IGNORECASE)


def statements(sql: str) -> Iterator[tuple[int, int, Any]]:
    """Yield (start, end, node or None) for each top-level statement; pieces that do not parse, and SELECTs
    (see :data:`_SELECT`), give None.

    The request is split by the parser; one the PostgreSQL 17 grammar of pglast cannot parse as a whole
    (PostgreSQL 18 syntax, or a real syntax error, which the server reports) is split with the scanner.
    Each piece is then parsed on its own.
    """
    try:
        pieces = pglast.split(sql, with_parser=True, only_slices=True)
    except pglast.parser.ParseError:
        pieces = pglast.split(sql, with_parser=False, only_slices=True)
    for piece in pieces:
        if _SELECT.match(sql, piece.start):
            yield piece.start, piece.stop, None
            continue
        try:
            nodes = pglast.parse_sql(sql[piece])
        except pglast.parser.ParseError:
            yield piece.start, piece.stop, None
            continue
        yield piece.start, piece.stop, nodes[0].stmt if nodes else None


def replacement(node: Any) -> str | None:
    """Return the call that stands for ``node`` when supautils refuses it or runs it as supabase_admin."""
    found = refusal(node)
    if found:
        code, message, detail, hint = found
        args = ", ".join(literal(v) for v in (code, message, detail, hint))
        return f"CALL _sandbox.refuse({args})"
    special = privileged(node)
    if special:
        kind, name = special
        return f"CALL _sandbox.run_privileged({literal(kind)}, {literal(RawStream()(node))}, {literal(name)})"
    if extension_command(node):
        return f"CALL _sandbox.run_extension({literal(RawStream()(node))})"
    return None


def _plpgsql_statements(tree: Any, lineno: int = 1) -> Iterator[tuple[str, str, int]]:
    """Yield (kind, text, line) for static SQL ('sql') and EXECUTE expressions ('execute') in a PL/pgSQL tree."""
    if isinstance(tree, dict):
        lineno = int(tree.get("lineno", lineno))
        for key, value in tree.items():
            if key == "PLpgSQL_stmt_execsql":
                yield "sql", value["sqlstmt"]["PLpgSQL_expr"]["query"], int(value.get("lineno", lineno))
            elif key == "PLpgSQL_stmt_dynexecute":
                yield "execute", value["query"]["PLpgSQL_expr"]["query"], int(value.get("lineno", lineno))
            yield from _plpgsql_statements(value, lineno)
    elif isinstance(tree, list):
        for item in tree:
            yield from _plpgsql_statements(item, lineno)


def _locate(body: str, text: str, line: int, taken: int) -> int | None:
    """Return where ``text`` starts in ``body``: from ``line`` on, at a token (not in a comment or string)."""
    data, needle = body.encode("utf-8"), text.encode("utf-8")
    try:
        starts = {t.start for t in scan(body)}
    except Exception:  # the scanner's errors: fall back to the line
        starts = None
    at = max(taken, len("\n".join(body.split("\n")[: line - 1]).encode("utf-8")) if line > 1 else 0)
    while (at := data.find(needle, at)) >= 0:
        if starts is None or at in starts:
            return len(data[:at].decode("utf-8", "replace"))
        at += 1
    return None


def _constant(expression: str) -> str | None:
    """Return the string an EXECUTE expression is, when it is one string constant."""
    try:
        select: Any = pglast.parse_sql(f"SELECT {expression}")[0].stmt
        value = select.targetList[0].val
    except (pglast.parser.ParseError, AttributeError, IndexError, TypeError):
        return None
    if isinstance(value, ast.A_Const) and isinstance(value.val, ast.String):
        return str(value.val.sval)
    return None


def _do_body(node: Any) -> str | None:
    body, language = None, "plpgsql"
    for arg in node.args or ():
        if arg.defname == "as":
            body = arg.arg.sval
        elif arg.defname == "language":
            language = arg.arg.sval
    return body if body is not None and str(language).lower() == "plpgsql" else None


def _rewrite_do(node: Any) -> tuple[str, dict[str, str]] | None:
    """Rewrite a PL/pgSQL DO block's static statements and EXECUTEs of a constant, inside its body."""
    body = _do_body(node)
    if body is None:
        return None
    tag = "$do_" + secrets.token_hex(4) + "$"
    try:
        tree = pglast.parse_plpgsql(f"CREATE FUNCTION pg_temp.f() RETURNS void LANGUAGE plpgsql AS {tag}{body}{tag}")
    except Exception:  # pglast raises several types; the server will report the problem
        return None
    inner: dict[str, str] = {}
    edits: list[tuple[int, int, str]] = []
    taken: dict[int, int] = {}  # line -> where the last statement replaced on it ended (bytes)
    for kind, text, line in _plpgsql_statements(tree):
        statement = _constant(text) if kind == "execute" else text
        call = _inner_call(statement, inner) if statement is not None else None
        if call is None or statement is None:
            continue
        where = _locate(body, text, line, taken.get(line, 0))
        if where is None:
            continue
        inner[call] = statement
        padding = "\n" * text.count("\n")  # keep the body's line numbers (CONTEXT says "line N")
        edits.append((where, where + len(text), (call if kind == "sql" else literal(call)) + padding))
        taken[line] = len(body[: where + len(text)].encode("utf-8"))
    new_body = body
    for start, end, new_text in sorted(edits, reverse=True):
        new_body = new_body[:start] + new_text + new_body[end:]
    return (f"DO {tag}{new_body}{tag}", inner) if inner else None


def _inner_call(statement: str, inner: dict[str, str]) -> str | None:
    """Return what stands for one statement inside a DO block (a nested DO block rewritten in turn)."""
    try:
        parsed = pglast.parse_sql(statement)
    except pglast.parser.ParseError:
        return None
    if len(parsed) != 1:
        return None
    if isinstance(parsed[0].stmt, ast.DoStmt):
        done = _rewrite_do(parsed[0].stmt)
        if done is None:
            return None
        inner.update(done[1])
        return done[0]
    return replacement(parsed[0].stmt)


@lru_cache(maxsize=128)
def rewrite(sql: str) -> Rewritten:
    """Return the request with the statements supautils refuses or runs as supabase_admin replaced.

    Cached by text: the same catalog reads and migrations come again and again (every snapshot, every
    throwaway database a proof builds), and parsing them into pglast's nodes costs more than running them.
    """
    found: list[Replacement] = []
    for start, end, node in statements(sql):
        if node is None:
            continue
        if isinstance(node, ast.DoStmt):
            done = _rewrite_do(node)
            if done:
                found.append(Replacement(start, end, done[0], done[1]))
            continue
        call = replacement(node)
        if call:
            found.append(Replacement(start, end, call))
    out = sql
    for item in reversed(found):
        out = out[: item.start] + item.text + out[item.end :]
    return Rewritten(sql, out, tuple(found))
