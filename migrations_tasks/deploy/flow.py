"""Deploy, roll back, unlock and inspect: plain functions over a :class:`DeployConfig`, typed results.

The order of a deploy, for every run whatever the number of hosts:

1. select the files to ship (and unpack an archive) locally; compute the release id;
2. connect to every host (a shared ssh connection each): unknown host keys, refused keys and unreachable
   hosts stop here, before anything changes (exit 3);
3. take the deploy lock on every host (``mkdir``); a held lock stops here, nothing changed (exit 3);
4. prepare on every host: new release directory, upload (rsync, else tar over ssh), shared links,
   ``before_switch`` commands. A failure removes the new release directories: nothing switched (exit 1);
5. only when every host is prepared: switch ``current`` on each host, then run ``restart`` on each;
6. poll the health checks; when they fail (or a switch or restart failed), switch every host back to its
   previous release, restart it, mark the new release failed (exit 1; exit 4 if that did not work);
7. prune old releases (never the live or the previous one), log, and release the locks (always, also
   after a failure, and only the locks this run took).

Commands run one host after another, through :class:`~migrations_tasks.deploy.runner.Runner`. With
``dry_run`` every command line is printed and none is run (decisions that need a host's state are shown
as such).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shlex
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from ..errors import (
    ConfigError,
    DeployError,
    DeployFailed,
    DeployLockHeld,
    Interrupted,
    MigrationsTasksError,
    RemoteCommandError,
    RollbackIncomplete,
)
from . import bundle as bundles
from . import releases as rel
from .config import DeployConfig, HealthCheck, Host
from .health import HealthResult, format_attempt, poll, targets_for
from .results import (
    DeployResult,
    DeployStatus,
    HostOutcome,
    HostReport,
    HostStatus,
    RollbackResult,
    StatusReport,
    UnlockOutcome,
)
from .runner import Runner
from .ssh import SessionFiles, session_files

Notify = Callable[[str], None]


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Host:
    """One host during one run."""

    host: Host
    runner: Runner
    layout: rel.Layout
    state: rel.RemoteState = field(default_factory=rel.RemoteState)
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
        return HostOutcome(host=self.name, status=self.status, release=release, previous=self.previous,
                           live=self.live, transfer=self.transfer, pruned=self.pruned, error=self.error)


@dataclass
class _Run:
    """What every operation shares: the context, config, output and the hosts."""

    c: Any
    config: DeployConfig
    dry_run: bool
    notify: Notify
    stream: IO[str] | None
    verbose: bool
    now: Callable[[], dt.datetime]
    hosts: list[_Host] = field(default_factory=list)
    token: str = field(default_factory=lambda: secrets.token_hex(8))

    def say(self, text: str) -> None:
        self.notify(text)

    def log(self, h: _Host, line: str) -> None:
        """Append a line to a host's deploy log; a failure is a warning, never a reason to stop."""
        try:
            h.runner.run(rel.log_script(h.layout, line), what="append to the deploy log")
        except DeployError as exc:
            self.say(f"warning: could not write the deploy log on {h.name}: {exc.message}")

    def log_line(self, h: _Host, *, action: str, release: str | None, result: str, **extra: str | None) -> str:
        return rel.log_line(at=self.now(), action=action, release=release, result=result, who=self.config.actor,
                            host=h.name, **extra)


@contextmanager
def _connected(c: Any, config: DeployConfig, *, dry_run: bool, notify: Notify, stream: IO[str] | None,
               verbose: bool, now: Callable[[], dt.datetime]) -> Iterator[_Run]:
    """Open a run: private files, a runner and a (shared) connection per host; close them all after."""
    if not config.hosts:
        raise ConfigError("No deploy hosts are selected.", hint="Add hosts under deploy.hosts in invoke.yaml.")
    with session_files(config.ssh) as files:
        run = _Run(c=c, config=config, dry_run=dry_run, notify=notify, stream=stream, verbose=verbose, now=now)
        run.hosts = [_Host(host=h, runner=_runner(run, h, files), layout=rel.Layout(h.path)) for h in config.hosts]
        try:
            for h in run.hosts:
                h.runner.connect()
            yield run
        finally:
            for h in run.hosts:
                h.runner.close()


def _runner(run: _Run, host: Host, files: SessionFiles) -> Runner:
    return Runner(run.c, host, run.config.ssh, files, dry_run=run.dry_run, echo=run.notify, stream=run.stream,
                  verbose=run.verbose)


# -- the lock ------------------------------------------------------------------------------------------


def _lock_info(run: _Run, action: str, release: str) -> rel.LockInfo:
    return rel.LockInfo(token=run.token, who=run.config.actor, machine=socket.gethostname(), pid=os.getpid(),
                        since=_iso(run.now()), action=action, release=release)


def _lock_all(run: _Run, action: str, release: str, *, check_rsync: bool = False, create: bool = False) -> None:
    """Take the lock on every host, reading each host's state on the way; refuse on the first held lock.

    With ``create``, each host also gets the new (empty) release directory in the same round trip.
    """
    info = _lock_info(run, action, release)
    for h in run.hosts:
        what = "take the deploy lock, read the state" + (f", create releases/{release}" if create else "")
        result = h.runner.run(rel.begin_script(h.layout, info, check_rsync=check_rsync,
                                               release_id=release if create else None), what=what)
        if run.dry_run:
            h.locked = h.prepared = True
            continue
        h.state = rel.parse_state(result.stdout)
        if not h.state.locked:
            holder = dict(h.state.holder or {})
            taken = [x.name for x in run.hosts if x.locked]
            raise DeployLockHeld(
                f"{h.name}: the deploy lock ({h.layout.lock}) is held by {rel.describe_holder(holder, run.now())}"
                f"; nothing was changed{' (locks taken on ' + ', '.join(taken) + ' are released)' if taken else ''}.",
                host=h.name, holder=holder,
                hint="Wait for that deploy to finish. If it was killed and nothing is running, break the lock "
                f"with: inv deploy.unlock --force --host {h.name}",
            )
        h.locked = True
        h.prepared = h.state.created == "created"
        if create and not h.prepared:
            why = "exists already" if h.state.created == "exists" else "could not be created"
            raise DeployError(f"{h.name}: releases/{release} {why}.",
                              hint="Deploy again (a new release id), or pass another --release-id.")
        if h.state.current_raw is not None:
            raise ConfigError(
                f"{h.name}: {h.layout.current} is not a link into releases/ ({h.state.current_raw}); "
                "refusing to replace it.",
                hint="Move it away (or make it a symlink to a directory under releases/) and deploy again.",
            )
        for name in h.state.ignored:
            run.say(f"warning: {h.name}: ignoring releases/{name} (not a release name this tool uses).")


def _unlock_all(run: _Run) -> None:
    """Release the locks this run holds, by token; never raises, says how to break a lock left behind."""
    for h in run.hosts:
        if not h.locked:
            continue
        try:
            result = h.runner.run(rel.unlock_script(h.layout, run.token), what="release the deploy lock")
        except DeployError as exc:
            run.say(f"warning: could not release the deploy lock on {h.name}: {exc.message}\n  It stays held. Once "
                    f"you are sure nothing runs there: inv deploy.unlock --force --host {h.name}")
            continue
        h.locked = False
        if "unlocked no" in result.stdout:
            run.say(f"warning: {h.name}: the deploy lock is now held by someone else; left in place.")


# -- preparing -----------------------------------------------------------------------------------------


@dataclass
class _Upload:
    """The local side of an upload, built once for every host."""

    bundle: bundles.Bundle
    list_file: str
    scratch: Path
    archive: str | None = None


def _bundle(config: DeployConfig, scratch: Path) -> bundles.Bundle:
    if config.archive:
        unpacked = scratch / "unpacked"
        unpacked.mkdir()
        root = bundles.extract(Path(config.archive).expanduser(), unpacked)
    elif config.build_dir:
        root = Path(config.build_dir).expanduser()
    else:
        raise ConfigError("Nothing says what to ship.",
                          hint="Set deploy.build_dir (the directory to upload) or deploy.archive in invoke.yaml, "
                          "or pass --build-dir / --archive.")
    bundle = bundles.select(root, config.include, config.exclude)
    if not bundle.files:
        raise ConfigError(f"Nothing to ship: {root} has no files after include/exclude.",
                          hint="Check deploy.build_dir (or --build-dir) and deploy.include / deploy.exclude.")
    return bundle


def _transfer_for(run: _Run, h: _Host) -> str:
    mode = run.config.transfer
    local_rsync = shutil.which("rsync") is not None
    if mode == "tar":
        return "tar"
    if mode == "rsync":
        if not local_rsync:
            raise ConfigError("deploy.transfer is rsync, but rsync is not installed here.",
                              hint="Install rsync, or set deploy.transfer: auto (tar over ssh when rsync is missing).")
        if not run.dry_run and not h.state.rsync:
            raise DeployError(f"{h.name}: deploy.transfer is rsync, but rsync is not installed there.",
                              hint="Install rsync on the host, or set deploy.transfer: auto.")
        return "rsync"
    return "rsync" if local_rsync and (run.dry_run or h.state.rsync) else "tar"


def _pack(run: _Run, upload: _Upload) -> str:
    """Make the gzip'd tar once (locally) for every host that gets the tar stream."""
    if upload.archive is None:
        archive = str(upload.scratch / "release.tar.gz")
        line = shlex.join(["tar", "--null", "--no-recursion", "-C", str(upload.bundle.root), "-T", upload.list_file,
                           "-czf", archive]) + " < /dev/null"
        run.hosts[0].runner.run_line(line, what="pack the release (locally) for the tar stream", transport="none")
        upload.archive = archive
    return upload.archive


def _upload(run: _Run, h: _Host, release_id: str, upload: _Upload) -> None:
    described = upload.bundle.describe()
    if h.transfer == "rsync":
        argv = ["rsync", "-a", "-s", "--from0", f"--files-from={upload.list_file}"]
        if h.state.current is not None and h.state.current in h.state.releases:
            # unchanged files are copied on the server from the live release instead of sent again
            argv.append(f"--copy-dest={h.layout.release(h.state.current)}")
        if not h.host.local:
            from .ssh import rsync_destination, rsync_shell

            argv += ["-z", "-e", rsync_shell(run.config.ssh, h.runner.files, h.host)]
            destination = rsync_destination(h.host, h.layout.release(release_id))
        else:
            destination = h.layout.release(release_id) + "/"
        argv += ["--", f"{upload.bundle.root}/", destination]
        h.runner.run_line(shlex.join(argv) + " < /dev/null", what=f"upload {described} (rsync)", transport="rsync")
    else:
        archive = _pack(run, upload)
        h.runner.run(rel.extract_script(h.layout, release_id), what=f"upload {described} (tar over ssh)"
                     if not h.host.local else f"copy {described} (tar)", stdin_file=archive)


def _prepare(run: _Run, h: _Host, release_id: str, upload: _Upload) -> None:
    config = run.config
    _upload(run, h, release_id, upload)
    if config.shared_files or config.shared_dirs:
        try:
            h.runner.run(rel.link_shared_script(h.layout, release_id, config.shared_files, config.shared_dirs),
                         what="link shared files and directories")
        except RemoteCommandError as exc:
            if exc.exit_status == rel.MISSING_SHARED_FILE:
                missing = exc.output.removeprefix("missing shared file: ").strip()
                raise DeployError(
                    f"{h.name}: the shared file {missing} does not exist; the release would start without it.",
                    hint=f"Create it on the host once (e.g. scp .env.production {h.host.address or 'localhost'}:"
                    f"{shlex.quote(missing)}), then deploy again.") from None
            raise
    env = {**config.env, **h.host.env}
    for command in config.before_switch:
        if not run.dry_run and not run.verbose:
            run.say(f"[{h.name}] $ {_first_line(command)}")
        h.runner.run(rel.command_script(h.layout, release_id, command, env), what=f"before_switch: {command}",
                     show=True)
    if not run.dry_run:
        run.say(f"[{h.name}] prepared releases/{release_id} ({h.transfer})")


def _discard(run: _Run, h: _Host, release_id: str) -> None:
    """Remove a release this run created on a host and never switched to; a failure is a warning."""
    if not h.prepared:
        return
    try:
        h.runner.run(rel.remove_script(h.layout, [release_id]), what=f"remove releases/{release_id}")
        h.prepared = False
    except DeployError as exc:
        run.say(f"warning: {h.name}: could not remove releases/{release_id} ({exc.message}); it was never live "
                "and will be pruned later.")


def _first_line(command: str) -> str:
    lines = command.strip().splitlines()
    return lines[0] + (" ..." if len(lines) > 1 else "")


# -- switching and restarting ----------------------------------------------------------------------------


def _switch(run: _Run, h: _Host, release_id: str) -> None:
    h.switched = None
    h.runner.run(rel.switch_script(h.layout, release_id, run.token), what=f"switch current -> releases/{release_id}")
    h.switched = True
    h.live = release_id
    if not run.dry_run:
        run.say(f"[{h.name}] live: {release_id} (was {h.previous or 'nothing'})")


def _restart(run: _Run, h: _Host, release_id: str) -> None:
    command = run.config.restart
    if command is None:
        return
    env = {**run.config.env, **h.host.env}
    if not run.dry_run and not run.verbose:
        run.say(f"[{h.name}] restart: {_first_line(command)}")
    h.runner.run(rel.command_script(h.layout, release_id, command, env, in_current=True),
                 what=f"restart: {command}", show=True)


def _switch_back(run: _Run, h: _Host, failed: str, reason: str) -> bool:
    """Make the previous release live again on one host; return whether the host is safe."""
    if h.switched is False:
        h.status = HostStatus.NOT_SWITCHED
        h.live = h.previous
        return True
    target = h.previous
    try:
        if h.switched is None:  # the switch failed midway: find out what is live
            state = rel.parse_state(h.runner.run(rel.probe_script(h.layout), what="read the state").stdout)
            if state.current != failed:
                h.status, h.switched, h.live = HostStatus.NOT_SWITCHED, False, state.current
                return True
        if target is None:
            h.status = HostStatus.FAILED_LIVE
            h.error = "no previous release to roll back to; the failed release stays live"
            run.say(f"[{h.name}] cannot roll back: {failed} was the first release here; it stays live.")
            run.log(h, run.log_line(h, action="rollback", release=None, result="impossible", reason=reason))
            return False
        h.runner.run(rel.switch_script(h.layout, target, run.token), what=f"switch current back -> releases/{target}")
        h.live = target
        h.runner.run(rel.mark_script(h.layout, failed, rel.FAILED), what=f"mark {failed} failed")
        run.say(f"[{h.name}] rolled back: live: {target} ({failed} marked failed)")
        _restart(run, h, target)
        h.status = HostStatus.ROLLED_BACK
        run.log(h, run.log_line(h, action="rollback", release=target, result="ok", previous=failed,
                                reason=f"automatic: {reason}"))
        return True
    except DeployError as exc:
        h.status = HostStatus.FAILED_LIVE
        h.error = f"rollback failed: {exc.message}"
        run.say(f"[{h.name}] ROLLBACK FAILED: {exc.message}")
        run.log(h, run.log_line(h, action="rollback", release=target, result="failed", previous=failed,
                                reason=f"automatic: {reason}"))
        return False


# -- deploy ---------------------------------------------------------------------------------------------


def _git_revision(c: Any, directory: Path) -> str | None:
    where = directory if directory.is_dir() else Path(".")
    try:
        result = c.run(shlex.join(["git", "-C", str(where), "rev-parse", "--short=7", "HEAD"]) + " 2>/dev/null",
                       hide=True, warn=True, in_stream=False)
    except Exception:
        return None
    text = (result.stdout or "").strip()
    return text if result.exited == 0 and text else None


def deploy(
    c: Any,
    config: DeployConfig,
    *,
    release_id: str | None = None,
    dry_run: bool = False,
    check_health: bool = True,
    notify: Notify | None = None,
    stream: IO[str] | None = None,
    verbose: bool = False,
    now: Callable[[], dt.datetime] = _utcnow,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    http_transport: Any = None,
    should_stop: Callable[[], int] = lambda: 0,
) -> DeployResult:
    """Ship the build to every host, switch atomically, check health, roll back when unhealthy.

    Return a :class:`DeployResult` when the release is live and healthy (or for a dry run). Raise
    :class:`~migrations_tasks.errors.DeployFailed` (its ``result`` says what happened per host) when the
    deploy failed and nothing was switched or every host was rolled back; ``RollbackIncomplete`` when a
    host may still serve the failed release; other ``DeployError``/``ConfigError`` when it could not start.

    ``should_stop`` returns a signal number once someone asked the run to stop: before the switch the run
    then removes the new release, releases its locks and raises ``Interrupted``; once switching has begun
    it completes (or rolls back) first.
    """
    notify = notify or _stderr
    started = clock()
    from .config import clean_revision

    with tempfile.TemporaryDirectory(prefix="mt-bundle-") as scratch_dir:
        scratch = Path(scratch_dir)
        bundle = _bundle(config, scratch)
        if release_id is None:
            revision = config.revision or (None if dry_run else clean_revision(_git_revision(c, bundle.root)))
            release_id = rel.new_release_id(now(), revision)
        elif not rel.valid_release_name(release_id):
            raise ConfigError(f"{release_id!r} is not a valid release id (letters, digits, '.', '_', '-').")
        list_file = scratch / "files.list"
        list_file.write_bytes(bundle.list_bytes())
        upload = _Upload(bundle=bundle, list_file=str(list_file), scratch=scratch)
        names = ", ".join(h.name for h in config.hosts)
        notify(f"{'Dry run: would deploy' if dry_run else 'Deploying'} {release_id} ({bundle.describe()}) to {names}"
               + (" (printing every command, running none)" if dry_run else ""))
        with _connected(c, config, dry_run=dry_run, notify=notify, stream=stream, verbose=verbose, now=now) as run:
            try:
                try:
                    _lock_all(run, "deploy", release_id, check_rsync=config.transfer != "tar", create=True)
                    for h in run.hosts:  # a missing rsync stops here, before any upload (could not run)
                        h.transfer = _transfer_for(run, h)
                except (DeployError, ConfigError):
                    for h in run.hosts:
                        _discard(run, h, release_id)
                    raise
                result = _deploy_locked(run, release_id, upload, check_health=check_health, clock=clock,
                                        sleep=sleep, http_transport=http_transport, started=started,
                                        should_stop=should_stop)
            except KeyboardInterrupt:
                notify(f"Interrupted: check what is live with inv deploy.status; the locks this run took are "
                       f"released. Hosts switched to {release_id}: "
                       f"{', '.join(h.name for h in run.hosts if h.switched) or 'none'}.")
                raise
            finally:
                _unlock_all(run)
    return result


def _result(run: _Run, release_id: str, status: DeployStatus, started: float, clock: Callable[[], float],
            health: HealthResult | None = None, error: str | None = None) -> DeployResult:
    return DeployResult(release=release_id, status=status, hosts=tuple(h.outcome(release_id) for h in run.hosts),
                        health=health, seconds=clock() - started, error=error)


def _stop_point(should_stop: Callable[[], int], what: str) -> None:
    signum = should_stop()
    if signum:
        raise Interrupted(f"Stopped by {signal.Signals(signum).name} {what}; nothing was switched: the live "
                          "release is unchanged on every host.", signal_number=signum,
                          hint="Deploy again when you are ready.")


def _deploy_locked(run: _Run, release_id: str, upload: _Upload, *, check_health: bool, clock: Callable[[], float],
                   sleep: Callable[[float], None], http_transport: Any, started: float,
                   should_stop: Callable[[], int] = lambda: 0) -> DeployResult:
    config = run.config
    for h in run.hosts:
        h.previous = h.live = h.state.current

    # 4. prepare everywhere
    try:
        for h in run.hosts:
            _stop_point(should_stop, f"before preparing {h.name}")
            _prepare(run, h, release_id, upload)
        _stop_point(should_stop, "before the switch")
    except Interrupted as exc:
        run.say(exc.message)
        for h in run.hosts:
            _discard(run, h, release_id)
            run.log(h, run.log_line(h, action="deploy", release=release_id, result="stopped", stage="prepare"))
        raise
    except (DeployError, ConfigError) as exc:
        run.say(f"Preparing failed: {exc.message}")
        for h in run.hosts:
            h.error = exc.message if getattr(exc, "host", h.name) == h.name else None
            _discard(run, h, release_id)
            run.log(h, run.log_line(h, action="deploy", release=release_id, result="failed", stage="prepare",
                                    error=exc.message))
        result = _result(run, release_id, DeployStatus.FAILED, started, clock, error=exc.message)
        raise DeployFailed(f"Deploy of {release_id} failed before the switch: {exc.message}\n"
                           "Nothing was switched: the live release is unchanged on every host.",
                           result=result, cause=exc, hint=exc.hint) from None

    # 5. switch everywhere, then restart everywhere
    reason = ""
    failure: MigrationsTasksError | None = None
    try:
        for h in run.hosts:
            _switch(run, h, release_id)
        for h in run.hosts:
            _restart(run, h, release_id)
    except DeployError as exc:
        failure, reason = exc, f"{'switch' if any(h.switched is not True for h in run.hosts) else 'restart'} " \
            f"failed: {exc.message}"

    # 6. health
    health: HealthResult | None = None
    if failure is None and check_health and config.health.enabled and config.health.configured:
        health = _health_after_switch(run, clock=clock, sleep=sleep, http_transport=http_transport)
        if health is not None and not health.healthy:
            reason = f"health checks failed: {health.reason}"
            failure = DeployError(reason)

    if failure is not None:
        run.say(f"Deploy of {release_id} failed ({reason}); rolling back every host.")
        safe = [_switch_back(run, h, release_id, reason) for h in run.hosts]
        all_safe = all(safe)
        for h in run.hosts:
            if h.status == HostStatus.NOT_SWITCHED:
                _discard(run, h, release_id)
            result_word = {HostStatus.ROLLED_BACK: "rolled-back", HostStatus.NOT_SWITCHED: "failed"}.get(
                h.status, "failed-live")
            run.log(h, run.log_line(h, action="deploy", release=release_id, result=result_word, error=reason))
        switched_any = any(h.status in (HostStatus.ROLLED_BACK, HostStatus.FAILED_LIVE) for h in run.hosts)
        status = ((DeployStatus.ROLLED_BACK if switched_any else DeployStatus.FAILED) if all_safe
                  else DeployStatus.ROLLBACK_FAILED)
        result = _result(run, release_id, status, started, clock, health=health, error=reason)
        if not all_safe:
            bad = ", ".join(f"{h.name} ({h.error})" for h in run.hosts if h.status == HostStatus.FAILED_LIVE)
            raise RollbackIncomplete(
                f"Deploy of {release_id} failed ({reason}) and could not be rolled back everywhere: {bad}.",
                result=result, cause=failure,
                hint="Check those hosts now: inv deploy.status; inv deploy.rollback --host NAME (or --to RELEASE).",
            )
        outcome = (f"Rolled back: every host is back on its previous release; {release_id} is marked failed."
                   if switched_any else "Nothing was switched: the live release is unchanged on every host.")
        raise DeployFailed(f"Deploy of {release_id} failed: {reason}\n{outcome}", result=result, cause=failure,
                           hint=failure.hint or "Fix the release and deploy again; inv deploy.status shows each host.")

    # 7. prune, log and unlock (one round trip per host)
    for h in run.hosts:
        h.status = HostStatus.DEPLOYED if not run.dry_run else HostStatus.PLANNED
        _finish(run, h, release_id)
    overall = DeployStatus.DRY_RUN if run.dry_run else DeployStatus.DEPLOYED
    return _result(run, release_id, overall, started, clock, health=health)


def _finish(run: _Run, h: _Host, release_id: str) -> None:
    """Prune old releases (never the live or the previous one), log the deploy and release the lock."""
    keep = run.config.keep_releases
    line = run.log_line(h, action="deploy", release=release_id, result="ok", previous=h.previous)
    if run.dry_run:
        run.say(f"[{h.name}] prune: would delete releases beyond the newest {keep} (never the live or previous "
                "one), decided from the host's state at run time")
        doomed: list[str] = []
    else:
        after = replace(h.state, current=release_id, releases=tuple(sorted({*h.state.releases, release_id})))
        doomed = rel.prune_candidates(after, keep, protect=[release_id, h.previous])
    try:
        result = h.runner.run(rel.finish_script(h.layout, run.token, log=line, remove=doomed),
                              what="prune old releases, log the deploy, release the lock")
    except DeployError as exc:
        run.say(f"warning: {h.name}: pruning/logging failed ({exc.message}); the deploy itself succeeded.")
        return
    h.locked = "unlocked yes" not in result.stdout and not run.dry_run
    if doomed:
        h.pruned = tuple(doomed)
        run.say(f"[{h.name}] pruned: {', '.join(doomed)}")


def _health_after_switch(run: _Run, *, clock: Callable[[], float], sleep: Callable[[float], None],
                         http_transport: Any) -> HealthResult | None:
    cfg = run.config.health
    targets = targets_for(cfg)
    if run.dry_run:
        run.say(f"health: would poll {', '.join(t.label for t in targets)} every {cfg.interval:g} s, for at most "
                f"{cfg.deadline:g} s (roll back if still unhealthy)")
        return None
    run.say(f"health: polling {len(targets)} target{'s' if len(targets) != 1 else ''} for up to {cfg.deadline:g} s")
    return poll(cfg, targets, notify=lambda a: run.say(format_attempt(a)), clock=clock, sleep=sleep,
                transport=http_transport)


def check_health(
    config: DeployConfig,
    *,
    checks: Sequence[HealthCheck] | None = None,
    notify: Notify | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    http_transport: Any = None,
) -> HealthResult:
    """Poll the configured health checks (or ``checks``) until healthy or the deadline; return the result."""
    notify = notify or _stderr
    targets = targets_for(config.health, checks)
    if not targets:
        raise ConfigError("No health checks are configured.",
                          hint="Set deploy.health.urls (or hosts[].health_urls, or health.supabase) in invoke.yaml, "
                          "or pass --url.")
    return poll(config.health, targets, notify=lambda a: notify(format_attempt(a)), clock=clock, sleep=sleep,
                transport=http_transport)


# -- rollback --------------------------------------------------------------------------------------------


def rollback(
    c: Any,
    config: DeployConfig,
    *,
    to: str | None = None,
    dry_run: bool = False,
    notify: Notify | None = None,
    stream: IO[str] | None = None,
    verbose: bool = False,
    now: Callable[[], dt.datetime] = _utcnow,
    clock: Callable[[], float] = time.monotonic,
    should_stop: Callable[[], int] = lambda: 0,
) -> RollbackResult:
    """Switch every host back to its previous good release (or ``to``), restart, mark the left one failed.

    Every host's target is decided before anything changes: if one host has no target, nothing changes
    anywhere (:class:`~migrations_tasks.errors.NoRollbackTarget`, exit 3).
    """
    notify = notify or _stderr
    started = clock()
    if to is not None and not rel.valid_release_name(to):
        raise ConfigError(f"--to {to!r} is not a release name.", hint="inv deploy.status lists the releases.")
    with _connected(c, config, dry_run=dry_run, notify=notify, stream=stream, verbose=verbose, now=now) as run:
        try:
            _lock_all(run, "rollback", to or "previous release")
            _stop_point(should_stop, "before the rollback")
            return _rollback_locked(run, to, started, clock)
        finally:
            _unlock_all(run)


def _rollback_locked(run: _Run, to: str | None, started: float, clock: Callable[[], float]) -> RollbackResult:
    plan: list[tuple[_Host, str]] = []
    for h in run.hosts:
        h.previous = h.live = h.state.current
        if run.dry_run:
            plan.append((h, to or "<the previous good release>"))
            continue
        plan.append((h, rel.rollback_target(h.state, h.name, to)))
    failed_hosts: list[str] = []
    for h, target in plan:
        left = h.state.current
        if target == left:
            h.status = HostStatus.UNCHANGED
            run.say(f"[{h.name}] {target} is live already; nothing to do.")
            continue
        # Going back marks the release left failed (later rollbacks skip it); --to a newer one does not.
        mark = left is not None and (run.dry_run or target < left)
        try:
            h.runner.run(rel.switch_script(h.layout, target, run.token), what=f"switch current -> releases/{target}")
            h.live = target
            if mark and left is not None:
                h.runner.run(rel.mark_script(h.layout, left, rel.FAILED), what=f"mark {left} failed")
            if not run.dry_run:
                run.say(f"[{h.name}] live: {target} (was {left or 'nothing'}{', now marked failed' if mark else ''})")
            _restart(run, h, target)
            h.status = HostStatus.ROLLED_BACK if not run.dry_run else HostStatus.PLANNED
            run.log(h, run.log_line(h, action="rollback", release=target, result="ok", previous=left,
                                    reason="manual" + (f" --to {to}" if to else "")))
        except DeployError as exc:
            h.status, h.error = HostStatus.FAILED_LIVE, exc.message
            failed_hosts.append(h.name)
            run.say(f"[{h.name}] ROLLBACK FAILED: {exc.message}")
            run.log(h, run.log_line(h, action="rollback", release=target, result="failed", previous=left,
                                    error=exc.message))
    outcomes = tuple(h.outcome(target) for h, target in plan)
    if failed_hosts:
        result = RollbackResult(DeployStatus.ROLLBACK_FAILED, outcomes, clock() - started,
                                error=f"failed on {', '.join(failed_hosts)}")
        raise RollbackIncomplete(f"Rollback failed on {', '.join(failed_hosts)}.", result=result,
                                 hint="See the errors above; inv deploy.status shows what is live on each host.")
    status = DeployStatus.DRY_RUN if run.dry_run else DeployStatus.ROLLED_BACK
    return RollbackResult(status, outcomes, clock() - started)


# -- status and unlock ----------------------------------------------------------------------------------


def status(c: Any, config: DeployConfig, *, notify: Notify | None = None, verbose: bool = False,
           now: Callable[[], dt.datetime] = _utcnow) -> StatusReport:
    """Read every host's releases, what is live, which are marked failed, and who holds the lock."""
    notify = notify or _stderr
    out: list[HostReport] = []
    with _connected(c, config, dry_run=False, notify=notify, stream=None, verbose=verbose, now=now) as run:
        for h in run.hosts:
            state = rel.parse_state(h.runner.run(rel.probe_script(h.layout), what="read the state").stdout)
            note = f"current is {state.current_raw}" if state.current_raw else None
            out.append(HostReport(
                host=h.name, exists=state.exists, current=state.current,
                releases=tuple((r, state.states.get(r, "unknown")) for r in state.releases),
                lock_holder=state.holder, note=note))
    return StatusReport(tuple(out))


def unlock(c: Any, config: DeployConfig, *, force: bool = False, dry_run: bool = False, notify: Notify | None = None,
           verbose: bool = False, now: Callable[[], dt.datetime] = _utcnow) -> list[UnlockOutcome]:
    """Show who holds each host's deploy lock; with ``force``, break it (an operator's decision) and log it."""
    notify = notify or _stderr
    outcomes: list[UnlockOutcome] = []
    with _connected(c, config, dry_run=dry_run, notify=notify, stream=None, verbose=verbose, now=now) as run:
        for h in run.hosts:
            holder: dict[str, str] | None = None
            if not dry_run:
                state = rel.parse_state(h.runner.run(rel.probe_script(h.layout), what="read the lock").stdout)
                holder = dict(state.holder) if state.holder is not None else None
            removed = False
            if force and (holder is not None or dry_run):
                result = h.runner.run(rel.unlock_script(h.layout, None), what="break the deploy lock")
                removed = "unlocked yes" in result.stdout or dry_run
                if removed:
                    run.log(h, run.log_line(h, action="unlock", release=(holder or {}).get("release"), result="forced",
                                            holder=(holder or {}).get("who")))
            outcomes.append(UnlockOutcome(host=h.name, holder=holder, removed=removed))
    return outcomes


def ensure_no_lock_problem(outcomes: Sequence[UnlockOutcome]) -> None:
    """Raise DeployLockHeld for the first lock still held (``unlock`` without ``force``)."""
    for o in outcomes:
        if o.holder is not None and not o.removed:
            raise DeployLockHeld(
                f"{o.host}: the deploy lock is held by {rel.describe_holder(o.holder)}.",
                host=o.host, holder=dict(o.holder),
                hint="If that deploy is still running, wait. If it was killed, break the lock: "
                f"inv deploy.unlock --force --host {o.host}",
            )


__all__ = ["check_health", "deploy", "ensure_no_lock_problem", "format_attempt", "rollback", "status", "unlock"]
