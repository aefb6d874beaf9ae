"""Switching a host: make a release live, restart, and switch back (automatically, or as asked).

Each function acts on one host of a :class:`~.session.Run` and records on its
:class:`~.session.HostRun` what is live now and how the host ended (a
:class:`~.results.HostStatus`). The order across hosts is the caller's
(:mod:`~migrations_tasks.deploy.operations`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, NoReturn

from ..errors import DeployError, DeployFailed, MigrationsTasksError, RollbackIncomplete
from . import releases as rel
from .prepare import discard
from .remote_state import prune_candidates
from .results import DeployStatus, HostStatus
from .session import HostRun, Run, probe

if TYPE_CHECKING:
    from .health import HealthResult


def switch(run: Run, h: HostRun, release_id: str) -> None:
    """Point ``current`` at ``release_id`` (atomically); ``h.switched`` is None while the outcome is unknown."""
    h.switched = None
    h.runner.run(rel.switch_script(h.layout, release_id, run.token), what=f"switch current -> releases/{release_id}")
    h.switched = True
    h.live = release_id
    if not run.dry_run:
        run.say(f"[{h.name}] live: {release_id} (was {h.previous or 'nothing'})")


def restart(run: Run, h: HostRun, release_id: str) -> None:
    """Run the ``restart`` command (if any) in ``current``, showing its output."""
    command = run.config.restart
    if command is None:
        return
    env = {**run.config.env, **h.host.env}
    run.announce(h, "restart:", command)
    h.runner.run(
        rel.command_script(h.layout, release_id, command, env, in_current=True), what=f"restart: {command}", show=True
    )


def switch_back(run: Run, h: HostRun, failed: str, reason: str) -> bool:
    """Make the previous release live again on one host; return whether the host is safe."""
    if h.switched is False:
        h.status = HostStatus.NOT_SWITCHED
        h.live = h.previous
        return True
    target = h.previous
    try:
        if h.switched is None:  # the switch failed midway: find out what is live
            state = probe(h)
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
        restart(run, h, target)
        h.status = HostStatus.ROLLED_BACK
        _log_rollback(run, h, target, "ok", failed, reason=f"automatic: {reason}")
        return True
    except DeployError as exc:
        h.status = HostStatus.FAILED_LIVE
        h.error = f"rollback failed: {exc.message}"
        run.say(f"[{h.name}] ROLLBACK FAILED: {exc.message}")
        _log_rollback(run, h, target, "failed", failed, reason=f"automatic: {reason}")
        return False


def roll_to(run: Run, h: HostRun, target: str, to: str | None) -> bool:
    """Switch one host to ``target`` by hand (``deploy.rollback``), restart; return False when that failed.

    Going back marks the release left failed (later rollbacks skip it); ``--to`` a newer one does not.
    """
    left = h.state.current
    if target == left:
        h.status = HostStatus.UNCHANGED
        run.say(f"[{h.name}] {target} is live already; nothing to do.")
        return True
    mark = left is not None and (run.dry_run or target < left)
    try:
        h.runner.run(rel.switch_script(h.layout, target, run.token), what=f"switch current -> releases/{target}")
        h.live = target
        if mark and left is not None:
            h.runner.run(rel.mark_script(h.layout, left, rel.FAILED), what=f"mark {left} failed")
        if not run.dry_run:
            run.say(f"[{h.name}] live: {target} (was {left or 'nothing'}{', now marked failed' if mark else ''})")
        restart(run, h, target)
        h.status = HostStatus.ROLLED_BACK if not run.dry_run else HostStatus.PLANNED
        _log_rollback(run, h, target, "ok", left, reason="manual" + (f" --to {to}" if to else ""))
        return True
    except DeployError as exc:
        h.status, h.error = HostStatus.FAILED_LIVE, exc.message
        run.say(f"[{h.name}] ROLLBACK FAILED: {exc.message}")
        run.log(
            h, run.log_line(h, action="rollback", release=target, result="failed", previous=left, error=exc.message)
        )
        return False


def _log_rollback(run: Run, h: HostRun, target: str | None, result: str, previous: str | None, *, reason: str) -> None:
    run.log(h, run.log_line(h, action="rollback", release=target, result=result, previous=previous, reason=reason))


def switch_all(run: Run, release_id: str) -> tuple[MigrationsTasksError | None, str]:
    """Switch every host, then restart every host; return the failure (if any) and why."""
    try:
        for h in run.hosts:
            switch(run, h, release_id)
        for h in run.hosts:
            restart(run, h, release_id)
    except DeployError as exc:
        step = "switch" if any(h.switched is not True for h in run.hosts) else "restart"
        return exc, f"{step} failed: {exc.message}"
    return None, ""


def roll_back_all(
    run: Run,
    release_id: str,
    failure: MigrationsTasksError,
    reason: str,
    health: HealthResult | None,
    started: float,
) -> NoReturn:
    """Switch every host back to its previous release, log it, and raise what the deploy came to."""
    run.say(f"Deploy of {release_id} failed ({reason}); rolling back every host.")
    all_safe = all([switch_back(run, h, release_id, reason) for h in run.hosts])  # every host, not the first few
    words = {HostStatus.ROLLED_BACK: "rolled-back", HostStatus.NOT_SWITCHED: "failed"}
    for h in run.hosts:
        if h.status == HostStatus.NOT_SWITCHED:
            discard(run, h, release_id)
        word = words.get(h.status, "failed-live")
        run.log(h, run.log_line(h, action="deploy", release=release_id, result=word, error=reason))
    switched_any = any(h.status in (HostStatus.ROLLED_BACK, HostStatus.FAILED_LIVE) for h in run.hosts)
    if all_safe:
        status = DeployStatus.ROLLED_BACK if switched_any else DeployStatus.FAILED
    else:
        status = DeployStatus.ROLLBACK_FAILED
    result = run.result(release_id, status, started, health=health, error=reason)
    if not all_safe:
        bad = ", ".join(f"{h.name} ({h.error})" for h in run.hosts if h.status == HostStatus.FAILED_LIVE)
        raise RollbackIncomplete(
            f"Deploy of {release_id} failed ({reason}) and could not be rolled back everywhere: {bad}.",
            result=result,
            cause=failure,
            hint="Check those hosts now: inv deploy.status; inv deploy.rollback --host NAME (or --to RELEASE).",
        )
    outcome = (
        f"Rolled back: every host is back on its previous release; {release_id} is marked failed."
        if switched_any
        else "Nothing was switched: the live release is unchanged on every host."
    )
    raise DeployFailed(
        f"Deploy of {release_id} failed: {reason}\n{outcome}",
        result=result,
        cause=failure,
        hint=failure.hint or "Fix the release and deploy again; inv deploy.status shows each host.",
    )


def finish(run: Run, h: HostRun, release_id: str) -> None:
    """Prune old releases (never the live or the previous one), log the deploy and release the lock."""
    keep = run.config.keep_releases
    line = run.log_line(h, action="deploy", release=release_id, result="ok", previous=h.previous)
    if run.dry_run:
        run.say(
            f"[{h.name}] prune: would delete releases beyond the newest {keep} (never the live or previous "
            "one), decided from the host's state at run time"
        )
        doomed: list[str] = []
    else:
        after = replace(h.state, current=release_id, releases=tuple(sorted({*h.state.releases, release_id})))
        doomed = prune_candidates(after, keep, protect=[release_id, h.previous])
    try:
        result = h.runner.run(
            rel.finish_script(h.layout, run.token, log=line, remove=doomed),
            what="prune old releases, log the deploy, release the lock",
        )
    except DeployError as exc:
        run.say(f"warning: {h.name}: pruning/logging failed ({exc.message}); the deploy itself succeeded.")
        return
    h.locked = "unlocked yes" not in result.stdout and not run.dry_run
    if doomed:
        h.pruned = tuple(doomed)
        run.say(f"[{h.name}] pruned: {', '.join(doomed)}")
