"""Prepare an environment for the gate: its settings and deploy config, and the sandbox when it is one.

For the ``sandbox`` environment a throwaway sandbox is started first; the run then sees the sandbox's
``SUPABASE_*`` values instead of the process's and ``.env``'s (:func:`~.config.sources.sandbox_environment`,
passed down explicitly: nothing changes ``os.environ``), and
afterwards the environment's ``stop`` command runs and the sandbox stops.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..config.settings import Settings, load_settings
from ..config.sources import sandbox_environment
from ..output import github
from ..progress import Notify, ShouldStop, never
from .flow import run
from .options import GateOptions, MigrationsPolicy, load_gate_options
from .record import RunRecord

if TYPE_CHECKING:  # the deploy modules load when the environment deploys
    from invoke.context import Context

    from ..deploy.config import DeployConfig


@dataclass(frozen=True)
class Prepared:
    """What a gate run needs: settings, and the deploy config (None: this environment does not deploy)."""

    settings: Settings
    deploy_config: DeployConfig | None
    #: With the environment's ``targets:``, the settings of each target (the migrations steps run on all).
    targets: tuple[Settings, ...] = ()


@contextmanager
def prepared(c: Context, options: GateOptions, *, migrations_dir: str | None, say: Notify) -> Iterator[Prepared]:
    """Yield the environment's settings and deploy config; start (and afterwards stop) a sandbox for it."""
    from ..deploy.settings import load_deploy_settings

    config = getattr(c, "config", None)
    flags: dict[str, str | None] = {"migrations_dir": migrations_dir, "project_ref": options.project_ref}
    environ: dict[str, str] | None = None
    dotenv: Path | None = Path(".env")
    sandbox = None
    try:
        if options.sandbox:
            from ..sandbox import Sandbox

            say("Starting the sandbox (embedded PostgreSQL + local Management API)...")
            sandbox = Sandbox().start()
            environ, dotenv, flags["project_ref"] = sandbox_environment(sandbox.env), None, None
        if options.targets:
            flags["target"] = options.targets
        settings = load_settings(config, flags=flags, environ=environ, dotenv_path=dotenv)
        targets = tuple(settings.select(options.targets)) if options.targets else ()
        github.mask([secret for s in (settings, *targets) for secret in s.secrets()])
        deploy_config = None
        if options.deploy:
            loaded = load_deploy_settings(
                config, environment=options.env, require_hosts=False, environ=environ, dotenv_path=dotenv
            )
            deploy_config = loaded if loaded.hosts else None
        yield Prepared(settings, deploy_config, targets)
    finally:
        if sandbox is not None:
            if options.stop:
                c.run(options.stop, warn=True, hide=True, in_stream=False)
            sandbox.stop()


def run_gate(
    c: Context,
    *,
    env: str,
    apply_migrations: bool = False,
    record_dir: str | None = None,
    migrations_dir: str | None = None,
    say: Notify = print,
    should_stop: ShouldStop = never,
) -> RunRecord:
    """Run the gate for the environment ``env`` of invoke.yaml (``release.environments``)."""
    options = load_gate_options(getattr(c, "config", None), env)
    policy = MigrationsPolicy.APPLY if apply_migrations else options.policy
    with prepared(c, options, migrations_dir=migrations_dir, say=say) as ready:
        return run(
            c,
            ready.settings,
            ready.deploy_config,
            env=env,
            policy=policy,
            plan_policy=options.plan,
            record_dir=Path(record_dir or options.record_dir),
            say=say,
            should_stop=should_stop,
            undo_after_switch=options.undo_after_switch,
            targets=ready.targets,
            fleet=options.fleet,
            contract=options.contract,
        )
