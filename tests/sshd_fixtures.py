"""Real OpenSSH servers on 127.0.0.1 for the deploy tests, and a tiny app whose health a test controls.

Load it as a plugin in a test module (fixtures by name need no import, so ruff sees no redefinition) and
import the helpers you use::

    pytest_plugins = ("sshd_fixtures",)      # sshd, sshd2, ssh_keys, ssh_client, app_build
    pytest.register_assert_rewrite("sshd_fixtures")
    from sshd_fixtures import SshClient, free_port, kill_apps  # noqa: E402

Per test session: host and client keys made with ssh-keygen in a temporary directory; two ``sshd -D``
processes (run as the current user, ``UsePAM no``, ``StrictModes no``) on free loopback ports; an ssh
client config (``-F``) whose known_hosts and identity live in that directory. The real ``~/.ssh`` is never
read or written. Missing tools fail the tests (``python3 dev.py test`` installs them); nothing is skipped.

The app (``app.py``) serves ``GET /health`` from its release's ``health.txt`` (200 when it says ``ok``,
503 otherwise, or always 503 when the host's env sets ``APP_BROKEN``) and ``GET /release`` (its release
directory's name). ``restart.py``, run by the deploy's
restart command, stops the previous app (pidfile in ``$SHARED_PATH``), waits for the port to close,
starts the new one detached and waits until it listens. Tests kill what they started by pidfile.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SSHD_CANDIDATES = ("/usr/sbin/sshd", "/usr/local/sbin/sshd")


def _need(tool: str) -> str:
    found = shutil.which(tool) or next((p for p in SSHD_CANDIDATES if tool == "sshd" and Path(p).exists()), None)
    if not found:
        pytest.fail(
            f"the deploy tests need {tool}: run `python3 dev.py test` (installs openssh-server, "
            f"openssh-client and rsync when root) or install it with apt-get.",
            pytrace=False,
        )
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, *, timeout: float = 10.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    ends = time.monotonic() + timeout
    while time.monotonic() < ends:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def keygen(path: Path, comment: str) -> str:
    subprocess.run(
        [_need("ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return Path(f"{path}.pub").read_text().strip()


@dataclass(frozen=True)
class SshKeys:
    directory: Path
    host_key: Path
    host_pub: str
    other_host_key: Path
    other_host_pub: str
    client_key: Path
    client_pub: str
    stranger_key: Path  # a client key no server authorizes


@pytest.fixture(scope="session")
def ssh_keys(tmp_path_factory: pytest.TempPathFactory) -> SshKeys:
    for tool in ("ssh", "ssh-keygen", "sshd", "rsync"):
        _need(tool)
    d = tmp_path_factory.mktemp("ssh")
    d.chmod(0o700)
    host_pub = keygen(d / "host_ed25519", "host")
    other_host_pub = keygen(d / "other_host_ed25519", "other-host")
    client_pub = keygen(d / "client_ed25519", "client")
    keygen(d / "stranger_ed25519", "stranger")
    return SshKeys(
        directory=d,
        host_key=d / "host_ed25519",
        host_pub=host_pub,
        other_host_key=d / "other_host_ed25519",
        other_host_pub=other_host_pub,
        client_key=d / "client_ed25519",
        client_pub=client_pub,
        stranger_key=d / "stranger_ed25519",
    )


@dataclass
class Sshd:
    """One running sshd on 127.0.0.1."""

    port: int
    host_pub: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def known_hosts_line(self) -> str:
        key_type, key = self.host_pub.split()[:2]
        return f"[127.0.0.1]:{self.port} {key_type} {key}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_sshd(directory: Path, keys: SshKeys, name: str, *, host_key: Path | None = None) -> Sshd:
    directory.mkdir(parents=True, exist_ok=True)
    authorized = directory / "authorized_keys"
    authorized.write_text(keys.client_pub + "\n")
    config = directory / "sshd_config"
    key = host_key or keys.host_key
    # Sessions get an empty home: the login shell then sources no ~/.bashrc (root's may be slow, e.g. pyenv),
    # which keeps every round trip fast. Deploys never depend on HOME.
    home = directory / "home"
    home.mkdir(exist_ok=True)
    config.write_text(
        textwrap.dedent(f"""\
        ListenAddress 127.0.0.1
        HostKey {key}
        PidFile {directory}/sshd.pid
        AuthorizedKeysFile {authorized}
        UsePAM no
        StrictModes no
        PermitRootLogin yes
        PubkeyAuthentication yes
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        MaxStartups 100:30:200
        MaxSessions 50
        LogLevel ERROR
        SetEnv HOME={home}
        """)
    )
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation directory
    log = directory / "sshd.log"
    for _ in range(5):
        port = free_port()
        with log.open("ab") as out:
            proc = subprocess.Popen(
                [_need("sshd"), "-D", "-e", "-f", str(config), "-p", str(port)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
            )
        try:
            wait_for_port(port, proc=proc)
        except RuntimeError:
            proc.kill()
            proc.wait()
            continue
        pub = Path(f"{key}.pub").read_text().strip()
        return Sshd(port=port, host_pub=pub, process=proc, log=log)
    pytest.fail(f"sshd {name} did not start; see {log}:\n{log.read_text()}", pytrace=False)


@pytest.fixture(scope="session")
def sshd(ssh_keys: SshKeys) -> Iterator[Sshd]:
    server = start_sshd(ssh_keys.directory / "sshd1", ssh_keys, "one")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sshd2(ssh_keys: SshKeys) -> Iterator[Sshd]:
    server = start_sshd(ssh_keys.directory / "sshd2", ssh_keys, "two")
    yield server
    server.stop()


@dataclass(frozen=True)
class SshClient:
    """An ssh client config (-F) for the test servers, and the files it points at."""

    config_file: Path
    known_hosts: Path
    user: str
    keys: SshKeys
    servers: tuple[Sshd, ...] = field(default=())

    def known_hosts_text(self) -> str:
        return "".join(s.known_hosts_line + "\n" for s in self.servers)


def write_client_config(
    directory: Path, keys: SshKeys, known_hosts: Path, *, identity: Path | None = None, sockets: Path | None = None
) -> Path:
    """Write an ssh client config (for ``-F``); ``sockets`` (a short directory) adds a user-level shared
    connection, as many users' ~/.ssh/config have."""
    config = directory / "ssh_config"
    sharing = (
        ""
        if sockets is None
        else textwrap.dedent(f"""\
          ControlMaster auto
          ControlPath {sockets}/%C
          ControlPersist 120
        """)
    )
    config.write_text(
        textwrap.dedent(f"""\
        Host *
          IdentityFile {identity or keys.client_key}
          IdentitiesOnly yes
          IdentityAgent none
          UserKnownHostsFile {known_hosts}
          GlobalKnownHostsFile /dev/null
          BatchMode yes
          LogLevel ERROR
        """)
        + sharing
    )
    return config


@pytest.fixture(scope="session")
def ssh_client(ssh_keys: SshKeys, sshd: Sshd, sshd2: Sshd) -> Iterator[SshClient]:
    """The client config most tests use. Like many users' ~/.ssh/config it keeps a shared connection per
    server (ControlMaster auto, ControlPersist), so tests that set ``deploy.ssh.multiplex: false`` pay the
    ssh handshake once per session; the shared connections are closed at the end."""
    d = ssh_keys.directory / "client"
    d.mkdir(exist_ok=True)
    known = d / "known_hosts"
    known.write_text(sshd.known_hosts_line + "\n" + sshd2.known_hosts_line + "\n")
    import getpass

    # Socket paths must stay under ~104 bytes including ssh's temporary suffix: not under pytest's tmp tree.
    sockets = Path(tempfile.mkdtemp(prefix="mt-ssh-", dir="/tmp"))
    config = write_client_config(d, ssh_keys, known, sockets=sockets)
    yield SshClient(config_file=config, known_hosts=known, user=getpass.getuser(), keys=ssh_keys, servers=(sshd, sshd2))
    for server in (sshd, sshd2):
        subprocess.run(
            ["ssh", "-F", str(config), "-p", str(server.port), "-O", "exit", "127.0.0.1"],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=10,
        )
    shutil.rmtree(sockets, ignore_errors=True)


# -- the app under test ---------------------------------------------------------------------------------

APP = '''\
"""A tiny app: /health from this release's health.txt, /release = this release's directory name."""
import http.server
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        release = os.path.basename(HERE)
        if self.path == "/health":
            with open(os.path.join(HERE, "health.txt")) as f:
                state = "broken" if os.environ.get("APP_BROKEN") else f.read().strip()
            body = json.dumps({"status": state, "release": release}).encode()
            self.send_response(200 if state == "ok" else 503)
        elif self.path == "/release":
            body = release.encode()
            self.send_response(200)
        else:
            body = b"not found"
            self.send_response(404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


port = int(sys.argv[1])
for _ in range(200):
    try:
        server = http.server.HTTPServer(("127.0.0.1", port), Handler)
        break
    except OSError:
        time.sleep(0.025)
else:
    sys.exit(f"port {port} stayed busy")
server.serve_forever()
'''

RESTART = '''\
"""Restart the app: stop the old one (pidfile), start this release's app detached, wait until it listens."""
import os
import signal
import socket
import subprocess
import sys
import time

port = int(os.environ["APP_PORT"])
shared = os.environ["SHARED_PATH"]
release = os.environ["RELEASE_PATH"]
pidfile = os.path.join(shared, "app.pid")


def listening():
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


if os.path.exists(pidfile):
    try:
        os.kill(int(open(pidfile).read().strip()), signal.SIGTERM)
    except (ProcessLookupError, ValueError):
        pass
    for _ in range(200):
        if not listening():
            break
        time.sleep(0.025)
log = open(os.path.join(shared, "app.log"), "ab")
proc = subprocess.Popen([sys.executable, os.path.join(release, "app.py"), str(port)], stdin=subprocess.DEVNULL,
                        stdout=log, stderr=log, start_new_session=True, cwd=release)
with open(pidfile, "w") as f:
    f.write(str(proc.pid))
for _ in range(200):
    if listening():
        sys.exit(0)
    if proc.poll() is not None:
        sys.exit(f"the app exited with {proc.returncode}")
    time.sleep(0.025)
sys.exit("the app did not start listening")
'''


def make_build(directory: Path, *, health: str = "ok", extra: dict[str, str] | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "app.py").write_text(APP)
    (directory / "restart.py").write_text(RESTART)
    (directory / "health.txt").write_text(health + "\n")
    for name, text in (extra or {}).items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return directory


@pytest.fixture
def app_build(tmp_path: Path) -> Callable[..., Path]:
    """Return a factory of build directories: ``app_build(health="ok", extra={...})``."""
    counter = iter(range(1000))

    def make(*, health: str = "ok", extra: dict[str, str] | None = None) -> Path:
        return make_build(tmp_path / f"build{next(counter)}", health=health, extra=extra)

    return make


def kill_apps(*deploy_paths: Path) -> None:
    """Stop apps started by restart.py under these deploy paths (by pidfile)."""
    for path in deploy_paths:
        pidfile = path / "shared" / "app.pid"
        if not pidfile.exists():
            continue
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
