"""Made once, copied after: a cache of the sandbox's freshly bootstrapped cluster, one entry per recipe.

A fresh sandbox spends most of its start-up in ``initdb`` and in creating Supabase's objects, and every
throwaway database of ``db.plan``, ``db.verify`` and ``db.pull`` starts a fresh sandbox. The first sandbox made
from a recipe saves its stopped cluster here; later ones copy the directory instead and give the copy new
passwords (:meth:`EmbeddedPostgres.set_admin_password`, then the roles' as the bootstrap does), so no two
sandboxes share a password. A copy is a cluster of its own: nothing links it to the entry or to other copies.

The recipe is everything a fresh cluster depends on: the PostgreSQL installation (path, size and time of its
binaries), initdb's options, the locale and time zone initdb reads from the environment, the user the server
runs as, the sandbox's SQL and stand-in extensions, and the code that makes the cluster. A change to any of
them is another entry; an entry is never changed.

Where: ``$XDG_CACHE_HOME/migrations-tasks/clusters`` (default ``~/.cache/...``), or, as root, ``clusters`` in
the root-owned directory of the servers' private homes (:func:`.hosting.base_dir`); 0700 either way. An entry
is written under a temporary name and renamed into place when complete (a rename is atomic), so concurrent
runs never read half an entry, and the loser of a race drops its copy. An entry unused for a week is removed.
Any failure here falls back to initdb: the cache only makes a start faster. Delete the directory at any time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from .hosting import ServerUser, base_dir

#: Bump when what an entry holds changes in a way the recipe does not show.
FORMAT = 1
DATA = "pgdata"
#: An entry (or an abandoned temporary one) unused for this long is removed.
UNUSED_FOR = 7 * 24 * 3600
_STAGING = ".staging-"
#: initdb reads these from the environment (the cluster's locale, its time zone setting).
_ENVIRONMENT = ("LANG", "LANGUAGE", "TZ", "PGTZ")


def cache_dir(user: ServerUser | None) -> Path | None:
    """Return the cache's directory (not created): per user, or, as root, next to the servers' homes.

    None when this user has no home to keep it in: then every cluster is made afresh.
    """
    if user is not None:
        return base_dir() / "clusters"
    try:
        home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    except RuntimeError:  # no HOME and no password entry
        return None
    return Path(home) / "migrations-tasks" / "clusters"


def wanted(cache: Path, key: str) -> bool:
    """Return True when the cache has no entry for ``key`` and can take one (creating its directory, 0700)."""
    if (cache / key).exists():
        return False
    try:
        cache.mkdir(mode=0o700, parents=True, exist_ok=True)
        cache.chmod(0o700)
    except OSError:
        return False
    return os.access(cache, os.W_OK | os.X_OK)


def digest_files(paths: Iterable[Path]) -> str:
    """Return a digest of files (and every file under directories): names and contents, in a stable order."""
    sha = hashlib.sha256()
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if "__pycache__" in file.parts or file.suffix == ".pyc":
                continue
            sha.update(str(file.relative_to(path.parent)).encode() + b"\0" + file.read_bytes() + b"\0")
    return sha.hexdigest()


def recipe_key(parts: Mapping[str, object]) -> str:
    """Return the entry's name for a recipe: a digest of its parts and of initdb's environment."""
    environment = {k: v for k, v in os.environ.items() if k in _ENVIRONMENT or k.startswith("LC_")}
    zone = os.path.realpath("/etc/localtime") if os.path.exists("/etc/localtime") else ""
    recipe = {"format": FORMAT, "environment": environment, "localtime": zone, **parts}
    return hashlib.sha256(json.dumps(recipe, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _own(root: Path, user: ServerUser | None) -> None:
    """Give a copied tree to the server's user (copies made as root belong to root)."""
    if user is None:
        return
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            os.chown(Path(folder) / name, user.uid, user.gid, follow_symlinks=False)
    os.chown(root, user.uid, user.gid)


def restore(cache: Path, key: str, data_dir: Path, user: ServerUser | None) -> bool:
    """Copy the entry for ``key`` into ``data_dir`` (which must not exist); return False when there is none.

    A copy that fails half-way is removed, and False returned: the caller makes the cluster itself.
    """
    entry = cache / key
    if not (entry / DATA / "PG_VERSION").exists():
        return False
    try:
        shutil.copytree(entry / DATA, data_dir, symlinks=True)
        _own(data_dir, user)
        os.utime(entry)  # in use: not pruned
    except OSError:
        shutil.rmtree(data_dir, ignore_errors=True)
        return False
    return True


def save(cache: Path, key: str, data_dir: Path) -> None:
    """Keep a copy of a stopped cluster as the entry for ``key``, unless one is there; never raises."""
    entry = cache / key
    if entry.exists():
        return
    staging: Path | None = None
    try:
        cache.mkdir(mode=0o700, parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=_STAGING, dir=cache))
        shutil.copytree(data_dir, staging / DATA, symlinks=True)
        os.rename(staging, entry)  # atomic; fails when another run's entry got there first
        staging = None
    except OSError:
        pass
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    prune(cache, keep=key)


def discard(cache: Path, name: str) -> None:
    """Remove an entry; renamed first, so a run that starts copying it now finds none rather than half of one."""
    with contextlib.suppress(OSError):
        doomed = Path(tempfile.mkdtemp(prefix=_STAGING, dir=cache))
        try:
            (cache / name).rename(doomed / name)
        finally:
            shutil.rmtree(doomed, ignore_errors=True)


def prune(cache: Path, *, keep: str, now: float | None = None) -> list[str]:
    """Remove entries and abandoned temporary copies unused for :data:`UNUSED_FOR`; return their names."""
    limit = (time.time() if now is None else now) - UNUSED_FOR
    removed = []
    with contextlib.suppress(OSError):
        for path in list(cache.iterdir()):
            with contextlib.suppress(OSError):
                if path.name != keep and path.stat().st_mtime < limit:
                    discard(cache, path.name)
                    removed.append(path.name)
    return removed
