"""Connections to the projects' databases: each API request gets a new one, as postgres-meta's does.

postgres-meta opens a pool of one connection for each request and closes it after the answer, so nothing
of a session survives a request. Resetting a reused connection cannot imitate that exactly: a custom
setting once set (``set_config('app.flag', 'on', false)``) reads ``''`` instead of NULL for the rest of a
connection, whatever ``DISCARD ALL`` or ``RESET ALL`` do. So every request connects afresh (about 4 ms on
the loopback, against 0.2 ms for ``DISCARD ALL`` on a reused one) and the connection is closed after it.
At most ``POOL_SIZE`` connections of a database are open at once; past that a request waits, then is
refused (503, "too many clients").
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

POOL_SIZE = 16


class Pool:
    """New connections to one database, one per request; at most POOL_SIZE open at once."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._slots = threading.BoundedSemaphore(POOL_SIZE)

    @contextmanager
    def connection(self, timeout: float = 30.0) -> Iterator[psycopg.Connection[Any]]:
        """Lend a new connection (a fresh session); close it when it comes back."""
        if not self._slots.acquire(timeout=timeout):
            raise TimeoutError("too many clients")
        try:
            # no automatic prepared statements: the request's own session is all there is
            conn = psycopg.connect(self.url, autocommit=True, application_name="sandbox-api", prepare_threshold=None)
            try:
                yield conn
            finally:
                conn.close()  # not the context manager's exit, which would COMMIT a block the request left open
        finally:
            self._slots.release()

    def close(self) -> None:
        """Forget the database: no connection outlives its request, so none is left to close."""
