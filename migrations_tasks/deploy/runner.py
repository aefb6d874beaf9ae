"""Run shell scripts on a host through Invoke's ``c.run``: over ssh, or with ``sh`` for a local host.

The runner is the only code that executes anything. It turns a script into a command line with
:mod:`~migrations_tasks.deploy.ssh`, runs it with ``warn=True`` (so every exit status is looked at here),
turns ssh's own failures (status 255) into :class:`~migrations_tasks.errors.SshError` and other non-zero
statuses into :class:`~migrations_tasks.errors.RemoteCommandError`. In a dry run it prints each command
line and runs nothing.

Signals: each command runs in a process group of its own (:class:`OwnGroup`), so the terminal's Ctrl-C
(SIGINT to the whole foreground group) reaches only this process, never ssh, rsync or a ``before_switch``
command half-way. This process decides: a stop request lets the command finish, unless ``interrupt``
says it may be ended (nothing switched yet), and a KeyboardInterrupt (a second signal) ends it and is
raised again once it has ended.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from dataclasses import dataclass
from subprocess import PIPE, Popen
from typing import IO, Any

from invoke.context import Context
from invoke.runners import Local

from ..errors import DeployError, Interrupted, RemoteCommandError, SshError
from ..progress import Notify, ShouldStop, never
from . import ssh as sshcmd
from .config import Host, SshConfig

#: Seconds an ended command gets between SIGTERM and SIGKILL.
END_GRACE = 5.0

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


NOTHING_SWITCHED = "nothing was switched: the live release is unchanged on every host"


def stopped(
    signal_number: int, what: str, outcome: str = NOTHING_SWITCHED, hint: str = "Run it again when you are ready."
) -> Interrupted:
    """Return the error of a run a signal stopped ``what`` (e.g. "before the switch"), saying the ``outcome``."""
    return Interrupted(
        f"Stopped by {signal.Signals(signal_number).name} {what}; {outcome}.", signal_number=signal_number, hint=hint
    )


class OwnGroup(Local):
    """Invoke's local runner, the command in a process group of its own, ended on request.

    ``interrupt`` returns a signal number when the command in flight should be ended now (0: let it run).
    Ending it sends SIGTERM to its group, then SIGKILL after :data:`END_GRACE` seconds.
    """

    def __init__(self, context: Any, interrupt: ShouldStop = never) -> None:
        super().__init__(context)
        self.interrupt = interrupt
        #: The signal number that ended the command (0: it ran to its end).
        self.ended_by = 0
        #: The KeyboardInterrupt that arrived while it ran (raised again once the command has ended).
        self.aborted: KeyboardInterrupt | None = None
        self._ended_at = 0.0

    def start(self, command: str, shell: str, env: dict[str, Any]) -> None:
        if self.using_pty:
            super().start(command, shell, env)
            return
        # As Invoke's own start() does, plus start_new_session; the line is built by ssh.py, every part quoted.
        self.process = Popen(  # noqa: S602
            command, shell=True, executable=shell, env=env, stdout=PIPE, stderr=PIPE, stdin=PIPE, start_new_session=True
        )

    def _end(self, signal_number: int) -> None:
        if not self.ended_by:
            self.ended_by, self._ended_at = signal_number, time.monotonic()
            self._signal_group(signal.SIGTERM)

    def _signal_group(self, signal_number: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal_number)

    def wait(self) -> None:
        while not (self.process_is_finished or self.has_dead_threads):
            if not self.ended_by:
                signal_number = self.interrupt()
                if signal_number:
                    self._end(signal_number)
            elif time.monotonic() - self._ended_at > END_GRACE:
                self._signal_group(signal.SIGKILL)
            time.sleep(self.input_sleep)

    def send_interrupt(self, interrupt: KeyboardInterrupt) -> None:
        self.aborted = interrupt
        self._end(signal.SIGINT)

    def _thread_join_timeout(self, target: Any) -> int | None:
        # An ended ssh client may have handed its output pipes to a shared connection (ControlMaster), which
        # keeps them open until the remote command ends: once ended, read what came within a second.
        if self.ended_by and target != self.handle_stdin:
            return 1
        timeout: int | None = super()._thread_join_timeout(target)
        return timeout


def run_command(c: Any, line: str, options: dict[str, Any], interrupt: ShouldStop = never) -> tuple[Any, int]:
    """Run ``line`` as ``c.run`` would, in a process group of its own; return Invoke's result and what ended it.

    The second value is the signal number that ended the command early (0: it ran to its end). A
    KeyboardInterrupt that arrived while it ran is raised again once it has ended. A context whose ``run``
    is not Invoke's own (MockContext), or that configures another local runner, gets plain ``c.run``.
    """
    config = getattr(c, "config", None)
    if type(c).run is not Context.run or getattr(getattr(config, "runners", None), "local", None) is not Local:
        return c.run(line, **options), 0
    runner = OwnGroup(c, interrupt)
    result = c._run(runner, line, **options)
    if runner.aborted is not None:
        raise runner.aborted
    return result, runner.ended_by


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
        interrupt: ShouldStop = never,
    ) -> None:
        self.c = c
        self.host = host
        self.ssh = ssh
        self.files = files
        self.dry_run = dry_run
        self.echo = echo or (lambda text: print(text, file=sys.stderr, flush=True))
        self.stream = stream
        self.verbose = verbose
        #: Returns a signal number when the command in flight may be ended now (nothing switched yet).
        self.interrupt = interrupt
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
        raw, ended_by = run_command(self.c, line, options, self.interrupt)
        if ended_by:
            raise stopped(ended_by, f"while '{what}' ran on {self.host.name} (it was ended)")
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
            options = {"hide": True, "warn": True, "in_stream": False}
            run_command(self.c, sshcmd.exit_master_command(self.host, self.ssh, self.files), options)


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.splitlines())
