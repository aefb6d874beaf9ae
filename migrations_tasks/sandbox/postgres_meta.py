"""What postgres-meta (the service behind the SQL endpoint) does to a query's text and its answer.

Parameters are bound as node-postgres sends them (``$n`` placeholders, every value untyped text); its
``SET statement_timeout`` prefix is put before a query; a PostgreSQL error becomes its text (``Failed to
run sql query: ERROR:  <SQLSTATE>: ...`` with ``LINE``/``DETAIL``/``HINT``/``QUERY``/``CONTEXT`` lines, about
the request's own text); a ``COPY ... FROM STDIN`` fails at once as node-postgres makes it fail; result values
are shown in JSON as Supabase's API shows them.
"""

from __future__ import annotations

import datetime
import decimal
import json
import re
import uuid
from typing import Any

import psycopg
from pglast.parser import scan
from psycopg import pq

from .notes import restriction
from .rewrite import Replacement, Rewritten, literal


def json_default(value: Any) -> Any:
    """Encode values the way Supabase's API shows them."""
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "\\x" + bytes(value).hex()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def _text(value: Any, *, nested: bool = False) -> str | None:
    """Return a parameter as node-postgres sends it (text): JSON for objects, an array literal for lists."""
    if value is None:
        return None if not nested else "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        value = json.dumps(value)
    elif isinstance(value, list):
        return "{" + ",".join(str(_text(item, nested=True)) for item in value) + "}"
    text = str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"' if nested else text


def bind(sql: str, parameters: list[Any]) -> tuple[bytes, dict[str, str | None]]:
    """Return ``sql`` with its ``$n`` placeholders in psycopg's form, and the values as postgres-meta sends them.

    postgres-meta passes ``parameters`` to node-postgres: ``$1``, ``$2`` ... in one statement (the extended
    protocol), every value as untyped text. Outside the placeholders ``%`` is doubled for psycopg.
    """
    data = sql.encode("utf-8")
    try:
        places = [(t.start, t.end + 1) for t in scan(sql) if t.name == "PARAM"]
    except Exception:  # the scanner's errors: the server reports the syntax error
        places = []
    out, last = bytearray(), 0
    for start, end in places:
        out += data[last:start].replace(b"%", b"%%") + b"%(p" + data[start + 1 : end] + b")s"
        last = end
    out += data[last:].replace(b"%", b"%%")
    return bytes(out), {f"p{n}": _text(value) for n, value in enumerate(parameters, 1)}


def refuse_copy(conn: psycopg.Connection[Any]) -> psycopg.Error | None:
    """Answer a ``COPY ... FROM STDIN`` the query stopped at as node-postgres does; return the server's error.

    node-postgres (postgres-meta's driver) answers the server's CopyInResponse to a plain query with
    CopyFail ``No source stream defined``, so the server fails the statement with 57014 at once. psycopg
    stops there instead (a ProgrammingError without SQLSTATE); None when the query did not stop at one.
    """
    pgconn = conn.pgconn
    if pgconn.transaction_status != pq.TransactionStatus.ACTIVE:
        return None
    result = pgconn.get_result()
    if result is None or result.status != pq.ExecStatus.COPY_IN:
        return None
    pgconn.put_copy_end(b"No source stream defined")
    error: psycopg.Error | None = None
    while (result := pgconn.get_result()) is not None:
        if result.status == pq.ExecStatus.FATAL_ERROR and error is None:
            error = psycopg.errors.error_from_result(result, encoding=conn.info.encoding)
    return error


def _pointer(query: str, position: int) -> list[str]:
    """Return postgres-meta's ``LINE n: ...`` line and the caret under the 1-based ``position``."""
    offset = position - 1
    before = query[:offset]
    number = before.count("\n") + 1
    start = before.rfind("\n") + 1
    end = query.find("\n", offset)
    prefix = f"LINE {number}: "
    return [prefix + query[start : end if end >= 0 else len(query)], " " * (len(prefix) + offset - start) + "^"]


def format_error(exc: psycopg.Error, sent: Rewritten) -> str:
    """Format a PostgreSQL error as postgres-meta does, about the request's own text (``sent.original``).

    For the errors of hosted Supabase's restrictions a ``HINT:  sandbox: ...`` line says which and since when.
    """
    diag = exc.diag
    sqlstate = diag.sqlstate or "XX000"
    message = diag.message_primary or str(exc).strip()
    lines = [f"Failed to run sql query: ERROR:  {sqlstate}: {message}"]
    inside = _inside_call((diag.internal_query, diag.context), sent) if not diag.statement_position else None
    if diag.statement_position:
        lines += _pointer(sent.original, sent.original_position(int(diag.statement_position)))
    elif inside is not None:  # raised by a statement run_privileged EXECUTEd: point at that statement
        lines += _pointer(sent.original, inside)
    hint = "\n".join(
        h for h in (diag.message_hint, restriction(sqlstate, message, sent.original)) if h
    )  # one HINT field
    for field, value in (
        ("DETAIL", diag.message_detail),
        ("HINT", hint),
        ("QUERY", None if inside is not None else diag.internal_query),
        ("CONTEXT", sent.clean_context(diag.context)),
    ):
        if value:
            lines.append(f"{field}:  {value}")
    return "\n".join(lines) + "\n"


def _inside_call(where: tuple[str | None, str | None], sent: Rewritten) -> int | None:
    """Return the 1-based start of the replaced statement whose call EXECUTEd the failing statement, if any.

    ``where``: the error's internal query and CONTEXT (its ``SQL statement "..."`` lines).
    """
    query, context = where
    candidates = [query] if query else []
    candidates += _CONTEXT_STATEMENT.findall(context or "")
    for statement in candidates:
        quoted = literal(statement)
        found = next((item.start + 1 for item in sent.replacements if quoted in item.text), None)
        if found is not None:
            return found
    return None


_CONTEXT_STATEMENT = re.compile(r'^SQL statement "(.*)"$', re.MULTILINE)


def behind_prefix(prefix: str, sent: Rewritten) -> Rewritten:
    """Return ``sent`` after postgres-meta's ``SET statement_timeout`` prefix (``--statement-timeout-prefix``).

    The prefix counts as a replacement at the start of the request, so error positions still map to the
    request's own text, as postgres-meta corrects them.
    """
    if not prefix:
        return sent
    return Rewritten(sent.original, prefix + sent.sql, (Replacement(0, 0, prefix), *sent.replacements))
