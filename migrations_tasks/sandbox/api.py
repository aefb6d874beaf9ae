"""The Management API's behaviour, independent of the HTTP plumbing: run SQL as Supabase's endpoint does.

Each request gets a new connection to the project's database (:mod:`.pool`), as postgres-meta's does, runs the query
with the simple-query protocol (after supautils' rules, :mod:`.rewrite`) and answers the last non-empty
result set, PostgreSQL's error in postgres-meta's text format (:mod:`.postgres_meta`), or 408 past the
query timeout (the statement is cancelled). It also counts requests, admits them under the rate limit
(:mod:`.ratelimit`) and finds, creates and drops projects.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Protocol

import psycopg

from ..transport.rowsets import answer_rows
from .faults import Faults
from .limits import TIMEOUT_BODY, Limits, QueryTimer
from .pool import Pool
from .postgres_meta import behind_prefix, bind, format_error, refuse_copy
from .ratelimit import Admission, RateWindow
from .rewrite import Rewritten, rewrite
from .validation import bearer_matches


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
        self._windows: dict[str, RateWindow] = {}  # one rolling window per project, as api.supabase.com counts
        self._counter_lock = threading.Lock()
        self.stats: dict[str, Any] = {"requests": 0, "rate_limited": 0, "failed": 0, "dropped": 0, "by_project": {}}

    def authorised(self, header: str | None) -> bool:
        """Return True for ``Bearer <the sandbox token>``."""
        return bearer_matches(header, self._token)

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

    def admit(self, ref: str) -> Admission:
        """Count a request against project ``ref``'s rate limit; return whether it may go on, with its headers.

        The limit is per project (Supabase's is per user, per project): one busy project never slows another.
        """
        with self._counter_lock:
            window = self._windows.setdefault(ref, RateWindow(self.faults.rate_limit, self.faults.rate_window))
        admission = window.admit()
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

    def health(self, url: str, services: list[str]) -> list[dict[str, Any]]:
        """Return each service's health; the database's (``db``, ``db_postgres_user``) from a query on ``url``."""
        out: list[dict[str, Any]] = []
        for service in services:
            if service in ("db", "db_postgres_user"):
                status, _ = self.run_sql(url, "SELECT 1", None, True)
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
        return out

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
        except psycopg.Error as caught:
            exc = refuse_copy(conn) or caught if caught.diag.sqlstate is None else caught
            if timer.fired:
                return 408, TIMEOUT_BODY
            if exc.diag.sqlstate is None:
                return 500, {"message": f"Failed to run sql query: {str(exc).strip()}"}
            return 400, {"message": format_error(exc, sent)}
        return (408, TIMEOUT_BODY) if timer.fired else (201, rows)
