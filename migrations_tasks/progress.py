"""How long-running work talks back to its caller: progress lines and stop requests (leaf).

* :data:`Notify` receives one line of text whenever a layer has something to say (a wait, a step, a
  warning); tasks pass the reporter's ``progress``.
* :class:`StopRequest` remembers that someone asked the run to stop (SIGINT / SIGTERM): calling it returns
  that signal's number, or 0. The database engine checks it at migration boundaries, a deploy at its safe
  points. The task layer installs the signal handlers (``tasks/_common.py``); nothing here touches signals.
"""

from __future__ import annotations

from collections.abc import Callable

Notify = Callable[[str], None]
#: Returns a signal number once a stop was asked for, else 0.
ShouldStop = Callable[[], int]


def quiet(text: str) -> None:
    """Notify nobody."""


def never() -> int:
    """Never ask to stop."""
    return 0


class StopRequest:
    """The signal that asked the run to stop (0: none yet); the engine and the deploy check it."""

    def __init__(self) -> None:
        self.signal_number = 0

    def ask(self, signal_number: int) -> None:
        """Record that ``signal_number`` asked the run to stop."""
        self.signal_number = signal_number

    def __call__(self) -> int:
        return self.signal_number
