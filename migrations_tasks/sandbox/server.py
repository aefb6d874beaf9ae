"""An HTTP server on loopback that answers like Supabase's Management API, backed by real PostgreSQL.

Routes (all but ``/_sandbox/*`` as on api.supabase.com; every one needs ``Authorization: Bearer``):

* ``POST /v1/projects/{ref}/database/query``: ``{"query", "parameters"?, "read_only"?}`` -> 201 rows
  of the last non-empty result set; SQL errors -> 400 ``{"message": "Failed to run sql query:
  ERROR:  <SQLSTATE>: ..."}`` with ``LINE``/``DETAIL``/``HINT``/``QUERY``/``CONTEXT`` lines as postgres-meta
  writes; past the query timeout 408 ``{"message": "Query read timeout"}`` (the statement is cancelled);
* ``POST /v1/projects/{ref}/database/query/read-only``: the same as ``supabase_read_only_user``, read-only;
* ``GET /v1/projects/{ref}/health?services=db&...`` -> 200 ``[{"name", "status", ...}]``;
* ``GET /_sandbox/stats[?ref=]``: requests served, and what the fault injection did;
* ``POST /_sandbox/projects``: a new, empty project (a fresh database with the Supabase objects);
* ``DELETE /_sandbox/projects/{ref}``: drop a project made that way.

The token is checked before the body is read; a body over the limit (``Limits.max_body``) is refused with
fastify's 413 before any SQL runs, a malformed ``Content-Length`` with 400. Every API answer carries
``X-RateLimit-Limit/Remaining/Reset``. Faults (``Faults``) imitate a bad day:
a rolling-minute rate limit answered with 429, 503s that run nothing, answers dropped after the SQL has
committed, and latency with jitter.
"""

from __future__ import annotations

import json
import logging
import random
import re
import secrets
import socket
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .api import SandboxApi, json_default
from .limits import TOO_LARGE_BODY

log = logging.getLogger("migrations_tasks.sandbox")

#: A refused body is read and dropped for at most this long (and this much) before the connection closes.
LINGER_SECONDS, LINGER_BYTES = 2.0, 64 * 1024 * 1024
ROUTE = re.compile(r"^/v1/projects/([^/]+)/(database/query(?:/read-only)?|health)$")
SERVICES = ("auth", "db", "db_postgres_user", "pooler", "realtime", "rest", "storage", "pg_bouncer")


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

    def _refuse(self, status: int, body: Any) -> None:
        """Answer without reading the body, then close the connection as web servers do (a lingering close).

        Closing a socket whose received data is unread makes the kernel reset the connection, and a reset can
        destroy the answer before the client reads it: the client saw "connection reset" instead of the 413
        (9 of 600 bodies of 200 KB from four clients at once, here). So the answer says ``Connection: close``
        and what the client still sends is read and dropped until it closes, or for LINGER_SECONDS; no SQL
        ever sees it.
        """
        self.close_connection = True
        self._send(status, body, {"Connection": "close"})
        self.wfile.flush()
        self.connection.settimeout(LINGER_SECONDS)
        dropped = 0
        try:
            while dropped < LINGER_BYTES:
                chunk = self.rfile.read1(65536)
                if not chunk:
                    break
                dropped += len(chunk)
        except OSError:  # timed out or gone: close now
            pass

    def _body_length(self) -> int | None:
        """Return the announced body length; None (after answering) when it is malformed or too large."""
        if self.headers.get("Transfer-Encoding"):
            self._refuse(411, {"message": "Length Required"})
            return None
        text = (self.headers.get("Content-Length") or "0").strip()
        if not text.isascii() or not text.isdigit():
            self._refuse(400, {"message": "Bad Request: invalid Content-Length"})  # the body's end is unknown
            return None
        if int(text) > self.api.limits.max_body:
            self._refuse(413, TOO_LARGE_BODY)
            return None
        return int(text)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        """Check the token first, then the body's length, and only then read the body."""
        parts = urlsplit(self.path)
        if not self.api.authorised(self.headers.get("Authorization")):
            if parts.path.startswith("/v1/"):
                self.api.count("-")
            unread = (self.headers.get("Content-Length") or "0").strip() != "0" or self.headers.get("Transfer-Encoding")
            if unread:  # a body we will not read: the connection cannot be reused
                self._refuse(401, {"message": "Unauthorized"})
            else:
                self._send(401, {"message": "Unauthorized"})
            return
        length = self._body_length()
        if length is None:
            return
        body = self.rfile.read(length) if length else b""
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
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(reset),
        }
        if not admitted:
            api.bump("rate_limited")
            self._send(429, {"message": "Too many requests"}, headers)
            return
        urls = api.project(ref)
        if urls is None:
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
            self._health(urls.read_only_url, query, headers)
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
        url = urls.read_only_url if read_only else urls.url
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
                out.append(
                    {
                        "name": service,
                        "healthy": healthy,
                        "status": "ACTIVE_HEALTHY" if healthy else "UNHEALTHY",
                        **({} if healthy else {"error": "database did not answer"}),
                    }
                )
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
