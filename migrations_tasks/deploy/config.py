"""Deploy configuration: the typed values a deploy works with (pure).

:mod:`~migrations_tasks.deploy.parse` builds a :class:`DeployConfig` from the ``deploy`` section of
``invoke.yaml`` (read by :mod:`~migrations_tasks.deploy.settings`). Secrets (a private key, the Supabase token)
are :class:`~migrations_tasks.secret.Secret` values, kept out of every repr.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any

from ..errors import ConfigError
from ..secret import Secret
from ..wording import TextEnum

SECTION = "deploy"
DEFAULT_KEEP_RELEASES = 5
#: Never shipped, at any depth, unless ``include`` names them: history, and local .env files (the server's
#: go in shared_files). ``exclude`` adds to these.
NEVER_SHIPPED = (".git", ".env*")
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
#: (A null device as ``UserKnownHostsFile`` is refused by :func:`null_device`.)
INSECURE_OPTIONS = {"stricthostkeychecking": {"no", "off", "false"}}
#: Names that mean "no file": OpenSSH's ``none``, Windows' null device.
NULL_NAMES = ("none", "nul", "nul:")


class KnownHostsFile(TextEnum):
    """What a known_hosts path holds, as the settings reader found it (symlinks followed, ``~`` expanded)."""

    KEYS = "holds host keys"
    EMPTY = "holds no host keys"
    UNREADABLE = "cannot be read"
    NOT_A_FILE = "is not a regular file (a device, a directory or a pipe)"


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
    #: The user's patterns; :data:`NEVER_SHIPPED` applies as well.
    exclude: tuple[str, ...] = ()
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
        return replace(
            self, hosts=tuple(h for h in self.hosts if h.name in wanted), health=replace(self.health, checks=checks)
        )


@dataclass(frozen=True)
class SupabaseSecrets:
    """What the Supabase health check needs from the migrations settings (token, ref, API URL)."""

    project_ref: str | None
    api_url: str
    token: Secret | None = field(default=None, repr=False)


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


def normal_path(text: str) -> str:
    """Return a POSIX path without repeated slashes, ``.`` parts or a trailing slash (``..`` is kept).

    Unlike ``PurePosixPath``, a leading ``//`` becomes ``/``: Linux and OpenSSH read it so.
    """
    path = str(PurePosixPath(text))
    return "/" + path.lstrip("/") if path.startswith("//") else path


def null_device(text: str) -> bool:
    """Return whether a path names a device rather than a file: ``/dev/null``, ``/dev//null``, ``none``...

    Everything under ``/dev`` (but ``/dev/shm``) and ``/proc`` counts, ``..`` resolved as written.
    """
    raw = text.strip()
    if raw.lower() in NULL_NAMES:
        return True
    parts = PurePosixPath(posixpath.normpath(normal_path(raw))).parts if raw else ()
    if len(parts) < 2 or parts[0] != "/" or parts[1] not in ("dev", "proc"):
        return False
    return not (parts[1] == "dev" and len(parts) > 3 and parts[2] == "shm")  # a file in shared memory


def quote_env(env: Mapping[str, str]) -> str:
    """Return ``export A='x' B='y'`` for a shell, or an empty string."""
    if not env:
        return ""
    return "export " + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
