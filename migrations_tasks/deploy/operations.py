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
as such). Steps 1 and 4 are :mod:`~.prepare`, 2 and 3 :mod:`~.session`, 5 to 7 :mod:`~.switch`; this
module puts them in order and turns what happened into results and errors. The injected callables (clock,
sleep, HTTP transport, stop requests) travel as one :class:`~.runtime.Runtime`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from ..errors import ConfigError, DeployError, DeployLockHeld, RollbackIncomplete
from ..progress import Notify
from . import releases as rel
from .config import DeployConfig, HealthCheck
from .health import HealthResult, targets_for
from .polling import format_attempt, poll
from .prepare import Upload, discard, prepare_all, stage, transfer_for
from .remote_state import rollback_target
from .results import DeployResult, DeployStatus, HostReport, HostStatus, RollbackResult, StatusReport, UnlockOutcome
from .runner import stopped
from .runtime import Runtime
from .session import HostRun, Run, connected, lock_all, probe, stderr, unlock_all
from .switch import finish, roll_back_all, roll_to, switch_all

# -- deploy ---------------------------------------------------------------------------------------------


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
    runtime: Runtime | None = None,
) -> DeployResult:
    """Ship the build to every host, switch atomically, check health, roll back when unhealthy.

    Return a :class:`DeployResult` when the release is live and healthy (or for a dry run). Raise
    :class:`~migrations_tasks.errors.DeployFailed` (its ``result`` says what happened per host) when the
    deploy failed and nothing was switched or every host was rolled back; ``RollbackIncomplete`` when a
    host may still serve the failed release; other ``DeployError``/``ConfigError`` when it could not start.

    ``runtime.should_stop`` returns a signal number once someone asked the run to stop: before the switch
    the run then ends the command in flight (upload, ``before_switch``), removes the new release, releases
    its locks and raises ``Interrupted``; once switching has begun the command in flight completes, health
    polling stops (or is not started) and every host is switched back as after failed health checks
    (``DeployFailed``), unless health had passed or none is configured. A KeyboardInterrupt (a second
    signal) aborts: the command in flight is ended, a release never switched to is removed, the locks are
    released, and it is raised again carrying ``deploy_result`` (what is live where).
    """
    notify = notify or stderr
    runtime = runtime or Runtime()
    started = runtime.clock()
    with tempfile.TemporaryDirectory(prefix="mt-bundle-") as scratch_dir:
        release_id, upload = stage(c, config, Path(scratch_dir), release_id, dry_run=dry_run, now=runtime.now)
        names = ", ".join(h.name for h in config.hosts)
        notify(
            f"{'Dry run: would deploy' if dry_run else 'Deploying'} {release_id} ({upload.bundle.describe()}) to "
            f"{names}" + (" (printing every command, running none)" if dry_run else "")
        )
        with connected(
            c, config, dry_run=dry_run, notify=notify, stream=stream, verbose=verbose, runtime=runtime
        ) as run:
            try:
                _lock_for_deploy(run, release_id)
                return _deploy_locked(run, release_id, upload, check_health=check_health, started=started)
            except KeyboardInterrupt as exc:
                exc.deploy_result = _aborted(run, release_id, started)  # type: ignore[attr-defined]
                raise
            finally:
                unlock_all(run)


def _aborted(run: Run, release_id: str, started: float) -> DeployResult:
    """After a KeyboardInterrupt: remove the new release where it never went live, say and return what is live.

    A host that was switched (or may have been) and not switched back counts as ``failed-live``: the
    release may be live there, unverified (a host whose deploy had finished stays ``deployed``).
    """
    switched = [h.name for h in run.hosts if h.switched is not False]
    if not switched:
        for h in run.hosts:
            discard(run, h, release_id)
    for h in run.hosts:
        if h.switched is False or h.status is not HostStatus.NOT_SWITCHED:
            continue
        if h.switched and h.live != release_id:  # switched back, aborted before its restart or log line
            h.status = HostStatus.ROLLED_BACK
        else:
            h.status, h.live = HostStatus.FAILED_LIVE, release_id
            h.error = h.error or "aborted after the switch: this release may be live, unverified"
    run.say(
        f"Interrupted: check what is live with inv deploy.status; the locks this run took are released. "
        f"Hosts switched to {release_id}: {', '.join(switched) or 'none (its release directories are removed)'}."
    )
    status = DeployStatus.ROLLBACK_FAILED if switched else DeployStatus.FAILED
    return run.result(release_id, status, started, error="aborted by a second signal")


def _lock_for_deploy(run: Run, release_id: str) -> None:
    """Lock every host (creating the new release directory) and pick each host's transfer, or undo that."""
    try:
        lock_all(run, "deploy", release_id, check_rsync=run.config.transfer != "tar", create=True)
        for h in run.hosts:  # a missing rsync stops here, before any upload (could not run)
            h.transfer = transfer_for(run, h)
    except (DeployError, ConfigError):
        for h in run.hosts:
            discard(run, h, release_id)
        raise


def _deploy_locked(run: Run, release_id: str, upload: Upload, *, check_health: bool, started: float) -> DeployResult:
    config = run.config
    for h in run.hosts:
        h.previous = h.live = h.state.current
    run.interruptible = True  # 4. prepare everywhere; a stop request ends the command in flight
    try:
        prepare_all(run, release_id, upload, started)
    finally:
        run.interruptible = False
    failure, reason = switch_all(run, release_id)  # 5. switch everywhere, then restart everywhere

    # 6. health
    health: HealthResult | None = None
    if failure is None and check_health and config.health.enabled and config.health.configured:
        health = _health_after_switch(run)
        if health is not None and health.stopped:  # the safe path: the release is unverified, switch back
            reason = f"{health.stopped} asked to stop before the health checks passed"
            failure = DeployError(reason)
        elif health is not None and not health.healthy:
            reason = f"health checks failed: {health.reason}"
            failure = DeployError(reason)
    if failure is not None:
        roll_back_all(run, release_id, failure, reason, health, started)

    # 7. prune, log and unlock (one round trip per host)
    for h in run.hosts:
        h.status = HostStatus.DEPLOYED if not run.dry_run else HostStatus.PLANNED
        finish(run, h, release_id)
    return run.result(release_id, DeployStatus.DRY_RUN if run.dry_run else DeployStatus.DEPLOYED, started, health)


# -- health ------------------------------------------------------------------------------------------------


def _health_after_switch(run: Run) -> HealthResult | None:
    cfg = run.config.health
    targets = targets_for(cfg)
    if run.dry_run:
        run.say(
            f"health: would poll {', '.join(t.label for t in targets)} every {cfg.interval:g} s, for at most "
            f"{cfg.deadline:g} s (roll back if still unhealthy)"
        )
        return None
    run.say(f"health: polling {len(targets)} target{'s' if len(targets) != 1 else ''} for up to {cfg.deadline:g} s")
    rt = run.runtime
    return poll(
        cfg,
        targets,
        notify=lambda a: run.say(format_attempt(a)),
        verbose=run.verbose,
        clock=rt.clock,
        sleep=rt.sleep,
        transport=rt.http_transport,
        should_stop=rt.should_stop,
    )


def check_health(
    config: DeployConfig,
    *,
    checks: Sequence[HealthCheck] | None = None,
    notify: Notify | None = None,
    verbose: bool = False,
    runtime: Runtime | None = None,
) -> HealthResult:
    """Poll the configured health checks (or ``checks``) until healthy or the deadline; return the result.

    Progress shows each change and a summary every 5 s while failing; ``verbose`` shows every poll.
    """
    say = notify or stderr
    rt = runtime or Runtime()
    targets = targets_for(config.health, checks)
    if not targets:
        raise ConfigError(
            "No health checks are configured.",
            hint="Set deploy.health.urls (or hosts[].health_urls, or health.supabase) in invoke.yaml, or pass --url.",
        )
    return poll(
        config.health,
        targets,
        notify=lambda a: say(format_attempt(a)),
        verbose=verbose,
        clock=rt.clock,
        sleep=_stoppable_sleep(rt),
        transport=rt.http_transport,
    )


def _stoppable_sleep(rt: Runtime, step: float = 0.1) -> Callable[[float], None]:
    """Return ``rt.sleep`` in slices of ``step`` seconds that raises Interrupted once a stop is requested."""

    def sleep(seconds: float) -> None:
        ends = rt.clock() + seconds
        while True:
            signum = rt.should_stop()
            if signum:
                raise stopped(signum, "while polling the health checks", "no verdict", "Run inv deploy.health again.")
            left = ends - rt.clock()
            if left <= 0:
                return
            rt.sleep(min(step, left))

    return sleep


# -- rollback --------------------------------------------------------------------------------------------


def rollback(
    c: Any,
    config: DeployConfig,
    *,
    to: str | None = None,
    notify: Notify | None = None,
    stream: IO[str] | None = None,
    verbose: bool = False,
    dry_run: bool = False,
    runtime: Runtime | None = None,
) -> RollbackResult:
    """Switch every host back to its previous good release (or ``to``), restart, mark the left one failed.

    Every host's target is decided before anything changes: if one host has no target, nothing changes
    anywhere (:class:`~migrations_tasks.errors.NoRollbackTarget`, exit 3).
    """
    notify = notify or stderr
    runtime = runtime or Runtime()
    started = runtime.clock()
    if to is not None and not rel.valid_release_name(to):
        raise ConfigError(f"--to {to!r} is not a release name.", hint="inv deploy.status lists the releases.")
    with connected(c, config, dry_run=dry_run, notify=notify, stream=stream, verbose=verbose, runtime=runtime) as run:
        try:
            lock_all(run, "rollback", to or "previous release")
            run.stop_point("before the rollback")
            return _rollback_locked(run, to, started)
        finally:
            unlock_all(run)


def _rollback_locked(run: Run, to: str | None, started: float) -> RollbackResult:
    plan: list[tuple[HostRun, str]] = []
    for h in run.hosts:
        h.previous = h.live = h.state.current
        target = (to or "<the previous good release>") if run.dry_run else rollback_target(h.state, h.name, to)
        plan.append((h, target))
    failed_hosts = [h.name for h, target in plan if not roll_to(run, h, target, to)]
    outcomes = tuple(h.outcome(target) for h, target in plan)
    clock = run.runtime.clock
    if failed_hosts:
        result = RollbackResult(
            DeployStatus.ROLLBACK_FAILED, outcomes, clock() - started, error=f"failed on {', '.join(failed_hosts)}"
        )
        raise RollbackIncomplete(
            f"Rollback failed on {', '.join(failed_hosts)}.",
            result=result,
            hint="See the errors above; inv deploy.status shows what is live on each host.",
        )
    status = DeployStatus.DRY_RUN if run.dry_run else DeployStatus.ROLLED_BACK
    return RollbackResult(status, outcomes, clock() - started)


# -- status and unlock ----------------------------------------------------------------------------------


def status(
    c: Any, config: DeployConfig, *, notify: Notify | None = None, verbose: bool = False, runtime: Runtime | None = None
) -> StatusReport:
    """Read every host's releases, what is live, which are marked failed, and who holds the lock."""
    notify, runtime = notify or stderr, runtime or Runtime()
    out: list[HostReport] = []
    with connected(c, config, dry_run=False, notify=notify, stream=None, verbose=verbose, runtime=runtime) as run:
        run.interruptible = True  # reads only: a stop request ends the read in flight
        for h in run.hosts:
            run.stop_point(f"before reading {h.name}")
            state = probe(h)
            out.append(
                HostReport(
                    host=h.name,
                    exists=state.exists,
                    current=state.current,
                    releases=tuple((r, state.states.get(r, "unknown")) for r in state.releases),
                    lock_holder=state.holder,
                    note=f"current is {state.current_raw}" if state.current_raw else None,
                )
            )
    return StatusReport(tuple(out))


def unlock(
    c: Any,
    config: DeployConfig,
    *,
    force: bool = False,
    dry_run: bool = False,
    notify: Notify | None = None,
    verbose: bool = False,
    runtime: Runtime | None = None,
) -> list[UnlockOutcome]:
    """Show who holds each host's deploy lock; with ``force``, break it (an operator's decision) and log it."""
    notify, runtime = notify or stderr, runtime or Runtime()
    outcomes: list[UnlockOutcome] = []
    with connected(c, config, dry_run=dry_run, notify=notify, stream=None, verbose=verbose, runtime=runtime) as run:
        for h in run.hosts:
            _stop_unlocking(run, h, outcomes)
            holder: dict[str, str] | None = None
            if not dry_run:
                state = probe(h, "read the lock")
                holder = dict(state.holder) if state.holder is not None else None
            removed = False
            if force and (holder is not None or dry_run):
                result = h.runner.run(rel.unlock_script(h.layout, None), what="break the deploy lock")
                removed = "unlocked yes" in result.stdout or dry_run
                if removed:
                    line = run.log_line(
                        h,
                        action="unlock",
                        release=(holder or {}).get("release"),
                        result="forced",
                        holder=(holder or {}).get("who"),
                    )
                    run.log(h, line)
            outcomes.append(UnlockOutcome(host=h.name, holder=holder, removed=removed))
    return outcomes


def _stop_unlocking(run: Run, h: HostRun, done: Sequence[UnlockOutcome]) -> None:
    """Raise Interrupted before ``h`` when a stop was requested (the host in flight is always finished)."""
    signum = run.runtime.should_stop()
    if signum:
        broken = ", ".join(o.host for o in done if o.removed) or "none"
        hint = "inv deploy.unlock shows who holds each lock now."
        raise stopped(signum, f"before {h.name}", f"locks broken so far: {broken}", hint)


def ensure_no_lock_problem(outcomes: Sequence[UnlockOutcome]) -> None:
    """Raise DeployLockHeld for the first lock still held (``unlock`` without ``force``)."""
    for o in outcomes:
        if o.holder is not None and not o.removed:
            raise DeployLockHeld(
                f"{o.host}: the deploy lock is held by {rel.describe_holder(o.holder)}.",
                host=o.host,
                holder=dict(o.holder),
                hint="If that deploy is still running, wait. If it was killed, break the lock: "
                f"inv deploy.unlock --force --host {o.host}",
            )


__all__ = ["check_health", "deploy", "ensure_no_lock_problem", "rollback", "status", "unlock"]
