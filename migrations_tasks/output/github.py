"""GitHub Actions output: log groups, masks, annotations, the step summary and step outputs.

Active only when ``GITHUB_ACTIONS=true``; everywhere else every function here does nothing, so the
tasks can call them unconditionally. Workflow commands go to stdout, or to stderr once a task asked for
one JSON document on stdout (:func:`commands_to`): the runner reads workflow commands from both. The
summary and outputs go to the files GitHub names in ``GITHUB_STEP_SUMMARY`` and ``GITHUB_OUTPUT``.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import IO, cast

from .. import untrusted
from . import streams


def active(environ: Mapping[str, str] | None = None) -> bool:
    """Return True inside a GitHub Actions job."""
    return (environ if environ is not None else os.environ).get("GITHUB_ACTIONS") == "true"


_commands: list[IO[str] | None] = [None]


def commands_to(stream: IO[str] | None) -> None:
    """Send later workflow commands to ``stream`` (None: stdout), so that stdout can stay pure JSON.

    ``sys.stderr`` itself is remembered as "whatever sys.stderr is then", not as the object it is now: a
    later caller in the same process (the gate called from Python, a test) may have replaced it.
    """
    _commands[0] = _STDERR if stream is sys.stderr else stream


class _CurrentStderr:
    """Stands for sys.stderr as it is when a command is written."""


_STDERR: IO[str] = cast(IO[str], _CurrentStderr())


def _stream(out: IO[str] | None) -> IO[str]:
    chosen = out or _commands[0]
    if chosen is _STDERR:
        return sys.stderr
    return chosen or sys.stdout


def _command(line: str, out: IO[str] | None) -> None:
    """Send one workflow command: the only way a line starting with ``::`` leaves a task (see streams)."""
    streams.write_command(_stream(out), line)


def _escape_data(text: str) -> str:
    """Return a command's data with hidden characters shown (:mod:`migrations_tasks.untrusted`), %-escaped."""
    return _escape_raw(untrusted.escape_lines(text))


def _escape_raw(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def mask(values: Iterable[str | None], out: IO[str] | None = None) -> None:
    """Ask the runner to hide these values in every later log line (``::add-mask::``)."""
    if not active():
        return
    for value in values:
        if value:
            for line in value.splitlines() or [value]:
                if line.strip():
                    _command(f"::add-mask::{_escape_raw(line)}", out)


@contextmanager
def group(title: str, out: IO[str] | None = None) -> Iterator[None]:
    """Fold everything printed inside into one collapsible log group."""
    if not active():
        yield
        return
    _command(f"::group::{_escape_data(title)}", out)
    try:
        yield
    finally:
        _command("::endgroup::", out)


def annotate(
    level: str,
    message: str,
    *,
    file: str | None = None,
    line: int | None = None,
    column: int | None = None,
    title: str | None = None,
    out: IO[str] | None = None,
) -> None:
    """Emit an ``::error``/``::warning``/``::notice`` annotation, pinned to a file and line when known."""
    if not active():
        return
    props = []
    if file:
        props.append(f"file={_escape_property(file)}")
    if line:
        props.append(f"line={line}")
    if column:
        props.append(f"col={column}")
    if title:
        props.append(f"title={_escape_property(title)}")
    head = f"::{level} {','.join(props)}" if props else f"::{level}"
    _command(f"{head}::{_escape_data(message)}", out)


def summary(markdown: str) -> None:
    """Append Markdown to the job's step summary."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not active() or not path:
        return
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(markdown.rstrip("\n") + "\n")


def set_outputs(values: Mapping[str, str]) -> None:
    """Write step outputs (``name=value``; multi-line values with a random delimiter)."""
    path = os.environ.get("GITHUB_OUTPUT")
    if not active() or not path:
        return
    with open(path, "a", encoding="utf-8") as handle:
        for name, value in values.items():
            if "\n" in value or "\r" in value:
                delimiter = f"EOF_{secrets.token_hex(8)}"
                handle.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
            else:
                handle.write(f"{name}={value}\n")
