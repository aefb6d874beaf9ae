"""A direct connection to a sandbox database that applies supautils' rules as the sandbox's API does.

The drift check applies the migrations to a throwaway sandbox database over a direct connection; wrapped in
:class:`SupautilsDatabase`, every request goes through the same :func:`.rewrite.rewrite` as an API request,
so a migration fails there exactly as ``db.apply`` through the sandbox's API makes it fail (same SQLSTATE,
message, position and ``sandbox:`` hint). The rules apply only when the connection's role is not a
superuser and the database has the emulation's ``_sandbox`` schema (a ``--privileges superuser`` sandbox,
or a superuser URL, gets PostgreSQL's own checks, as supautils leaves superusers alone; the drift check's
throwaway refuses such a server, :mod:`..verify.throwaway`).
"""

from __future__ import annotations

from typing import Any

from ..errors import SqlError
from .notes import restriction
from .rewrite import Rewritten, rewrite

_PROBE = (
    "SELECT NOT rolsuper AND to_regnamespace('_sandbox') IS NOT NULL AS emulate "
    "FROM pg_catalog.pg_roles WHERE rolname = current_user"
)


class SupautilsDatabase:
    """A ``Database`` (the engine's protocol) that rewrites each request as the sandbox's API does."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._emulate: bool | None = None

    def __repr__(self) -> str:
        return f"SupautilsDatabase({self._inner!r})"

    @property
    def requests(self) -> int:
        """Return the requests sent so far (the probe for the rules included)."""
        return int(self._inner.requests)

    @requests.setter
    def requests(self, value: int) -> None:
        self._inner.requests = value

    @property
    def description(self) -> str:
        """Return where the SQL goes (no secret)."""
        return str(self._inner.description)

    @property
    def max_request_bytes(self) -> int | None:
        """Return the inner connection's request size limit (none on a direct connection)."""
        limit = self._inner.max_request_bytes
        return None if limit is None else int(limit)

    def request_bytes(self, sql: str) -> int:
        """Return the size of ``sql`` on the wire, in bytes."""
        return int(self._inner.request_bytes(sql))

    def _rules_apply(self) -> bool:
        if self._emulate is None:
            rows = self._inner.execute(_PROBE, write=False)
            self._emulate = bool(rows and rows[0].get("emulate"))
        return self._emulate

    def execute(self, sql: str, *, write: bool = True) -> list[dict[str, Any]]:
        """Run ``sql`` after supautils' rules; errors point at the request's own text."""
        sent = rewrite(sql) if self._rules_apply() else Rewritten(sql, sql)
        try:
            return list(self._inner.execute(sent.sql, write=write))
        except SqlError as exc:
            raise restore(exc, sent) from None

    def close(self) -> None:
        """Close the connection."""
        self._inner.close()


def restore(error: SqlError, sent: Rewritten) -> SqlError:
    """Return ``error`` as it reads about the request's own text, with the ``sandbox:`` hint when one applies."""
    note = restriction(error.sqlstate, error.message, sent.original)
    hint = "\n".join(h for h in (error.hint, note) if h) or None
    return SqlError(
        error.message,
        sqlstate=error.sqlstate,
        detail=error.detail,
        hint=hint,
        context=sent.clean_context(error.context),
        position=sent.original_position(error.position) if error.position is not None else None,
        line=error.line,
    )
