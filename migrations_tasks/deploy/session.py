"""One run against the hosts: their per-run state, the shared connections, the deploy lock and the log.

:func:`connected` opens a :class:`Run` (private ssh files, a :class:`~.runner.Runner` and a shared
connection per host; all closed after). :func:`lock_all` takes the deploy lock on every host and reads
each host's state in the same round trip, refusing on the first lock held by someone else;
:func:`unlock_all` releases only the locks this run took. Every other step of an operation works on the
:class:`HostRun` values of a :class:`Run`.
"""

from __future__ import annotations

import os
import secrets
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from ..errors import ConfigError, DeployError, DeployLockHeld
from ..progress import Notify
from . import releases as rel
from .config import DeployConfig, Host
from .remote_state import RemoteState, parse_state
from .results import DeployResult, DeployStatus, HostOutcome, HostStatus
from .runner import Runner, stopped
from .runtime import Runtime
from .ssh import SessionFiles, session_files

if TYPE_CHECKING:
    from .health import HealthResult


def stderr(text: str) -> None:
    """The default :data:`~migrations_tasks.progress.Notify`: one line on stderr, flushed."""
    print(text, file=sys.stderr, flush=True)


def _first_line(command: str) -> str:
    lines = command.strip().splitlines()
    return lines[0] + (" ..." if len(lines) > 1 else "")


@dataclass
class HostRun:
    """One host during one run."""

    host: Host
    runner: Runner
    layout: rel.Layout
    state: RemoteState = field(default_factory=RemoteState)
    locked: bool = False
    prepared: bool = False
    #: True: current points at the new release; None: unknown (the switch command failed midway).
    switched: bool | None = False
    previous: str | None = None
    transfer: str | None = None
    status: HostStatus = HostStatus.NOT_SWITCHED
    error: str | None = None
    pruned: tuple[str, ...] = ()
    live: str | None = None

    @property
    def name(self) -> str:
        return self.host.name

    def outcome(self, release: str | None) -> HostOutcome:
        return HostOutcome(
            host=self.name,
            status=self.status,
            release=release,
            previous=self.previous,
            live=self.live,
            transfer=self.transfer,
            pruned=self.pruned,
            error=self.error,
        )


@dataclass
class Run:
    """What every operation shares: the context, config, output, the injected callables and the hosts."""

    c: Any
    config: DeployConfig
    dry_run: bool
    notify: Notify
    stream: IO[str] | None
    verbose: bool
    runtime: Runtime
    hosts: list[HostRun] = field(default_factory=list)
    token: str = field(default_factory=lambda: secrets.token_hex(8))
    #: While True (nothing switched yet), a stop request ends the command in flight instead of waiting for it.
    interruptible: bool = False

    def say(self, text: str) -> None:
        self.notify(text)

    def interrupt(self) -> int:
        """Return the signal that asks to end the command in flight now (0: let it finish).

        Only one command is ended per run: the cleanup that follows (removing the new release, the log line,
        the lock) runs to its end.
        """
        signum = self.runtime.should_stop() if self.interruptible else 0
        if signum:
            self.interruptible = False
        return signum

    def stop_point(self, what: str) -> None:
        """Raise Interrupted when someone asked the run to stop (a safe point: nothing switched yet)."""
        signum = self.runtime.should_stop()
        if signum:
            raise stopped(signum, what)

    def result(
        self,
        release_id: str,
        status: DeployStatus,
        started: float,
        health: HealthResult | None = None,
        error: str | None = None,
    ) -> DeployResult:
        """Return a deploy's result as it stands: every host's outcome, seconds since ``started``."""
        hosts = tuple(h.outcome(release_id) for h in self.hosts)
        seconds = self.runtime.clock() - started
        return DeployResult(release=release_id, status=status, hosts=hosts, health=health, seconds=seconds, error=error)

    def announce(self, h: HostRun, label: str, command: str) -> None:
        """Name a command about to run (its output follows); a dry run or ``verbose`` shows it whole instead."""
        if not self.dry_run and not self.verbose:
            self.say(f"[{h.name}] {label} {_first_line(command)}")

    def log(self, h: HostRun, line: str) -> None:
        """Append a line to a host's deploy log; a failure is a warning, never a reason to stop."""
        try:
            h.runner.run(rel.log_script(h.layout, line), what="append to the deploy log")
        except DeployError as exc:
            self.say(f"warning: could not write the deploy log on {h.name}: {exc.message}")

    def log_line(self, h: HostRun, *, action: str, release: str | None, result: str, **extra: str | None) -> str:
        return rel.log_line(
            at=self.runtime.now(),
            action=action,
            release=release,
            result=result,
            who=self.config.actor,
            host=h.name,
            **extra,
        )


@contextmanager
def connected(
    c: Any,
    config: DeployConfig,
    *,
    dry_run: bool,
    notify: Notify,
    stream: IO[str] | None,
    verbose: bool,
    runtime: Runtime,
) -> Iterator[Run]:
    """Open a run: private files, a runner and a (shared) connection per host; close them all after."""
    if not config.hosts:
        raise ConfigError("No deploy hosts are selected.", hint="Add hosts under deploy.hosts in invoke.yaml.")
    with session_files(config.ssh) as files:
        run = Run(c=c, config=config, dry_run=dry_run, notify=notify, stream=stream, verbose=verbose, runtime=runtime)
        run.hosts = [HostRun(host=h, runner=_runner(run, h, files), layout=rel.Layout(h.path)) for h in config.hosts]
        try:
            run.interruptible = True  # connecting changes nothing: a stop request ends it
            for h in run.hosts:
                h.runner.connect()
            run.interruptible = False
            yield run
        finally:
            for h in run.hosts:
                h.runner.close()


def _runner(run: Run, host: Host, files: SessionFiles) -> Runner:
    return Runner(
        run.c,
        host,
        run.config.ssh,
        files,
        dry_run=run.dry_run,
        echo=run.notify,
        stream=run.stream,
        verbose=run.verbose,
        interrupt=run.interrupt,
    )


# -- the lock ------------------------------------------------------------------------------------------


def _lock_info(run: Run, action: str, release: str) -> rel.LockInfo:
    return rel.LockInfo(
        token=run.token,
        who=run.config.actor,
        machine=socket.gethostname(),
        pid=os.getpid(),
        since=rel.iso(run.runtime.now()),
        action=action,
        release=release,
    )


def lock_all(run: Run, action: str, release: str, *, check_rsync: bool = False, create: bool = False) -> None:
    """Take the lock on every host, reading each host's state on the way; refuse on the first held lock.

    With ``create``, each host also gets the new (empty) release directory in the same round trip.
    """
    info = _lock_info(run, action, release)
    for h in run.hosts:
        what = "take the deploy lock, read the state" + (f", create releases/{release}" if create else "")
        result = h.runner.run(
            rel.begin_script(h.layout, info, check_rsync=check_rsync, release_id=release if create else None), what=what
        )
        if run.dry_run:
            h.locked = h.prepared = True
            continue
        h.state = parse_state(result.stdout)
        if not h.state.locked:
            raise _held(run, h)
        h.locked = True
        h.prepared = h.state.created == "created"
        _check_state(run, h, release, create=create)


def _held(run: Run, h: HostRun) -> DeployLockHeld:
    """The refusal for a lock someone else holds (the locks this run took are released by the caller)."""
    holder = dict(h.state.holder or {})
    taken = [x.name for x in run.hosts if x.locked]
    return DeployLockHeld(
        f"{h.name}: the deploy lock ({h.layout.lock}) is held by {rel.describe_holder(holder, run.runtime.now())}"
        f"; nothing was changed{' (locks taken on ' + ', '.join(taken) + ' are released)' if taken else ''}.",
        host=h.name,
        holder=holder,
        hint="Wait for that deploy to finish. If it was killed and nothing is running, break the lock "
        f"with: inv deploy.unlock --force --host {h.name}",
    )


def _check_state(run: Run, h: HostRun, release: str, *, create: bool) -> None:
    """Refuse a release directory that was not created, or a ``current`` this tool did not make; warn of strays."""
    if create and not h.prepared:
        why = "exists already" if h.state.created == "exists" else "could not be created"
        raise DeployError(
            f"{h.name}: releases/{release} {why}.",
            hint="Deploy again (a new release id), or pass another --release-id.",
        )
    if h.state.current_raw is not None:
        raise ConfigError(
            f"{h.name}: {h.layout.current} is not a link into releases/ ({h.state.current_raw}); "
            "refusing to replace it.",
            hint="Move it away (or make it a symlink to a directory under releases/) and deploy again.",
        )
    for name in h.state.ignored:
        run.say(f"warning: {h.name}: ignoring releases/{name} (not a release name this tool uses).")


def unlock_all(run: Run) -> None:
    """Release the locks this run holds, by token; never raises, says how to break a lock left behind."""
    for h in run.hosts:
        if not h.locked:
            continue
        try:
            result = h.runner.run(rel.unlock_script(h.layout, run.token), what="release the deploy lock")
        except DeployError as exc:
            run.say(
                f"warning: could not release the deploy lock on {h.name}: {exc.message}\n  It stays held. Once "
                f"you are sure nothing runs there: inv deploy.unlock --force --host {h.name}"
            )
            continue
        h.locked = False
        if "unlocked no" in result.stdout:
            run.say(f"warning: {h.name}: the deploy lock is now held by someone else; left in place.")


def probe(h: HostRun, what: str = "read the state") -> RemoteState:
    """Read a host's state (releases, current, lock holder) without taking the lock."""
    return parse_state(h.runner.run(rel.probe_script(h.layout), what=what).stdout)
