"""``db.new``: a new migration file named by the Supabase CLI's rule, with an empty down block to fill.

The file is ``<UTC YYYYMMDDHHMMSS>_<name>.sql`` (what ``supabase migration new`` writes, and what
:data:`migrations_tasks.history.migrations.FILE_RE` discovers). The name is lower-cased, runs of spaces and dashes
become ``_``; an empty name, a path separator or a control character is refused. When the version is taken
the next free second is used. Everything here but :func:`create` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..errors import MigrationFileError, Refused
from ..history.migrations import FILE_RE

VERSION_FORMAT = "%Y%m%d%H%M%S"
_SEPARATORS = re.compile(r"[\s\-]+")
_REFUSED = re.compile(r"[/\\\x00-\x1f\x7f]")
NAME_HINT = "Give a short name such as `add_profiles` (letters, digits and underscores read best)."


def normalise_name(raw: str) -> str:
    """Return the file-name part of a migration name: lower-case, spaces and dashes as ``_``."""
    text = raw.strip()
    if text.lower().endswith(".sql"):
        text = text[:-4].rstrip()
    if _REFUSED.search(text):
        what = "a path separator" if re.search(r"[/\\]", text) else "a control character"
        raise Refused(f"The migration name {raw!r} contains {what}.", hint=NAME_HINT)
    name = _SEPARATORS.sub("_", text.lower()).strip("_")
    if not name:
        raise Refused("The migration name is empty.", hint=NAME_HINT)
    return name


def taken_versions(names: Iterable[str]) -> set[str]:
    """Return the versions of the file names that follow the ``<version>_<name>.sql`` rule."""
    return {match.group(1) for match in map(FILE_RE.match, names) if match}


def next_version(now: datetime, taken: Iterable[str], *, after: str | None = None) -> str:
    """Return ``now`` as a UTC version, moved on one second at a time past taken versions (and ``after``)."""
    moment = now.astimezone(timezone.utc).replace(microsecond=0, tzinfo=None)
    used = set(taken)
    if after is not None and len(after) == 14 and after.isdigit():
        moment = max(moment, datetime.strptime(after, VERSION_FORMAT) + timedelta(seconds=1))
    while moment.strftime(VERSION_FORMAT) in used:
        moment += timedelta(seconds=1)
    return moment.strftime(VERSION_FORMAT)


def free_version(directory: Path, versions: Iterable[str], now: datetime) -> str:
    """Return a version no file in ``directory`` takes, newer than every 14-digit one of ``versions``."""
    try:
        names = [p.name for p in directory.iterdir()]
    except OSError:
        names = []
    known = [v for v in versions if len(v) == 14 and v.isdigit()]
    return next_version(now, taken_versions(names), after=max(known, default=None))


def file_name(version: str, name: str) -> str:
    """Return the migration's file name."""
    return f"{version}_{name}.sql"


def template(name: str, now: datetime) -> str:
    """Return the text of a new migration: a short header and an empty, commented down block."""
    stamp = now.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return (
        f"-- {name}\n"
        f"-- Created by inv db.new on {stamp}. Write the change below; inv db.apply (or supabase db push) runs it.\n"
        "\n"
        "\n"
        "-- The SQL that undoes it, for inv db.rollback: below the marker, every line commented with `--`\n"
        "-- (supabase db push ignores it). Until you write it, inv db.rollback refuses to roll this back.\n"
        "-- migrate:down\n"
    )


def create(directory: Path, raw_name: str, now: datetime) -> Path:
    """Write a new migration file in ``directory`` (made when missing); return its path."""
    name = normalise_name(raw_name)
    if directory.exists() and not directory.is_dir():
        raise MigrationFileError(
            f"{directory} is not a directory.", path=str(directory), hint="--migrations-dir must name a directory."
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
        existing = [p.name for p in directory.iterdir()]
    except OSError as exc:
        raise MigrationFileError(
            f"Cannot use {directory} for migrations: {exc.strerror}.",
            path=str(directory),
            hint="Check the path (--migrations-dir) and its permissions.",
        ) from None
    taken = taken_versions(existing)
    while True:
        version = next_version(now, taken)
        path = directory / file_name(version, name)
        try:
            with path.open("x", encoding="utf-8", newline="\n") as handle:
                handle.write(template(name, now))
            return path
        except FileExistsError:
            taken.add(version)
        except OSError as exc:
            raise MigrationFileError(
                f"Cannot write {path}: {exc.strerror}.", path=str(path), hint="Check the directory's permissions."
            ) from None
