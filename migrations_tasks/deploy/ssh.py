"""The OpenSSH client as a transport: exact command lines, failure classification, per-run files.

Everything here builds strings; nothing runs. :class:`~migrations_tasks.deploy.runner.Runner` hands the
strings to Invoke's ``c.run``, so a user's ``~/.ssh/config``, agent, jump hosts and known_hosts all apply.

Quoting, from the inside out: a remote script is one POSIX ``sh`` program in which every path and value
is ``shlex.quote``-d; it travels as ``sh -c <quoted script>`` (the one argument ssh hands the login
shell); and the whole ssh argv is ``shlex.join``-ed for the local shell that ``c.run`` uses. A local host
runs the very same ``sh -c <quoted script>`` without the ssh part.

Host keys are always verified: ``StrictHostKeyChecking`` is ``yes`` (or ``accept-new`` when configured),
placed before any user option so that nothing can weaken it. ``BatchMode=yes`` makes ssh fail instead of
prompting (a key passphrase comes from the agent).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..errors import HostKeyError, SshAuthError, SshConnectError, SshError
from .config import Host, SshConfig

SSH_FAILED = 255  # ssh's own exit status when it could not connect or run the command
SERVER_ALIVE = ("ServerAliveInterval=15", "ServerAliveCountMax=4")
CONTROL_PERSIST = 300  # seconds an idle shared connection stays open


@dataclass(frozen=True)
class SessionFiles:
    """Files that exist for one run: a private temporary directory, removed at the end."""

    directory: str
    known_hosts: str | None = None
    identity: str | None = None

    @property
    def control_path(self) -> str:
        """Return the ControlPath pattern for connection sharing (``%C``: a hash, so the path stays short)."""
        return os.path.join(self.directory, "cm-%C")


def option_value(value: str) -> str:
    """Return a value for ``-o Key=value``: ssh splits on blanks, so quote values that have any."""
    if not re.search(r'[\s"\\]', value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def ssh_options(ssh: SshConfig, files: SessionFiles | None, *, control: str = "no") -> list[str]:
    """Return the options every ssh invocation of a run shares (security first, then the user's)."""
    argv: list[str] = []
    if ssh.config_file:
        argv += ["-F", ssh.config_file]
    argv += ["-o", f"StrictHostKeyChecking={ssh.host_key_checking}"]
    if ssh.batch_mode:
        argv += ["-o", "BatchMode=yes"]
    # ssh adds a key accepted by accept-new to the first file: a configured one, never the temporary copy of
    # DEPLOY_SSH_KNOWN_HOSTS that is removed after the run (the next run would trust any key again).
    # A UserKnownHostsFile in options joins this one list (ssh keeps the first value of an option given twice).
    known = [*ssh.known_hosts_files, *_option_known_hosts(ssh)]
    known += [files.known_hosts] if files is not None and files.known_hosts else []
    if known:
        argv += ["-o", "UserKnownHostsFile=" + " ".join(option_value(k) for k in known)]
    identity = (files.identity if files else None) or ssh.identity_file
    if identity:
        argv += ["-i", identity, "-o", "IdentitiesOnly=yes"]
    argv += ["-o", f"ConnectTimeout={ssh.connect_timeout}"]
    for option in SERVER_ALIVE:
        argv += ["-o", option]
    if ssh.multiplex and files is not None:
        argv += ["-o", f"ControlMaster={control}", "-o", f"ControlPath={option_value(files.control_path)}"]
    for key, value in ssh.options:
        if key.lower() != "userknownhostsfile":
            argv += ["-o", f"{key}={option_value(value)}"]
    return argv


def _option_known_hosts(ssh: SshConfig) -> list[str]:
    """Return the files of ``UserKnownHostsFile`` in ``ssh.options`` (ssh splits the value on blanks)."""
    found: list[str] = []
    for key, value in ssh.options:
        if key.lower() == "userknownhostsfile":
            try:
                found += shlex.split(value)
            except ValueError:
                found += value.split()
    return found


def host_options(host: Host) -> list[str]:
    """Return ``-p``/``-l`` for a host (absent values leave ~/.ssh/config in charge)."""
    argv: list[str] = []
    if host.port is not None:
        argv += ["-p", str(host.port)]
    if host.user is not None:
        argv += ["-l", host.user]
    return argv


def destination(host: Host) -> str:
    """Return the ssh destination (the address; the user goes in ``-l``)."""
    if host.address is None:
        raise ValueError(f"{host.name} is the local host: it has no ssh destination")
    return host.address


def sh_command(script: str) -> str:
    """Return the one-argument command that runs ``script`` with POSIX sh, whatever the login shell."""
    return "sh -c " + shlex.quote(script)


def remote_argv(
    host: Host, ssh: SshConfig, files: SessionFiles | None, script: str, *, stdin: bool = False
) -> list[str]:
    """Return the ssh argv that runs ``script`` on ``host`` (``-n`` unless stdin carries data)."""
    flags = ["-T"] if stdin else ["-n", "-T"]
    return ["ssh", *ssh_options(ssh, files), *host_options(host), *flags, "--", destination(host), sh_command(script)]


def command_line(
    host: Host, ssh: SshConfig, files: SessionFiles | None, script: str, *, stdin_file: str | None = None
) -> str:
    """Return the local shell command line that runs ``script`` on ``host`` (ssh, or sh for local).

    With ``stdin_file`` the script reads that local file on its standard input; otherwise standard input
    is empty, so a command that waits for input fails instead of hanging.
    """
    if host.local:
        line = sh_command(script)
    else:
        line = shlex.join(remote_argv(host, ssh, files, script, stdin=stdin_file is not None))
    redirect = shlex.quote(stdin_file) if stdin_file is not None else "/dev/null"
    return f"{line} < {redirect}"


def display(
    host: Host, ssh: SshConfig, files: SessionFiles | None, script: str, *, stdin_file: str | None = None
) -> str:
    """Return a readable form of :func:`command_line`: the ssh prefix, then the script as sh will run it.

    The exact command line nests the script in two levels of quoting; people read this one instead.
    """
    if host.local:
        prefix = "sh -c SCRIPT"
    else:
        argv = remote_argv(host, ssh, files, "", stdin=stdin_file is not None)[:-1]
        prefix = f"{shlex.join(argv)} sh -c SCRIPT"
    prefix += f" < {shlex.quote(stdin_file)}" if stdin_file is not None else " < /dev/null"
    body = "\n".join(f"    | {line}" for line in script.splitlines())
    return f"{prefix}\n    SCRIPT ({'sh here' if host.local else 'sh on ' + host.name}):\n{body}"


def master_command(host: Host, ssh: SshConfig, files: SessionFiles) -> str:
    """Return the command that opens a shared connection in the background (``-f -N -M``).

    It returns once authenticated, so it doubles as the preflight check: an unknown host key, a refused
    key or an unreachable host fails here, before any lock is taken. The master exits by itself after
    ``CONTROL_PERSIST`` idle seconds should the run be killed before it closes it; commands then fall back
    to connections of their own.
    """
    argv = [
        "ssh",
        *ssh_options(ssh, files, control="yes"),
        "-o",
        f"ControlPersist={CONTROL_PERSIST}",
        *host_options(host),
        "-f",
        "-N",
        "-T",
        "--",
        destination(host),
    ]
    return shlex.join(argv) + " < /dev/null"


def preflight_command(host: Host, ssh: SshConfig, files: SessionFiles | None) -> str:
    """Return a command that only proves ssh can log in (used when connection sharing is off)."""
    return command_line(host, ssh, files, "true")


def exit_master_command(host: Host, ssh: SshConfig, files: SessionFiles) -> str:
    """Return the command that closes the shared connection."""
    argv = ["ssh", *ssh_options(ssh, files), *host_options(host), "-O", "exit", "--", destination(host)]
    return shlex.join(argv) + " < /dev/null"


def rsync_shell(ssh: SshConfig, files: SessionFiles | None, host: Host) -> str:
    """Return the ``rsync -e`` value: the ssh command with this run's options, quoted for rsync."""
    return shlex.join(["ssh", *ssh_options(ssh, files), *host_options(host), "-T"])


def rsync_destination(host: Host, path: str) -> str:
    """Return ``host:path/`` for rsync (``[v6]:path``); the path is sent with --secluded-args, unquoted."""
    if host.address is None:
        return path.rstrip("/") + "/"
    address = f"[{host.address}]" if ":" in host.address and not host.address.startswith("[") else host.address
    return f"{address}:{path.rstrip('/')}/"


# -- failures -------------------------------------------------------------------------------------------


def _where(host: Host) -> str:
    port = f" port {host.port}" if host.port else ""
    return f"{host.address}{port}"


def _keyscan(host: Host) -> str:
    port = f"-p {host.port} " if host.port else ""
    return f"ssh-keyscan {port}{shlex.quote(host.address or '')}"


#: Words in ssh's message that mean the host could not be reached (or the connection dropped).
CONNECT_MARKERS = (
    "connection refused",
    "timed out",
    "could not resolve",
    "name or service not known",
    "no route to host",
    "network is unreachable",
    "connection closed",
    "connection reset",
    "broken pipe",
    "lost connection",
    "kex_exchange_identification",
    "temporary failure in name resolution",
)


def _host_key_error(host: Host, lowered: str) -> HostKeyError | None:
    """Return the error for a changed or an unknown host key, if that is what ssh said."""
    where = _where(host)
    if "remote host identification has changed" in lowered or ("host key for" in lowered and "has changed" in lowered):
        known = f"[{host.address}]:{host.port}" if host.port and host.port != 22 else host.address
        return HostKeyError(
            f"{host.name}: the host key of {where} has CHANGED since it was recorded; refusing to connect "
            "(this can be a machine-in-the-middle attack).",
            host=host.name,
            changed=True,
            hint="Find out why before anything else. If the server was really reinstalled, verify the new "
            f"key's fingerprint out of band, then replace the entry: ssh-keygen -R '{known}' and add the new "
            "key (or update DEPLOY_SSH_KNOWN_HOSTS in CI).",
        )
    if "host key verification failed" in lowered or "host key is known" in lowered:
        return HostKeyError(
            f"{host.name}: the host key of {where} is not in known_hosts; refusing to connect.",
            host=host.name,
            changed=False,
            hint=f"Verify the server's key fingerprint out of band, then add it: {_keyscan(host)} >> "
            "~/.ssh/known_hosts (CI: put the line in DEPLOY_SSH_KNOWN_HOSTS, or set "
            "deploy.ssh.known_hosts_file).",
        )
    return None


def classify_failure(host: Host, stderr: str) -> SshError:
    """Return the error for an ssh exit status 255, from ssh's own message on stderr."""
    text = stderr.strip()
    last = next((line.strip() for line in reversed(text.splitlines()) if line.strip()), "no message")
    lowered = text.lower()
    where = _where(host)
    key_error = _host_key_error(host, lowered)
    if key_error is not None:
        return key_error
    if "permission denied" in lowered or "too many authentication failures" in lowered:
        return SshAuthError(
            f"{host.name}: {where} refused the login ({last}).",
            host=host.name,
            hint="Check the user (deploy.hosts[].user) and that your public key is in the server's "
            "authorized_keys; load the key into ssh-agent (ssh-add), set deploy.ssh.identity_file, or "
            "DEPLOY_SSH_KEY in CI.",
        )
    if "unix domain socket" in lowered or ("controlpath" in lowered and "too long" in lowered):
        return SshError(
            f"{host.name}: ssh's connection-sharing socket path is too long ({last}).",
            host=host.name,
            hint="Shorten the ControlPath in your ssh config (e.g. ~/.ssh/cm-%C), or set TMPDIR to a short "
            "directory; deploy.ssh.multiplex: false leaves connection sharing to your ssh config.",
        )
    if any(marker in lowered for marker in CONNECT_MARKERS):
        return SshConnectError(
            f"{host.name}: cannot reach {where} ({last}).",
            host=host.name,
            hint="Check the address and port, that sshd runs there, and any firewall or jump host "
            "(~/.ssh/config). Nothing was changed on the host by this step.",
        )
    return SshError(
        f"{host.name}: ssh failed ({last}).",
        host=host.name,
        hint="Run the printed command with ssh -v to see why (inv deploy.vps --dry-run prints it).",
    )


# -- per-run files -------------------------------------------------------------------------------------


def normalise_private_key(text: str) -> str:
    """Return key text as ssh wants it: real newlines (CI secrets often hold literal \\n), one at the end."""
    if "\n" not in text and "\\n" in text:
        text = text.replace("\\n", "\n")
    return text.replace("\r\n", "\n").strip() + "\n"


def _write_private(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


@contextmanager
def session_files(ssh: SshConfig, *, prefix: str = "mt-deploy-") -> Iterator[SessionFiles]:
    """Make a private (0700) temporary directory for known_hosts, key and control sockets; remove it after.

    The directory sits in /tmp when it can: control socket paths must stay under ~100 bytes.
    """
    base = "/tmp" if os.path.isdir("/tmp") and os.access("/tmp", os.W_OK) else None  # noqa: S108
    directory = tempfile.mkdtemp(prefix=prefix, dir=base)
    try:
        known = identity = None
        if ssh.known_hosts is not None:
            known = os.path.join(directory, "known_hosts")
            _write_private(known, ssh.known_hosts.reveal())
        if ssh.private_key is not None:
            identity = os.path.join(directory, "id_deploy")
            _write_private(identity, normalise_private_key(ssh.private_key.reveal()))
        yield SessionFiles(directory=directory, known_hosts=known, identity=identity)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
