"""The release flow task: the staging gate that CI runs through ``nox -s staging_gate``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from ..report import Reporter
from ._common import exits, settings


@task(help={
    "env": "environment: staging (default), production, sandbox, or any name under release.environments",
    "apply_migrations": "apply pending migrations instead of blocking on them (overrides the environment's policy)",
    "record_dir": "directory for the JSON run record (default: .release)",
    "migrations_dir": "directory of migration files (default: supabase/migrations)",
})
def release(
    c: Context,
    env: str = "staging",
    apply_migrations: bool = False,
    record_dir: str | None = None,
    migrations_dir: str | None = None,
) -> Any:
    """Release: db.check -> (db.apply) -> db.verify -> deploy.vps -> deploy.health; undo this run on failure."""
    from .. import release as flow
    from ..settings import load_deploy_settings, load_release_settings

    reporter = Reporter()
    sandbox = None
    try:
        with exits(reporter):
            options = load_release_settings(getattr(c, "config", None), env)
            policy = "apply" if apply_migrations else options.policy
            flags: dict[str, Any] = {"migrations_dir": migrations_dir, "project_ref": options.project_ref}
            environ: dict[str, str] | None = None
            if options.sandbox:
                from ..sandbox import Sandbox

                print("Starting the sandbox (embedded PostgreSQL + local Management API)...", flush=True)
                sandbox = Sandbox().start()
                environ = {k: v for k, v in os.environ.items() if not k.startswith("SUPABASE_")}
                environ.update({k: v for k, v in sandbox.env.items() if k.startswith("SUPABASE_")})
                flags["project_ref"] = None
                os.environ.update(environ)  # the deploy's Supabase health check reads the same project
            s = settings(c, **flags) if environ is None else _sandbox_settings(c, environ, flags)
            deploy_config = load_deploy_settings(getattr(c, "config", None), environment=env,
                                                 require_hosts=False) if options.deploy else None
            if deploy_config is not None and not deploy_config.hosts:
                deploy_config = None
            record = flow.run(c, s, deploy_config, env=env, policy=policy,
                              record_dir=Path(record_dir or options.record_dir),
                              say=lambda text: print(text, flush=True))
    finally:
        if sandbox is not None:
            _stop_sandbox_app(c, env)
            sandbox.stop()
    print("\n" + flow.summary_text(record), flush=True)
    if record.exit_code:
        print(f"error: release to {env} {record.status}: {record.error}", file=sys.stderr, flush=True)
        raise Exit(code=record.exit_code)
    return record


def _sandbox_settings(c: Context, environ: dict[str, str], flags: dict[str, Any]) -> Any:
    from .. import github
    from ..settings import load_settings

    result = load_settings(getattr(c, "config", None), flags=flags, environ=environ, dotenv_path=None)
    github.mask(result.secrets())
    return result


def _stop_sandbox_app(c: Context, env: str) -> None:
    """Run the sandbox environment's ``stop`` command (the sample app started by ``restart``), if any."""
    from ..settings import load_release_settings

    try:
        options = load_release_settings(getattr(c, "config", None), env)
    except Exception:  # the flow already reported configuration problems
        return
    if options.stop:
        c.run(options.stop, warn=True, hide=True, in_stream=False)
