"""An HTTP server on loopback that answers like Supabase's Management API, backed by real PostgreSQL.

Routes (all but ``/_sandbox/*`` as on api.supabase.com; every one needs ``Authorization: Bearer``):

* ``POST /v1/projects/{ref}/database/query``: ``{"query", "parameters"?, "read_only"?}`` -> 201 rows
  of the last statement that returned rows; SQL errors -> 400 ``{"message": "Failed to run sql query:
  ERROR:  <SQLSTATE>: ..."}`` with ``LINE``/``DETAIL``/``HINT``/``CONTEXT`` lines as postgres-meta writes;
* ``POST /v1/projects/{ref}/database/query/read-only``: the same in a read-only transaction;
* ``GET /v1/projects/{ref}/health?services=db&...`` -> 200 ``[{"name", "status", ...}]``;
* ``GET /_sandbox/stats[?ref=]``: requests served, and what the fault injection did;
* ``POST /_sandbox/projects``: a new, empty project (a fresh database with the Supabase objects);
* ``DELETE /_sandbox/projects/{ref}``: drop a project made that way.

Every API answer carries ``X-RateLimit-Limit/Remaining/Reset``. Faults (``Faults``) imitate a bad day:
a rolling-minute rate limit answered with 429, 503s that run nothing, answers dropped after the SQL has
committed, and latency with jitter.
"""

from __future__ import annotations

import collections
import datetime
import decimal
import hmac
import json
import logging
import math
import queue
import random
import re
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg
from psycopg.pq import TransactionStatus

log = logging.getLogger("migrations_tasks.sandbox")

ROUTE = re.compile(r"^/v1/projects/([^/]+)/(database/query(?:/read-only)?|health)$")
SERVICES = ("auth", "db", "db_postgres_user", "pooler", "realtime", "rest", "storage", "pg_bouncer")
NOMINAL_LIMIT = 120
POOL_SIZE = 16
MAX_BODY = 64 * 1024 * 1024


@dataclass
class Faults:
    """What the sandbox does wrong on purpose."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    rate_limit: int = 0  # requests per rolling minute; 0 = unlimited
    fail_every: int = 0  # every Nth API request answers 503 without running its SQL
    drop_every: int = 0  # every Nth API request commits, then closes the connection unanswered
    rate_window: float = 60.0  # the rate limit's rolling window, in seconds (Supabase: one minute)


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


def format_error(exc: psycopg.Error, query: str) -> str:
    """Format a PostgreSQL error as postgres-meta does."""
    diag = exc.diag
    sqlstate = diag.sqlstate or "XX000"
    lines = [f"Failed to run sql query: ERROR:  {sqlstate}: {diag.message_primary or str(exc).strip()}"]
    if diag.statement_position:
        position = int(diag.statement_position) - 1
        before = query[:position]
        number = before.count("\n") + 1
        start = before.rfind("\n") + 1
        end = query.find("\n", position)
        text = query[start : end if end >= 0 else len(query)]
        prefix = f"LINE {number}: "
        lines.append(prefix + text)
        lines.append(" " * (len(prefix) + position - start) + "^")
    if diag.message_detail:
        lines.append(f"DETAIL: {diag.message_detail}")
    if diag.message_hint:
        lines.append(f"HINT: {diag.message_hint}")
    if diag.context:
        lines.append(f"CONTEXT: {diag.context}")
    return "\n".join(lines) + "\n"


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
                    candidate = psycopg.connect(self.url, autocommit=True, application_name="sandbox-api")
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


class RateWindow:
    """A rolling one-minute request log."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._times: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def admit(self) -> tuple[bool, int, int, int]:
        """Record a request; return (admitted, limit, remaining, reset seconds)."""
        now = time.monotonic()
        limit = self.limit or NOMINAL_LIMIT
        with self._lock:
            while self._times and now - self._times[0] >= self.window:
                self._times.popleft()
            if self.limit and len(self._times) >= self.limit:
                reset = max(1, math.ceil(self.window - (now - self._times[0])))
                return False, limit, 0, reset
            if self.limit:
                self._times.append(now)
                remaining = self.limit - len(self._times)
                reset = max(1, math.ceil(self.window - (now - self._times[0])))
            else:
                remaining, reset = limit, math.ceil(self.window)
            return True, limit, remaining, reset


class SandboxApi:
    """The API's behaviour, independent of the HTTP plumbing."""

    def __init__(
        self,
        token: str,
        projects: Callable[[str], str | None],
        faults: Faults | None = None,
        create_project: Callable[[], dict[str, str]] | None = None,
        delete_project: Callable[[str], bool] | None = None,
    ) -> None:
        self._token = token.encode()
        self._projects = projects
        self.faults = faults or Faults()
        self._create_project = create_project
        self._delete_project = delete_project
        self._pools: dict[str, Pool] = {}
        self._pools_lock = threading.Lock()
        self._window = RateWindow(self.faults.rate_limit, self.faults.rate_window)
        self._counter_lock = threading.Lock()
        self.stats: dict[str, Any] = {"requests": 0, "rate_limited": 0, "failed": 0, "dropped": 0,
                                      "by_project": {}}

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

    def run_sql(self, url: str, query: str, parameters: list[Any] | None, read_only: bool) -> tuple[int, Any]:
        """Run SQL the way the API does; return (status, body)."""
        try:
            with self.pool(url).connection() as conn:
                try:
                    if read_only:
                        conn.execute("SET default_transaction_read_only = on")
                    rows: list[dict[str, Any]] = []
                    with conn.cursor() as cur:
                        if parameters is not None:
                            cur.execute(query, parameters, prepare=False)
                        else:
                            cur.execute(query.encode("utf-8"), prepare=False)
                        while True:
                            if cur.description is not None:
                                names = [c.name for c in cur.description]
                                rows = [dict(zip(names, r)) for r in cur.fetchall()]
                            if not cur.nextset():
                                break
                    return 201, rows
                except psycopg.Error as exc:
                    if exc.diag.sqlstate is None:
                        return 500, {"message": f"Failed to run sql query: {str(exc).strip()}"}
                    return 400, {"message": format_error(exc, query)}
        except TimeoutError:
            return 503, {"message": "Too many clients; try again later"}
        except psycopg.OperationalError as exc:
            return 504, {"message": f"Failed to connect to the database: {str(exc).strip()}"}


class Handler(BaseHTTPRequestHandler):
    """One HTTP connection (keep-alive)."""

    protocol_version = "HTTP/1.1"
    server_version = "supabase-sandbox"
    sys_version = ""
    api: SandboxApi

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as separate writes; without TCP_NODELAY, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every answer, which would swamp the latency we model.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body, default=json_default, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("request body too large")
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        try:
            body = self._read_body() if method in ("POST", "DELETE") else b""
        except ValueError as exc:
            self._send(413, {"message": str(exc)})
            return
        parts = urlsplit(self.path)
        if not self.api.authorised(self.headers.get("Authorization")):
            if parts.path.startswith("/v1/"):
                self.api.count("-")
            self._send(401, {"message": "Unauthorized"})
            return
        if parts.path.startswith("/_sandbox/"):
            self._sandbox(method, parts.path, parse_qs(parts.query), body)
            return
        route = ROUTE.match(parts.path)
        if route is None:
            self._send(404, {"message": "Not Found"})
            return
        ref, endpoint = route.group(1), route.group(2)
        self._api(method, ref, endpoint, parse_qs(parts.query), body)

    def _api(self, method: str, ref: str, endpoint: str, query: dict[str, list[str]], body: bytes) -> None:
        api, faults = self.api, self.api.faults
        number = api.count(ref)
        if faults.latency_ms or faults.jitter_ms:
            time.sleep(max(0.0, faults.latency_ms + random.uniform(0, faults.jitter_ms)) / 1000)  # noqa: S311
        admitted, limit, remaining, reset = api._window.admit()
        headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining),
                   "X-RateLimit-Reset": str(reset)}
        if not admitted:
            api.bump("rate_limited")
            self._send(429, {"message": "Too many requests"}, headers)
            return
        url = api._projects(ref)
        if url is None:
            self._send(404, {"message": "Project not found"}, headers)
            return
        if faults.fail_every and number % faults.fail_every == 0:
            api.bump("failed")
            self._send(503, {"message": "Service Unavailable"}, headers)
            return
        if endpoint == "health":
            if method != "GET":
                self._send(405, {"message": "Method Not Allowed"}, headers)
                return
            self._health(url, query, headers)
            return
        if method != "POST":
            self._send(405, {"message": "Method Not Allowed"}, headers)
            return
        try:
            payload = json.loads(body or b"null")
        except ValueError:
            self._send(400, {"message": "Body is not valid JSON"}, headers)
            return
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            self._send(400, {"message": "body/query must be a string"}, headers)
            return
        parameters = payload.get("parameters")
        if parameters is not None and not isinstance(parameters, list):
            self._send(400, {"message": "body/parameters must be an array"}, headers)
            return
        read_only = endpoint.endswith("read-only") or payload.get("read_only") is True
        status, result = api.run_sql(url, payload["query"], parameters, read_only)
        if faults.drop_every and number % faults.drop_every == 0:
            api.bump("dropped")
            self.close_connection = True
            return
        self._send(status, result, headers)

    def _health(self, url: str, query: dict[str, list[str]], headers: dict[str, str]) -> None:
        services = query.get("services") or []
        unknown = [s for s in services if s not in SERVICES]
        if not services or unknown:
            self._send(400, {"message": f"services must be some of {', '.join(SERVICES)}"}, headers)
            return
        out = []
        for service in services:
            if service in ("db", "db_postgres_user"):
                status, _ = self.api.run_sql(url, "SELECT 1", None, True)
                healthy = status == 201
                out.append({"name": service, "healthy": healthy,
                            "status": "ACTIVE_HEALTHY" if healthy else "UNHEALTHY",
                            **({} if healthy else {"error": "database did not answer"})})
            else:
                out.append({"name": service, "healthy": True, "status": "ACTIVE_HEALTHY"})
        self._send(200, out, headers)

    def _sandbox(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> None:
        api = self.api
        if path == "/_sandbox/stats" and method == "GET":
            ref = query["ref"][0] if query.get("ref") else None
            stats = dict(api.stats, by_project=dict(api.stats["by_project"]))
            if ref is not None:
                stats = {"requests": api.stats["by_project"].get(ref, 0), "ref": ref}
            self._send(200, stats)
            return
        if path == "/_sandbox/projects" and method == "POST" and api._create_project:
            self._send(201, api._create_project())
            return
        match = re.match(r"^/_sandbox/projects/([a-z]{20})$", path)
        if match and method == "DELETE" and api._delete_project:
            found = api._delete_project(match.group(1))
            self._send(200 if found else 404, {"deleted": found})
            return
        self._send(404, {"message": "Not Found"})


class ApiServer(ThreadingHTTPServer):
    """The threaded HTTP server; one thread per connection."""

    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log a client that vanished mid-request (killed, timed out) quietly; anything else loudly."""
        import sys

        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            log.debug("client %s went away: %s", client_address, error)
            return
        log.exception("sandbox: error while handling a request from %s", client_address)


def make_server(api: SandboxApi, host: str, port: int) -> ApiServer:
    """Bind the API to ``host:port`` (port 0 picks a free one)."""
    handler = type("BoundHandler", (Handler,), {"api": api})
    return ApiServer((host, port), handler)


def random_token() -> str:
    """Return a token shaped like a Supabase personal access token."""
    return "sbp_" + secrets.token_hex(20)


def random_ref() -> str:
    """Return a project ref: 20 lowercase letters."""
    return "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(20))
