"""Run shell scripts on a host through Invoke's ``c.run``: over ssh, or with ``sh`` for a local host.

The runner is the only code that executes anything. It turns a script into a command line with
:mod:`~migrations_tasks.deploy.ssh`, runs it with ``warn=True`` (so every exit status is looked at here),
turns ssh's own failures (status 255) into :class:`~migrations_tasks.errors.SshError` and other non-zero
statuses into :class:`~migrations_tasks.errors.RemoteCommandError`. In a dry run it prints each command
line and runs nothing.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from typing import IO, Any

from ..errors import DeployError, RemoteCommandError, SshError
from ..progress import Notify
from . import ssh as sshcmd
from .config import Host, SshConfig

#: rsync's statuses when its ssh transport failed (255 from ssh; 12 protocol stream ended).
_TRANSPORT_STATUSES = (sshcmd.SSH_FAILED, 12)


@dataclass(frozen=True)
class CommandResult:
    """What a command did: its exit status and captured output."""

    exited: int
    stdout: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        """Return whether the command exited 0."""
        return self.exited == 0


def tail(text: str, lines: int = 6) -> str:
    """Return the last non-empty lines of some output, for an error message."""
    kept = [line.rstrip() for line in text.strip().splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


class Runner:
    """Runs scripts on one host, printing instead of running in a dry run."""

    def __init__(
        self,
        c: Any,
        host: Host,
        ssh: SshConfig,
        files: sshcmd.SessionFiles | None,
        *,
        dry_run: bool = False,
        echo: Notify | None = None,
        stream: IO[str] | None = None,
        verbose: bool = False,
    ) -> None:
        self.c = c
        self.host = host
        self.ssh = ssh
        self.files = files
        self.dry_run = dry_run
        self.echo = echo or (lambda text: print(text, file=sys.stderr, flush=True))
        self.stream = stream
        self.verbose = verbose
        self.master_open = False

    # -- command lines -----------------------------------------------------------------------------
    def command(self, script: str, *, stdin_file: str | None = None) -> str:
        """Return the local command line that runs ``script`` on this host."""
        return sshcmd.command_line(self.host, self.ssh, self.files, script, stdin_file=stdin_file)

    @property
    def shares_connection(self) -> bool:
        """Return whether commands go through one shared ssh connection (ControlMaster)."""
        return not self.host.local and self.ssh.multiplex and self.files is not None

    # -- running -----------------------------------------------------------------------------------
    def run(
        self, script: str, *, what: str, stdin_file: str | None = None, show: bool = False, check: bool = True
    ) -> CommandResult:
        """Run ``script`` on the host; raise on failure when ``check``."""
        shown = sshcmd.display(self.host, self.ssh, self.files, script, stdin_file=stdin_file)
        return self.run_line(
            self.command(script, stdin_file=stdin_file), what=what, show=show, check=check, shown=shown
        )

    def run_line(
        self,
        line: str,
        *,
        what: str,
        show: bool = False,
        check: bool = True,
        transport: str = "ssh",
        shown: str | None = None,
    ) -> CommandResult:
        """Run a prepared command line; ``transport`` says how ssh failures show ('ssh', 'rsync', 'none').

        A dry run (and ``verbose``) prints ``shown`` (a readable form) or else the line itself.
        """
        if self.dry_run or self.verbose:
            self.echo(f"[{self.host.name}] {what}\n    $ {shown or line}")
        if self.dry_run:
            return CommandResult(0)
        options: dict[str, Any] = {"hide": not show, "warn": True, "in_stream": False}
        if show and self.stream is not None:
            options.update(out_stream=self.stream, err_stream=self.stream)
        raw = self.c.run(line, **options)
        result = CommandResult(int(raw.exited), raw.stdout or "", raw.stderr or "")
        if check and not result.ok:
            raise self.failure(result, what=what, transport=transport)
        return result

    def failure(self, result: CommandResult, *, what: str, transport: str = "ssh") -> DeployError:
        """Return the error for a failed command: an SshError when ssh itself failed."""
        if not self.host.local and transport != "none":
            statuses = _TRANSPORT_STATUSES if transport == "rsync" else (sshcmd.SSH_FAILED,)
            if result.exited in statuses:
                error = sshcmd.classify_failure(self.host, result.stderr)
                if transport == "ssh" or type(error) is not SshError:
                    return error
        output = tail(result.stderr) or tail(result.stdout)
        message = f"{self.host.name}: {what} failed (exit status {result.exited})"
        return RemoteCommandError(
            message + (f":\n{_indent(output)}" if output else "."),
            host=self.host.name,
            exit_status=result.exited,
            output=output,
        )

    # -- the shared connection ---------------------------------------------------------------------
    def connect(self) -> None:
        """Prove that ssh can log in (and open the shared connection); raise SshError if not."""
        if self.host.local:
            return
        if self.shares_connection:
            assert self.files is not None
            line = sshcmd.master_command(self.host, self.ssh, self.files)
            self.run_line(line, what=f"connect to {self.host.describe()}")
            self.master_open = not self.dry_run
        else:
            self.run_line(
                sshcmd.preflight_command(self.host, self.ssh, self.files), what=f"connect to {self.host.describe()}"
            )

    def close(self) -> None:
        """Close the shared connection, if one was opened; never raises."""
        if not self.master_open or self.files is None:
            return
        self.master_open = False
        # Best effort: an idle master also exits by itself after ControlPersist seconds.
        with contextlib.suppress(Exception):
            self.c.run(
                sshcmd.exit_master_command(self.host, self.ssh, self.files), hide=True, warn=True, in_stream=False
            )


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.splitlines())
