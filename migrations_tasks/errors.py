"""The exception tree of migrations-tasks.

Every foreseeable failure is one of these. Each carries a message that says what happened and, in
``hint``, what to do next; the task layer prints both and exits with ``exit_code``. No traceback reaches a
user for anything below::

    MigrationsTasksError              exit 3 unless a subclass says otherwise
    ├── ConfigError                   settings missing or malformed (env, .env, invoke.yaml, flags)
    ├── MigrationFileError            a local file cannot be used: name, encoding, size, duplicates
    │   └── SqlSyntaxError            the parser rejected a file: path:line:col: message
    ├── TransportError                no usable answer from the database (nothing known to have run)
    │   ├── NetworkError              could not connect, connection lost, timed out
    │   │   └── AmbiguousWriteError   a write was sent and its outcome is unknown
    │   │       └── QueryTimeoutError 408: the API stopped waiting for the SQL (its ~55 s limit)
    │   ├── AuthError                 401 / 403: the token is wrong, expired or lacks access
    │   ├── ProjectNotFoundError      404: no such project ref at this API URL
    │   ├── RateLimitError            429: over the API's request budget
    │   ├── ServerError               5xx without a SQL error
    │   └── ProtocolError             an answer that is not what the API promises (non-JSON, 200, ...)
    ├── SqlError                      the database ran the SQL and reported an error (SQLSTATE)
    ├── LedgerError                   the history table has a shape we cannot use safely
    ├── HistoryConflict       exit 2  local files and the ledger disagree (remote-only, changed, order)
    ├── Refused               exit 2  a rollback or repair that would be unsafe as asked; nothing was sent
    ├── MigrationFailed       exit 1  a migration was sent and failed; nothing of it remains
    │   └── RollbackFailed    exit 1  a migration's down SQL failed; its schema and ledger row are unchanged
    ├── Interrupted           130/143 SIGINT / SIGTERM stopped a run at a safe point (a migration boundary)
    └── DeployError                   shipping a release over SSH (``migrations_tasks.deploy``)
        ├── SshError                  ssh could not run a command on a host
        │   ├── SshConnectError       refused, timed out, unknown name, connection lost
        │   ├── SshAuthError          the server accepted none of the keys offered
        │   └── HostKeyError          the host key is unknown or has changed (never bypassed)
        ├── DeployLockHeld            another deploy (or a killed one) holds a host's deploy lock
        ├── RemoteCommandError        a command failed on a host (exit code, output tail)
        ├── NoRollbackTarget          no earlier good release to switch back to; nothing changed
        ├── HealthCheckFailed exit 1  still unhealthy at the deadline
        └── DeployFailed      exit 1  failed, and nothing was switched or every host was rolled back
            └── RollbackIncomplete exit 4  failed, and a failed release may still be live somewhere

Transport errors are kept apart from ``SqlError``: the first means "no answer", the second "an answer
that says the SQL failed". Messages never contain secrets: the client redacts before raising.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFLICT = 2
EXIT_CANNOT_RUN = 3
EXIT_SIGINT = 130
EXIT_SIGTERM = 143


class MigrationsTasksError(Exception):
    """Base class: a failure with a user-facing message and an exit code."""

    exit_code: int = EXIT_CANNOT_RUN

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class ConfigError(MigrationsTasksError):
    """Settings are missing or malformed."""


class MigrationFileError(MigrationsTasksError):
    """A local migration file cannot be used."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.path = path
        self.line = line
        self.column = column

    @classmethod
    def at(
        cls,
        where: object,
        line: int,
        column: int | None,
        problem: str,
        *,
        hint: str | None = None,
        path: str | None = None,
    ) -> MigrationFileError:
        """Return the error ``where:line:column: problem`` (``path`` defaults to ``where``)."""
        place = f"{where}:{line}:{column}" if column is not None else f"{where}:{line}"
        return cls(f"{place}: {problem}", path=path or str(where), line=line, column=column, hint=hint)


class SqlSyntaxError(MigrationFileError):
    """The PostgreSQL parser rejected a file; nothing was sent."""


class TransportError(MigrationsTasksError):
    """No usable answer arrived from the database."""


class NetworkError(TransportError):
    """Could not connect, the connection was lost, or the request timed out."""


class AmbiguousWriteError(NetworkError):
    """A write was sent but no answer came back: it may or may not have committed."""


class QueryTimeoutError(AmbiguousWriteError):
    """The API stopped waiting for a write (408, its ~55 s per-request limit); it may still be running."""


def answer_lost(message: str, *, write: bool, hint: str) -> NetworkError:
    """Return the error for a request whose answer never came: an :class:`AmbiguousWriteError` for a write."""
    return (AmbiguousWriteError if write else NetworkError)(message, hint=hint)


class AuthError(TransportError):
    """The API refused the token (401) or the token lacks access (403)."""

    def __init__(self, message: str, *, status: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class ProjectNotFoundError(TransportError):
    """The API does not know the project ref (404)."""


class RateLimitError(TransportError):
    """The API answered 429: over the request budget."""

    def __init__(self, message: str, *, reset_seconds: float | None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reset_seconds = reset_seconds


class ServerError(TransportError):
    """The API answered with a 5xx status that carries no SQL error."""

    def __init__(self, message: str, *, status: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class RequestTooLargeError(TransportError):
    """The API refused a request body as too large (413): nothing ran."""


class ProtocolError(TransportError):
    """The answer is not what the API promises."""


class SqlError(MigrationsTasksError):
    """The database ran the SQL and reported an error.

    ``position`` is the 1-based character offset in the SQL that was sent, when the server gave one;
    ``line`` is the 1-based line of that SQL when only a line is known (the Management API's ``LINE n:``).
    """

    def __init__(
        self,
        message: str,
        *,
        sqlstate: str | None = None,
        detail: str | None = None,
        hint: str | None = None,
        context: str | None = None,
        position: int | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.sqlstate = sqlstate
        self.detail = detail
        self.context = context
        self.position = position
        self.line = line

    def describe(self) -> str:
        """Return the error as PostgreSQL prints it: SQLSTATE, message, DETAIL, HINT."""
        head = f"{self.sqlstate}: {self.message}" if self.sqlstate else self.message
        parts = [head]
        if self.detail:
            parts.append(f"DETAIL: {self.detail}")
        if self.hint:
            parts.append(f"HINT: {self.hint}")
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.describe()


class LedgerError(MigrationsTasksError):
    """The history table has a shape migrations-tasks cannot use safely."""


class HistoryConflict(MigrationsTasksError):
    """Local migration files and the ledger disagree."""

    exit_code = EXIT_CONFLICT


class Refused(MigrationsTasksError):
    """A rollback or repair was refused before anything was written (no down SQL, newer migrations...)."""

    exit_code = EXIT_CONFLICT


class MigrationFailed(MigrationsTasksError):
    """A migration was sent and failed; it was rolled back as a whole (unless it ran outside one)."""

    exit_code = EXIT_FAILED

    def __init__(
        self,
        message: str,
        *,
        version: str,
        path: str | None = None,
        line: int | None = None,
        sql_error: SqlError | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.version = version
        self.path = path
        self.line = line
        self.sql_error = sql_error


class RollbackFailed(MigrationFailed):
    """A migration's down SQL was sent and failed; the rollback was undone as a whole."""


class Interrupted(MigrationsTasksError):
    """A signal stopped the run at a safe point: a migration boundary, a step of the gate, before a switch."""

    def __init__(self, message: str, *, signal_number: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.signal_number = signal_number
        self.exit_code = 128 + signal_number


# -- deploy ------------------------------------------------------------------------------------------

EXIT_NOT_ROLLED_BACK = 4


class DeployError(MigrationsTasksError):
    """Shipping a release failed or could not start."""


class SshError(DeployError):
    """ssh could not run a command on a host (ssh itself exited 255)."""

    def __init__(self, message: str, *, host: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.host = host


class SshConnectError(SshError):
    """The connection was refused, timed out, the name did not resolve, or the connection was lost."""


class SshAuthError(SshError):
    """The server accepted none of the keys offered."""


class HostKeyError(SshError):
    """The server's host key is not known, or differs from the known one; the connection was refused."""

    def __init__(self, message: str, *, host: str, changed: bool, hint: str | None = None) -> None:
        super().__init__(message, host=host, hint=hint)
        self.changed = changed


class DeployLockHeld(DeployError):
    """Another deploy holds the deploy lock on a host; nothing was changed."""

    def __init__(self, message: str, *, host: str, holder: dict[str, str], hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.host = host
        self.holder = holder


class RemoteCommandError(DeployError):
    """A command exited non-zero on a host."""

    def __init__(self, message: str, *, host: str, exit_status: int, output: str = "", hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.host = host
        self.exit_status = exit_status
        self.output = output


class NoRollbackTarget(DeployError):
    """There is no earlier good release to switch back to; nothing was changed."""


class HealthCheckFailed(DeployError):
    """Health checks were still failing at the deadline."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, *, result: object = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.result = result


class DeployFailed(DeployError):
    """A deploy or rollback failed; nothing was switched, or every host is back on its previous release.

    ``result`` is the :class:`~migrations_tasks.deploy.results.DeployResult` (or ``RollbackResult``)
    describing what happened on each host; ``cause`` the error that started the failure.
    """

    exit_code = EXIT_FAILED

    def __init__(
        self, message: str, *, result: object = None, cause: BaseException | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.result = result
        self.cause = cause


class RollbackIncomplete(DeployFailed):
    """A deploy or rollback failed and could not put every host back: a failed release may be live."""

    exit_code = EXIT_NOT_ROLLED_BACK
