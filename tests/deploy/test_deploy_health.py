"""Health checks: judging answers (pure), polling with a fake clock, and real HTTP servers."""

from __future__ import annotations

import http.server
import json
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from migrations_tasks.deploy.config import HealthCheck, HealthConfig, SupabaseHealth
from migrations_tasks.deploy.health import (
    Attempt,
    HealthResult,
    http_target,
    judge_http,
    judge_supabase,
    supabase_target,
)
from migrations_tasks.deploy.polling import format_attempt, poll
from migrations_tasks.secret import Secret

CANARY = "sbp_canary0123456789abcdef"
SERVICES = ("db", "auth")


class FakeClock:
    """Time that passes only when the poller sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def answers(*responses: tuple[int, str]) -> httpx.MockTransport:
    """A transport that answers each request with the next (status, body); the last one repeats."""
    queue = list(responses)

    def handle(request: httpx.Request) -> httpx.Response:
        status, body = queue.pop(0) if len(queue) > 1 else queue[0]
        return httpx.Response(status, text=body)

    return httpx.MockTransport(handle)


def run_poll(
    transport: httpx.BaseTransport, *, healthy_after: int = 1, deadline: float = 10.0, check: HealthCheck | None = None
) -> tuple[Any, FakeClock, list[Attempt]]:
    clock = FakeClock()
    seen: list[Attempt] = []
    config = HealthConfig(interval=1.0, timeout=2.0, deadline=deadline, healthy_after=healthy_after)
    target = http_target(check or HealthCheck(url="http://app.test/health"))
    result = poll(config, [target], notify=seen.append, clock=clock, sleep=clock.sleep, transport=transport)
    return result, clock, seen


# -- judging -------------------------------------------------------------------------------------------------


def test_the_status_must_match() -> None:
    check = HealthCheck(url="http://x/health")
    assert judge_http(check, 200, b"").ok
    verdict = judge_http(check, 503, b"down")
    assert not verdict.ok and verdict.detail == "503, expected 200"
    assert judge_http(HealthCheck(url="http://x/", status=204), 204, b"").ok


def test_the_body_must_contain_the_expected_text() -> None:
    check = HealthCheck(url="http://x/health", body_contains="ok")
    assert judge_http(check, 200, b"all ok").ok
    assert judge_http(check, 200, b"degraded").detail == "200, body lacks 'ok'"


def test_a_json_field_must_be_present_and_equal_with_true_never_equal_to_1() -> None:
    check = HealthCheck(url="http://x/", json_field="checks.db.up", json_value=True)
    assert judge_http(check, 200, json.dumps({"checks": {"db": {"up": True}}}).encode()).ok
    assert not judge_http(check, 200, json.dumps({"checks": {"db": {"up": 1}}}).encode()).ok
    assert "no checks.db.up" in judge_http(check, 200, b"{}").detail
    assert judge_http(check, 200, b"<html>").detail == "200, body is not JSON"
    listed = HealthCheck(url="http://x/", json_field="services.0.status", json_value="ok")
    assert judge_http(listed, 200, b'{"services": [{"status": "ok"}]}').ok
    present = HealthCheck(url="http://x/", json_field="version")
    assert judge_http(present, 200, b'{"version": "1.2"}').ok and not judge_http(present, 200, b'{"v": 1}').ok


def test_supabase_is_healthy_only_when_every_requested_service_is_active_healthy() -> None:
    body = json.dumps([{"name": "db", "status": "ACTIVE_HEALTHY"}, {"name": "auth", "status": "COMING_UP"}])
    assert not judge_supabase(SERVICES, 200, body.encode()).ok
    assert judge_supabase(("db",), 200, body.encode()).ok
    assert judge_supabase(("db", "rest"), 200, body.encode()).detail == "not healthy: rest missing"


def test_a_refused_token_or_unknown_project_stops_polling_but_a_server_error_does_not() -> None:
    assert judge_supabase(SERVICES, 401, b"").final
    assert judge_supabase(SERVICES, 404, b"").final
    assert not judge_supabase(SERVICES, 503, b"").final


# -- polling ---------------------------------------------------------------------------------------------------


def test_a_healthy_first_answer_ends_polling_without_sleeping() -> None:
    result, clock, seen = run_poll(answers((200, "ok")))
    assert result.healthy and result.rounds == 1 and clock.sleeps == []
    assert [a.ok for a in seen] == [True]


def test_polling_goes_on_until_healthy() -> None:
    result, clock, seen = run_poll(answers((503, ""), (502, ""), (200, "ok")))
    assert result.healthy and result.rounds == 3
    assert clock.sleeps == [1.0, 1.0]
    assert [a.detail for a in seen] == ["503, expected 200", "502, expected 200", "200 ok"]


def test_still_unhealthy_at_the_deadline_is_a_failure_with_the_last_reason() -> None:
    result, clock, _ = run_poll(answers((503, "")), deadline=3.5)
    assert not result.healthy and result.reason == "http://app.test/health: 503, expected 200"
    assert clock.now == 3.5 and result.rounds == 5  # at 0, 1, 2, 3 and the last one at the deadline
    assert clock.sleeps[-1] == 0.5


def test_a_stop_request_ends_polling_within_a_tenth_of_a_second_as_unhealthy_naming_the_signal() -> None:
    clock = FakeClock()
    config = HealthConfig(interval=1.0, timeout=2.0, deadline=30.0)
    target = http_target(HealthCheck(url="http://app.test/health"))
    result = poll(
        config,
        [target],
        clock=clock,
        sleep=clock.sleep,
        transport=answers((503, "")),
        should_stop=lambda: signal.SIGINT if clock.now >= 2.45 else 0,
    )
    assert not result.healthy and result.stopped == "SIGINT" and result.rounds == 3
    assert result.reason == "stopped by SIGINT before the health checks passed"
    assert clock.now == pytest.approx(2.5) and max(clock.sleeps) <= 0.1


def test_a_flapping_endpoint_never_counts_as_healthy_when_two_rounds_in_a_row_are_needed() -> None:
    flapping = answers(*[(200 if i % 2 else 503, "") for i in range(40)])
    result, _, seen = run_poll(flapping, healthy_after=2, deadline=6)
    assert not result.healthy and any(a.ok for a in seen)


def test_an_endpoint_that_settles_after_flapping_is_healthy_after_two_good_rounds() -> None:
    result, _, _ = run_poll(answers((200, ""), (503, ""), (200, ""), (200, "")), healthy_after=2)
    assert result.healthy and result.rounds == 4


def test_timeouts_and_refused_connections_are_attempts_not_crashes() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    result, _, seen = run_poll(httpx.MockTransport(slow), deadline=1)
    assert not result.healthy and seen[0].detail == "timed out"
    result, _, seen = run_poll(
        httpx.HTTPTransport(), deadline=0, check=HealthCheck(url=f"http://127.0.0.1:{closed_port()}/health")
    )
    assert seen[0].detail == "connection refused"


def closed_port() -> int:
    """Return a loopback port nothing listens on (bound, then closed)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_each_attempt_prints_as_one_compact_line() -> None:
    line = format_attempt(Attempt(3, "web1 http://h/health", False, "503, expected 200", 4.2))
    assert line == "  health #3 FAIL web1 http://h/health: 503, expected 200 (4 ms)"


def poll_lines(
    transport: httpx.BaseTransport, *, deadline: float, verbose: bool = False
) -> tuple[HealthResult, list[str]]:
    clock = FakeClock()
    clock.now = 1_000_000.0  # a monotonic clock starts anywhere
    lines: list[str] = []
    result = poll(
        HealthConfig(interval=0.5, timeout=2.0, deadline=deadline),
        [http_target(HealthCheck(url="http://app.test/health"))],
        notify=lambda event: lines.append(format_attempt(event)),
        verbose=verbose,
        clock=clock,
        sleep=clock.sleep,
        transport=transport,
    )
    return result, lines


def test_a_target_that_keeps_failing_prints_one_line_and_a_summary_every_five_seconds() -> None:
    result, lines = poll_lines(answers((503, "")), deadline=20)
    assert result.rounds == len(result.attempts) == 41 and not result.healthy
    assert lines == [
        "  health #1 FAIL http://app.test/health: 503, expected 200 (0 ms)",
        *(
            f"  health: still failing after {s} s, {n} polls: http://app.test/health: 503, expected 200"
            for s, n in ((5, 11), (10, 21), (15, 31), (20, 41))
        ),
    ]


def test_every_change_is_printed_and_the_failures_left_unprinted_are_summed_up_at_the_end() -> None:
    refused = httpx.ConnectError("[Errno 111] Connection refused")
    sequence = [refused] * 3 + [(503, "")] * 12

    def handle(request: httpx.Request) -> httpx.Response:
        answer = sequence.pop(0) if len(sequence) > 1 else sequence[0]
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(answer[0], text=answer[1])

    result, lines = poll_lines(httpx.MockTransport(handle), deadline=7)
    assert result.rounds == 15
    assert lines == [
        "  health #1 FAIL http://app.test/health: connection refused (0 ms)",
        "  health #4 FAIL http://app.test/health: 503, expected 200 (0 ms)",
        "  health: still failing after 5 s, 11 polls: http://app.test/health: 503, expected 200",
        "  health: still failing after 7 s, 15 polls: http://app.test/health: 503, expected 200",
    ]
    _, lines = poll_lines(answers((503, ""), (503, ""), (200, "")), deadline=7)
    assert [line.split(" (")[0] for line in lines] == [
        "  health #1 FAIL http://app.test/health: 503, expected 200",
        "  health #3 ok   http://app.test/health: 200 ok",
    ]


def test_verbose_prints_every_poll() -> None:
    result, lines = poll_lines(answers((503, "")), deadline=20, verbose=True)
    assert len(lines) == result.rounds == 41 and all(" FAIL " in line for line in lines)


def test_the_supabase_check_sends_the_token_only_in_the_header_and_never_prints_it() -> None:
    requests: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(401, json={"message": "Unauthorized"})

    health = SupabaseHealth(
        services=SERVICES, project_ref="abcdefghijklmnopqrst", api_url="https://api.test", token=Secret(CANARY)
    )
    clock = FakeClock()
    lines: list[str] = []
    result = poll(
        HealthConfig(deadline=60, supabase=health),
        [supabase_target(health)],
        notify=lambda a: lines.append(format_attempt(a)),
        clock=clock,
        sleep=clock.sleep,
        transport=httpx.MockTransport(handle),
    )
    assert not result.healthy and result.rounds == 1  # a refused token ends polling at once
    request = requests[0]
    assert request.headers["authorization"] == f"Bearer {CANARY}"
    assert str(request.url) == "https://api.test/v1/projects/abcdefghijklmnopqrst/health?services=db&services=auth"
    assert CANARY not in "\n".join(lines) + result.reason + repr(result) + json.dumps(result.to_dict())


# -- real servers ------------------------------------------------------------------------------------------------


@pytest.fixture
def local_app() -> Iterator[Callable[[int, bytes], str]]:
    """A real HTTP server on 127.0.0.1 whose answer a test sets."""
    state = {"status": 200, "body": b"ok"}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(int(state["status"]))  # type: ignore[call-overload]
            self.send_header("Content-Length", str(len(state["body"])))  # type: ignore[arg-type]
            self.end_headers()
            self.wfile.write(state["body"])  # type: ignore[arg-type]

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def set_answer(status: int, body: bytes) -> str:
        state.update(status=status, body=body)
        return f"http://127.0.0.1:{server.server_address[1]}/health"

    yield set_answer
    server.shutdown()
    server.server_close()


def test_polling_a_real_server_follows_its_answers(local_app: Callable[[int, bytes], str]) -> None:
    url = local_app(200, b'{"status": "ok"}')
    check = HealthCheck(url=url, json_field="status", json_value="ok")
    lines: list[str] = []
    result = poll(HealthConfig(deadline=5), [http_target(check)], notify=lambda a: lines.append(format_attempt(a)))
    assert result.healthy and len(lines) == 1 and "200 ok" in lines[0]
    local_app(500, b"boom")
    clock = FakeClock()
    result = poll(HealthConfig(deadline=2), [http_target(check)], clock=clock, sleep=clock.sleep)
    assert not result.healthy and "500, expected 200" in result.reason


def test_a_real_server_that_keeps_failing_gets_one_line_and_a_closing_summary(
    local_app: Callable[[int, bytes], str],
) -> None:
    url = local_app(500, b"boom")
    lines: list[str] = []
    config = HealthConfig(interval=0.05, deadline=0.5)
    clock = FakeClock()  # real answers, time that passes only between rounds: the same rounds on any machine
    notify = lambda e: lines.append(format_attempt(e))  # noqa: E731
    result = poll(config, [http_target(HealthCheck(url=url))], notify=notify, clock=clock, sleep=clock.sleep)
    assert not result.healthy and result.rounds > 2
    assert len(lines) == 2 and lines[0].startswith(f"  health #1 FAIL {url}: 500, expected 200 (")
    seconds = round(result.seconds, 1)
    assert lines[1] == f"  health: still failing after {seconds:g} s, {result.rounds} polls: {url}: 500, expected 200"


def test_the_sandbox_project_reports_healthy_services(sandbox: Any) -> None:
    """The session's sandbox (tests/conftest.py) answers like the Management API; its token is the canary."""
    health = SupabaseHealth(
        services=("db", "auth", "rest"), project_ref=sandbox.ref, api_url=sandbox.api_url, token=Secret(sandbox.token)
    )
    lines: list[str] = []
    result = poll(
        HealthConfig(deadline=10, supabase=health),
        [supabase_target(health)],
        notify=lambda a: lines.append(format_attempt(a)),
    )
    assert result.healthy, result.reason
    print("\n".join(lines))  # captured output is searched for the canary token
    wrong = SupabaseHealth(
        services=("db",), project_ref=sandbox.ref, api_url=sandbox.api_url, token=Secret("sbp_wrong")
    )
    refused = poll(HealthConfig(deadline=10, supabase=wrong), [supabase_target(wrong)])
    assert not refused.healthy and refused.rounds == 1 and "refused" in refused.reason
