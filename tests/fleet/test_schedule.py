"""The fleet's scheduler: parallel up to a limit, the canary first, --on-error, a signal stops every target."""

from __future__ import annotations

import threading

import pytest

from migrations_tasks.errors import ConfigError
from migrations_tasks.fleet.results import FleetOptions, RunStatus, TargetRun
from migrations_tasks.fleet.schedule import HALTED, run_targets
from migrations_tasks.progress import ShouldStop

NAMES = [f"t{i}" for i in range(6)]


def ok(name: str, should_stop: ShouldStop) -> TargetRun:
    return TargetRun(name=name, status=RunStatus.OK)


def failing(*bad: str):  # type: ignore[no-untyped-def]
    def job(name: str, should_stop: ShouldStop) -> TargetRun:
        if name in bad:
            return TargetRun(name=name, status=RunStatus.FAILED, exit_code=1, error="boom")
        return ok(name, should_stop)

    return job


def statuses(runs: list[TargetRun]) -> list[str]:
    return [str(run.status) for run in runs]


def test_targets_run_in_parallel_up_to_the_limit_and_report_in_their_order() -> None:
    together = threading.Barrier(3, timeout=10)  # breaks unless three jobs run at the same time
    running, most = [0], [0]
    lock = threading.Lock()

    def job(name: str, should_stop: ShouldStop) -> TargetRun:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        if name in NAMES[:3]:
            together.wait()
        with lock:
            running[0] -= 1
        return ok(name, should_stop)

    done: list[str] = []
    runs = run_targets(NAMES, job, FleetOptions(parallel=3), label=str, on_done=lambda r: done.append(r.name))
    assert [r.name for r in runs] == NAMES and statuses(runs) == ["ok"] * 6
    assert most[0] == 3 and sorted(done) == NAMES


def test_on_error_stop_starts_no_new_target_and_stops_running_ones_at_a_boundary() -> None:
    started, failed = threading.Event(), threading.Event()

    def job(name: str, should_stop: ShouldStop) -> TargetRun:
        if name == "t0":
            started.wait(10)  # t1 is running when t0 fails
            return TargetRun(name=name, status=RunStatus.FAILED, exit_code=1)
        started.set()
        failed.wait(10)
        assert should_stop() == HALTED
        return TargetRun(name=name, status=RunStatus.STOPPED, exit_code=1, stopped_at="3")

    runs = run_targets(NAMES, job, FleetOptions(parallel=2), label=str, on_done=lambda r: failed.set())
    assert statuses(runs) == ["failed", "stopped"] + ["not-started"] * 4
    assert runs[1].reason == runs[5].reason == "a target t0 failed"


def test_on_error_continue_runs_every_target_but_a_failing_canary_starts_no_other() -> None:
    options = FleetOptions(parallel=4, on_error="continue")
    assert statuses(run_targets(NAMES, failing("t1"), options, label=str)) == ["ok", "failed"] + ["ok"] * 4
    canary = FleetOptions(parallel=4, canary=2, on_error="continue")
    runs = run_targets(NAMES, failing("t1"), canary, label=str)
    assert statuses(runs) == ["ok", "failed"] + ["not-started"] * 4
    assert runs[2].reason == "the canary t1 failed"


def test_a_signal_stops_every_target_and_starts_no_new_one() -> None:
    signal = [0]

    def job(name: str, should_stop: ShouldStop) -> TargetRun:
        signal[0] = 15  # SIGTERM arrives while t0 runs
        assert should_stop() == 15
        return TargetRun(name=name, status=RunStatus.STOPPED, exit_code=143)

    runs = run_targets(NAMES, job, FleetOptions(parallel=1), label=str, stop=lambda: signal[0])
    assert statuses(runs) == ["stopped"] + ["not-started"] * 5
    assert {r.reason for r in runs} == {"stopped by a signal"}


def test_bad_fleet_flags_are_named_all_at_once() -> None:
    assert FleetOptions.read(None, None, None) == FleetOptions(4, 0, "stop")
    with pytest.raises(ConfigError) as caught:
        FleetOptions.read("many", -1, "panic")
    assert str(caught.value).splitlines() == [
        "--parallel must be a whole number of at least 1, not 'many'.",
        "--canary must be a whole number of at least 0, not -1.",
        "--on-error must be stop or continue, not 'panic'.",
    ]
