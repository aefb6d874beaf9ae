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

This module is the HTTP plumbing and the order of the checks; the checks themselves are
:mod:`.validation`, the paths :mod:`.routing`, the rate limit :mod:`.ratelimit`, and what a request does
:class:`.api.SandboxApi`.
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .api import SandboxApi
from .postgres_meta import json_default
from .ratelimit import TOO_MANY_REQUESTS
from .routing import Endpoint, Route, route
from .validation import Refusal, body_length, health_services, query_body, unauthorised

log = logging.getLogger("migrations_tasks.sandbox")
NOT_FOUND = {"message": "Not Found"}
#: A refused body is read and dropped for at most this long (and this much) before the connection closes.
LINGER_SECONDS, LINGER_BYTES = 2.0, 64 * 1024 * 1024


class Handler(BaseHTTPRequestHandler):
    """One HTTP connection (keep-alive): read a request, check it in order, answer it as JSON."""

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

    def _refuse(self, refusal: Refusal, headers: dict[str, str] | None = None) -> None:
        """Answer a refusal; one that closes the connection drains the unread body first (a lingering close).

        Closing a socket whose received data is unread makes the kernel reset the connection, and a reset can
        destroy the answer before the client reads it: the client saw "connection reset" instead of the 413
        (9 of 600 bodies of 200 KB from four clients at once, here). So the answer says ``Connection: close``
        and what the client still sends is read and dropped until it closes, or for LINGER_SECONDS; no SQL
        ever sees it.
        """
        if not refusal.close:
            self._send(refusal.status, refusal.body, headers)
            return
        self.close_connection = True
        self._send(refusal.status, refusal.body, {**(headers or {}), "Connection": "close"})
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

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        """Check the token first, then the body's length, and only then read the body and route it."""
        parts = urlsplit(self.path)
        if not self.api.authorised(self.headers.get("Authorization")):
            if parts.path.startswith("/v1/"):
                self.api.count("-")
            self._refuse(unauthorised(self.headers))
            return
        length = body_length(self.headers, self.api.limits.max_body)
        if isinstance(length, Refusal):
            self._refuse(length)
            return
        body = self.rfile.read(length) if length else b""
        found = route(parts.path)
        if found is None:
            self._send(404, NOT_FOUND)
        elif found.sandbox:
            self._sandbox(method, found, parse_qs(parts.query))
        else:
            self._api(method, found, parse_qs(parts.query), body)

    def _api(self, method: str, found: Route, query: dict[str, list[str]], body: bytes) -> None:
        """Answer a Management API request, with the faults and limits of a bad day, in api.supabase.com's order."""
        api, faults = self.api, self.api.faults
        number = api.count(found.ref)
        faults.delay()
        admission = api.admit(found.ref)
        headers = admission.headers
        if not admission.admitted:
            self._send(429, TOO_MANY_REQUESTS, headers)
            return
        urls = api.project(found.ref)
        if urls is None:
            self._send(404, {"message": "Project not found"}, headers)
            return
        if faults.fails(number):
            api.bump("failed")
            self._send(503, {"message": "Service Unavailable"}, headers)
            return
        if method != found.method:
            self._send(405, {"message": "Method Not Allowed"}, headers)
            return
        if found.endpoint is Endpoint.HEALTH:
            services = health_services(query)
            if isinstance(services, Refusal):
                self._refuse(services, headers)
            else:
                self._send(200, api.health(urls.read_only_url, services), headers)
            return
        request = query_body(body, read_only_endpoint=found.endpoint is Endpoint.READ_ONLY_QUERY)
        if isinstance(request, Refusal):
            self._refuse(request, headers)
            return
        url = urls.read_only_url if request.read_only else urls.url
        status, result = api.run_sql(url, request.query, request.parameters, request.read_only)
        if faults.drops(number):
            api.bump("dropped")
            self.close_connection = True
            return
        self._send(status, result, headers)

    def _sandbox(self, method: str, found: Route, query: dict[str, list[str]]) -> None:
        """Answer one of the sandbox's own endpoints: the counters, a new project, a project dropped."""
        if method != found.method:
            self._send(404, NOT_FOUND)
        elif found.endpoint is Endpoint.STATS:
            self._send(200, self.api.counts(query["ref"][0] if query.get("ref") else None))
        elif found.endpoint is Endpoint.NEW_PROJECT:
            self._send(201, self.api.create_project())
        else:
            deleted = self.api.delete_project(found.ref)
            self._send(200 if deleted else 404, {"deleted": deleted})


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
