"""Health checks: poll URLs (and the Supabase project's health) until healthy or out of time.

Three layers, so the decisions are tested without a network or a clock:

- judging (pure): :func:`judge_http` and :func:`judge_supabase` turn a status and a body into a
  :class:`Verdict`;
- probing (I/O): one request with httpx, errors turned into verdicts (``connection refused``...);
- polling (:mod:`.polling`): :func:`~.polling.poll` runs rounds until ``healthy_after`` consecutive rounds
  pass (healthy) or the deadline passes (unhealthy); ``clock`` and ``sleep`` are injectable.

What polling reports (``notify``) is short: a target's first answer and each change (``FAIL`` to ``ok``,
or another reason), and while it keeps failing the same way a :class:`Summary` every
:data:`SUMMARY_EVERY` seconds and at the end (``still failing after 5 s, 10 polls: connection refused``).
With ``verbose`` every attempt is reported. The result holds every attempt either way.

A verdict is ``final`` when asking again cannot help (the Supabase token was refused): polling stops early.
The Supabase token travels only in the Authorization header; nothing here prints or stores it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

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
