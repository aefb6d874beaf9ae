"""A standard stream whose reader left: writes go to os.devnull from then on, without an exception."""

from __future__ import annotations

import os
import sys

import pytest

from migrations_tasks.output import streams


def test_guarded_points_a_closed_pipe_at_devnull_and_later_writes_succeed(monkeypatch: pytest.MonkeyPatch) -> None:
    read, write = os.pipe()
    stream = os.fdopen(write, "w")
    monkeypatch.setattr(sys, "stdout", stream)
    os.close(read)  # the reader leaves, as `head` does
    try:
        with streams.guarded():
            print("x" * 100_000, flush=True)
            print("and more", flush=True)
            assert sys.stdout is not stream
        assert sys.stdout is stream, "the stream is given back after the task"
        assert os.path.samestat(os.fstat(write), os.stat(os.devnull))
        stream.flush()  # the interpreter's last flush: nothing left to fail
    finally:
        stream.close()


def test_a_broken_pipe_that_is_not_a_standard_stream_still_raises() -> None:
    read, write = os.pipe()
    os.close(read)
    with streams.guarded(), pytest.raises(BrokenPipeError):
        os.write(write, b"x")  # an ssh connection or a subprocess's stdin, say: its failure is real
    os.close(write)
