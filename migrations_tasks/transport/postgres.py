"""A direct PostgreSQL connection as a :class:`~migrations_tasks.transport.database.Database` (psycopg 3).

It follows the Management API's semantics so the engine cannot tell the difference: each call is sent
with the simple-query protocol (several statements run in one implicit transaction) on an autocommit
connection, and the rows of the last statement that returned rows come back. Like every API request,
each write starts from a clean session: the connection is reused, but ``DISCARD ALL`` first undoes what the
calls before left behind (settings such as ``session_replication_role`` or ``search_path``, ``SET ROLE``,
temporary tables, session locks), so a migration never sees what the one before it set. After each write
the session is tidied as well (:data:`TIDY_SQL`), so a read that follows (``inv release`` verifies on the
connection that applied) does not run with the ``search_path`` or role a migration left: a pg_dump baseline
ends with ``set_config('search_path', '', false)``. Custom settings (names with a dot) are kept until the
next write: the rehearsal notes what a write held under such names and reads them back.
"""

from __future__ import annotations

import time
from typing import Any

from ..config.dburl import secrets_of
from ..config.values import ENV_DB_URL
from ..errors import ConfigError, NetworkError, SqlError, answer_lost
from ..secret import Secret
from .database import Row
from .rowsets import answer_rows

#: After a write: the session as a new connection has it, except custom (dotted) settings.
TIDY_SQL = (
    "DO $mt_tidy$\nDECLARE\n  item record;\nBEGIN\n"
    "  SET SESSION AUTHORIZATION DEFAULT;\n"
    "  FOR item IN SELECT name FROM pg_catalog.pg_settings WHERE source = 'session' AND name NOT LIKE '%.%' LOOP\n"
    "    EXECUTE format('RESET %I', item.name);\n"
    "  END LOOP;\n"
    "END $mt_tidy$;\n"
    "DISCARD TEMP; DEALLOCATE ALL; CLOSE ALL; UNLISTEN *; SELECT pg_catalog.pg_advisory_unlock_all()"
)


def _sql_error(exc: Any) -> SqlError:
    diag = exc.diag
    position = int(diag.statement_position) if diag.statement_position else None
    return SqlError(
        diag.message_primary or str(exc).strip(),
        sqlstate=diag.sqlstate or getattr(exc, "sqlstate", None),
        detail=diag.message_detail,
        hint=diag.message_hint,
        context=diag.context,
        position=position,
    )


class PostgresDatabase:
    """Run SQL over one psycopg connection, opened on first use."""

    def __init__(self, url: Secret, *, timeout: float = 120.0, connect_timeout: float = 10.0) -> None:
        self._url = url
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        self._conn: Any = None
        #: The connection has run a request since it was opened (its session may need cleaning).
        self._used = False
        self.requests = 0
        #: No request body limit on a direct connection.
        self.max_request_bytes: int | None = None
        #: Seconds spent waiting for the server (round trips and execution), for the benchmark.
        self.network_seconds = 0.0

    def __repr__(self) -> str:
        return "PostgresDatabase(url=***)"

    @property
    def description(self) -> str:
        """Return where the SQL goes, without the password."""
        try:
            from psycopg.conninfo import conninfo_to_dict

            info = conninfo_to_dict(self._url.reveal())
            return f"PostgreSQL at {info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"
        except Exception:
            return "PostgreSQL (direct connection)"

    def _redact(self, text: str) -> str:
        """Hide the URL and its password, as written and decoded, in ``text``."""
        for secret in sorted(secrets_of(self._url.reveal()), key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    def _connection(self) -> Any:
        if self._conn is not None and not self._conn.closed:
            return self._conn
        try:
            import psycopg
        except ImportError:
            raise ConfigError(
                "The direct PostgreSQL transport needs psycopg.",
                hint="pip install 'migrations-tasks[postgres]'",
            ) from None
        try:
            self._conn = psycopg.connect(
                self._url.reveal(),
                autocommit=True,
                connect_timeout=max(1, int(self._connect_timeout)),
                application_name="migrations-tasks",
            )
        except psycopg.ProgrammingError:  # libpq could not parse the URL: its message may quote the password
            raise ConfigError(
                f"{ENV_DB_URL} is not a valid PostgreSQL connection URL. Its value is not shown."
            ) from None
        except psycopg.Error as exc:
            raise NetworkError(
                f"Cannot connect to PostgreSQL: {self._redact(str(exc)).strip()}",
                hint=f"Check {ENV_DB_URL} and that the server is reachable; nothing was sent.",
            ) from None
        except Exception:
            raise ConfigError(f"{ENV_DB_URL} is not a valid PostgreSQL connection string.") from None
        self._used = False
        return self._conn

    def _clean_session(self, write: bool) -> Any:
        """Return the connection; before a write, with a session as fresh as a new one's (``DISCARD ALL``)."""
        import psycopg

        conn = self._connection()
        if self._used and write:
            try:
                conn.execute("DISCARD ALL")
            except psycopg.Error:
                conn.close()  # nothing of the request was sent: start over on a new connection
                conn = self._connection()
        self._used = True
        return conn

    def request_bytes(self, sql: str) -> int:
        """Return the size of ``sql`` on the wire, in bytes."""
        return len(sql.encode("utf-8"))

    def execute(self, sql: str, *, write: bool = True) -> list[Row]:
        """Run SQL in one simple-query call; return the rows of the last statement with rows."""
        import psycopg

        conn = self._clean_session(write)
        self.requests += 1
        started = time.perf_counter()
        try:
            with conn.cursor() as cur:
                cur.execute(sql.encode("utf-8"), prepare=False)
                rows = answer_rows(cur)
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            if getattr(exc, "diag", None) is not None and exc.diag.sqlstate and not conn.closed:
                self._rollback_if_needed(conn)
                raise _sql_error(exc) from None
            self._conn = None
            message = f"The PostgreSQL connection failed: {self._redact(str(exc)).strip()}"
            raise answer_lost(message, write=write, hint="The statement may or may not have run.") from None
        except psycopg.Error as exc:
            self._rollback_if_needed(conn)
            raise _sql_error(exc) from None
        finally:
            if write:
                self._tidy(conn)
            self.network_seconds += time.perf_counter() - started
        return rows

    def _tidy(self, conn: Any) -> None:
        """Undo what a write left in the session (:data:`TIDY_SQL`); on failure, drop the connection."""
        import psycopg
        from psycopg.pq import TransactionStatus

        if conn.closed or conn.info.transaction_status != TransactionStatus.IDLE:
            return
        try:
            conn.execute(TIDY_SQL.encode("utf-8"), prepare=False)
        except psycopg.Error:
            conn.close()
            self._conn = None

    @staticmethod
    def _rollback_if_needed(conn: Any) -> None:
        from psycopg.pq import TransactionStatus

        if not conn.closed and conn.info.transaction_status == TransactionStatus.INERROR:
            conn.execute("ROLLBACK")

    def close(self) -> None:
        """Close the connection."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
