"""Unit tests for migrations_tasks.transport.management_api: Supabase's exact answers, mocked with respx.

respx is right here: these are answers a local server cannot easily produce on demand (Supabase's
error bodies, gateway pages, timeouts at a chosen moment). One test uses a real loopback HTTP server
to prove that one client reuses one connection.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest
import respx
import stamina

from migrations_tasks._version import __version__
from migrations_tasks.errors import (
    AmbiguousWriteError,
    AuthError,
    MigrationsTasksError,
    NetworkError,
    ProjectNotFoundError,
    ProtocolError,
    QueryTimeoutError,
    RateLimitError,
    ServerError,
    SqlError,
    TransportError,
)
from migrations_tasks.secret import Secret
from migrations_tasks.transport.management_api import ManagementApi
from migrations_tasks.transport.sql_errors import parse_sql_error

CANARY = "sbp_CANARY_0badc0ffee0badc0ffee0badc0ffee0badc0ff"
REF = "abcdefghijklmnopqrst"
API = "https://api.supabase.com"
QUERY_URL = f"{API}/v1/projects/{REF}/database/query"
HEALTH_URL = f"{API}/v1/projects/{REF}/health"


@pytest.fixture(autouse=True)
def _no_proxy_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx routes through *_PROXY variables before the transport we inject; keep every request local.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def no_backoff() -> Iterator[None]:
    """stamina's test mode: retries happen (3 attempts) but without waiting."""
    stamina.set_testing(True, attempts=3)
    yield
    stamina.set_testing(False)


@pytest.fixture
def mock() -> respx.MockRouter:
    return respx.MockRouter(assert_all_called=False)


@pytest.fixture
def client(mock: respx.MockRouter) -> Iterator[ManagementApi]:
    # The router is the client's transport (the injection seam): no TLS context, no network.
    api = ManagementApi(API, REF, Secret(CANARY), timeout=5, transport=httpx.MockTransport(mock.handler))
    yield api
    api.close()


def sql_failure(text: str, status: int = 400) -> httpx.Response:
    return httpx.Response(status, json={"message": f"Failed to run sql query: {text}"})


def raised(client: ManagementApi, *, write: bool = True) -> MigrationsTasksError:
    with pytest.raises(MigrationsTasksError) as info:
        client.execute("SELECT 1", write=write)
    assert CANARY not in str(info.value) and CANARY not in repr(info.value)
    return info.value


# -- success ----------------------------------------------------------------------------------------


def test_execute_posts_the_query_and_returns_the_rows_of_a_201(client: ManagementApi, mock: respx.MockRouter) -> None:
    route = mock.post(QUERY_URL).mock(return_value=httpx.Response(201, json=[{"?column?": 1}]))
    assert client.execute("SELECT 1") == [{"?column?": 1}]
    request = route.calls.last.request
    assert json.loads(request.content) == {"query": "SELECT 1"}
    assert request.headers["authorization"] == f"Bearer {CANARY}"
    assert request.headers["user-agent"] == f"migrations-tasks/{__version__}"
    assert client.requests == 1


def test_execute_returns_an_empty_list_for_ddl(client: ManagementApi, mock: respx.MockRouter) -> None:
    mock.post(QUERY_URL).mock(return_value=httpx.Response(201, json=[]))
    assert client.execute("CREATE TABLE a (id int)") == []


def test_execute_keeps_the_column_order_of_the_raw_json(client: ManagementApi, mock: respx.MockRouter) -> None:
    mock.post(QUERY_URL).mock(return_value=httpx.Response(201, text='[{"z": 1, "a": 2, "m": 3}]'))
    assert list(client.execute("SELECT 1 z, 2 a, 3 m")[0]) == ["z", "a", "m"]


def test_execute_sends_unicode_sql_intact(client: ManagementApi, mock: respx.MockRouter) -> None:
    route = mock.post(QUERY_URL).mock(return_value=httpx.Response(201, json=[]))
    client.execute("COMMENT ON TABLE t IS 'café ✓'")
    assert json.loads(route.calls.last.request.content)["query"] == "COMMENT ON TABLE t IS 'café ✓'"


def test_a_trailing_slash_in_the_api_url_is_ignored(mock: respx.MockRouter) -> None:
    route = mock.post(QUERY_URL).mock(return_value=httpx.Response(201, json=[]))
    api = ManagementApi(API + "/", REF, Secret(CANARY), transport=httpx.MockTransport(mock.handler))
    api.execute("SELECT 1")
    assert route.called
    api.close()


def test_rate_limit_headers_are_tracked(client: ManagementApi, mock: respx.MockRouter) -> None:
    headers = {"X-RateLimit-Limit": "120", "X-RateLimit-Remaining": "117", "X-RateLimit-Reset": "42"}
    mock.post(QUERY_URL).mock(return_value=httpx.Response(201, json=[], headers=headers))
    client.execute("SELECT 1")
    assert (client.rate_limit_remaining, client.rate_limit_reset) == (117, 42.0)


def test_malformed_rate_limit_headers_are_ignored(client: ManagementApi, mock: respx.MockRouter) -> None:
    headers = {"X-RateLimit-Remaining": "many", "X-RateLimit-Reset": "soon"}
    mock.post(QUERY_URL).mock(return_value=httpx.Response(201, json=[], headers=headers))
    client.execute("SELECT 1")
    assert (client.rate_limit_remaining, client.rate_limit_reset) == (None, None)


# -- SQL errors (400) -------------------------------------------------------------------------------


def test_a_400_is_a_sql_error_with_sqlstate_message_and_line(client: ManagementApi, mock: respx.MockRouter) -> None:
    mock.post(QUERY_URL).mock(
        return_value=sql_failure(
            'ERROR:  42P01: relation "x" does not exist\nLINE 1: select * from x\n                      ^\n'
        )
    )
    error = raised(client)
    assert isinstance(error, SqlError)
    assert (error.sqlstate, error.message, error.line) == ("42P01", 'relation "x" does not exist', 1)
    assert error.detail is None and error.hint is None and error.context is None
    assert str(error) == '42P01: relation "x" does not exist'


def test_a_400_carries_detail_hint_and_context(client: ManagementApi, mock: respx.MockRouter) -> None:
    mock.post(QUERY_URL).mock(
        return_value=sql_failure(
            "ERROR:  P0001: price must be positive\n"
            "DETAIL:  Got -1.\n"
            "HINT:  Check the import.\n"
            "CONTEXT:  PL/pgSQL function check_price() line 3 at RAISE\n"
        )
    )
    error = raised(client)
    assert isinstance(error, SqlError)
    assert error.sqlstate == "P0001"
    assert error.detail == "Got -1."
    assert error.hint == "Check the import."
    assert error.context == "PL/pgSQL function check_price() line 3 at RAISE"
    assert error.describe() == "P0001: price must be positive\nDETAIL: Got -1.\nHINT: Check the import."


def test_a_multi_line_detail_is_kept_whole(client: ManagementApi, mock: respx.MockRouter) -> None:
    mock.post(QUERY_URL).mock(
        return_value=sql_failure(
            "ERROR:  2BP01: cannot drop table a because other objects depend on it\n"
            "DETAIL:  view v depends on table a\n"
            "view w depends on view v\n"
            "HINT:  Use DROP ... CASCADE to drop the dependent objects too.\n"
        )
    )
    error = raised(client)
    assert isinstance(error, SqlError)
    assert error.detail == "view v depends on table a\nview w depends on view v"
    assert error.hint == "Use DROP ... CASCADE to drop the dependent objects too."


def test_a_query_field_does_not_run_into_the_hint(client: ManagementApi, mock: respx.MockRouter) -> None:
    # postgres-meta prints QUERY (a PL/pgSQL error's internal query) between HINT and CONTEXT.
    mock.post(QUERY_URL).mock(
        return_value=sql_failure(
            "ERROR:  22012: division by zero\n"
            "HINT:  Check the divisor.\n"
            "QUERY:  SELECT 1 / 0\n"
            "CONTEXT:  PL/pgSQL function inline_code_block line 1 at PERFORM\n"
        )
    )
    error = raised(client)
    assert isinstance(error, SqlError)
    assert error.hint == "Check the divisor."
    assert error.context == "PL/pgSQL function inline_code_block line 1 at PERFORM"


def test_a_syntax_error_reports_the_line_of_the_sent_sql(client: ManagementApi, mock: respx.MockRouter) -> None:
    mock.post(QUERY_URL).mock(
        return_value=sql_failure('ERROR:  42601: syntax error at or near "selec"\nLINE 3: selec 1\n        ^\n')
    )
    error = raised(client)
    assert isinstance(error, SqlError)
    assert (error.sqlstate, error.line) == ("42601", 3)
    assert error.message == 'syntax error at or near "selec"'


def test_a_400_without_a_sqlstate_on_a_read_keeps_the_message(client: ManagementApi, mock: respx.MockRouter) -> None:
    mock.post(QUERY_URL).mock(return_value=sql_failure("Connection terminated unexpectedly"))
    error = raised(client, write=False)
    assert isinstance(error, SqlError)
    assert error.sqlstate is None
    assert error.message == "Connection terminated unexpectedly"


def test_a_400_without_a_sqlstate_after_a_write_is_ambiguous(client: ManagementApi, mock: respx.MockRouter) -> None:
    # postgres-meta answers 400 for failures it does not map, such as a connection that dropped mid-query:
    # nothing says whether the SQL ran.
    mock.post(QUERY_URL).mock(return_value=sql_failure("Connection terminated unexpectedly"))
    error = raised(client, write=True)
    assert isinstance(error, AmbiguousWriteError)
    assert "answered 400" in str(error) and "Connection terminated unexpectedly" in str(error)


def test_a_408_after_a_write_is_a_query_timeout_naming_the_limit(client: ManagementApi, mock: respx.MockRouter) -> None:
    mock.post(QUERY_URL).mock(return_value=httpx.Response(408, json={"message": "Query read timeout"}))
    error = raised(client, write=True)
    assert isinstance(error, QueryTimeoutError)
    assert "Query read timeout" in error.message and "about 55 seconds" in error.message


def test_a_request_over_the_size_limit_is_refused_before_sending(mock: respx.MockRouter) -> None:
    route = mock.post(QUERY_URL).mock(return_value=httpx.Response(201, json=[]))
    api = ManagementApi(API, REF, Secret(CANARY), transport=httpx.MockTransport(mock.handler), max_request_bytes=2048)
    fits = "select '" + "x" * 1000 + "'"
    assert api.request_bytes(fits) == len(b'{"query":""}') + len(fits)
    api.execute(fits)
    assert route.calls[0].request.content == b'{"query":"' + fits.encode() + b'"}'
    with pytest.raises(TransportError) as caught:
        api.execute("select '" + "é" * 1100 + "'")  # 2 bytes a character in UTF-8
    assert "over the 2,048-byte limit" in str(caught.value) and "nothing was sent" in str(caught.value)
    assert route.call_count == 1
    api.close()


def test_a_413_says_the_request_was_too_large_and_nothing_ran(client: ManagementApi, mock: respx.MockRouter) -> None:
    mock.post(QUERY_URL).mock(return_value=httpx.Response(413, json={"message": "Request body is too large"}))
    error = raised(client, write=True)
    assert isinstance(error, TransportError) and not isinstance(error, AmbiguousWriteError)
    assert "too large (413" in str(error) and "request_max_bytes" in (error.hint or "")


def test_a_400_that_is_not_json_on_a_read_is_a_protocol_error(client: ManagementApi, mock: respx.MockRouter) -> None:
    mock.post(QUERY_URL).mock(
        return_value=httpx.Response(
            400, text="<html><body>Bad Request</body></html>", headers={"content-type": "text/html"}
        )
    )
    error = raised(client, write=False)
    assert isinstance(error, ProtocolError)
    assert "not JSON (text/html)" in str(error)


def test_a_400_without_a_message_on_a_read_is_a_protocol_error(client: ManagementApi, mock: respx.MockRouter) -> None:
    mock.post(QUERY_URL).mock(return_value=httpx.Response(400, json={"error": "Bad Request", "statusCode": 400}))
    error = raised(client, write=False)
    assert isinstance(error, ProtocolError)
    assert "400 without an error message" in str(error)


def test_a_500_carrying_a_postgres_error_is_a_sql_error(client: ManagementApi, mock: respx.MockRouter) -> None:
    mock.post(QUERY_URL).mock(return_value=sql_failure("ERROR:  XX000: could not open file", status=500))
    error = raised(client)
    assert isinstance(error, SqlError) and error.sqlstate == "XX000"


@pytest.mark.parametrize(
    ("text", "sqlstate", "message"),
    [
        (
            "Failed to run sql query: ERROR:  42501: permission denied for table t",
            "42501",
            "permission denied for table t",
        ),
        (
            'ERROR:  23505: duplicate key value violates unique constraint "t_pkey"',
            "23505",
            'duplicate key value violates unique constraint "t_pkey"',
        ),
        (
            "Failed to run sql query: FATAL:  57P01: terminating connection due to administrator command",
            "57P01",
            "terminating connection due to administrator command",
        ),
        ("Failed to run sql query: ", None, "Failed to run sql query:"),
        ("", None, "The SQL failed without a message."),
    ],
)
def test_parse_sql_error_reads_postgres_meta_text(text: str, sqlstate: str | None, message: str) -> None:
    error = parse_sql_error(text)
    assert (error.sqlstate, error.message) == (sqlstate, message)


# -- other statuses ---------------------------------------------------------------------------------


def test_a_401_is_an_auth_error_that_says_to_check_the_token(client: ManagementApi, mock: respx.MockRouter) -> None:
    mock.post(QUERY_URL).mock(return_value=httpx.Response(401, json={"message": "Unauthorized"}))
    error = raised(client)
    assert isinstance(error, AuthError) and error.status == 401
    assert "rejected the access token (401: Unauthorized)" in str(error)
    assert "SUPABASE_ACCESS_TOKEN" in (error.hint or "")
    assert "supabase.com/dashboard/account/tokens" in (error.hint or "")


def test_a_403_is_an_auth_error_naming_the_project(client: ManagementApi, mock: respx.MockRouter) -> None:
    mock.post(QUERY_URL).mock(return_value=httpx.Response(403, json={"message": "Forbidden resource"}))
    error = raised(client)
    assert isinstance(error, AuthError) and error.status == 403
    assert REF in str(error) and "(403)" in str(error)
    assert "organization" in (error.hint or "")


def test_a_404_is_project_not_found_with_where_to_check(client: ManagementApi, mock: respx.MockRouter) -> None:
    mock.post(QUERY_URL).mock(return_value=httpx.Response(404, json={"message": "Not Found"}))
    error = raised(client)
    assert isinstance(error, ProjectNotFoundError)
    assert f"Project {REF} was not found at {API} (404)" in str(error)
    assert "SUPABASE_PROJECT_REF" in (error.hint or "")


def test_a_429_is_a_rate_limit_error_with_the_reset_time(client: ManagementApi, mock: respx.MockRouter) -> None:
    headers = {"X-RateLimit-Limit": "120", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "37"}
    mock.post(QUERY_URL).mock(return_value=httpx.Response(429, json={"message": "Too many requests"}, headers=headers))
    error = raised(client)
    assert isinstance(error, RateLimitError)
    assert error.reset_seconds == 37.0
    assert "for 37 more seconds" in str(error)
    assert "120 requests per minute" in (error.hint or "")
    assert client.rate_limit_remaining == 0


def test_a_429_without_a_reset_header_still_explains(client: ManagementApi, mock: respx.MockRouter) -> None:
    mock.post(QUERY_URL).mock(return_value=httpx.Response(429, text="Too Many Requests"))
    error = raised(client)
    assert isinstance(error, RateLimitError) and error.reset_seconds is None
    assert str(error).startswith("The Management API rate limit is reached (429).")


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, {"message": "Failed to run sql query"}),
        (503, {"message": "Too many clients already"}),
        (504, {"message": "Database connection timeout"}),
        (502, None),
        (408, {"message": "Query read timeout"}),
    ],
)
def test_server_failures_on_a_read_are_server_errors(
    client: ManagementApi, mock: respx.MockRouter, status: int, body: Any
) -> None:
    response = httpx.Response(status, json=body) if body else httpx.Response(status, text="<html>Bad Gateway</html>")
    mock.post(QUERY_URL).mock(return_value=response)
    error = raised(client, write=False)
    assert isinstance(error, ServerError) and error.status == status
    assert f"answered {status}" in str(error)
    if body:
        assert body["message"] in str(error)
    assert "try again" in (error.hint or "")


@pytest.mark.parametrize("status", [500, 503])
def test_a_5xx_without_a_sql_error_after_a_write_is_ambiguous_and_settled_by_the_ledger(
    client: ManagementApi, mock: respx.MockRouter, status: int
) -> None:
    # Even "too many clients" may come from a layer that cannot know whether the SQL ran; reading the
    # ledger is cheap and always safe, resending blindly is not.
    mock.post(QUERY_URL).mock(return_value=httpx.Response(status, json={"message": "Too many clients already"}))
    error = raised(client, write=True)
    assert isinstance(error, AmbiguousWriteError)
    assert "Too many clients already" in str(error)


@pytest.mark.parametrize("status", [408, 502, 504])
def test_a_timeout_status_after_a_write_was_sent_is_an_ambiguous_write(
    client: ManagementApi, mock: respx.MockRouter, status: int
) -> None:
    # The statement may still be running, or have committed: the engine must read the ledger.
    mock.post(QUERY_URL).mock(return_value=httpx.Response(status, json={"message": "Query read timeout"}))
    error = raised(client, write=True)
    assert isinstance(error, AmbiguousWriteError)
    assert f"answered {status}" in str(error) and "may still be running" in str(error)


def test_a_redirect_is_not_followed_and_is_a_transport_error(client: ManagementApi, mock: respx.MockRouter) -> None:
    route = mock.post(QUERY_URL).mock(return_value=httpx.Response(302, headers={"location": "https://evil.test/"}))
    error = raised(client)
    assert type(error) is TransportError
    assert "answered 302" in str(error)
    assert route.call_count == 1


# -- answers that break the promise -----------------------------------------------------------------


def test_a_200_instead_of_201_is_a_protocol_error(client: ManagementApi, mock: respx.MockRouter) -> None:
    mock.post(QUERY_URL).mock(return_value=httpx.Response(200, json=[{"a": 1}]))
    error = raised(client)
    assert isinstance(error, ProtocolError)
    assert "answered 200 where 201 Created was expected" in str(error)
    assert "proxy" in (error.hint or "")


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (
            httpx.Response(
                201, text="<!DOCTYPE html><html><body>Welcome</body></html>", headers={"content-type": "text/html"}
            ),
            "not JSON (text/html)",
        ),
        (httpx.Response(201, text='[{"a": 1}, {"b":'), "not JSON"),
        (httpx.Response(201, content=b"\xff\xfe\x00garbage"), "not JSON"),
        (httpx.Response(201, json={"rows": []}), "201 with dict instead of a list of row objects"),
        (httpx.Response(201, json=[1, 2]), "201 with a list of non-objects instead of a list of row objects"),
        (httpx.Response(201, text="null"), "201 with NoneType instead of a list of row objects"),
    ],
)
def test_a_201_body_that_is_not_a_list_of_rows_is_a_protocol_error(
    client: ManagementApi, mock: respx.MockRouter, response: httpx.Response, expected: str
) -> None:
    mock.post(QUERY_URL).mock(return_value=response)
    error = raised(client)
    assert isinstance(error, ProtocolError)
    assert expected in str(error)
    assert "SUPABASE_API_URL" in (error.hint or "")


def test_a_long_html_page_is_quoted_only_briefly(client: ManagementApi, mock: respx.MockRouter) -> None:
    page = "<html>\n" + "x" * 10_000 + "\n</html>"
    mock.post(QUERY_URL).mock(return_value=httpx.Response(201, text=page, headers={"content-type": "text/html"}))
    error = raised(client)
    assert len(str(error)) < 500
    assert "\n<html>" not in str(error)


# -- transport failures -----------------------------------------------------------------------------


@pytest.mark.parametrize("write", [True, False])
def test_a_connect_error_is_a_network_error_that_says_nothing_was_sent(
    client: ManagementApi, mock: respx.MockRouter, write: bool
) -> None:
    mock.post(QUERY_URL).mock(side_effect=httpx.ConnectError("[Errno -2] Name or service not known"))
    error = raised(client, write=write)
    assert type(error) is NetworkError
    assert f"Cannot connect to {API}" in str(error)
    assert "nothing was sent" in (error.hint or "")


def test_a_connect_timeout_is_a_network_error_even_for_a_write(client: ManagementApi, mock: respx.MockRouter) -> None:
    mock.post(QUERY_URL).mock(side_effect=httpx.ConnectTimeout("timed out"))
    assert type(raised(client, write=True)) is NetworkError


def test_a_read_timeout_on_a_write_is_an_ambiguous_write(client: ManagementApi, mock: respx.MockRouter) -> None:
    mock.post(QUERY_URL).mock(side_effect=httpx.ReadTimeout("timed out"))
    error = raised(client, write=True)
    assert isinstance(error, AmbiguousWriteError)
    assert "No answer" in str(error) and "ReadTimeout" in str(error)


def test_a_read_timeout_on_a_read_is_a_plain_network_error(client: ManagementApi, mock: respx.MockRouter) -> None:
    mock.post(QUERY_URL).mock(side_effect=httpx.ReadTimeout("timed out"))
    assert type(raised(client, write=False)) is NetworkError


@pytest.mark.parametrize(
    "exc",
    [
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("Connection reset by peer"),
        httpx.WriteTimeout("timed out"),
    ],
)
def test_a_connection_lost_mid_request_is_ambiguous_only_for_writes(
    client: ManagementApi, mock: respx.MockRouter, exc: Exception
) -> None:
    mock.post(QUERY_URL).mock(side_effect=exc)
    assert isinstance(raised(client, write=True), AmbiguousWriteError)
    assert type(raised(client, write=False)) is NetworkError


# -- secrecy ----------------------------------------------------------------------------------------


def test_the_token_never_appears_in_repr_or_description(client: ManagementApi) -> None:
    assert CANARY not in repr(client)
    assert "token=***" in repr(client)
    assert CANARY not in client.description
    assert REF in client.description


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(401, json={"message": f"Invalid token {CANARY}"}),
        sql_failure(f"ERROR:  42601: bad {CANARY}\nDETAIL:  {CANARY}"),
        httpx.Response(503, json={"message": f"busy ({CANARY})"}),
        httpx.Response(201, text=f"oops {CANARY}"),
        httpx.Response(418, json={"message": CANARY}),
    ],
)
def test_an_answer_echoing_the_token_is_redacted(
    client: ManagementApi, mock: respx.MockRouter, response: httpx.Response
) -> None:
    mock.post(QUERY_URL).mock(return_value=response)
    error = raised(client)  # asserts the canary is absent from str() and repr()
    assert "***" in str(error) or isinstance(error, SqlError)
    if isinstance(error, SqlError):
        assert CANARY not in (error.detail or "") and CANARY not in error.message


def test_a_transport_error_echoing_the_token_is_redacted(client: ManagementApi, mock: respx.MockRouter) -> None:
    mock.post(QUERY_URL).mock(side_effect=httpx.ConnectError(f"proxy refused Bearer {CANARY}"))
    assert "Bearer ***" in str(raised(client))
    mock.post(QUERY_URL).mock(side_effect=httpx.ReadError(f"reset while sending {CANARY}"))
    assert "***" in str(raised(client))


# -- health -----------------------------------------------------------------------------------------


def test_health_asks_for_the_services_and_returns_the_list(client: ManagementApi, mock: respx.MockRouter) -> None:
    body = [{"name": "db", "status": "ACTIVE_HEALTHY", "info": None}, {"name": "rest", "status": "COMING_UP"}]
    route = mock.get(HEALTH_URL).mock(return_value=httpx.Response(200, json=body))
    assert client.health(["db", "rest"], timeout_ms=5000) == body
    params = route.calls.last.request.url.params
    assert params.get_list("services") == ["db", "rest"]
    assert params["timeout_ms"] == "5000"


def test_health_maps_errors_like_execute(client: ManagementApi, mock: respx.MockRouter) -> None:
    mock.get(HEALTH_URL).mock(return_value=httpx.Response(404, json={"message": "Not Found"}))
    with pytest.raises(ProjectNotFoundError):
        client.health(["db"])
    mock.get(HEALTH_URL).mock(return_value=httpx.Response(200, json={"db": "ok"}))
    with pytest.raises(ProtocolError, match="not a list"):
        client.health(["db"])


# -- one connection ---------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    peers: ClassVar[set[tuple[str, int]]] = set()
    authorizations: ClassVar[list[str | None]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        type(self).peers.add(self.client_address)
        type(self).authorizations.append(self.headers.get("authorization"))
        body = b'[{"ok": true}]'
        self.send_response(201)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_one_client_reuses_one_connection_for_many_requests() -> None:
    _Handler.peers = set()
    _Handler.authorizations = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        api = ManagementApi(f"http://127.0.0.1:{server.server_port}", REF, Secret(CANARY), timeout=5)
        try:
            for _ in range(5):
                assert api.execute("SELECT 1") == [{"ok": True}]
        finally:
            api.close()
    finally:
        server.shutdown()
        server.server_close()
    assert len(_Handler.peers) == 1
    assert _Handler.authorizations == [f"Bearer {CANARY}"] * 5
    assert api.requests == 5


class _Answer400(BaseHTTPRequestHandler):
    """A local server answering every query with a 400 whose body says nothing about the SQL."""

    protocol_version = "HTTP/1.1"
    body: ClassVar[tuple[str, bytes]] = ("text/html", b"")

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        kind, body = type(self).body
        self.send_response(400)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.mark.parametrize(
    "body",
    [
        ("text/html", b""),
        ("text/html", b"<html><body><h1>400 Bad Request</h1></body></html>"),
        ("application/json", b'{"error": "Bad Request"}'),
    ],
)
def test_a_400_that_says_nothing_after_a_write_is_ambiguous_not_a_protocol_error(body: tuple[str, bytes]) -> None:
    _Answer400.body = body
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer400)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    api = ManagementApi(f"http://127.0.0.1:{server.server_port}", REF, Secret(CANARY), timeout=5)
    try:
        with pytest.raises(AmbiguousWriteError) as written:
            api.execute("create table t (id int)")
        with pytest.raises(ProtocolError):  # a read: nothing changed, so the answer is simply wrong
            api.execute("select 1", write=False)
    finally:
        api.close()
        server.shutdown()
        server.server_close()
    assert "may still be running, or have committed" in str(written.value)
