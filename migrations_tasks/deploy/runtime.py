"""What a deploy takes from the world besides hosts and files: time, waiting, HTTP, and stop requests.

The operations (:mod:`~migrations_tasks.deploy.operations`) take one :class:`Runtime` instead of a keyword
argument per injected callable; its defaults are the real clock. Tests pass their own, e.g.
``Runtime(clock=fake, sleep=fake.sleep, http_transport=httpx.MockTransport(...))``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..progress import ShouldStop, never

if TYPE_CHECKING:
    import httpx


def utcnow() -> dt.datetime:
    """Return the current time, timezone-aware, in UTC."""
    return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class Runtime:
    """The injected callables of a deploy, rollback, status, unlock or health check."""

    #: Wall-clock time: release ids, lock and log timestamps, the age of a held lock.
    now: Callable[[], dt.datetime] = utcnow
    #: Monotonic seconds: durations and the health deadline.
    clock: Callable[[], float] = time.monotonic
    #: Waits between health rounds.
    sleep: Callable[[float], None] = time.sleep
    #: The httpx transport of the health checks (None: the network).
    http_transport: httpx.BaseTransport | None = None
    #: Returns a signal number once someone asked the run to stop (checked at a deploy's safe points).
    should_stop: ShouldStop = never
