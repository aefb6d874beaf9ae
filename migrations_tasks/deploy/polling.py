"""Poll health targets until healthy or out of time, and condense what is reported on the way.

:func:`poll` runs rounds until ``healthy_after`` consecutive rounds pass (healthy) or the deadline passes
(unhealthy); ``clock`` and ``sleep`` are injectable, so the decisions are tested without a clock. A stop
request (a signal) ends the wait at once. What polling reports (``notify``) is short: a target's first answer
and each change, and while it keeps failing the same way a summary every
:data:`~.health.SUMMARY_EVERY` seconds and at the end; with ``verbose`` every attempt.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..progress import ShouldStop, never
from ..wording import plural
from .config import HealthConfig

if TYPE_CHECKING:
    import httpx

from .health import SUMMARY_EVERY, Attempt, HealthEvent, HealthResult, Summary, Target


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
