"""The standard streams while a task runs: safe to read, and their reader may leave.

**Safe to read.** Every line a task prints may hold a name, a comment or an error text from a database
(:mod:`migrations_tasks.untrusted`). The guarded streams show every control, bidi and zero-width character
but line feeds and tabs as an escape (``\\x1b``, ``\\u202e``), so no text can move the terminal's cursor or
reorder a line; and no line reads as a GitHub workflow command (``::`` at its start, ``##[`` anywhere) but
those :func:`write_command` sends, the ones :mod:`.github` makes. A line's start is held back while it could
still become ``::`` (only whitespace and one colon so far).

**The reader may leave.** ``inv db.lint --json | head -c 600`` ends without a traceback.

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
from typing import IO, Any, TextIO, cast

from .. import untrusted


class _Guarded:
    """A text stream that shows hidden characters escaped, prints no workflow command it was not asked to,
    and turns its reader's departure into silence (see the module docstring)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        #: The start of the current line, held back while it may still become a workflow command.
        self.held = ""
        self.at_line_start = True

    def write(self, text: str) -> int:
        self._send(self._safe(text))
        return len(text)

    def _safe(self, text: str) -> str:
        """Return ``text`` escaped, every line that reads as a workflow command neutralised; hold back a
        line start too short to tell."""
        lines = (self.held + untrusted.escape_lines(text)).split("\n")
        self.held = ""
        starts = [self.at_line_start] + [True] * (len(lines) - 1)
        if starts[-1] and lines[-1] and lines[-1].lstrip(" \t") in ("", ":"):
            self.held, lines[-1] = lines[-1], ""
        out = "\n".join(
            untrusted.workflow_safe(line) if start else untrusted.workflow_safe_inside(line)
            for line, start in zip(lines, starts)
        )
        if out:
            self.at_line_start = out.endswith("\n")
        return out

    def write_command(self, line: str) -> None:
        """Write one workflow command of the tool's own, on a line of its own, as it is."""
        before = self.held + ("\n" if self.held or not self.at_line_start else "")
        self.held, self.at_line_start = "", True
        self._send(f"{before}{line}\n")
        self.flush()

    def _send(self, text: str) -> None:
        if not text:
            return
        try:
            self.stream.write(text)
        except BrokenPipeError:
            self._reader_left()

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            self._reader_left()

    def release(self) -> None:
        """Write out a held line start (the task is over; nothing more will follow it)."""
        held, self.held = self.held, ""
        self._send(held)
        self.flush()

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
    guards = _Guarded(before[0]), _Guarded(before[1])
    sys.stdout, sys.stderr = cast(TextIO, guards[0]), cast(TextIO, guards[1])
    try:
        yield
    finally:
        for guard in guards:
            guard.release()
        sys.stdout, sys.stderr = before


def write_command(stream: IO[str], line: str) -> None:
    """Write a workflow command (``line``, no line break) to ``stream``; through a guarded stream, as it is."""
    if isinstance(stream, _Guarded):
        stream.write_command(line)
    else:
        print(line, file=stream, flush=True)
