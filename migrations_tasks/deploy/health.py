"""Health checks: poll URLs (and the Supabase project's health) until healthy or out of time.

Three layers, so the decisions are tested without a network or a clock:

- judging (pure): :func:`judge_http` and :func:`judge_supabase` turn a status and a body into a
  :class:`Verdict`;
- probing (I/O): one request with httpx, errors turned into verdicts (``connection refused``...);
- polling: :func:`poll` runs rounds until ``healthy_after`` consecutive rounds pass (healthy) or the
  deadline passes (unhealthy); ``clock`` and ``sleep`` are injectable.

What polling reports (``notify``) is short: a target's first answer and each change (``FAIL`` to ``ok``,
or another reason), and while it keeps failing the same way a :class:`Summary` every
:data:`SUMMARY_EVERY` seconds and at the end (``still failing after 5 s, 10 polls: connection refused``).
With ``verbose`` every attempt is reported. The result holds every attempt either way.

A verdict is ``final`` when asking again cannot help (the Supabase token was refused): polling stops early.
The Supabase token travels only in the Authorization header; nothing here prints or stores it.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from ..progress import ShouldStop, never
from ..wording import plural
from .config import HealthCheck, HealthConfig, SupabaseHealth

if TYPE_CHECKING:
    import httpx

HEALTHY = "ACTIVE_HEALTHY"
MAX_BODY = 1_000_000
#: Seconds between two "still failing" lines of a target that keeps failing the same way.
SUMMARY_EVERY = 5.0


@dataclass(frozen=True)
class Verdict:
    """Whether one answer counts as healthy, and why (short)."""

    ok: bool
    detail: str
    final: bool = False


@dataclass(frozen=True)
class Attempt:
    """One request of one round."""

    round: int
    target: str
    ok: bool
    detail: str
    milliseconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "target": self.target,
            "ok": self.ok,
            "detail": self.detail,
            "ms": round(self.milliseconds, 1),
        }


@dataclass(frozen=True)
class Summary:
    """A target that keeps failing the same way: since when, how many polls, and why (instead of each poll)."""

    target: str
    seconds: float
    polls: int
    detail: str


#: What polling reports: an attempt worth showing, or a summary of the failing ones it did not show.
HealthEvent: TypeAlias = Attempt | Summary


@dataclass(frozen=True)
class HealthResult:
    """The outcome of polling: healthy or not, every attempt, and the last reason for failing."""

    healthy: bool
    rounds: int
    attempts: tuple[Attempt, ...] = ()
    seconds: float = 0.0
    reason: str = ""
    targets: tuple[str, ...] = field(default=())
    #: The signal (SIGINT / SIGTERM) that stopped polling before the checks passed, if one did.
    stopped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "healthy": self.healthy,
            "stopped": self.stopped,
            "rounds": self.rounds,
            "seconds": round(self.seconds, 3),
            "reason": self.reason,
            "targets": list(self.targets),
            "attempts": [a.to_dict() for a in self.attempts],
        }


# -- judging (pure) ------------------------------------------------------------------------------------


_MISSING = object()


def json_lookup(data: Any, dotted: str) -> Any:
    """Return ``data[a][b][0]...`` for ``a.b.0``, or a sentinel when absent (see :func:`json_has`)."""
    value = data
    for part in dotted.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def same_value(actual: Any, expected: Any) -> bool:
    """Return whether a JSON value equals an expected one from YAML (``true`` is not ``1``)."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and actual is expected
    if isinstance(expected, str) and not isinstance(actual, str):
        return json.dumps(actual) == expected
    return bool(actual == expected)


def _short(value: Any, limit: int = 40) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def judge_http(check: HealthCheck, status: int, body: bytes) -> Verdict:
    """Return whether an answer meets the check: status, then body substring, then JSON field."""
    if status != check.status:
        return Verdict(False, f"{status}, expected {check.status}")
    text = body.decode("utf-8", "replace")
    if check.body_contains is not None and check.body_contains not in text:
        return Verdict(False, f"{status}, body lacks {check.body_contains!r}")
    if check.json_field is not None:
        try:
            data = json.loads(text)
        except ValueError:
            return Verdict(False, f"{status}, body is not JSON")
        value = json_lookup(data, check.json_field)
        if value is _MISSING or value is None:
            return Verdict(False, f"{status}, no {check.json_field} in the JSON")
        if check.json_value is not None and not same_value(value, check.json_value):
            expected = _short(check.json_value)
            return Verdict(False, f"{status}, {check.json_field} = {_short(value)}, expected {expected}")
    return Verdict(True, f"{status} ok")


def judge_supabase(services: Sequence[str], status: int, body: bytes) -> Verdict:
    """Return whether the project's health answer lists every service as ACTIVE_HEALTHY."""
    if status in (401, 403):
        return Verdict(False, f"{status}: the access token was refused (check SUPABASE_ACCESS_TOKEN)", final=True)
    if status == 404:
        return Verdict(False, "404: no such project (check SUPABASE_PROJECT_REF)", final=True)
    if status != 200:
        return Verdict(False, f"{status}, expected 200")
    try:
        data = json.loads(body)
    except ValueError:
        return Verdict(False, "200, body is not JSON")
    if not isinstance(data, list):
        return Verdict(False, "200, body is not a list of services")
    seen = {str(item.get("name")): str(item.get("status")) for item in data if isinstance(item, dict)}
    bad = [f"{s} {seen.get(s, 'missing')}" for s in services if seen.get(s) != HEALTHY]
    if bad:
        return Verdict(False, "not healthy: " + ", ".join(bad))
    return Verdict(True, f"{len(services)} service{'s' if len(services) != 1 else ''} {HEALTHY}")


# -- probing (I/O) -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Something to poll: a label for output and a probe."""

    label: str
    probe: Callable[[httpx.Client, float], Verdict]


def _transport_verdict(exc: Exception) -> Verdict:
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return Verdict(False, "timed out")
    if isinstance(exc, httpx.ConnectError):
        text = str(exc).lower()
        return Verdict(False, "connection refused" if "refused" in text else "cannot connect")
    if isinstance(exc, httpx.RemoteProtocolError):
        return Verdict(False, "connection closed without an answer")
    if isinstance(exc, httpx.HTTPError):
        return Verdict(False, type(exc).__name__)
    raise exc


def _get(client: httpx.Client, url: str, timeout: float, **kwargs: Any) -> tuple[int, bytes]:
    with client.stream("GET", url, timeout=timeout, **kwargs) as response:
        body = b""
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) >= MAX_BODY:
                break
        return response.status_code, body


def http_target(check: HealthCheck) -> Target:
    """Return a target that GETs the check's URL."""

    def probe(client: httpx.Client, timeout: float) -> Verdict:
        import httpx

        try:
            status, body = _get(client, check.url, timeout)
        except httpx.HTTPError as exc:
            return _transport_verdict(exc)
        return judge_http(check, status, body)

    label = f"{check.host} {check.url}" if check.host else check.url
    return Target(label=label, probe=probe)


def supabase_target(health: SupabaseHealth) -> Target:
    """Return a target that asks the Management API for the project's health."""

    def probe(client: httpx.Client, timeout: float) -> Verdict:
        import httpx

        from .._version import __version__

        headers = {"Authorization": f"Bearer {health.token.reveal()}", "User-Agent": f"migrations-tasks/{__version__}"}
        try:
            status, body = _get(
                client, health.url, timeout, params=[("services", s) for s in health.services], headers=headers
            )
        except httpx.HTTPError as exc:
            return _transport_verdict(exc)
        return judge_supabase(health.services, status, body)

    return Target(label=f"supabase {health.project_ref} ({', '.join(health.services)})", probe=probe)


def targets_for(config: HealthConfig, checks: Sequence[HealthCheck] | None = None) -> list[Target]:
    """Return every target of a health configuration (``checks`` replaces the configured URLs)."""
    chosen = config.checks if checks is None else checks
    targets = [http_target(c) for c in chosen]
    if config.supabase is not None:
        targets.append(supabase_target(config.supabase))
    return targets


# -- polling ------------------------------------------------------------------------------------------


def format_attempt(event: HealthEvent) -> str:
    """Return one compact line: ``  health #3 FAIL http://h/health: 503, expected 200 (4 ms)``, or a summary."""
    if isinstance(event, Summary):
        return (
            f"  health: still failing after {round(event.seconds, 1):g} s, {plural(event.polls, 'poll')}: "
            f"{event.target}: {event.detail}"
        )
    mark = "ok  " if event.ok else "FAIL"
    return f"  health #{event.round} {mark} {event.target}: {event.detail} ({event.milliseconds:.0f} ms)"


@dataclass
class _Seen:
    """What was last reported about one target, and its current run of failures."""

    shown: tuple[bool, str] | None = None
    failing_since: float = 0.0
    polls: int = 0
    hidden: int = 0
    #: When the next summary is due: every ``SUMMARY_EVERY`` seconds from the first failure of the run.
    due: float = 0.0


@dataclass
class Condenser:
    """Turns attempts into progress: changes and periodic summaries, or (``verbose``) every attempt."""

    notify: Callable[[HealthEvent], None]
    verbose: bool = False
    every: float = SUMMARY_EVERY
    seen: dict[str, _Seen] = field(default_factory=dict)

    def attempt(self, attempt: Attempt, began: float, now: float) -> None:
        """Report ``attempt`` (made from ``began`` to ``now``) if it says something new, or summarise."""
        if self.verbose:
            self.notify(attempt)
            return
        seen = self.seen.setdefault(attempt.target, _Seen())
        if attempt.ok:
            seen.polls = 0
        elif seen.polls == 0:
            seen.failing_since, seen.due, seen.polls = began, began + self.every, 1
        else:
            seen.polls += 1
        if (attempt.ok, attempt.detail) != seen.shown:
            seen.shown, seen.hidden = (attempt.ok, attempt.detail), 0
            self.notify(attempt)
        elif not attempt.ok:
            seen.hidden += 1
            if now >= seen.due:
                self._summary(attempt.target, seen, now)
        if seen.polls and now >= seen.due:  # the next one from the next multiple of ``every``
            seen.due += self.every * (1 + (now - seen.due) // self.every)

    def finish(self, now: float) -> None:
        """Summarise the failures not reported yet (polling ended)."""
        for target, seen in self.seen.items():
            if seen.hidden and seen.polls:
                self._summary(target, seen, now)

    def _summary(self, target: str, seen: _Seen, now: float) -> None:
        seen.hidden = 0
        detail = seen.shown[1] if seen.shown else ""
        self.notify(Summary(target, now - seen.failing_since, seen.polls, detail))


def poll(
    config: HealthConfig,
    targets: Sequence[Target],
    *,
    notify: Callable[[HealthEvent], None] | None = None,
    verbose: bool = False,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    transport: httpx.BaseTransport | None = None,
    should_stop: ShouldStop = never,
) -> HealthResult:
    """Poll every target each round until ``healthy_after`` rounds in a row pass, or the deadline passes.

    A stop request (``should_stop``, checked before each request and during the waits, every 0.1 s) ends
    polling at once: the result is unhealthy, ``stopped`` names the signal. Otherwise at least one round
    runs. Each request's timeout is the configured one, cut short by the deadline. Rounds start
    ``interval`` seconds apart at most; the last one runs at the deadline.
    ``notify`` hears of changes and summaries (:class:`Condenser`), of every attempt with ``verbose``.
    """
    import httpx

    labels = tuple(t.label for t in targets)
    if not targets:
        return HealthResult(healthy=True, rounds=0, reason="nothing to check", targets=labels)
    attempts: list[Attempt] = []
    condenser = Condenser(notify or (lambda event: None), verbose)
    streak = rounds = 0
    reason = ""
    with httpx.Client(transport=transport, follow_redirects=False) as client:
        start = clock()  # the client is ready (loading certificates takes a while): the deadline starts
        ends = start + config.deadline
        while True:
            rounds += 1
            round_start = clock()
            probed = _round(client, targets, rounds, (config.timeout, ends), clock, condenser, attempts, should_stop)
            if probed is None:  # a stop request came before the round was done
                return _stopped(should_stop(), condenser, attempts, rounds - 1, (start, clock()), labels)
            failures, final = probed
            if failures:
                streak = 0
                reason = "; ".join(failures)
            else:
                streak += 1
                if streak >= config.healthy_after:
                    return HealthResult(True, rounds, tuple(attempts), clock() - start, "", labels)
            now = clock()
            if final or now >= ends:
                condenser.finish(now)
                if not failures:
                    reason = (
                        f"healthy in {plural(streak, 'round')} in a row at the deadline; {config.healthy_after} needed"
                    )
                return HealthResult(False, rounds, tuple(attempts), now - start, reason, labels)
            if _wait(max(0.0, min(config.interval - (now - round_start), ends - now)), clock, sleep, should_stop):
                return _stopped(should_stop(), condenser, attempts, rounds, (start, clock()), labels)


def _round(
    client: httpx.Client,
    targets: Sequence[Target],
    number: int,
    limits: tuple[float, float],
    clock: Callable[[], float],
    condenser: Condenser,
    attempts: list[Attempt],
    should_stop: ShouldStop,
) -> tuple[list[str], bool] | None:
    """Probe every target once; return the failures and whether one is final (None: a stop request came).

    ``limits``: the configured timeout and the deadline, which cuts each request's timeout short.
    """
    failures: list[str] = []
    final = False
    for target in targets:
        if should_stop():
            return None
        began = clock()
        verdict = target.probe(client, max(0.05, min(limits[0], limits[1] - began)))
        done = clock()
        attempt = Attempt(number, target.label, verdict.ok, verdict.detail, (done - began) * 1000)
        attempts.append(attempt)
        condenser.attempt(attempt, began, done)
        if not verdict.ok:
            failures.append(f"{target.label}: {verdict.detail}")
            final = final or verdict.final
    return failures, final


def _wait(seconds: float, clock: Callable[[], float], sleep: Callable[[float], None], should_stop: ShouldStop) -> int:
    """Sleep ``seconds`` in slices of 0.1 s; return the signal that asked to stop meanwhile (0: none)."""
    if should_stop is never:  # nobody can ask: one sleep
        sleep(seconds)
        return 0
    ends = clock() + seconds
    while not should_stop():
        left = ends - clock()
        if left <= 0:
            return 0
        sleep(min(0.1, left))
    return should_stop()


def _stopped(
    signum: int,
    condenser: Condenser,
    attempts: list[Attempt],
    rounds: int,
    span: tuple[float, float],
    labels: tuple[str, ...],
) -> HealthResult:
    """Return the unhealthy result of polling that a signal ended (``span``: start, now) before the checks passed."""
    name = signal.Signals(signum).name
    condenser.finish(span[1])
    reason = f"stopped by {name} before the health checks passed"
    return HealthResult(False, rounds, tuple(attempts), span[1] - span[0], reason, labels, stopped=name)
