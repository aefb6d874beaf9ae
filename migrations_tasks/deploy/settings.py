"""Settings of the ``deploy`` section: invoke.yaml, flags and secrets -> :class:`~.config.DeployConfig`.

Raw values come from :mod:`migrations_tasks.config.sources`; :func:`~.parse.parse_deploy_config` validates them.
Secrets come only from the environment or ``.env``: ``DEPLOY_SSH_KNOWN_HOSTS`` (known_hosts lines, for CI),
``DEPLOY_SSH_KEY`` (a private key, for CI), and the Supabase token for the project health check. ``CI``
says the run is in CI (``accept-new`` then needs host keys); :func:`inspect_known_hosts` reads what a
configured known_hosts file holds.
"""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..config import sources
from ..errors import ConfigError
from ..secret import Secret
from .config import DeployConfig, KnownHostsFile, SupabaseSecrets
from .parse import merge_environment, parse_deploy_config

DEPLOY_SECTION = "deploy"
ENV_DEPLOY_KNOWN_HOSTS = "DEPLOY_SSH_KNOWN_HOSTS"
ENV_DEPLOY_KEY = "DEPLOY_SSH_KEY"
ENV_DEPLOY_ACTOR = "DEPLOY_ACTOR"
ENV_DEPLOY_ENV = "DEPLOY_ENV"
ENV_DEPLOY_REVISION = "DEPLOY_REVISION"
ENV_CI = "CI"


def in_ci(env: Mapping[str, str]) -> bool:
    """Return whether ``CI`` is set (to anything but empty, 0, false or no), as CI services set it."""
    return env.get(ENV_CI, "").strip().lower() not in ("", "0", "false", "no")


def known_hosts_unwritable(path: str) -> str | None:
    """Return why ssh could not add a key to a known_hosts path (``~`` expanded), or None when it can."""
    full = os.path.expanduser(path)
    if os.path.exists(full):
        return None if os.access(full, os.W_OK) else "cannot be written"
    parent = os.path.dirname(os.path.abspath(full))
    if not os.path.isdir(parent):
        return f"does not exist, nor does its directory {parent}"
    return None if os.access(parent, os.W_OK | os.X_OK) else f"does not exist and {parent} cannot be written"


def inspect_known_hosts(path: str) -> KnownHostsFile:
    """Return what a known_hosts path holds (``~`` expanded, symlinks followed): keys, none, or not a file."""
    full = os.path.expanduser(path)
    try:
        mode = os.stat(full).st_mode
    except (OSError, ValueError):
        return KnownHostsFile.UNREADABLE
    if not stat.S_ISREG(mode):
        return KnownHostsFile.NOT_A_FILE
    try:
        with open(full, encoding="utf-8", errors="replace") as lines:
            if any(line.strip() and not line.lstrip().startswith("#") for line in lines):
                return KnownHostsFile.KEYS
    except OSError:
        return KnownHostsFile.UNREADABLE
    return KnownHostsFile.EMPTY


def deploy_actor(env: Mapping[str, str]) -> str:
    """Return who deploys, for the lock and the log: DEPLOY_ACTOR, the GitHub actor, or user@machine."""
    if env.get(ENV_DEPLOY_ACTOR):
        return env[ENV_DEPLOY_ACTOR]
    if env.get("GITHUB_ACTOR"):
        return f"{env['GITHUB_ACTOR']} (GitHub Actions)"
    user = env.get("USER") or env.get("LOGNAME") or env.get("USERNAME")
    if not user:
        try:
            import getpass

            user = getpass.getuser()
        except Exception:  # no passwd entry (containers)
            user = "unknown"
    return f"{user}@{socket.gethostname()}"


def _apply_flags(spec: dict[str, Any], given: Mapping[str, Any]) -> None:
    """Lay the task's flags over the section (flags win)."""
    if "build_dir" in given:
        spec["build_dir"], spec["archive"] = given["build_dir"], None
    if "archive" in given:
        spec["archive"], spec["build_dir"] = given["archive"], None
    for key in ("transfer", "keep_releases"):
        if key in given:
            spec[key] = given[key]
    health: Any = spec.get("health") or {}
    if isinstance(health, Mapping):
        health = dict(health)
        if "urls" in given:
            health["urls"] = list(given["urls"])
        for key in ("deadline", "interval", "timeout"):
            if key in given:
                health[key] = given[key]
        if given.get("supabase") and not isinstance(health.get("supabase"), Mapping):
            health["supabase"] = True
        if given.get("health") is False:
            health["enabled"] = False
        spec["health"] = health


def _supabase_secrets(config: Any, spec: Mapping[str, Any], env: Mapping[str, str]) -> SupabaseSecrets | None:
    """Return the token, ref and API URL of the migrations settings when the Supabase health check is on."""
    health = spec.get("health")
    if not isinstance(health, Mapping) or health.get("supabase") in (None, False):
        return None
    from ..config.settings import load_settings

    base = load_settings(config, environ=env, dotenv_path=None, require_database=False)
    return SupabaseSecrets(project_ref=base.project_ref, api_url=base.api_url, token=base.access_token)


def _private_key(env: Mapping[str, str]) -> Secret | None:
    key_text = env.get(ENV_DEPLOY_KEY, "")
    if not key_text.strip():
        return None
    if "PRIVATE KEY" not in key_text:
        raise ConfigError(
            f"{ENV_DEPLOY_KEY} does not hold a private key (no 'PRIVATE KEY' header).",
            hint="Paste the whole key file, from -----BEGIN to -----END, into the secret.",
        )
    return Secret(key_text)


def load_deploy_settings(
    config: Any = None,
    *,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    dotenv_path: Path | None = Path(".env"),
    environment: str | None = None,
    require_hosts: bool = True,
) -> DeployConfig:
    """Read and validate the ``deploy`` section of Invoke config, with flags and secrets from the environment.

    ``environment`` (or ``DEPLOY_ENV``) lays ``deploy.environments.<name>`` over the section. Flags (highest):
    ``build_dir``, ``archive``, ``transfer``, ``keep_releases``, ``revision``, ``hosts`` (names), ``urls``,
    ``deadline``, ``interval``, ``timeout``, ``supabase`` (bool) and ``health`` (False: skip the checks after a
    deploy). ``require_hosts=False`` accepts a missing section or one without hosts (health checks from flags).
    """
    given = {k: v for k, v in (flags or {}).items() if v is not None and v != [] and v != ()}
    env = sources.environment(environ, dotenv_path)
    section = sources.section(config, DEPLOY_SECTION)
    if not section and require_hosts:
        raise ConfigError(
            "invoke.yaml has no 'deploy' section: nothing says where to deploy.",
            hint="Copy the deploy section of invoke.yaml.example into invoke.yaml and set hosts and paths "
            "(README: 'Deploying over SSH').",
        )
    spec = merge_environment(section, environment or env.get(ENV_DEPLOY_ENV) or None) if section else {}
    _apply_flags(spec, given)
    deploy_config = parse_deploy_config(
        spec,
        known_hosts=env.get(ENV_DEPLOY_KNOWN_HOSTS) or None,
        private_key=_private_key(env),
        supabase=_supabase_secrets(config, spec, env),
        actor=deploy_actor(env),
        revision=given.get("revision") or env.get(ENV_DEPLOY_REVISION) or None,
        require_hosts=require_hosts,
        ci=in_ci(env),
        inspect_known_hosts=inspect_known_hosts,
        unwritable_known_hosts=known_hosts_unwritable,
    )
    names = given.get("hosts")
    return deploy_config.only([names] if isinstance(names, str) else list(names)) if names else deploy_config
