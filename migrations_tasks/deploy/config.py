"""Deploy configuration: typed values parsed from the ``deploy`` section of ``invoke.yaml`` (pure).

:func:`parse_deploy_config` turns a plain mapping (already read by :mod:`migrations_tasks.settings`, the
only module that touches the environment and Invoke's config) into a :class:`DeployConfig`. It does no
I/O; every problem found is collected and raised as one :class:`~migrations_tasks.errors.ConfigError`
naming the key at fault, e.g. ``deploy.hosts[1].port``.

Secrets (a private key, the Supabase token) arrive as :class:`~migrations_tasks.settings.Secret` and are
kept out of every repr.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from ..errors import ConfigError
from ..settings import Secret

SECTION = "deploy"
DEFAULT_KEEP_RELEASES = 5
#: Never shipped unless ``exclude`` is set: history, and a local .env (the server's goes in shared_files).
DEFAULT_EXCLUDE = (".git", ".env")
TRANSFERS = ("auto", "rsync", "tar")
HOST_KEY_CHECKING = ("yes", "accept-new")
SUPABASE_SERVICES = ("auth", "db", "db_postgres_user", "pooler", "realtime", "rest", "storage", "pg_bouncer")
DEFAULT_SUPABASE_SERVICES = ("db", "auth", "rest", "realtime", "storage")

#: Release directory names we create and accept (``--to``); never a leading dot or dash.
RELEASE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
#: Host names, IPv4 and IPv6 addresses; never a leading dash (it would read as an ssh option).
ADDRESS_RE = re.compile(r"^[A-Za-z0-9_.:%\[\]][A-Za-z0-9_.:%\[\]-]*$")
USER_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$")
NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@:-]*$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SSH_OPTION_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
#: ssh options that would switch host key verification off; refused in ``deploy.ssh.options``.
_INSECURE_OPTIONS = {
    "stricthostkeychecking": {"no", "off", "false"},
    "userknownhostsfile": {"/dev/null"},
}


@dataclass(frozen=True)
class HealthCheck:
    """One URL to poll and what counts as healthy."""

    url: str
    status: int = 200
    body_contains: str | None = None
    json_field: str | None = None
    #: Expected value of ``json_field``; ``None`` with a field means "present and not null".
    json_value: Any = None
    #: The host this check belongs to (per-host ``health_urls``), for output only.
    host: str | None = None

    def describe(self) -> str:
        """Return what is expected, e.g. ``200, body contains 'ok'``."""
        parts = [str(self.status)]
        if self.body_contains is not None:
            parts.append(f"body contains {self.body_contains!r}")
        if self.json_field is not None:
            value = "present" if self.json_value is None else f"= {self.json_value!r}"
            parts.append(f"{self.json_field} {value}")
        return ", ".join(parts)


@dataclass(frozen=True)
class SupabaseHealth:
    """The Supabase project's own health: ``GET /v1/projects/{ref}/health``; healthy = all ACTIVE_HEALTHY."""

    services: tuple[str, ...]
    project_ref: str
    api_url: str
    token: Secret = field(repr=False)

    @property
    def url(self) -> str:
        """Return the endpoint (without the query string)."""
        return f"{self.api_url}/v1/projects/{self.project_ref}/health"


@dataclass(frozen=True)
class HealthConfig:
    """What to poll after a switch, and how patiently."""

    checks: tuple[HealthCheck, ...] = ()
    interval: float = 2.0
    timeout: float = 5.0
    deadline: float = 60.0
    #: Consecutive healthy rounds needed (2+ rides out an endpoint that flaps).
    healthy_after: int = 1
    supabase: SupabaseHealth | None = None
    #: ``False`` skips health checks in ``deploy.vps`` (``--no-health``); ``deploy.health`` ignores it.
    enabled: bool = True

    @property
    def configured(self) -> bool:
        """Return whether there is anything to check."""
        return bool(self.checks) or self.supabase is not None


@dataclass(frozen=True)
class Host:
    """One server (or, with ``local``, a directory on this machine) to deploy to."""

    name: str
    #: Absolute deploy path: ``releases/``, ``current``, ``shared/`` and ``.deploy/`` live under it.
    path: str
    #: Host name or address for ssh; ``None`` for the local host.
    address: str | None = None
    user: str | None = None
    port: int | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    health: tuple[HealthCheck, ...] = ()

    @property
    def local(self) -> bool:
        """Return whether this host is this machine (no ssh)."""
        return self.address is None

    def describe(self) -> str:
        """Return e.g. ``web1 (deploy@10.0.0.5:2222)`` or ``box (local)``."""
        if self.address is None:
            return f"{self.name} (local)"
        where = f"{self.user}@{self.address}" if self.user else self.address
        if self.port:
            where += f":{self.port}"
        return self.name if where == self.name else f"{self.name} ({where})"


@dataclass(frozen=True)
class SshConfig:
    """How ssh connects. Host keys are always verified."""

    config_file: str | None = None
    known_hosts_files: tuple[str, ...] = ()
    #: known_hosts lines from ``DEPLOY_SSH_KNOWN_HOSTS`` (CI); written to a private temporary file.
    known_hosts: Secret | None = field(default=None, repr=False)
    identity_file: str | None = None
    #: A private key from ``DEPLOY_SSH_KEY`` (CI); written to a private temporary file, never shown.
    private_key: Secret | None = field(default=None, repr=False)
    host_key_checking: str = "yes"
    connect_timeout: int = 10
    multiplex: bool = True
    batch_mode: bool = True
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DeployConfig:
    """Everything ``deploy.vps``, ``deploy.rollback`` and ``deploy.health`` need, validated."""

    hosts: tuple[Host, ...]
    build_dir: str | None = None
    archive: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    shared_files: tuple[str, ...] = ()
    shared_dirs: tuple[str, ...] = ()
    before_switch: tuple[str, ...] = ()
    restart: str | None = None
    keep_releases: int = DEFAULT_KEEP_RELEASES
    transfer: str = "auto"
    ssh: SshConfig = field(default_factory=SshConfig)
    health: HealthConfig = field(default_factory=HealthConfig)
    env: Mapping[str, str] = field(default_factory=dict)
    #: Who deploys, for the lock and the log (``DEPLOY_ACTOR``, ``GITHUB_ACTOR`` or user@machine).
    actor: str = "unknown"
    #: The revision to put in the release id (``--revision``); else the build's git sha when there is one.
    revision: str | None = None

    def only(self, names: Sequence[str]) -> DeployConfig:
        """Return a copy limited to the named hosts, or raise ConfigError naming unknown ones."""
        if not names:
            return self
        wanted = [n.strip() for name in names for n in name.split(",") if n.strip()]
        known = {h.name for h in self.hosts}
        unknown = [n for n in wanted if n not in known]
        if unknown:
            raise ConfigError(
                f"Unknown deploy host(s): {', '.join(unknown)}.",
                hint=f"Configured hosts: {', '.join(sorted(known)) or 'none'} (invoke.yaml deploy.hosts).",
            )
        checks = tuple(c for c in self.health.checks if c.host is None or c.host in wanted)
        return replace(self, hosts=tuple(h for h in self.hosts if h.name in wanted),
                       health=replace(self.health, checks=checks))


# -- parsing ------------------------------------------------------------------------------------------


class _Errors:
    """Collects problems so the user sees all of them at once."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, problem: str) -> None:
        self.items.append(f"{where} {problem}")

    def raise_if_any(self) -> None:
        if self.items:
            body = self.items[0] if len(self.items) == 1 else "\n".join(f"- {i}" for i in self.items)
            raise ConfigError(
                f"invoke.yaml: {body}" if len(self.items) == 1 else f"invoke.yaml has problems:\n{body}",
                hint="Fix the deploy section of invoke.yaml (see invoke.yaml.example and the README's "
                "'Deploying over SSH').",
            )


def _text(errors: _Errors, where: str, value: Any, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            errors.add(where, "is required.")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        errors.add(where, f"must be a string, not {type(value).__name__}.")
        return None
    text = str(value)
    if any(ch in text for ch in "\n\r\0"):
        errors.add(where, "must be one line without NUL characters.")
        return None
    return text


def _list(errors: _Errors, where: str, value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, bytes, Mapping)):
        return [value] if isinstance(value, str) else _bad_list(errors, where, value)
    if isinstance(value, Sequence):
        return list(value)
    return _bad_list(errors, where, value)


def _bad_list(errors: _Errors, where: str, value: Any) -> list[Any]:
    errors.add(where, f"must be a list, not {type(value).__name__}.")
    return []


def _strings(errors: _Errors, where: str, value: Any) -> tuple[str, ...]:
    out: list[str] = []
    for i, item in enumerate(_list(errors, where, value)):
        text = _text(errors, f"{where}[{i}]", item, required=True)
        if text is not None:
            out.append(text)
    return tuple(out)


def _commands(errors: _Errors, where: str, value: Any) -> tuple[str, ...]:
    """Shell commands may span lines (a YAML block); only NUL is refused."""
    out: list[str] = []
    for i, item in enumerate(_list(errors, where, value)):
        if not isinstance(item, str) or not item.strip():
            errors.add(f"{where}[{i}]", "must be a non-empty shell command.")
        elif "\0" in item:
            errors.add(f"{where}[{i}]", "must not contain NUL characters.")
        else:
            out.append(item)
    return tuple(out)


def _number(errors: _Errors, where: str, value: Any, default: float, *, minimum: float = 0.0,
            integer: bool = False) -> float:
    if value is None:
        return default
    try:
        if isinstance(value, bool):
            raise TypeError
        number = float(value)
        if integer and number != int(number):
            raise ValueError
    except (TypeError, ValueError):
        kind = "a whole number" if integer else "a number"
        errors.add(where, f"must be {kind}, not {value!r}.")
        return default
    if number < minimum or number != number:  # NaN
        errors.add(where, f"must be at least {minimum:g}.")
        return default
    return number


def _bool(errors: _Errors, where: str, value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("yes", "true", "on", "1", "no", "false", "off", "0"):
        return value.strip().lower() in ("yes", "true", "on", "1")
    errors.add(where, f"must be true or false, not {value!r}.")
    return default


def _mapping(errors: _Errors, where: str, value: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return value
    errors.add(where, f"must be a mapping, not {type(value).__name__}.")
    return {}


def _relative_path(errors: _Errors, where: str, value: Any) -> str | None:
    """A path inside a release: relative, normalised, never leaving the release."""
    text = _text(errors, where, value, required=True)
    if text is None:
        return None
    path = PurePosixPath(text.strip().rstrip("/"))
    if path.is_absolute() or not path.parts or ".." in path.parts or str(path) in (".", ""):
        errors.add(where, f"must be a path inside the release such as '.env' or 'storage/uploads', not {text!r}.")
        return None
    return str(path)


def _deploy_path(errors: _Errors, where: str, value: Any, *, local: bool) -> str | None:
    text = _text(errors, where, value, required=True)
    if text is None:
        return None
    if not text.startswith("/"):
        hint = "an absolute path" if local else "an absolute path such as /srv/app (not ~/app)"
        errors.add(where, f"must be {hint}, not {text!r}.")
        return None
    path = PurePosixPath(text)
    if ".." in path.parts or str(path) == "/":
        errors.add(where, f"must be a dedicated directory, not {text!r}.")
        return None
    return str(path)


def _env(errors: _Errors, where: str, value: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, item in _mapping(errors, where, value).items():
        if not isinstance(key, str) or not ENV_NAME_RE.match(key):
            errors.add(f"{where}", f"has an invalid variable name {key!r}.")
            continue
        text = _text(errors, f"{where}.{key}", "" if item is None else item)
        out[key] = text or ""
    return out


def _url(errors: _Errors, where: str, value: Any) -> str | None:
    text = _text(errors, where, value, required=True)
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


def _checks(errors: _Errors, where: str, value: Any, *, host: str | None = None) -> tuple[HealthCheck, ...]:
    out: list[HealthCheck] = []
    for i, item in enumerate(_list(errors, where, value)):
        here = f"{where}[{i}]"
        spec: Mapping[str, Any] = {"url": item} if isinstance(item, str) else _mapping(errors, here, item)
        if not spec:
            continue
        unknown = set(spec) - {"url", "status", "body_contains", "json_field", "json_value"}
        if unknown:
            errors.add(here, f"has unknown keys: {', '.join(sorted(map(str, unknown)))}.")
        url = _url(errors, f"{here}.url", spec.get("url"))
        status = int(_number(errors, f"{here}.status", spec.get("status"), 200, minimum=100, integer=True))
        body = _text(errors, f"{here}.body_contains", spec.get("body_contains"))
        json_field = _text(errors, f"{here}.json_field", spec.get("json_field"))
        json_value = spec.get("json_value")
        if json_value is not None and json_field is None:
            errors.add(here, "has json_value without json_field.")
        if url is not None:
            out.append(HealthCheck(url=url, status=status, body_contains=body, json_field=json_field,
                                   json_value=json_value, host=host))
    return tuple(out)


@dataclass(frozen=True)
class SupabaseSecrets:
    """What the Supabase health check needs from the migrations settings (token, ref, API URL)."""

    project_ref: str | None
    api_url: str
    token: Secret | None = field(default=None, repr=False)


def _health(errors: _Errors, value: Any, supabase: SupabaseSecrets | None, hosts: Sequence[Host]) -> HealthConfig:
    spec = _mapping(errors, "deploy.health", value)
    unknown = set(spec) - {"urls", "interval", "timeout", "deadline", "healthy_after", "supabase", "enabled"}
    if unknown:
        errors.add("deploy.health", f"has unknown keys: {', '.join(sorted(map(str, unknown)))}.")
    checks = _checks(errors, "deploy.health.urls", spec.get("urls"))
    checks += tuple(c for h in hosts for c in h.health)
    interval = _number(errors, "deploy.health.interval", spec.get("interval"), 2.0)
    timeout = _number(errors, "deploy.health.timeout", spec.get("timeout"), 5.0, minimum=0.001)
    deadline = _number(errors, "deploy.health.deadline", spec.get("deadline"), 60.0)
    healthy_after = int(_number(errors, "deploy.health.healthy_after", spec.get("healthy_after"), 1, minimum=1,
                                integer=True))
    enabled = _bool(errors, "deploy.health.enabled", spec.get("enabled"), True)
    sb = spec.get("supabase")
    supabase_health: SupabaseHealth | None = None
    if sb not in (None, False):
        services: tuple[str, ...] = DEFAULT_SUPABASE_SERVICES
        if sb is not True:
            sb_spec = _mapping(errors, "deploy.health.supabase", sb)
            if sb_spec.get("services") is not None:
                services = _strings(errors, "deploy.health.supabase.services", sb_spec["services"])
            bad = [s for s in services if s not in SUPABASE_SERVICES]
            if bad:
                errors.add("deploy.health.supabase.services", f"has unknown services {', '.join(bad)}; "
                           f"choose from {', '.join(SUPABASE_SERVICES)}.")
            if not services:
                errors.add("deploy.health.supabase.services", "must name at least one service.")
        missing = []
        if supabase is None or supabase.token is None:
            missing.append("SUPABASE_ACCESS_TOKEN")
        if supabase is None or supabase.project_ref is None:
            missing.append("SUPABASE_PROJECT_REF")
        if missing:
            errors.add("deploy.health.supabase", f"is on, but {' and '.join(missing)} "
                       f"{'is' if len(missing) == 1 else 'are'} not set (environment or .env).")
        elif supabase is not None and supabase.token is not None and supabase.project_ref is not None:
            supabase_health = SupabaseHealth(services=services, project_ref=supabase.project_ref,
                                             api_url=supabase.api_url, token=supabase.token)
    return HealthConfig(checks=checks, interval=interval, timeout=timeout, deadline=deadline,
                        healthy_after=healthy_after, supabase=supabase_health, enabled=enabled)


def _hosts(errors: _Errors, spec: Mapping[str, Any], *, required: bool = True) -> tuple[Host, ...]:
    raw = _list(errors, "deploy.hosts", spec.get("hosts"))
    if not raw and required:
        errors.add("deploy.hosts", "must list at least one host (e.g. '- {name: web1, host: 203.0.113.10, "
                   "user: deploy, path: /srv/app}', or '- {name: box, local: true, path: /tmp/app}').")
    hosts: list[Host] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        where = f"deploy.hosts[{i}]"
        h = {"host": item} if isinstance(item, str) else _mapping(errors, where, item)
        unknown = set(h) - {"name", "host", "local", "user", "port", "path", "env", "health_urls"}
        if unknown:
            errors.add(where, f"has unknown keys: {', '.join(sorted(map(str, unknown)))}.")
        local = _bool(errors, f"{where}.local", h.get("local"), False)
        address = None if local else _text(errors, f"{where}.host", h.get("host"), required=True)
        if local and h.get("host") is not None:
            errors.add(where, "has both 'host' and 'local: true'; use one.")
        if address is not None and not ADDRESS_RE.match(address):
            errors.add(f"{where}.host", f"must be a host name or address, not {address!r}.")
            address = None
        name = _text(errors, f"{where}.name", h.get("name")) or (address or ("local" if local else f"host{i + 1}"))
        if not NAME_RE.match(name):
            errors.add(f"{where}.name", f"must be letters, digits and ._-@: only, not {name!r}.")
        if name in seen:
            errors.add(f"{where}.name", f"{name!r} is used by another host; names must be unique.")
        seen.add(name)
        user = _text(errors, f"{where}.user", h.get("user", spec.get("user")))
        if user is not None and not USER_RE.match(user):
            errors.add(f"{where}.user", f"must be a user name, not {user!r}.")
        port_value = h.get("port", spec.get("port"))
        port = None if port_value is None else int(_number(errors, f"{where}.port", port_value, 22, minimum=1,
                                                           integer=True))
        if port is not None and port > 65535:
            errors.add(f"{where}.port", "must be at most 65535.")
        if local and ((user is not None and "user" in h) or "port" in h):
            errors.add(where, "is local: 'user' and 'port' do not apply.")
        path = _deploy_path(errors, f"{where}.path", h.get("path", spec.get("path")), local=local)
        env = _env(errors, f"{where}.env", h.get("env"))
        health = _checks(errors, f"{where}.health_urls", h.get("health_urls"), host=name)
        if path is not None and (address is not None or local):
            hosts.append(Host(name=name, path=path, address=address, user=None if local else user,
                              port=None if local else port, env=env, health=health))
    return tuple(hosts)


def _ssh(errors: _Errors, value: Any, known_hosts: str | None, private_key: Secret | None) -> SshConfig:
    spec = _mapping(errors, "deploy.ssh", value)
    unknown = set(spec) - {"config_file", "known_hosts_file", "identity_file", "host_key_checking",
                           "connect_timeout", "multiplex", "batch_mode", "options"}
    if unknown:
        errors.add("deploy.ssh", f"has unknown keys: {', '.join(sorted(map(str, unknown)))}.")
    raw_checking = spec.get("host_key_checking")
    if isinstance(raw_checking, bool):  # YAML reads an unquoted yes/no as a boolean
        raw_checking = "yes" if raw_checking else "no"
    checking = (_text(errors, "deploy.ssh.host_key_checking", raw_checking) or "yes").strip().lower()
    if checking not in HOST_KEY_CHECKING:
        errors.add("deploy.ssh.host_key_checking", f"must be 'yes' or 'accept-new', not {checking!r}: host keys "
                   "are always verified (put the key in known_hosts, or in DEPLOY_SSH_KNOWN_HOSTS for CI).")
        checking = "yes"
    options: list[tuple[str, str]] = []
    for key, item in _mapping(errors, "deploy.ssh.options", spec.get("options")).items():
        where = f"deploy.ssh.options.{key}"
        text = _text(errors, where, "yes" if item is True else "no" if item is False else item, required=True)
        if not isinstance(key, str) or not SSH_OPTION_RE.match(key):
            errors.add("deploy.ssh.options", f"has an invalid option name {key!r}.")
            continue
        if text is None:
            continue
        if text.strip().lower() in _INSECURE_OPTIONS.get(key.lower(), set()):
            errors.add(where, f"= {text} would switch host key verification off; refused.")
            continue
        options.append((key, text))
    known_files = _strings(errors, "deploy.ssh.known_hosts_file", spec.get("known_hosts_file"))
    known: Secret | None = None
    if known_hosts is not None and known_hosts.strip():
        known = Secret(known_hosts.replace("\r\n", "\n").strip() + "\n")
    return SshConfig(
        config_file=_text(errors, "deploy.ssh.config_file", spec.get("config_file")),
        known_hosts_files=known_files,
        known_hosts=known,
        identity_file=_text(errors, "deploy.ssh.identity_file", spec.get("identity_file")),
        private_key=private_key,
        host_key_checking=checking,
        connect_timeout=int(_number(errors, "deploy.ssh.connect_timeout", spec.get("connect_timeout"), 10,
                                    minimum=1, integer=True)),
        multiplex=_bool(errors, "deploy.ssh.multiplex", spec.get("multiplex"), True),
        batch_mode=_bool(errors, "deploy.ssh.batch_mode", spec.get("batch_mode"), True),
        options=tuple(options),
    )


KNOWN_KEYS = {
    "hosts", "path", "user", "port", "build_dir", "archive", "include", "exclude", "shared_files",
    "shared_dirs", "before_switch", "restart", "keep_releases", "transfer", "ssh", "health", "env",
    "environments",
}


def parse_deploy_config(
    spec: Mapping[str, Any],
    *,
    known_hosts: str | None = None,
    private_key: Secret | None = None,
    supabase: SupabaseSecrets | None = None,
    actor: str = "unknown",
    revision: str | None = None,
    require_hosts: bool = True,
) -> DeployConfig:
    """Return the validated deploy configuration, or raise one ConfigError listing every problem.

    ``require_hosts=False`` accepts a section without hosts (``deploy.health --url`` needs none).
    """
    errors = _Errors()
    unknown = set(spec) - KNOWN_KEYS
    if unknown:
        errors.add("deploy", f"has unknown keys: {', '.join(sorted(map(str, unknown)))}.")
    hosts = _hosts(errors, spec, required=require_hosts)
    build_dir = _text(errors, "deploy.build_dir", spec.get("build_dir"))
    archive = _text(errors, "deploy.archive", spec.get("archive"))
    if build_dir and archive:
        errors.add("deploy", "has both build_dir and archive; ship one of them.")
    transfer = (_text(errors, "deploy.transfer", spec.get("transfer")) or "auto").strip().lower()
    if transfer not in TRANSFERS:
        errors.add("deploy.transfer", f"must be one of {', '.join(TRANSFERS)}, not {transfer!r}.")
    keep = int(_number(errors, "deploy.keep_releases", spec.get("keep_releases"), DEFAULT_KEEP_RELEASES,
                       minimum=1, integer=True))
    restart = spec.get("restart")
    restart_cmd = _commands(errors, "deploy.restart", restart)
    if len(restart_cmd) > 1:
        errors.add("deploy.restart", "must be one shell command (join several with && or a script).")
    shared_files = tuple(p for i, v in enumerate(_list(errors, "deploy.shared_files", spec.get("shared_files")))
                         if (p := _relative_path(errors, f"deploy.shared_files[{i}]", v)) is not None)
    shared_dirs = tuple(p for i, v in enumerate(_list(errors, "deploy.shared_dirs", spec.get("shared_dirs")))
                        if (p := _relative_path(errors, f"deploy.shared_dirs[{i}]", v)) is not None)
    overlap = set(shared_files) & set(shared_dirs)
    if overlap:
        errors.add("deploy", f"lists {', '.join(sorted(overlap))} as both a shared file and a shared dir.")
    exclude = _strings(errors, "deploy.exclude", spec.get("exclude")) if "exclude" in spec else DEFAULT_EXCLUDE
    config = DeployConfig(
        hosts=hosts,
        build_dir=build_dir,
        archive=archive,
        include=_strings(errors, "deploy.include", spec.get("include")),
        exclude=exclude,
        shared_files=shared_files,
        shared_dirs=shared_dirs,
        before_switch=_commands(errors, "deploy.before_switch", spec.get("before_switch")),
        restart=restart_cmd[0] if restart_cmd else None,
        keep_releases=keep,
        transfer=transfer,
        ssh=_ssh(errors, spec.get("ssh"), known_hosts, private_key),
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
        raise ConfigError(
            f"invoke.yaml has no deploy environment {environment!r}.",
            hint=f"Defined: {names}." if names else "Define it under 'deploy: environments: "
            f"{environment}:' with the keys that differ (hosts, health...).",
        )
    overrides = environments[environment]
    if not isinstance(overrides, Mapping):
        raise ConfigError(f"invoke.yaml deploy.environments.{environment} must be a mapping.")
    base.update(overrides)
    return base


def clean_actor(value: str) -> str:
    """Return who deploys as one printable line (for the lock and the log)."""
    text = "".join(ch for ch in value if ch.isprintable()).strip()
    return text[:120] or "unknown"


def clean_revision(value: str | None) -> str | None:
    """Return a revision usable in a release id (letters, digits, ``.``, ``_``), at most 12 characters."""
    if value is None:
        return None
    text = re.sub(r"[^A-Za-z0-9._]", "", value.strip())
    if re.fullmatch(r"[0-9a-fA-F]{8,}", text):
        text = text[:7].lower()
    return text[:12] or None


def quote_env(env: Mapping[str, str]) -> str:
    """Return ``export A='x' B='y'`` for a shell, or an empty string."""
    if not env:
        return ""
    return "export " + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
