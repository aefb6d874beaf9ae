"""Pooled connections to the projects' databases: each API request borrows a clean one.

At most ``POOL_SIZE`` connections of a database are in use at once; a returned connection is rolled back
and reset (``DISCARD ALL``), so no session state survives a request.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus

POOL_SIZE = 16


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
