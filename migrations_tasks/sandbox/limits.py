"""The endpoint's limits: a query timeout (408) and a request body limit (413), as postgres-meta has them.

postgres-meta (the service behind the Management API's SQL endpoint) gives node-postgres a
``query_timeout`` of ``PG_QUERY_TIMEOUT_SECS`` (55 s): past it the answer is 408 ``Query read timeout``.
Whether the statement is then cancelled on the server is not documented (node-postgres itself does not
cancel it); the sandbox cancels it, so a rehearsal never leaves a statement running, and a client must
still treat a 408 as "may have run". Its fastify server refuses a body over ``bodyLimit`` (3 MB) before
any SQL runs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from types import TracebackType
from typing import Any

#: postgres-meta's PG_QUERY_TIMEOUT_SECS default.
QUERY_TIMEOUT = 55.0
#: postgres-meta's PG_META_MAX_BODY_LIMIT_MB default (fastify's bodyLimit, in bytes).
MAX_BODY = 3 * 1024 * 1024
TIMEOUT_BODY = {"message": "Query read timeout"}
#: What a fastify server answers (413) for a body over its bodyLimit.
TOO_LARGE_BODY = {
    "statusCode": 413,
    "code": "FST_ERR_CTP_BODY_TOO_LARGE",
    "error": "Payload Too Large",
    "message": "Request body is too large",
}


@dataclass(frozen=True)
class Limits:
    """The API's limits: seconds a query may run (0: no limit) and the largest request body in bytes."""

    query_timeout: float = QUERY_TIMEOUT
    max_body: int = MAX_BODY


class QueryTimer:
    """Cancel the statement running on ``conn`` when ``seconds`` pass before the block ends.

    ``fired`` tells whether it did. The cancel is only sent while the block runs, never after.
    """

    def __init__(self, conn: Any, seconds: float) -> None:
        self._conn = conn
        self._seconds = seconds
        self._lock = threading.Lock()
        self._running = False
        self.fired = False
        self._timer: threading.Timer | None = None

    def _fire(self) -> None:
        with self._lock:
            if not self._running:
                return
            self.fired = True
            cancel = getattr(self._conn, "cancel_safe", None) or self._conn.cancel  # cancel_safe: psycopg 3.2+
            cancel()

    def __enter__(self) -> QueryTimer:
        if self._seconds > 0:
            self._running = True
            self._timer = threading.Timer(self._seconds, self._fire)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        with self._lock:
            self._running = False
        if self._timer is not None:
            self._timer.cancel()
