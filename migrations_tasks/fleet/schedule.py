"""Run one job per target on threads: at most ``parallel`` at once, the canary first, ``--on-error`` honoured.

Each target has its own connection (so its own pacing on its project's ``X-RateLimit-*`` headers: the
Management API's limit is per project) and its own thread. What a target does is a *job*
(:mod:`.jobs`); the scheduler only decides when it starts and when it should stop:

* the first ``canary`` targets run first (in parallel up to ``parallel``); if any of them fails, no other
  target starts;
* ``on_error="stop"``: once a target fails, no new target starts, and the running ones are asked to stop
  at their next migration boundary (the engine's ``should_stop``); ``"continue"``: the others go on;
* a signal (``stop``, the task's :class:`~migrations_tasks.progress.StopRequest`) stops every target at a
  migration boundary, and starts no new one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TypeVar

from ..progress import ShouldStop, never
from .results import FleetOptions, RunStatus, TargetRun

T = TypeVar("T")
#: What ``should_stop`` answers a target once another target's failure stops the run (not a signal).
HALTED = -1
#: A job: run one target, stop at a boundary once ``should_stop()`` is non-zero, return its run.
Job = Callable[[T, ShouldStop], TargetRun]


def run_targets(
    targets: Sequence[T],
    job: Job[T],
    options: FleetOptions,
    *,
    label: Callable[[T], str],
    stop: ShouldStop = never,
    on_done: Callable[[TargetRun], None] = lambda run: None,
) -> list[TargetRun]:
    """Run ``job`` for every target; return their runs in the targets' order (not-started ones included)."""
    halt = threading.Event()
    reason: list[str] = []
    runs: list[TargetRun | None] = [None] * len(targets)
    done_lock = threading.Lock()

    def should_stop() -> int:
        return stop() or (HALTED if halt.is_set() else 0)

    def one(index: int) -> None:
        if should_stop():
            return  # recorded as not started below
        run = job(targets[index], should_stop)
        if run.status is RunStatus.STOPPED and not run.reason:
            run.reason = "stopped by a signal" if stop() else (reason[0] if reason else None)
        with done_lock:
            runs[index] = run
            if run.failed and (options.on_error == "stop" or index < options.canary) and not halt.is_set():
                why = "the canary" if index < options.canary else "a target"
                reason.append(f"{why} {run.name} failed")
                halt.set()
            on_done(run)

    canary = min(options.canary, len(targets))
    with ThreadPoolExecutor(max_workers=options.parallel, thread_name_prefix="fleet") as pool:
        for batch in (range(canary), range(canary, len(targets))):
            if should_stop():
                break
            for future in wait([pool.submit(one, index) for index in batch]).done:
                future.result()  # a job's unforeseen error is not lost in its thread
    for index, run in enumerate(runs):
        if run is None:
            why = "stopped by a signal" if stop() else (reason[0] if reason else "not started")
            runs[index] = TargetRun(name=label(targets[index]), status=RunStatus.NOT_STARTED, reason=why)
    return [run for run in runs if run is not None]
