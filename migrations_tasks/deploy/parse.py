"""Parse the ``deploy`` section of ``invoke.yaml`` into a :class:`~.config.DeployConfig` (pure).

:func:`parse_deploy_config` turns a plain mapping (read by :mod:`~migrations_tasks.deploy.settings`) into a
:class:`~.config.DeployConfig`. It does no I/O; every problem found is collected
(:class:`~migrations_tasks.config.validate.Problems`) and raised as one :class:`~migrations_tasks.errors.ConfigError`
naming the key at fault, e.g. ``deploy.hosts[1].port``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from ..config.validate import Problems
from ..errors import ConfigError
from ..secret import Secret
from .config import (
    ADDRESS_RE,
    DEFAULT_KEEP_RELEASES,
    DEFAULT_SUPABASE_SERVICES,
    ENV_NAME_RE,
    NAME_RE,
    SUPABASE_SERVICES,
    TRANSFERS,
    USER_RE,
    DeployConfig,
    HealthCheck,
    HealthConfig,
    Host,
    SupabaseHealth,
    SupabaseSecrets,
    clean_actor,
    clean_revision,
    normal_path,
)
from .parse_ssh import Inspect, Unwritable, parse_ssh

_HINT = "Fix the deploy section of invoke.yaml (see invoke.yaml.example and the README's 'Deploying over SSH')."


def _relative_path(errors: Problems, where: str, value: Any) -> str | None:
    """A path inside a release: relative, normalised, never leaving the release."""
    text = errors.text(where, value, required=True)
    if text is None:
        return None
    path = PurePosixPath(text.strip().rstrip("/"))
    if path.is_absolute() or not path.parts or ".." in path.parts or str(path) in (".", ""):
        errors.add(where, f"must be a path inside the release such as '.env' or 'storage/uploads', not {text!r}.")
        return None
    return str(path)


def _deploy_path(errors: Problems, where: str, value: Any, *, local: bool) -> str | None:
    text = errors.text(where, value, required=True)
    if text is None:
        return None
    if not text.strip().startswith("/"):
        hint = "an absolute path" if local else "an absolute path such as /srv/app (not ~/app)"
        errors.add(where, f"must be {hint}, not {text!r}.")
        return None
    path = normal_path(text.strip())
    if ".." in PurePosixPath(path).parts:
        errors.add(where, f"must be a dedicated directory written without '..', not {text!r}.")
        return None
    if path == "/":
        errors.add(where, f"must be a dedicated directory, not {text!r}: releases/ and current would go into /.")
        return None
    return path


def _env(errors: Problems, where: str, value: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, item in errors.mapping(where, value).items():
        if not isinstance(key, str) or not ENV_NAME_RE.match(key):
            errors.add(f"{where}", f"has an invalid variable name {key!r}.")
            continue
        text = errors.text(f"{where}.{key}", "" if item is None else item)
        out[key] = text or ""
    return out


def _url(errors: Problems, where: str, value: Any) -> str | None:
    text = errors.text(where, value, required=True)
    if text is None:
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        errors.add(where, f"must be an http:// or https:// URL, not {text!r}.")
        return None
    if parts.username or parts.password:
        errors.add(where, "must not contain credentials (user:password@).")
        return None
    return text


def _checks(errors: Problems, where: str, value: Any, *, host: str | None = None) -> tuple[HealthCheck, ...]:
    out: list[HealthCheck] = []
    for i, item in enumerate(errors.list(where, value)):
        here = f"{where}[{i}]"
        spec: Mapping[str, Any] = {"url": item} if isinstance(item, str) else errors.mapping(here, item)
        if not spec:
            continue
        unknown = set(spec) - {"url", "status", "body_contains", "json_field", "json_value"}
        if unknown:
            errors.add(here, f"has unknown keys: {', '.join(sorted(map(str, unknown)))}.")
        url = _url(errors, f"{here}.url", spec.get("url"))
        status = int(errors.number(f"{here}.status", spec.get("status"), 200, minimum=100, integer=True))
        body = errors.text(f"{here}.body_contains", spec.get("body_contains"))
        json_field = errors.text(f"{here}.json_field", spec.get("json_field"))
        json_value = spec.get("json_value")
        if json_value is not None and json_field is None:
            errors.add(here, "has json_value without json_field.")
        if url is not None:
            out.append(
                HealthCheck(
                    url=url, status=status, body_contains=body, json_field=json_field, json_value=json_value, host=host
                )
            )
    return tuple(out)


def _health(errors: Problems, value: Any, supabase: SupabaseSecrets | None, hosts: Sequence[Host]) -> HealthConfig:
    spec = errors.mapping("deploy.health", value)
    unknown = set(spec) - {"urls", "interval", "timeout", "deadline", "healthy_after", "supabase", "enabled"}
    if unknown:
        errors.add("deploy.health", f"has unknown keys: {', '.join(sorted(map(str, unknown)))}.")
    checks = _checks(errors, "deploy.health.urls", spec.get("urls"))
    checks += tuple(c for h in hosts for c in h.health)
    interval = errors.number("deploy.health.interval", spec.get("interval"), 2.0)
    timeout = errors.number("deploy.health.timeout", spec.get("timeout"), 5.0, minimum=0.001)
    deadline = errors.number("deploy.health.deadline", spec.get("deadline"), 60.0)
    healthy_after = int(
        errors.number("deploy.health.healthy_after", spec.get("healthy_after"), 1, minimum=1, integer=True)
    )
    enabled = errors.boolean("deploy.health.enabled", spec.get("enabled"), True)
    sb = spec.get("supabase")
    supabase_health: SupabaseHealth | None = None
    if sb not in (None, False):
        services: tuple[str, ...] = DEFAULT_SUPABASE_SERVICES
        if sb is not True:
            sb_spec = errors.mapping("deploy.health.supabase", sb)
            if sb_spec.get("services") is not None:
                services = errors.strings("deploy.health.supabase.services", sb_spec["services"])
            bad = [s for s in services if s not in SUPABASE_SERVICES]
            if bad:
                errors.add(
                    "deploy.health.supabase.services",
                    f"has unknown services {', '.join(bad)}; choose from {', '.join(SUPABASE_SERVICES)}.",
                )
            if not services:
                errors.add("deploy.health.supabase.services", "must name at least one service.")
        missing = []
        if supabase is None or supabase.token is None:
            missing.append("SUPABASE_ACCESS_TOKEN")
        if supabase is None or supabase.project_ref is None:
            missing.append("SUPABASE_PROJECT_REF")
        if missing:
            errors.add(
                "deploy.health.supabase",
                f"is on, but {' and '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not set (environment or .env).",
            )
        elif supabase is not None and supabase.token is not None and supabase.project_ref is not None:
            supabase_health = SupabaseHealth(
                services=services, project_ref=supabase.project_ref, api_url=supabase.api_url, token=supabase.token
            )
    return HealthConfig(
        checks=checks,
        interval=interval,
        timeout=timeout,
        deadline=deadline,
        healthy_after=healthy_after,
        supabase=supabase_health,
        enabled=enabled,
    )


def _hosts(errors: Problems, spec: Mapping[str, Any], *, required: bool = True) -> tuple[Host, ...]:
    raw = errors.list("deploy.hosts", spec.get("hosts"))
    if not raw and required:
        errors.add(
            "deploy.hosts",
            "must list at least one host (e.g. '- {name: web1, host: 203.0.113.10, "
            "user: deploy, path: /srv/app}', or '- {name: box, local: true, path: /tmp/app}').",
        )
    hosts: list[Host] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        where = f"deploy.hosts[{i}]"
        h = {"host": item} if isinstance(item, str) else errors.mapping(where, item)
        unknown = set(h) - {"name", "host", "local", "user", "port", "path", "env", "health_urls"}
        if unknown:
            errors.add(where, f"has unknown keys: {', '.join(sorted(map(str, unknown)))}.")
        local = errors.boolean(f"{where}.local", h.get("local"), False)
        address = None if local else errors.text(f"{where}.host", h.get("host"), required=True)
        if local and h.get("host") is not None:
            errors.add(where, "has both 'host' and 'local: true'; use one.")
        if address is not None and not ADDRESS_RE.match(address):
            errors.add(f"{where}.host", f"must be a host name or address, not {address!r}.")
            address = None
        name = errors.text(f"{where}.name", h.get("name")) or (address or ("local" if local else f"host{i + 1}"))
        if not NAME_RE.match(name):
            errors.add(f"{where}.name", f"must be letters, digits and ._-@: only, not {name!r}.")
        if name in seen:
            errors.add(f"{where}.name", f"{name!r} is used by another host; names must be unique.")
        seen.add(name)
        user = errors.text(f"{where}.user", h.get("user", spec.get("user")))
        if user is not None and not USER_RE.match(user):
            errors.add(f"{where}.user", f"must be a user name, not {user!r}.")
        port_value = h.get("port", spec.get("port"))
        port = (
            None if port_value is None else int(errors.number(f"{where}.port", port_value, 22, minimum=1, integer=True))
        )
        if port is not None and port > 65535:
            errors.add(f"{where}.port", "must be at most 65535.")
        if local and ((user is not None and "user" in h) or "port" in h):
            errors.add(where, "is local: 'user' and 'port' do not apply.")
        path = _deploy_path(errors, f"{where}.path", h.get("path", spec.get("path")), local=local)
        env = _env(errors, f"{where}.env", h.get("env"))
        health = _checks(errors, f"{where}.health_urls", h.get("health_urls"), host=name)
        if path is not None and (address is not None or local):
            hosts.append(
                Host(
                    name=name,
                    path=path,
                    address=address,
                    user=None if local else user,
                    port=None if local else port,
                    env=env,
                    health=health,
                )
            )
    return tuple(hosts)


KNOWN_KEYS = {
    "hosts",
    "path",
    "user",
    "port",
    "build_dir",
    "archive",
    "include",
    "exclude",
    "shared_files",
    "shared_dirs",
    "before_switch",
    "restart",
    "keep_releases",
    "transfer",
    "ssh",
    "health",
    "env",
    "environments",
}


def _shared_paths(errors: Problems, spec: Mapping[str, Any], key: str) -> tuple[str, ...]:
    where = f"deploy.{key}"
    items = enumerate(errors.list(where, spec.get(key)))
    return tuple(p for i, v in items if (p := _relative_path(errors, f"{where}[{i}]", v)) is not None)


def _shared(errors: Problems, spec: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return ``shared_files`` and ``shared_dirs`` (paths inside the release; never one path in both)."""
    shared_files = _shared_paths(errors, spec, "shared_files")
    shared_dirs = _shared_paths(errors, spec, "shared_dirs")
    overlap = set(shared_files) & set(shared_dirs)
    if overlap:
        errors.add("deploy", f"lists {', '.join(sorted(overlap))} as both a shared file and a shared dir.")
    return shared_files, shared_dirs


def _restart(errors: Problems, value: Any) -> str | None:
    commands = errors.commands("deploy.restart", value)
    if len(commands) > 1:
        errors.add("deploy.restart", "must be one shell command (join several with && or a script).")
    return commands[0] if commands else None


def _transfer(errors: Problems, value: Any) -> str:
    """Return how to ship the build: auto, rsync or tar."""
    transfer = (errors.text("deploy.transfer", value) or "auto").strip().lower()
    if transfer not in TRANSFERS:
        errors.add("deploy.transfer", f"must be one of {', '.join(TRANSFERS)}, not {transfer!r}.")
    return transfer


def parse_deploy_config(
    spec: Mapping[str, Any],
    *,
    known_hosts: str | None = None,
    private_key: Secret | None = None,
    supabase: SupabaseSecrets | None = None,
    actor: str = "unknown",
    revision: str | None = None,
    require_hosts: bool = True,
    ci: bool = False,
    inspect_known_hosts: Inspect | None = None,
    unwritable_known_hosts: Unwritable | None = None,
) -> DeployConfig:
    """Return the validated deploy configuration, or raise one ConfigError listing every problem.

    ``require_hosts=False`` accepts a section without hosts (``deploy.health --url`` needs none); ``ci`` and
    ``*_known_hosts`` are for the host key rules of :func:`~.parse_ssh.parse_ssh`.
    """
    errors = Problems(heading="invoke.yaml", hint=_HINT)
    unknown = set(spec) - KNOWN_KEYS
    if unknown:
        errors.add("deploy", f"has unknown keys: {', '.join(sorted(map(str, unknown)))}.")
    hosts = _hosts(errors, spec, required=require_hosts)
    build_dir = errors.text("deploy.build_dir", spec.get("build_dir"))
    archive = errors.text("deploy.archive", spec.get("archive"))
    if build_dir and archive:
        errors.add("deploy", "has both build_dir and archive; ship one of them.")
    transfer = _transfer(errors, spec.get("transfer"))
    keep = int(
        errors.number("deploy.keep_releases", spec.get("keep_releases"), DEFAULT_KEEP_RELEASES, minimum=1, integer=True)
    )
    shared_files, shared_dirs = _shared(errors, spec)
    config = DeployConfig(
        hosts=hosts,
        build_dir=build_dir,
        archive=archive,
        include=errors.strings("deploy.include", spec.get("include")),
        exclude=errors.strings("deploy.exclude", spec.get("exclude")),
        shared_files=shared_files,
        shared_dirs=shared_dirs,
        before_switch=errors.commands("deploy.before_switch", spec.get("before_switch")),
        restart=_restart(errors, spec.get("restart")),
        keep_releases=keep,
        transfer=transfer,
        ssh=parse_ssh(
            errors,
            spec.get("ssh"),
            known_hosts=known_hosts,
            private_key=private_key,
            ci=ci,
            inspect=inspect_known_hosts,
            unwritable=unwritable_known_hosts,
        ),
        health=_health(errors, spec.get("health"), supabase, hosts),
        env=_env(errors, "deploy.env", spec.get("env")),
        actor=clean_actor(actor),
        revision=clean_revision(revision),
    )
    errors.raise_if_any()
    return config


def merge_environment(spec: Mapping[str, Any], environment: str | None) -> dict[str, Any]:
    """Return the section with ``environments.<name>`` laid over it (top-level keys replaced)."""
    base = {k: v for k, v in spec.items() if k != "environments"}
    if environment is None:
        return base
    environments = spec.get("environments")
    if not isinstance(environments, Mapping) or environment not in environments:
        names = ", ".join(sorted(map(str, environments))) if isinstance(environments, Mapping) else ""
        define = f"Define it under 'deploy: environments: {environment}:' with the keys that differ (hosts, health...)."
        raise ConfigError(
            f"invoke.yaml has no deploy environment {environment!r}.", hint=f"Defined: {names}." if names else define
        )
    overrides = environments[environment]
    if not isinstance(overrides, Mapping):
        raise ConfigError(f"invoke.yaml deploy.environments.{environment} must be a mapping.")
    base.update(overrides)
    return base
