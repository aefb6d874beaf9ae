"""Run squawk (the binary of the ``squawk-cli`` wheel) once over some files and read its JSON.

Always: ``--reporter json``, ``--config /dev/null`` (no ``.squawk.toml`` found by walking up from the
current directory changes the result), ``--assume-in-transaction`` (the engine runs each migration in one
transaction), the PostgreSQL major version, ``--exclude`` for the rules that are off, and no standard input
(squawk reads stdin when it gets no path), and ``--include`` for the opt-in rules invoke.yaml gives a level.
squawk's own ignore comments (``-- squawk-ignore rule``, ``-- squawk-ignore-file``) would silence findings
with no reason given: a file that has one is linted from a copy where they are neutralised (same length,
so positions do not move), and :mod:`.ignores` reports them. Its positions are 0-based lines and 0-based
UTF-8 byte columns; :func:`run` returns them as they are. Nothing is downloaded: the binary comes with the
installed wheel.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sysconfig
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import MigrationsTasksError

TIMEOUT_SECONDS = 120.0
#: The rule squawk reports when its own parser fails; no other rule runs on that file.
SYNTAX_ERROR = "syntax-error"
#: squawk's own ignore comments (``-- squawk-ignore rule``, ``-- squawk-ignore-file``), which we do not honour.
OWN_IGNORE_RE = re.compile(r"(--|/\*)(\s*)squawk-ignore")


class SquawkError(MigrationsTasksError):
    """squawk could not run, or its answer could not be read (exit 3)."""


@dataclass(frozen=True)
class RawFinding:
    """One finding as squawk reports it (0-based line, 0-based byte column)."""

    file: str
    line: int
    column: int
    rule: str
    message: str
    help: str | None


def binary() -> str:
    """Return the path of the squawk binary the ``squawk-cli`` wheel installed."""
    name = "squawk.exe" if os.name == "nt" else "squawk"
    candidates = [Path(sysconfig.get_path("scripts")) / name]
    try:
        from importlib.metadata import PackageNotFoundError, distribution

        files = distribution("squawk-cli").files or []
        candidates += [Path(str(f.locate())) for f in files if f.name == name]
    except PackageNotFoundError:
        pass
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    raise SquawkError(
        "db.lint needs squawk, from the squawk-cli package, and it is not installed here.",
        hint="pip install 'squawk-cli>=2.70,<2.71' (it is a dependency of migrations-tasks; reinstall it).",
    )


def command(paths: Sequence[str], *, pg_version: int, exclude: Sequence[str], include: Sequence[str] = ()) -> list[str]:
    """Return the squawk command line for ``paths``."""
    args = [binary(), "--reporter", "json", "--config", os.devnull, "--assume-in-transaction"]
    args += ["--pg-version", str(pg_version)]
    if exclude:
        args += ["--exclude", ",".join(sorted(exclude))]
    if include:
        args += ["--include", ",".join(sorted(include))]
    return [*args, *paths]


def neutralise(text: str) -> str:
    """Return ``text`` with squawk's own ignore comments made inert (same length: positions do not move)."""
    return OWN_IGNORE_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}squawk-unused", text)


def _inputs(paths: Sequence[str], scratch: str) -> tuple[list[str], dict[str, str]]:
    """Return the paths to give squawk (copies without squawk's ignore comments), and copy -> original."""
    given, original = [], {}
    for number, path in enumerate(paths):
        try:
            raw = Path(path).read_bytes()
        except OSError:
            given.append(path)  # squawk reports what it cannot read
            continue
        if b"squawk-ignore" not in raw:
            given.append(path)
            continue
        text = raw.decode("utf-8", "surrogateescape")
        copy = Path(scratch) / str(number) / Path(path).name
        copy.parent.mkdir()
        copy.write_bytes(neutralise(text).encode("utf-8", "surrogateescape"))
        given.append(str(copy))
        original[str(copy)] = path
    return given, original


def decode(stdout: str) -> list[RawFinding]:
    """Return the findings of squawk's JSON reporter (raise SquawkError when it is not that)."""
    try:
        items: Any = json.loads(stdout)
    except ValueError:
        raise SquawkError("squawk's answer is not JSON.") from None
    if not isinstance(items, list):
        raise SquawkError("squawk's answer is not a JSON array of findings.")
    out = []
    for item in items:
        try:
            out.append(
                RawFinding(
                    str(item["file"]),
                    int(item["line"]),
                    int(item["column"]),
                    str(item["rule_name"]),
                    str(item["message"]),
                    str(item["help"]) if item.get("help") else None,
                )
            )
        except (KeyError, TypeError, ValueError):
            raise SquawkError(f"squawk reported a finding in an unknown shape: {str(item)[:200]}") from None
    return out


def run(
    paths: Sequence[str], *, pg_version: int, exclude: Sequence[str], include: Sequence[str] = ()
) -> list[RawFinding]:
    """Lint ``paths`` with one squawk process; return its findings (nothing is run for no path)."""
    if not paths:
        return []
    with tempfile.TemporaryDirectory(prefix="mt-squawk-") as scratch:
        given, original = _inputs(paths, scratch)
        found = _run(command(given, pg_version=pg_version, exclude=exclude, include=include))
    return [
        RawFinding(original.get(f.file, f.file), f.line, f.column, f.rule, f.message, f.help) if original else f
        for f in found
    ]


def _run(args: list[str]) -> list[RawFinding]:
    try:
        done = subprocess.run(
            args, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        raise SquawkError(f"squawk did not finish within {TIMEOUT_SECONDS:g}s.") from None
    except OSError as exc:
        raise SquawkError(f"squawk could not be started: {exc.strerror}.") from None
    if done.returncode not in (0, 1):
        raise SquawkError(f"squawk refused its arguments (exit {done.returncode}): {_tail(done.stderr)}")
    try:
        return decode(done.stdout)
    except SquawkError:
        if done.returncode == 1:  # a file it could not read, say: no JSON, the reason on stderr
            raise SquawkError(f"squawk could not lint the files: {_tail(done.stderr)}") from None
        raise


def _tail(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " ".join(lines[:3])[:400] or "no message"
