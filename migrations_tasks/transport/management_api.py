"""The Supabase Management API SQL endpoint as a :class:`~migrations_tasks.transport.database.Database`.

``POST {api}/v1/projects/{ref}/database/query`` with ``{"query": sql}`` and a personal access token.
One HTTP connection is reused for every request. Status codes are turned into the errors of
:mod:`migrations_tasks.errors`; a 400 carries PostgreSQL's error in postgres-meta's text format, which
is parsed back into SQLSTATE, message, LINE, DETAIL, HINT and CONTEXT.

Retries (with stamina; ``stamina.set_testing(True)`` removes the waits in tests):

* reads (``write=False``) are retried on 429 (waiting until ``X-RateLimit-Reset``), 408/502/503/504,
  connection errors and timeouts, with exponential backoff, until ``retry_deadline`` seconds have passed;
* writes are retried only when they certainly did not run: a 429 (refused before running) or a
  connection that was never made. Any other failure after sending (timeout, dropped connection, 5xx
  or 400 without a SQL error) is an :class:`~migrations_tasks.errors.AmbiguousWriteError`, and a 408
  (the API's ~55 s per-request limit) a :class:`~migrations_tasks.errors.QueryTimeoutError`: the
  engine settles them through the ledger (:mod:`migrations_tasks.engine.send`), never by resending blindly.

Size: a request whose body is over ``max_request_bytes`` (the API's body limit) is refused before sending.

Pacing: the client remembers ``X-RateLimit-Remaining``/``Reset`` and, when the budget is spent, waits
for the reset before sending (announcing the wait through ``on_wait``) instead of collecting a 429.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import stamina

from .._version import __version__
from ..config.values import ENV_API_URL, ENV_REF, ENV_TOKEN
from ..errors import (
    AmbiguousWriteError,
    AuthError,
    NetworkError,
    ProjectNotFoundError,
    ProtocolError,
    QueryTimeoutError,
    RateLimitError,
    RequestTooLargeError,
    ServerError,
    TransportError,
    answer_lost,
)
from ..secret import Secret
from .database import Row
from .sql_errors import parse_sql_error

_TOKENS_URL = "https://supabase.com/dashboard/account/tokens"
_RETRY_STATUSES = frozenset({408, 502, 503, 504})
#: What a 408 means for a write, and the ways out.
QUERY_TIMEOUT = "the Management API stops waiting for a request after about 55 seconds"

# stamina logs each retry through logging; without a configured handler Python would print those
# records on stderr. We announce waits ourselves (on_wait), so keep the library quiet by default.
logging.getLogger("stamina").addHandler(logging.NullHandler())


def _reset_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("x-ratelimit-reset")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class ManagementApi:
    """Run SQL through the Management API; one instance per project, one connection reused."""

    def __init__(
        self,
        api_url: str,
        project_ref: str,
        token: Secret,
        *,
        timeout: float = 120.0,
        transport: httpx.BaseTransport | None = None,
        retry_deadline: float = 90.0,
        on_wait: Callable[[str], None] | None = None,
        max_request_bytes: int | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.project_ref = project_ref
        self._token = token
        self.requests = 0
        #: Seconds spent waiting for answers (network and server time), for the benchmark.
        self.network_seconds = 0.0
        self.retries = 0
        self.waited_seconds = 0.0
        self.rate_limit_remaining: int | None = None
        self.rate_limit_reset: float | None = None
        self._reset_at: float | None = None
        self.retry_deadline = retry_deadline
        self.max_request_bytes = max_request_bytes
        self.on_wait = on_wait or (lambda message: None)
        self._client = httpx.Client(
            base_url=self.api_url,
            headers={
                "Authorization": f"Bearer {token.reveal()}",
                "User-Agent": f"migrations-tasks/{__version__}",
                "Accept": "application/json",
            },
            timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
            transport=transport,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"ManagementApi(api_url={self.api_url!r}, project_ref={self.project_ref!r}, token=***)"

    @property
    def description(self) -> str:
        """Return where the SQL goes."""
        return f"project {self.project_ref} via the Management API ({self.api_url})"

    def close(self) -> None:
        """Close the HTTP connection."""
        self._client.close()

    def _redact(self, text: str) -> str:
        return text.replace(self._token.reveal(), "***")

    def pace(self) -> None:
        """Wait for the rate-limit window to reset when the last answer said the budget is spent."""
        if self.rate_limit_remaining is None or self.rate_limit_remaining > 0 or self._reset_at is None:
            return
        wait = self._reset_at - time.monotonic()
        if wait <= 0:
            return
        self.on_wait(
            f"Rate limit budget spent: waiting {wait:.1f}s for the window to reset "
            "(Supabase allows 120 requests per minute)."
        )
        if not stamina.is_testing():
            time.sleep(wait)
        self.waited_seconds += wait
        self.rate_limit_remaining = None

    def request(self, method: str, path: str, *, write: bool, **kwargs: Any) -> httpx.Response:
        """Send one request; turn transport failures into NetworkError / AmbiguousWriteError."""
        self.pace()
        self.requests += 1
        started = time.perf_counter()
        try:
            response = self._client.request(method, path, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise NetworkError(
                f"Cannot connect to {self.api_url}: {self._redact(str(exc)) or type(exc).__name__}.",
                hint=f"Check the network and {ENV_API_URL}; nothing was sent.",
            ) from None
        except httpx.TimeoutException as exc:
            raise answer_lost(
                f"No answer from {self.api_url} in time ({type(exc).__name__}).",
                write=write,
                hint="The request may still be running on the server.",
            ) from None
        except httpx.HTTPError as exc:
            raise answer_lost(
                f"The connection to {self.api_url} failed before an answer arrived "
                f"({type(exc).__name__}: {self._redact(str(exc))}).",
                write=write,
                hint="The request may or may not have run on the server.",
            ) from None
        finally:
            self.network_seconds += time.perf_counter() - started
        self._track_rate_limit(response)
        return response

    def _track_rate_limit(self, response: httpx.Response) -> None:
        remaining = response.headers.get("x-ratelimit-remaining")
        try:
            self.rate_limit_remaining = int(remaining) if remaining is not None else None
        except ValueError:
            self.rate_limit_remaining = None
        self.rate_limit_reset = _reset_seconds(response)
        self._reset_at = (time.monotonic() + self.rate_limit_reset) if self.rate_limit_reset is not None else None

    def _retry_hook(self, write: bool) -> Callable[[BaseException], bool | float]:
        """Return stamina's backoff hook: retry what is safe to repeat, announce each wait."""

        def hook(exc: BaseException) -> bool | float:
            if isinstance(exc, RateLimitError):
                wait = (exc.reset_seconds or 1.0) + 0.05
                self.retries += 1
                self.on_wait(f"Rate limited (429): waiting {wait:.1f}s for the window to reset, then retrying.")
                self.waited_seconds += wait
                return wait
            if isinstance(exc, AmbiguousWriteError) or (write and not isinstance(exc, NetworkError)):
                return False
            if isinstance(exc, NetworkError) or (isinstance(exc, ServerError) and exc.status in _RETRY_STATUSES):
                self.retries += 1
                self.on_wait(f"{exc.message} Retrying.")
                return True
            return False

        return hook

    def execute(self, sql: str, *, write: bool = True) -> list[Row]:
        """Run SQL; return the rows of its last statement that returned rows (retrying what is safe)."""
        for attempt in stamina.retry_context(
            on=self._retry_hook(write), attempts=None, timeout=self.retry_deadline, wait_initial=0.5, wait_max=10.0
        ):
            with attempt:
                return self._execute_once(sql, write)
        raise AssertionError("unreachable: stamina re-raises the last error")  # pragma: no cover

    def execute_read_only(self, sql: str) -> list[Row]:
        """Run SQL on the read-only endpoint, as ``supabase_read_only_user`` (a read: retried like one)."""
        for attempt in stamina.retry_context(
            on=self._retry_hook(False), attempts=None, timeout=self.retry_deadline, wait_initial=0.5, wait_max=10.0
        ):
            with attempt:
                return self._execute_once(sql, False, endpoint="database/query/read-only")
        raise AssertionError("unreachable: stamina re-raises the last error")  # pragma: no cover

    @staticmethod
    def _body(sql: str) -> bytes:
        """Return the request body for ``sql``, encoded as httpx would encode ``json=``."""
        return json.dumps({"query": sql}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def request_bytes(self, sql: str) -> int:
        """Return the size of the request body that would carry ``sql``, in bytes."""
        return len(self._body(sql))

    def _execute_once(self, sql: str, write: bool, endpoint: str = "database/query") -> list[Row]:
        body = self._body(sql)
        if self.max_request_bytes is not None and len(body) > self.max_request_bytes:
            raise TransportError(
                f"The request is {len(body):,} bytes, over the {self.max_request_bytes:,}-byte limit "
                "(migrations.request_max_bytes); nothing was sent.",
                hint="Apply over a direct connection (--transport postgres), or split the SQL.",
            )
        response = self.request(
            "POST",
            f"/v1/projects/{self.project_ref}/{endpoint}",
            write=write,
            content=body,
            headers={"Content-Type": "application/json"},
        )
        if write:
            self._refuse_ambiguous(response)
        return self._rows(response)

    def _refuse_ambiguous(self, response: httpx.Response) -> None:
        """Raise for an answer to a write that does not say whether the SQL ran (408, 5xx, a 400 without SQLSTATE).

        A 400 whose body carries no message at all (empty, an HTML page, JSON without ``message``) counts too.
        """
        status, message = response.status_code, self._message(response)
        said = f"{status}{': ' + message if message else ''}"
        if status == 408:
            raise QueryTimeoutError(
                f"The Management API answered {said}: {QUERY_TIMEOUT}.",
                hint="The SQL may still be running, or have committed: the engine settles this through the "
                "ledger; run `inv db.check` to see where things are.",
            )
        # an empty, HTML or message-less 400 says nothing about the SQL either: it may have committed
        no_sqlstate = status == 400 and (not message or parse_sql_error(message).sqlstate is None)
        if (status >= 500 and "ERROR:" not in message) or no_sqlstate:
            raise AmbiguousWriteError(
                f"The Management API answered {said} after the SQL was sent, without a SQL error: "
                "it may still be running, or have committed.",
                hint="The engine settles this through the ledger; run `inv db.check` to see where things are.",
            )

    def health(self, services: list[str], timeout_ms: int | None = None) -> list[dict[str, Any]]:
        """Return the project's service health list (``GET /v1/projects/{ref}/health``)."""
        params: list[tuple[str, str | int]] = [("services", s) for s in services]
        if timeout_ms is not None:
            params.append(("timeout_ms", timeout_ms))
        for attempt in stamina.retry_context(on=self._retry_hook(False), attempts=3, timeout=30.0):
            with attempt:
                response = self.request("GET", f"/v1/projects/{self.project_ref}/health", write=False, params=params)
                if response.status_code != 200:
                    self._raise_for_status(response)
        body = self._json(response)
        if not isinstance(body, list):
            raise ProtocolError(f"The health endpoint answered {type(body).__name__}, not a list.")
        return body

    def _json(self, response: httpx.Response) -> Any:
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            kind = response.headers.get("content-type", "unknown content type")
            snippet = self._redact(response.text[:120]).replace("\n", " ")
            raise ProtocolError(
                f"The API answered HTTP {response.status_code} with a body that is not JSON ({kind}): {snippet!r}.",
                hint=f"Check {ENV_API_URL}: it should point at the Supabase Management API.",
            ) from None

    def _rows(self, response: httpx.Response) -> list[Row]:
        if response.status_code != 201:
            self._raise_for_status(response)
        body = self._json(response)
        if not isinstance(body, list) or not all(isinstance(r, dict) for r in body):
            what = type(body).__name__ if not isinstance(body, list) else "a list of non-objects"
            raise ProtocolError(
                f"The API answered 201 with {what} instead of a list of row objects.",
                hint=f"Check {ENV_API_URL}: it should point at the Supabase Management API.",
            )
        return body

    @staticmethod
    def _describe_body(response: httpx.Response) -> str:
        """Describe a body that is not the API's JSON (an HTML error page from a proxy, say)."""
        if not response.content:
            return ""
        try:
            json.loads(response.content)
            return ""
        except (ValueError, UnicodeDecodeError):
            kind = response.headers.get("content-type", "unknown content type").split(";")[0]
            return f"a {kind} body instead of JSON (a proxy or the wrong URL?)"

    def _message(self, response: httpx.Response) -> str:
        try:
            body = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            return ""
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            return self._redact(body["message"])
        return ""

    def _raise_for_status(self, response: httpx.Response) -> None:
        status = response.status_code
        message = self._message(response) or self._describe_body(response)
        if status == 400 or (status >= 500 and "ERROR:" in message):
            if not self._message(response):
                self._json(response)  # raises ProtocolError for a non-JSON body
                raise ProtocolError(f"The API answered {status} without an error message.")
            raise parse_sql_error(message)
        if status == 401:
            raise AuthError(
                f"The Management API rejected the access token (401{': ' + message if message else ''}).",
                status=status,
                hint=f"Check {ENV_TOKEN}: it may be mistyped, revoked or expired. Create one at {_TOKENS_URL}.",
            )
        if status == 403:
            raise AuthError(
                f"The access token may not run SQL on project {self.project_ref} (403).",
                status=status,
                hint="Use a token of an account that is a member of the project's organization.",
            )
        if status == 404:
            raise ProjectNotFoundError(
                f"Project {self.project_ref} was not found at {self.api_url} (404).",
                hint=f"Check {ENV_REF} (Project Settings > General > Reference ID) and {ENV_API_URL}.",
            )
        if status == 413:
            raise RequestTooLargeError(
                f"The Management API refused the request as too large (413{': ' + message if message else ''}); "
                "nothing ran.",
                hint="Lower migrations.request_max_bytes to the API's limit, apply over a direct connection "
                "(--transport postgres), or split the migration.",
            )
        if status == 429:
            reset = _reset_seconds(response)
            when = f" for {reset:g} more seconds" if reset is not None else ""
            raise RateLimitError(
                f"The Management API rate limit is reached (429){when}.",
                reset_seconds=reset,
                hint="Wait a minute and run again; the limit is 120 requests per minute per project.",
            )
        if status in (408, 502, 503, 504) or status >= 500:
            raise ServerError(
                f"The Management API answered {status}{': ' + message if message else ''}.",
                status=status,
                hint="The service or database may be busy or restarting; try again shortly.",
            )
        if 200 <= status < 300:
            raise ProtocolError(
                f"The API answered {status} where 201 Created was expected.",
                hint=f"Check {ENV_API_URL}: a proxy may be answering instead of the Management API.",
            )
        raise TransportError(f"The Management API answered {status}{': ' + message if message else ''}.")
