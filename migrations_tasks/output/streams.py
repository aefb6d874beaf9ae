"""Standard streams whose reader may leave: ``inv db.lint --json | head -c 600`` ends without a traceback.

When the reader of a pipe exits (``head`` has read enough), the next write to it raises
:class:`BrokenPipeError`. Python's documentation (the signal module's "Note on SIGPIPE") advises pointing
the stream's file descriptor at :data:`os.devnull`, so that nothing written later, the interpreter's last
flush included, reaches the closed pipe again. :func:`guarded` does that at the one place every write to
stdout and stderr passes through while a task runs: the task carries on with that stream's output
discarded, finishes what it was doing (a pipe closing never cuts an apply short) and exits with its own
documented code. Any other broken pipe (an ssh connection, a subprocess's stdin) is not a standard stream's
and still raises.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from typing import Any, TextIO, cast


class _Guarded:
    """A text stream that turns its reader's departure into silence (see the module docstring)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except BrokenPipeError:
            self._reader_left()
            return len(text)

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            self._reader_left()

    def _reader_left(self) -> None:
        """Point the stream's descriptor at os.devnull: later writes and flushes succeed and go nowhere."""
        with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):  # a stream without a descriptor
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, self.stream.fileno())
            finally:
                os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


@contextlib.contextmanager
def guarded() -> Iterator[None]:
    """While inside, writes to sys.stdout and sys.stderr survive their reader leaving (output discarded)."""
    before = sys.stdout, sys.stderr
    if isinstance(before[0], _Guarded) or isinstance(before[1], _Guarded):  # a task called by a task
        yield
        return
    sys.stdout, sys.stderr = cast(TextIO, _Guarded(before[0])), cast(TextIO, _Guarded(before[1]))
    try:
        yield
    finally:
        sys.stdout, sys.stderr = before
