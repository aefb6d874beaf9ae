"""Deploy tasks: ship a release over SSH, check its health, roll back, inspect and unlock the hosts.

Thin on purpose: read settings, call :mod:`migrations_tasks.deploy` (imported only when a task runs),
render, and turn errors into the documented exit codes (0 ok, 1 failed and rolled back or unhealthy,
3 could not run, 4 failed and not rolled back everywhere, 130/143 stopped by SIGINT/SIGTERM: before the switch,
while health was unverified (switched back), or after it completed).
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from invoke.context import Context
from invoke.exceptions import Exit

from ..errors import DeployFailed, MigrationsTasksError, RollbackIncomplete
from ..output.reporter import Reporter
from ._common import stoppable, task

if TYPE_CHECKING:
    from ..deploy.config import DeployConfig

COMMON_HELP = {
    "host": "takes a name from invoke.yaml deploy.hosts: only that host (repeat for several; default: every host)",
    "env": "deploy environment: lay invoke.yaml deploy.environments.<ENV> over the deploy section",
    "json": "print one JSON document instead of the table",
}
VERBOSE_HELP = {"verbose": "print every command line before running it"}
STOPPING = (
    "stopping at the next safe point: before the switch the command in flight is ended and the new release "
    "removed; after it the command in flight finishes, then every host is switched back unless health checks "
    "had passed (send it again to abort at once: the command in flight is ended, the locks are still released)."
)
#: What a second signal leaves behind, and how to look.
ABORTED = "Aborted; inv deploy.status shows what is live, inv deploy.unlock who holds the lock."
VPS_HELP = {
    **COMMON_HELP,
    "verbose": "print every command line before running it, and every health poll",
    "build_dir": "directory to ship (default: invoke.yaml deploy.build_dir)",
    "archive": "tar/zip archive to ship instead of a directory",
    "revision": "revision for the release id (default: the build's git sha, if any)",
    "release_id": "use this release id instead of <UTC timestamp>-<sha>",
    "transfer": "auto (rsync when both ends have it, else tar over ssh), rsync or tar",
    "dry_run": "print every command, local and remote, and run none",
    "health": "run the configured health checks after the switch (--no-health skips them)",
}
HEALTH_HELP = {
    **COMMON_HELP,
    "url": "takes a URL to poll (repeat for several; replaces the configured ones): expects 200",
    "supabase": "also require the Supabase project's services to be ACTIVE_HEALTHY",
    "deadline": "give up after this many seconds (default: deploy.health.deadline, 60)",
    "interval": "seconds between rounds (default: deploy.health.interval, 2)",
    "timeout": "seconds per request (default: deploy.health.timeout, 5)",
    "verbose": "print every poll (default: each change, and a summary every 5 s while failing)",
    "json": "print one JSON document instead of the verdict",
}
ROLLBACK_HELP = {
    **COMMON_HELP,
    **VERBOSE_HELP,
    "to": "release to switch to (default: the previous good release; inv deploy.status lists them)",
    "dry_run": "print every command and run none",
}
UNLOCK_HELP = {
    **COMMON_HELP,
    "force": "break the lock even though someone holds it (only when that deploy is dead)",
    "dry_run": "print the commands and run none",
    "json": "print one JSON document instead of a line per host",
}


def _config(c: Context, env: str | None, *, require_hosts: bool = True, **flags: Any) -> DeployConfig:
    from ..deploy.settings import load_deploy_settings

    return load_deploy_settings(
        getattr(c, "config", None), flags=flags, dotenv_path=Path(".env"), environment=env, require_hosts=require_hosts
    )


def _switching(
    c: Context, env: str | None, json: bool, action: str, flags: Mapping[str, Any], options: Mapping[str, Any]
) -> Any:
    """Run ``deploy`` or ``rollback`` as a task: settings from ``flags``, output, signals, rendering, exit codes.

    A failed run's result (carried by DeployFailed) is rendered too, then the task exits with its code.
    """
    from ..deploy import operations, render, results
    from ..deploy.runtime import Runtime

    actions: dict[str, tuple[Callable[..., Any], Callable[..., None], type]] = {
        "deploy": (operations.deploy, render.render_deploy, results.DeployResult),
        "rollback": (operations.rollback, render.render_rollback, results.RollbackResult),
    }
    operation, show, kind = actions[action]
    reporter = Reporter(json=json)
    with stoppable(reporter, STOPPING, ABORTED) as stop:
        config = _config(c, env, **flags)
        try:
            result = operation(
                c, config, notify=reporter.progress, stream=reporter.err, runtime=Runtime(should_stop=stop), **options
            )
        except DeployFailed as exc:
            show(reporter, exc.result if isinstance(exc.result, kind) else None, exc)
            _fail(reporter, exc, stop())
        show(reporter, result)
        if stop():  # it came after the switch had begun: the run completed first, and still exits as stopped
            reporter.progress(f"Stopped by {signal.Signals(stop()).name} after the switch had begun; it completed.")
            raise Exit(code=128 + stop())
        return result


def _fail(reporter: Reporter, exc: MigrationsTasksError, signum: int = 0) -> NoReturn:
    """Print a failure whose result was already rendered (stderr), and exit with its code.

    A run a signal stopped exits 128 + that signal, unless a host may still serve the failed release (4).
    """
    reporter.progress(f"error: {exc.message}")
    if exc.hint:
        reporter.progress(f"  hint: {exc.hint}")
    stopped = signum and not isinstance(exc, RollbackIncomplete)
    raise Exit(code=128 + signum if stopped else exc.exit_code)


@task(auto_shortflags=False, iterable=["host"], help=VPS_HELP)
def vps(
    c: Context,
    host: list[str] | None = None,
    env: str | None = None,
    build_dir: str | None = None,
    archive: str | None = None,
    revision: str | None = None,
    release_id: str | None = None,
    transfer: str | None = None,
    dry_run: bool = False,
    health: bool = True,
    json: bool = False,
    verbose: bool = False,
) -> Any:
    """Ship the build to the servers over SSH, switch atomically, roll back if unhealthy."""
    flags = dict(hosts=host, build_dir=build_dir, archive=archive, revision=revision, transfer=transfer, health=health)
    options = {"release_id": release_id, "dry_run": dry_run, "check_health": health, "verbose": verbose}
    return _switching(c, env, json, "deploy", flags, options)


@task(auto_shortflags=False, iterable=["url", "host"], help=HEALTH_HELP)
def health(
    c: Context,
    url: list[str] | None = None,
    host: list[str] | None = None,
    env: str | None = None,
    supabase: bool = False,
    deadline: float | None = None,
    interval: float | None = None,
    timeout: float | None = None,
    json: bool = False,
    verbose: bool = False,
) -> Any:
    """Poll the health checks until healthy (exit 0) or the deadline passes (exit 1)."""
    from ..deploy.operations import check_health
    from ..deploy.render import render_health
    from ..deploy.runtime import Runtime
    from ..errors import HealthCheckFailed

    flags = dict(hosts=host, urls=url, supabase=supabase, deadline=deadline, interval=interval, timeout=timeout)
    reporter = Reporter(json=json)
    with stoppable(reporter, "stopping the health checks.", "Aborted.") as stop:
        config = _config(c, env, require_hosts=not url, **flags)
        result = check_health(config, notify=reporter.progress, runtime=Runtime(should_stop=stop), verbose=verbose)
        if not result.healthy:
            error = HealthCheckFailed(
                f"Unhealthy at the deadline: {result.reason}",
                result=result,
                hint="Look at the failing endpoint; inv deploy.rollback switches back.",
            )
            render_health(reporter, result, error)
            _fail(reporter, error)
        render_health(reporter, result)
    return result


@task(auto_shortflags=False, iterable=["host"], help=ROLLBACK_HELP)
def rollback(
    c: Context,
    to: str | None = None,
    host: list[str] | None = None,
    env: str | None = None,
    dry_run: bool = False,
    json: bool = False,
    verbose: bool = False,
) -> Any:
    """Switch back to the previous good release (or --to), restart, mark the bad one failed."""
    return _switching(c, env, json, "rollback", {"hosts": host}, {"to": to, "dry_run": dry_run, "verbose": verbose})


@task(auto_shortflags=False, iterable=["host"], help=UNLOCK_HELP)
def unlock(
    c: Context,
    force: bool = False,
    host: list[str] | None = None,
    env: str | None = None,
    dry_run: bool = False,
    json: bool = False,
) -> Any:
    """Show who holds the deploy lock; with --force, break a lock left by a killed deploy."""
    from ..deploy.operations import ensure_no_lock_problem
    from ..deploy.operations import unlock as do_unlock
    from ..deploy.render import render_unlock
    from ..deploy.runtime import Runtime

    reporter = Reporter(json=json)
    with stoppable(reporter, "stopping after the host in flight.", ABORTED) as stop:
        config = _config(c, env, hosts=host)
        runtime = Runtime(should_stop=stop)
        outcomes = do_unlock(c, config, force=force, dry_run=dry_run, notify=reporter.progress, runtime=runtime)
        render_unlock(reporter, outcomes, force=force)
        if not force:
            ensure_no_lock_problem(outcomes)
    return outcomes


@task(auto_shortflags=False, iterable=["host"], help=COMMON_HELP)
def status(c: Context, host: list[str] | None = None, env: str | None = None, json: bool = False) -> Any:
    """List each host's releases: which is live, which failed, who holds the lock."""
    from ..deploy.operations import status as do_status
    from ..deploy.render import render_status
    from ..deploy.runtime import Runtime

    reporter = Reporter(json=json)
    with stoppable(reporter, "ending the read in flight.", "Aborted.") as stop:
        config = _config(c, env, hosts=host)
        report = do_status(c, config, notify=reporter.progress, runtime=Runtime(should_stop=stop))
        render_status(reporter, report)
    return report
