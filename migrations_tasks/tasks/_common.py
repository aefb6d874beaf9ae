"""What every task shares: settings from the context, the reporter, errors turned into exit codes."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from invoke.context import Context
from invoke.exceptions import Exit

from ..errors import MigrationsTasksError
from ..report import Reporter
from ..settings import Settings, load_settings


def settings(c: Context, require_database: bool = True, **flags: Any) -> Settings:
    """Return validated settings from the task's flags, the environment, .env and Invoke config."""
    return load_settings(getattr(c, "config", None), flags=flags, dotenv_path=Path(".env"),
                         require_database=require_database)


@contextmanager
def exits(reporter: Reporter) -> Iterator[None]:
    """Turn foreseeable errors into a message and Invoke's Exit with the documented code."""
    try:
        yield
    except MigrationsTasksError as exc:
        reporter.error(exc)
        raise Exit(code=exc.exit_code) from None
    except KeyboardInterrupt:
        reporter.error(MigrationsTasksError(
            "Aborted. A request that was in flight either committed as a whole or not at all.",
            hint="Run db.check to see where the database is, then run the task again."))
        raise Exit(code=130) from None


class StopFlag:
    """Remembers SIGINT/SIGTERM so a run can stop at the next migration boundary."""

    def __init__(self) -> None:
        self.signal_number: int | None = None

    def __call__(self) -> bool:
        return self.signal_number is not None


@contextmanager
def stop_at_boundary(reporter: Reporter) -> Iterator[StopFlag]:
    """While inside, SIGINT/SIGTERM finish the request in flight, then stop; a second signal aborts."""
    flag = StopFlag()
    previous: dict[signal.Signals, Any] = {}

    def handler(signum: int, frame: object) -> None:
        if flag.signal_number is not None:
            signal.signal(signum, previous.get(signal.Signals(signum), signal.SIG_DFL))
            raise KeyboardInterrupt
        flag.signal_number = signum
        reporter.progress(f"\n{signal.Signals(signum).name} received: stopping after the migration in "
                          "flight is settled (send it again to abort at once).")

    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, handler)
    except ValueError:  # not the main thread: no signal handling
        previous = {}
    try:
        yield flag
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
