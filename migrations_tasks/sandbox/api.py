"""The Management API's behaviour, independent of the HTTP plumbing: run SQL as Supabase's endpoint does.

Each request borrows a clean pooled connection to the project's database (no session state survives a
request), runs the query with the simple-query protocol (after supautils' rules, :mod:`.rewrite`) and
answers the last non-empty result set, PostgreSQL's error in postgres-meta's text format, or 408 past the
query timeout (the statement is cancelled).
"""

from __future__ import annotations

import datetime
import decimal
import hmac
import json
import queue
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import psycopg
from pglast.parser import scan
from psycopg.pq import TransactionStatus

from ..transport.rowsets import answer_rows
from .faults import Admission, Faults, RateWindow
from .limits import TIMEOUT_BODY, Limits, QueryTimer
from .notes import restriction
from .rewrite import Replacement, Rewritten, literal, rewrite

POOL_SIZE = 16


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


@dataclass(frozen=True)
class ProjectUrls:
    """A project's database, as ``postgres`` (the API) and as ``supabase_read_only_user`` (read-only)."""

    url: str
    read_only_url: str


class Projects(Protocol):
    """The projects the API serves: find one by ref, create a fresh one, drop one (the :class:`.Sandbox`)."""

    def project_urls(self, ref: str) -> ProjectUrls | None:
        """Return a project's database URLs, or None for an unknown ref."""

    def create_project(self) -> dict[str, str]:
        """Create a fresh, empty project; return its ref and database URL."""

    def delete_project(self, ref: str) -> bool:
        """Drop a project made by ``create_project``; return whether there was one."""


class Pool:
    """Idle connections to one database; at most POOL_SIZE in use."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._idle: queue.LifoQueue[psycopg.Connection[Any]] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(POOL_SIZE)

    @contextmanager
    def connection(self, timeout: float = 30.0) -> Iterator[psycopg.Connection[Any]]:
        """Lend a clean connection; reset it (no session state survives) when it comes back."""
        if not self._slots.acquire(timeout=timeout):
            raise TimeoutError("too many clients")
        conn: psycopg.Connection[Any] | None = None
        try:
            while conn is None:
                try:
                    candidate = self._idle.get_nowait()
                except queue.Empty:
                    # no automatic prepared statements: DISCARD ALL drops them behind psycopg's back
                    candidate = psycopg.connect(
                        self.url, autocommit=True, application_name="sandbox-api", prepare_threshold=None
                    )
                if not candidate.closed:
                    conn = candidate
            yield conn
        finally:
            if conn is not None:
                self._give_back(conn)
            self._slots.release()

    def _give_back(self, conn: psycopg.Connection[Any]) -> None:
        try:
            if conn.closed or conn.broken:
                return
            if conn.info.transaction_status != TransactionStatus.IDLE:
                conn.execute("ROLLBACK")
            conn.execute("DISCARD ALL")
            self._idle.put(conn)
        except psycopg.Error:
            conn.close()

    def close(self) -> None:
        """Close idle connections."""
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


class SandboxApi:
    """The API's behaviour, independent of the HTTP plumbing.

    ``projects`` finds, creates and drops projects (their database URLs as ``postgres``, and as
    ``supabase_read_only_user`` for the read-only endpoint). With ``emulate`` (``--privileges supabase``)
    every request's SQL goes through :func:`.rewrite.rewrite`, supautils' hook; ``limits`` are the
    endpoint's (:mod:`.limits`).
    """

    def __init__(
        self,
        token: str,
        projects: Projects,
        faults: Faults | None = None,
        *,
        limits: Limits | None = None,
        emulate: bool = True,
    ) -> None:
        self._token = token.encode()
        self._projects = projects
        self.faults = faults or Faults()
        self.limits = limits or Limits()
        self.emulate = emulate
        self._pools: dict[str, Pool] = {}
        self._pools_lock = threading.Lock()
        self._window = RateWindow(self.faults.rate_limit, self.faults.rate_window)
        self._counter_lock = threading.Lock()
        self.stats: dict[str, Any] = {"requests": 0, "rate_limited": 0, "failed": 0, "dropped": 0, "by_project": {}}

    def authorised(self, header: str | None) -> bool:
        """Return True for ``Bearer <the sandbox token>``."""
        if not header or not header.startswith("Bearer "):
            return False
        return hmac.compare_digest(header[7:].strip().encode(), self._token)

    def pool(self, url: str) -> Pool:
        """Return the connection pool of a database URL."""
        with self._pools_lock:
            if url not in self._pools:
                self._pools[url] = Pool(url)
            return self._pools[url]

    def drop_pool(self, url: str) -> None:
        """Close and forget a database's pool."""
        with self._pools_lock:
            pool = self._pools.pop(url, None)
        if pool:
            pool.close()

    def close(self) -> None:
        """Close every pool."""
        with self._pools_lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()

    def count(self, ref: str) -> int:
        """Count an API request; return its number (1-based)."""
        with self._counter_lock:
            self.stats["requests"] += 1
            by = self.stats["by_project"]
            by[ref] = by.get(ref, 0) + 1
            return int(self.stats["requests"])

    def bump(self, key: str) -> None:
        """Increment a fault counter."""
        with self._counter_lock:
            self.stats[key] += 1

    def counts(self, ref: str | None = None) -> dict[str, Any]:
        """Return a copy of the request and fault counters; with ``ref``, that project's requests only."""
        with self._counter_lock:
            if ref is not None:
                return {"requests": self.stats["by_project"].get(ref, 0), "ref": ref}
            return dict(self.stats, by_project=dict(self.stats["by_project"]))

    def admit(self) -> Admission:
        """Count a request against the rate limit; return whether it may go on, with the headers to answer."""
        admission = self._window.admit()
        if not admission.admitted:
            self.bump("rate_limited")
        return admission

    def project(self, ref: str) -> ProjectUrls | None:
        """Return a project's database URLs, or None for an unknown ref."""
        return self._projects.project_urls(ref)

    def create_project(self) -> dict[str, str]:
        """Create a fresh, empty project; return its ref and database URL."""
        return self._projects.create_project()

    def delete_project(self, ref: str) -> bool:
        """Drop a project made by ``create_project``; return whether there was one."""
        return self._projects.delete_project(ref)

    def prepare(self, query: str, parameters: list[Any] | None, read_only: bool) -> Rewritten:
        """Return the SQL to send for a request: supautils' rules applied when they apply."""
        if not self.emulate or read_only:
            return Rewritten(query, query)
        return rewrite(query)

    def run_sql(self, url: str, query: str, parameters: list[Any] | None, read_only: bool) -> tuple[int, Any]:
        """Run SQL the way the API does; return (status, body)."""
        if self.faults.random_failure():  # --fail-rate: a 503 that runs nothing
            self.bump("failed")
            return 503, {"message": "Service Unavailable"}
        sent = behind_prefix(self.faults.prefix(), self.prepare(query, parameters, read_only))
        try:
            with self.pool(url).connection() as conn:
                return self._execute(conn, sent, parameters, read_only)
        except TimeoutError:
            return 503, {"message": "Too many clients; try again later"}
        except psycopg.OperationalError as exc:
            return 504, {"message": f"Failed to connect to the database: {str(exc).strip()}"}

    def _execute(
        self, conn: psycopg.Connection[Any], sent: Rewritten, parameters: list[Any] | None, read_only: bool
    ) -> tuple[int, Any]:
        """Run one request on a borrowed connection, cancelled past the query timeout (408)."""
        timer = QueryTimer(conn, self.limits.query_timeout)
        try:
            if read_only:
                conn.execute("SET default_transaction_read_only = on")
            with conn.cursor() as cur, timer:
                if parameters is not None:
                    cur.execute(*bind(sent.sql, parameters), prepare=False)
                else:
                    cur.execute(sent.sql.encode("utf-8"), prepare=False)
                rows = answer_rows(cur)
        except psycopg.Error as exc:
            if timer.fired:
                return 408, TIMEOUT_BODY
            if exc.diag.sqlstate is None:
                return 500, {"message": f"Failed to run sql query: {str(exc).strip()}"}
            return 400, {"message": format_error(exc, sent)}
        return (408, TIMEOUT_BODY) if timer.fired else (201, rows)
