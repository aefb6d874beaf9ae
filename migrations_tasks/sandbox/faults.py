"""What the sandbox does wrong on purpose, to rehearse a bad day: rate limits, 503s, lost answers, latency."""

from __future__ import annotations

import collections
import math
import threading
import time
from dataclasses import dataclass

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


class RateWindow:
    """A rolling one-minute request log."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._times: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def admit(self) -> tuple[bool, int, int, int]:
        """Record a request; return (admitted, limit, remaining, reset seconds)."""
        now = time.monotonic()
        limit = self.limit or NOMINAL_LIMIT
        with self._lock:
            while self._times and now - self._times[0] >= self.window:
                self._times.popleft()
            if self.limit and len(self._times) >= self.limit:
                reset = max(1, math.ceil(self.window - (now - self._times[0])))
                return False, limit, 0, reset
            if self.limit:
                self._times.append(now)
                remaining = self.limit - len(self._times)
                reset = max(1, math.ceil(self.window - (now - self._times[0])))
            else:
                remaining, reset = limit, math.ceil(self.window)
            return True, limit, remaining, reset
