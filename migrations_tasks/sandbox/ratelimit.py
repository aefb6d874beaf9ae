"""The Management API's rate limit: a rolling window of requests, and the ``X-RateLimit-*`` headers that tell it.

Over ``limit`` requests in the window the answer is 429 (no ``Retry-After``, as on api.supabase.com). Every
answer carries the budget: the limit, the requests left, and the seconds until the window frees one.
Without a limit (the default) nothing is refused and the headers show Supabase's nominal budget.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from dataclasses import dataclass

#: The budget the rate-limit headers show when no limit is set (Supabase: 120 per minute).
NOMINAL_LIMIT = 120
#: What the API answers (429) over the limit.
TOO_MANY_REQUESTS = {"message": "Too many requests"}


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
    """A rolling request log: at most ``limit`` requests (0: no limit) in ``window`` seconds."""

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
