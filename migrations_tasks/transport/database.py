"""The one interface the engine knows: run SQL, get the rows of the last statement that returned rows.

Two transports implement it: :mod:`migrations_tasks.transport.management_api` (Supabase's Management API SQL
endpoint) and :mod:`migrations_tasks.transport.postgres` (a direct PostgreSQL connection);
:func:`migrations_tasks.transport.connect.connect` picks one. Both follow the API's
semantics: several statements in one call run in one implicit transaction; no session state survives
between calls that the engine relies on; errors are :class:`~migrations_tasks.errors.SqlError` (the SQL
failed) or :class:`~migrations_tasks.errors.TransportError` (no usable answer).
"""

from __future__ import annotations

from typing import Any, Protocol

Row = dict[str, Any]


class Database(Protocol):
    """Something that runs SQL text."""

    #: Requests sent so far (one per ``execute``), for reports and benchmarks.
    requests: int

    @property
    def description(self) -> str:
        """Return where the SQL goes, for messages (never contains a secret)."""

    def execute(self, sql: str, *, write: bool = True) -> list[Row]:
        """Run ``sql``; return the rows of its last statement that returned rows.

        ``write=False`` promises the SQL changes nothing, so a transport may retry it.
        """

    @property
    def max_request_bytes(self) -> int | None:
        """Return the largest request the transport sends, in bytes (None: no limit); larger SQL is refused unsent."""

    def request_bytes(self, sql: str) -> int:
        """Return the size of the request that would carry ``sql``, in bytes."""

    def close(self) -> None:
        """Release connections."""
