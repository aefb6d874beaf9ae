"""What gets uploaded: the files of a build directory (or unpacked archive), filtered by include/exclude.

The list is computed here, once, so rsync (``--files-from``) and tar (``-T``) ship exactly the same
files. Patterns follow .gitignore's shape:

- a pattern without ``/`` matches a name at any depth (``node_modules``, ``*.log``);
- a pattern with a ``/`` is anchored at the build's root (``config/local.yml``, ``/docs``);
- ``*`` and ``?`` stay within one path segment, ``**`` crosses segments (``assets/**/*.map``);
- a trailing ``/`` matches directories only; a matched directory brings (or drops) its whole subtree.

Nothing is included unless it matches ``include`` (when given); ``exclude`` always wins. ``.git`` and
``.env*`` (``.env``, ``.env.local``, ``sub/.env.production``...) never ship, at any depth, whatever
``exclude`` says, unless an ``include`` pattern names them without a wildcard (``.env.example``,
``config/.env.defaults``). Symlinks are shipped as links, never followed.
"""

from __future__ import annotations

import os
import re
import stat
import tarfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import ConfigError
from .config import NEVER_SHIPPED

ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".zip")


@dataclass(frozen=True)
class Pattern:
    """One include/exclude pattern, compiled."""

    text: str
    regex: re.Pattern[str]
    anchored: bool
    directory_only: bool
    #: The last segment has no wildcard: the pattern names what it matches (``.env.example``).
    literal: bool = False

    def matches(self, path: str, is_dir: bool) -> bool:
        """Return whether ``path`` (relative, POSIX) matches."""
        if self.directory_only and not is_dir:
            return False
        subject = path if self.anchored else path.rsplit("/", 1)[-1]
        return bool(self.regex.fullmatch(subject))

    def names(self, path: str, is_dir: bool) -> bool:
        """Return whether the pattern names ``path`` itself, without a wildcard."""
        return self.literal and self.matches(path, is_dir)


def _translate(glob: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(glob):
        ch = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = glob.find("]", i + 2)
            if end == -1:
                out.append(re.escape(ch))
            else:
                body = glob[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body.replace(chr(92), chr(92) * 2)}]")
                i = end + 1
                continue
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def compile_pattern(text: str) -> Pattern:
    """Return a compiled pattern, or raise ConfigError for an empty or broken one."""
    raw = text.strip()
    directory_only = raw.endswith("/")
    body = raw.rstrip("/")
    anchored = "/" in body
    body = body.lstrip("/")
    if not body:
        raise ConfigError(
            f"deploy include/exclude pattern {text!r} matches nothing useful.",
            hint="Use names such as 'node_modules', '*.log' or paths such as 'config/local.yml'.",
        )
    try:
        regex = re.compile(_translate(body))
    except re.error as exc:
        raise ConfigError(f"deploy include/exclude pattern {text!r} is not valid ({exc}).") from None
    literal = not any(ch in body.rsplit("/", 1)[-1] for ch in "*?[")
    return Pattern(text=text, regex=regex, anchored=anchored, directory_only=directory_only, literal=literal)


@dataclass(frozen=True)
class Bundle:
    """The entries to ship from ``root``: relative POSIX paths, each directory before what it holds."""

    root: Path
    entries: tuple[str, ...]
    files: int
    size: int

    def describe(self) -> str:
        """Return e.g. ``12 files, 3.4 MB from dist/``."""
        return f"{self.files} file{'s' if self.files != 1 else ''}, {_size(self.size)} from {self.root}"

    def list_bytes(self) -> bytes:
        """Return the NUL-separated list for ``rsync --from0 --files-from`` and ``tar --null -T``."""
        return b"".join(os.fsencode(e) + b"\0" for e in self.entries)


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"


@dataclass(frozen=True)
class Rules:
    """The include/exclude patterns of a deploy, and the files that never ship (:data:`NEVER_SHIPPED`)."""

    includes: tuple[Pattern, ...]
    excludes: tuple[Pattern, ...]
    never: tuple[Pattern, ...]

    @classmethod
    def compile(cls, include: Sequence[str], exclude: Sequence[str]) -> Rules:
        """Return the rules, or raise ConfigError for a broken pattern."""
        compiled = [tuple(compile_pattern(p) for p in ps) for ps in (include, exclude, NEVER_SHIPPED)]
        return cls(*compiled)

    def included(self, path: str, is_dir: bool, inherited: bool) -> bool:
        """Return whether ``path`` is wanted (inside an included directory, or matching ``include``)."""
        return inherited or not self.includes or any(p.matches(path, is_dir) for p in self.includes)

    def excluded(self, path: str, is_dir: bool) -> bool:
        """Return whether ``path`` is left out: ``exclude`` matches, or it never ships and no include names it."""
        if any(p.matches(path, is_dir) for p in self.excludes):
            return True
        return any(p.matches(path, is_dir) for p in self.never) and not any(
            p.names(path, is_dir) for p in self.includes
        )


def select(root: Path, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> Bundle:
    """Return the entries of ``root`` to ship; raise ConfigError if it is not a readable directory."""
    if not root.is_dir():
        raise ConfigError(
            f"The build directory {root} does not exist or is not a directory.",
            hint="Build first, or set deploy.build_dir / --build-dir (or deploy.archive).",
        )
    rules = Rules.compile(include, exclude)
    entries: list[str] = []
    files = size = 0

    def walk(directory: Path, prefix: str, inherited: bool) -> bool:
        nonlocal files, size
        shipped_any = False
        try:
            children = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            raise ConfigError(f"Cannot read {directory}: {exc.strerror}.") from None
        for child in children:
            rel = f"{prefix}{child.name}"
            try:
                info = child.stat(follow_symlinks=False)
            except OSError as exc:
                raise ConfigError(f"Cannot read {child.path}: {exc.strerror}.") from None
            is_dir = stat.S_ISDIR(info.st_mode)
            if rules.excluded(rel, is_dir):
                continue
            if is_dir:
                inside = rules.included(rel, True, inherited)
                position = len(entries)
                entries.append(rel)
                kept = walk(Path(child.path), rel + "/", inside)
                if not kept and not inside:
                    del entries[position]
                else:
                    shipped_any = True
            elif (stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode)) and rules.included(rel, False, inherited):
                entries.append(rel)
                files += 1
                size += info.st_size
                shipped_any = True
        return shipped_any

    walk(root, "", False)
    return Bundle(root=root, entries=tuple(entries), files=files, size=size)


def is_archive(path: Path) -> bool:
    """Return whether the name looks like an archive this module can unpack."""
    return path.name.lower().endswith(ARCHIVE_SUFFIXES)


def extract(archive: Path, destination: Path) -> Path:
    """Unpack a tar or zip archive into ``destination`` safely; return the directory to ship.

    Members that would land outside the destination (absolute paths, ``..``, links pointing out) are
    refused. When the archive holds exactly one top-level directory, that directory is the build.
    """
    if not archive.is_file():
        raise ConfigError(f"The archive {archive} does not exist.", hint="Build it first, or fix deploy.archive.")
    if not is_archive(archive):
        raise ConfigError(f"{archive} is not a .tar, .tar.gz, .tgz, .tar.bz2, .tar.xz or .zip archive.")
    try:
        if archive.name.lower().endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                for name in zf.namelist():
                    _check_member(archive, name)
                zf.extractall(destination)  # noqa: S202 - every member name was checked above
        else:
            with tarfile.open(archive) as tf:
                members = tf.getmembers()
                for member in members:
                    _check_member(archive, member.name)
                    if member.issym() or member.islnk():
                        target = PurePosixPath(member.name).parent / member.linkname
                        if member.linkname.startswith("/") or _escapes(str(target)):
                            raise ConfigError(f"{archive}: link {member.name} points outside the archive.")
                    elif not (member.isfile() or member.isdir()):
                        raise ConfigError(f"{archive}: {member.name} is a special file; refusing to unpack.")
                if hasattr(tarfile, "data_filter"):
                    tf.extractall(destination, members=members, filter="data")
                else:  # pragma: no cover - Python < 3.10.12
                    tf.extractall(destination, members=members)  # noqa: S202 - members checked above
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ConfigError(f"Cannot unpack {archive}: {exc}.") from None
    tops = [p for p in destination.iterdir()]
    return tops[0] if len(tops) == 1 and tops[0].is_dir() and not tops[0].is_symlink() else destination


def _escapes(name: str) -> bool:
    parts: list[str] = []
    for part in PurePosixPath(name).parts:
        if part == "..":
            if not parts:
                return True
            parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    return False


def _check_member(archive: Path, name: str) -> None:
    if name.startswith("/") or _escapes(name.replace("\\", "/")):
        raise ConfigError(f"{archive}: member {name!r} would be written outside the release; refusing.")
