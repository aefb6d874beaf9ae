"""Shared files and directories: the check of the build before upload, and the script that links them.

``shared_files`` and ``shared_dirs`` live under ``shared/`` on each host and are linked into every release
(``releases/<id>/storage/uploads -> <path>/shared/storage/uploads``). Linking replaces what the release
holds at that path, so it must never reach outside the release: a shared path under a symlink is refused
in the build (:func:`refuse_symlinked_parents`, before anything is uploaded) and again on the host by the
script itself (:func:`link_script`), whatever the build said.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

from ..errors import ConfigError
from .bundle import Bundle
from .releases import Layout, q

#: Exit status of the linking script when a shared file is missing on the host.
MISSING_SHARED_FILE = 66
#: Exit status of the linking script when a shared path's parent in the release is a symlink.
SYMLINKED_PARENT = 67


def _parents(path: str) -> list[str]:
    """Return ``a``, ``a/b`` for ``a/b/c``: the directories a link at ``path`` lies under, outermost first."""
    return [str(p) for p in reversed(PurePosixPath(path).parents[:-1])]


def refuse_symlinked_parents(bundle: Bundle, shared: Mapping[str, Sequence[str]]) -> None:
    """Raise ConfigError when a shared path (``{"shared_dirs": [...]}``) lies under a symlink that ships.

    Linking ``cfg/data`` replaces ``releases/<id>/cfg/data``; were ``cfg`` a symlink to ``/srv/other``,
    that would remove ``/srv/other/data``. Checked before anything is uploaded.
    """
    shipped = set(bundle.entries)
    problems: list[str] = []
    for key, paths in shared.items():
        for path in paths:
            under = (p for p in _parents(path) if p in shipped and (bundle.root / p).is_symlink())
            parent = next(under, None)
            if parent is not None:
                target = os.readlink(bundle.root / parent)
                problems.append(
                    f"deploy.{key}: {path} lies under {parent}, a symbolic link in the build (-> {target}); "
                    "linking it would reach outside the release."
                )
    if problems:
        raise ConfigError(
            "\n".join(problems),
            hint="Make that directory a real one in the build (or leave it out with deploy.exclude), or share "
            "it whole; nothing was uploaded.",
        )


def link_script(layout: Layout, release_id: str, files: Sequence[str], dirs: Sequence[str]) -> str:
    """Return a script that links shared files and directories into the release.

    Shared directories are created when missing; a missing shared file stops the deploy (exit 66) before
    anything is switched, because the release would start without it. The script stays inside the
    release: each parent of a link is checked (and created) one level at a time, and one that is a symlink
    stops the deploy (exit 67) before anything under it is removed, whatever the build said.
    """
    release = layout.release(release_id)
    lines = ["set -e"]
    for item in files:
        target = f"{layout.shared}/{item}"
        lines.append(
            f"if [ ! -e {q(target)} ]; then printf 'missing shared file: %s\\n' {q(target)} >&2; "
            f"exit {MISSING_SHARED_FILE}; fi"
        )
    for item in dirs:
        lines.append(f"mkdir -p -- {q(f'{layout.shared}/{item}')}")
    for item in (*dirs, *files):
        link = f"{release}/{item}"
        for parent in _parents(item):
            here = q(f"{release}/{parent}")
            lines.append(
                f"if [ -L {here} ]; then printf 'symlinked parent: %s\\n' {q(parent)} >&2; exit {SYMLINKED_PARENT}; fi"
            )
            lines.append(f"[ -d {here} ] || mkdir -- {here}")
        lines.append(f"rm -rf -- {q(link)}")
        lines.append(f"ln -s -- {q(f'{layout.shared}/{item}')} {q(link)}")
    return "\n".join(lines)
