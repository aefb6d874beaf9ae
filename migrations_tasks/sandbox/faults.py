"""What the sandbox does wrong on purpose, to rehearse a bad day: rate limits, 503s, lost answers, latency.

The rate limit's own bookkeeping is :mod:`.ratelimit`; this module says how strict it is, which requests
fail or lose their answer, and how long each one waits.

It also imitates what postgres-meta may put around a query: ``statement_timeout_prefix`` prepends
``SET statement_timeout='Ns'; SET idle_session_timeout='Ns';`` to every query, as postgres-meta does
when its caller passes a statement timeout (the user's SQL then runs in an implicit transaction block).
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Faults:
    """What the sandbox does wrong on purpose."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    rate_limit: int = 0  # requests per rolling minute; 0 = unlimited
    fail_every: int = 0  # every Nth API request answers 503 without running its SQL
    drop_every: int = 0  # every Nth API request commits, then closes the connection unanswered
    rate_window: float = 60.0  # the rate limit's rolling window, in seconds (Supabase: one minute)
    fail_rate: float = 0.0  # each API request answers 503 without running its SQL with this probability
    seed: int | None = None  # the seed of fail_rate's random draws (None: a different run each time)
    statement_timeout_prefix: float = 0.0  # seconds; > 0 prefixes every query as postgres-meta may
    _random: random.Random = field(init=False, repr=False, compare=False)
    _random_lock: threading.Lock = field(init=False, repr=False, compare=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)  # noqa: S311 - fault injection, not security

    def delay(self) -> None:
        """Wait as a slow network would: ``latency_ms`` plus up to ``jitter_ms``."""
        if self.latency_ms or self.jitter_ms:
            time.sleep(max(0.0, self.latency_ms + random.uniform(0, self.jitter_ms)) / 1000)  # noqa: S311

    def fails(self, number: int) -> bool:
        """Return True when the API request ``number`` (1-based) answers 503 unrun (``fail_every``)."""
        return bool(self.fail_every) and number % self.fail_every == 0

    def drops(self, number: int) -> bool:
        """Return True when the API request ``number`` (1-based) loses its answer after running (``drop_every``)."""
        return bool(self.drop_every) and number % self.drop_every == 0

    def random_failure(self) -> bool:
        """Return True when this request should answer 503 (``fail_rate``), drawing from the seeded sequence."""
        if self.fail_rate <= 0:
            return False
        with self._random_lock:
            return self._random.random() < self.fail_rate

    def prefix(self) -> str:
        """Return what postgres-meta would put before the query (empty without ``statement_timeout_prefix``)."""
        if self.statement_timeout_prefix <= 0:
            return ""
        seconds = f"{self.statement_timeout_prefix:g}s"
        return f"SET statement_timeout='{seconds}'; SET idle_session_timeout='{seconds}';"
