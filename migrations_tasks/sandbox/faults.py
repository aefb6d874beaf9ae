"""What the sandbox does wrong on purpose, to rehearse a bad day: rate limits, 503s, lost answers, latency.

It also imitates what postgres-meta may put around a query: ``statement_timeout_prefix`` prepends
``SET statement_timeout='Ns'; SET idle_session_timeout='Ns';`` to every query, as postgres-meta does
when its caller passes a statement timeout (the user's SQL then runs in an implicit transaction block).
"""

from __future__ import annotations

import collections
import math
import random
import threading
import time
from dataclasses import dataclass, field

#: The budget the rate-limit headers show when no limit is set (Supabase: 120 per minute).
NOMINAL_LIMIT = 120


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


@dataclass(frozen=True)
class Admission:
    """Whether the rate limit lets a request go on, and the budget its answer's headers show."""

    admitted: bool
    limit: int
    remaining: int
    reset: int  # seconds until the window frees a request

    @property
    def headers(self) -> dict[str, str]:
        """Return the ``X-RateLimit-*`` headers every API answer carries."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


class RateWindow:
    """A rolling one-minute request log."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._times: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def admit(self) -> Admission:
        """Record a request; return whether it is admitted, and the budget left."""
        now = time.monotonic()
        limit = self.limit or NOMINAL_LIMIT
        with self._lock:
            while self._times and now - self._times[0] >= self.window:
                self._times.popleft()
            if self.limit and len(self._times) >= self.limit:
                reset = max(1, math.ceil(self.window - (now - self._times[0])))
                return Admission(False, limit, 0, reset)
            if self.limit:
                self._times.append(now)
                remaining = self.limit - len(self._times)
                reset = max(1, math.ceil(self.window - (now - self._times[0])))
            else:
                remaining, reset = limit, math.ceil(self.window)
            return Admission(True, limit, remaining, reset)
