"""The sandbox's API has the endpoint's limits: a query timeout (408, the statement cancelled) and a body
limit (fastify's 413 before any SQL runs); it checks the token before reading a body and refuses a
malformed Content-Length (issue 12, item 10)."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import pytest
from conftest import SandboxFactory, SandboxProcess

from migrations_tasks.sandbox.limits import TOO_LARGE_BODY


@pytest.fixture
def strict(sandbox_factory: SandboxFactory) -> SandboxProcess:
    return sandbox_factory("--query-timeout", "1", "--max-body", "4096")


#: How long a raw request may wait for its answer. A server that waits for a body the test never sends
#: never answers: the test then fails on this timeout, whatever the machine's load (no timing is measured).
HANG = 60.0


def raw(sandbox: SandboxProcess, head: str, body: bytes = b"") -> tuple[int, bytes]:
    """Send one raw HTTP request; return (status, body); status 0 when the server closed silently."""
    parts = urlsplit(sandbox.api_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=HANG) as conn:
        conn.sendall(head.encode() + b"\r\n" + body)
        data = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data:
                header, _, rest = data.partition(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in header.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ),
                    0,
                )
                if len(rest) >= length:
                    break
    if not data:
        return 0, b""
    return int(data.split(b" ", 2)[1]), data.partition(b"\r\n\r\n")[2]


def post_head(sandbox: SandboxProcess, ref: str, length: str, token: str | None = None) -> str:
    return (
        f"POST /v1/projects/{ref}/database/query HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {token or sandbox.token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n"
    )


def test_a_query_past_the_timeout_answers_408_and_is_cancelled_on_the_server(strict: SandboxProcess) -> None:
    project = strict.new_project()
    # an hour's sleep: only a server that gives up on it answers before the client's own 60 s timeout
    status, body = strict.call(
        "POST",
        f"/v1/projects/{project.ref}/database/query",
        {"query": "create table t (id int); select pg_sleep(3600)"},
    )
    assert (status, body) == (408, {"message": "Query read timeout"})
    assert project.sql("select to_regclass('public.t')") == [(None,)]  # cancelled, so rolled back
    running = project.sql(
        "select count(*) from pg_stat_activity where query like '%pg_sleep(3600)%' and pid <> pg_backend_pid()"
    )
    assert running == [(0,)]
    project.close()


def test_a_query_under_the_timeout_answers_as_usual(strict: SandboxProcess) -> None:
    project = strict.new_project()
    assert strict.call("POST", f"/v1/projects/{project.ref}/database/query", {"query": "select 1 as one"}) == (
        201,
        [{"one": 1}],
    )


def test_a_body_over_the_limit_gets_fastifys_413_and_runs_nothing(strict: SandboxProcess) -> None:
    project = strict.new_project()
    query = "create table big (id int); -- " + "x" * 5000
    status, body = strict.call("POST", f"/v1/projects/{project.ref}/database/query", {"query": query})
    assert (status, body) == (413, TOO_LARGE_BODY)
    assert project.sql("select to_regclass('public.big')") == [(None,)]
    project.close()


def test_the_token_is_checked_before_the_body_is_read(sandbox: SandboxProcess) -> None:
    # A huge announced body is never sent: a server reading it first would never answer (raw's HANG).
    status, body = raw(sandbox, post_head(sandbox, sandbox.ref, "1000000000", token="sbp_wrong"))
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})


@pytest.mark.parametrize("length", ["-1", "abc", "12abc", "1e3", "99999999999"])
def test_a_malformed_or_oversized_content_length_is_refused_without_reading(
    sandbox: SandboxProcess, length: str
) -> None:
    status, _body = raw(sandbox, post_head(sandbox, sandbox.ref, length))  # no body follows: read, it would hang
    assert status in (400, 413)
    assert (status == 413) == (length == "99999999999")


def test_a_body_at_the_limit_still_runs(strict: SandboxProcess) -> None:
    target = strict.new_project()
    payload = json.dumps({"query": "select 1 as one; -- " + "x" * 3900}).encode()
    assert len(payload) <= 4096
    status, body = raw(strict, post_head(strict, target.ref, str(len(payload))), payload)
    assert (status, json.loads(body)) == (201, [{"one": 1}])
