"""Settings: the only reader of the environment, ``.env`` and Invoke configuration.

Every other module receives a :class:`Settings` value. Precedence, highest first:
task flags, the process environment, the ``.env`` file (never overriding the environment),
Invoke configuration (the ``migrations`` section of ``invoke.yaml``), defaults.

Secrets (the access token, a database URL that may hold a password) live in :class:`Secret`, whose
``repr``/``str`` never show the value; they are read only from the environment or ``.env``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .errors import ConfigError

DEFAULT_API_URL = "https://api.supabase.com"
DEFAULT_MIGRATIONS_DIR = "supabase/migrations"
PROJECT_REF_RE = re.compile(r"^[a-z]{20}$")
LOCK_TIMEOUT_RE = re.compile(r"^[0-9]+(ms|s|min)?$")
TRANSPORTS = ("api", "postgres")
CONFIG_SECTION = "migrations"

ENV_TOKEN = "SUPABASE_ACCESS_TOKEN"
ENV_REF = "SUPABASE_PROJECT_REF"
ENV_REF_ALIASES = ("SUPABASE_STAGING_PROJECT_ID",)
ENV_API_URL = "SUPABASE_API_URL"
ENV_DB_URL = "SUPABASE_DB_URL"
ENV_TRANSPORT = "MIGRATIONS_TRANSPORT"
ENV_DRIFT_DB_URL = "MIGRATIONS_DRIFT_DB_URL"
DEFAULT_EXPOSED_SCHEMAS = ("public", "graphql_public")
DRIFT_MODES = ("auto", "on", "off")


class Secret:
    """A string that never shows itself in output, logs, exceptions or reprs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the secret value; only transports call this."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("Secret values cannot be pickled")


@dataclass(frozen=True)
class CriticalTable:
    """A table ``db.verify`` requires, and the columns it must have."""

    name: str
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Silence:
    """An advisory finding the team accepts: by rule and object (globs allowed), with the reason why."""

    rule: str
    object: str
    reason: str


@dataclass(frozen=True)
class VerifySettings:
    """What ``db.verify`` checks beyond the history (``migrations: verify:`` in invoke.yaml)."""

    exposed_schemas: tuple[str, ...] = DEFAULT_EXPOSED_SCHEMAS
    critical_tables: tuple[CriticalTable, ...] = ()
    silence: tuple[Silence, ...] = ()
    verify_dir: Path | None = None
    drift: str = "auto"  # "auto" (when the sandbox extra is installed) | "on" | "off"
    drift_schemas: tuple[str, ...] = ()  # compare only these schemas (default: every user schema)
    drift_ignore_schemas: tuple[str, ...] = ()  # ... besides the platform's own schemas


@dataclass(frozen=True)
class Settings:
    """Everything a task needs to know, validated."""

    transport: str
    migrations_dir: Path
    access_token: Secret | None = None
    project_ref: str | None = None
    api_url: str = DEFAULT_API_URL
    db_url: Secret | None = None
    lock_timeout: str = "10s"
    lock_wait_seconds: float = 60.0
    request_timeout: float = 120.0
    retry_deadline: float = 90.0
    created_by: str | None = "migrations-tasks"
    rollbacks_dir: Path | None = None
    verify: VerifySettings = field(default_factory=VerifySettings)
    #: A PostgreSQL server holding the sandbox's template, for the drift check (else one is started).
    drift_db_url: Secret | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def secrets(self) -> list[str]:
        """Return the secret values, for masking in CI logs."""
        return [s.reveal() for s in (self.access_token, self.db_url, self.drift_db_url) if s is not None]

    def with_overrides(self, **changes: Any) -> Settings:
        """Return a copy with some fields replaced (already validated values)."""
        return replace(self, **changes)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_api_url(value: str) -> str:
    """Return the API URL without a trailing slash, or raise ConfigError."""
    try:
        parts = urlsplit(value.strip())
        host = parts.hostname
    except ValueError as exc:
        raise ConfigError(f"{ENV_API_URL} is not a valid URL ({exc}).") from None
    if parts.scheme not in ("https", "http") or not host:
        raise ConfigError(
            f"{ENV_API_URL} must be an https:// URL such as {DEFAULT_API_URL}.",
            hint="Unset it to use the default Supabase API.",
        )
    if parts.username or parts.password:
        raise ConfigError(
            f"{ENV_API_URL} must not contain credentials (user:password@).",
            hint=f"Put the personal access token in {ENV_TOKEN} instead.",
        )
    if parts.scheme == "http" and not _is_loopback(host):
        raise ConfigError(
            f"{ENV_API_URL} uses plain http:// to {host}: the token would travel unencrypted.",
            hint="Use https://, or http:// only to a loopback address such as the local sandbox.",
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"{ENV_API_URL} must not have a query string or fragment.")
    return value.strip().rstrip("/")


def validate_token(value: str, source: str = ENV_TOKEN) -> Secret:
    """Return the token as a Secret, or raise ConfigError without echoing it."""
    if not value:
        raise ConfigError(f"{source} is empty.", hint="Create a personal access token at "
                          "https://supabase.com/dashboard/account/tokens.")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ConfigError(
            f"{source} contains whitespace or control characters (a pasted newline?).",
            hint="Set it again with only the token's characters.",
        )
    return Secret(value)


def validate_project_ref(value: str, source: str = ENV_REF) -> str:
    """Return the project ref, or raise ConfigError."""
    ref = value.strip()
    if not PROJECT_REF_RE.match(ref):
        # Echo a near miss, but not a long value: it may be a token or URL pasted into the wrong variable.
        shown = repr(ref) if len(ref) <= 24 and ref.isprintable() else f"(a {len(ref)}-character value, not shown)"
        raise ConfigError(
            f"{source} {shown} is not a Supabase project ref: expected exactly 20 lowercase letters.",
            hint="Copy it from the dashboard: Project Settings > General > Reference ID.",
        )
    return ref


def validate_db_url(value: str, source: str = ENV_DB_URL) -> Secret:
    """Return the connection string as a Secret, or raise ConfigError without echoing it."""
    try:
        scheme = urlsplit(value.strip()).scheme
    except ValueError:
        scheme = ""
    if scheme not in ("postgres", "postgresql"):
        raise ConfigError(
            f"{source} must be a postgresql:// connection string.",
            hint="Example: postgresql://postgres:PASSWORD@db.REF.supabase.co:5432/postgres",
        )
    return Secret(value.strip())


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a ``.env`` file; a line that cannot be parsed is an error naming its line number."""
    from dotenv import dotenv_values
    from dotenv.parser import parse_stream

    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not valid UTF-8.", hint="Save it as UTF-8 text.") from None
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read: {exc.strerror}.") from None
    import io

    bad = [b.original.line for b in parse_stream(io.StringIO(text)) if b.error]
    if bad:
        lines = ", ".join(str(n) for n in bad[:5])
        raise ConfigError(
            f"{path} has lines that are not KEY=value (line {lines}).",
            hint="Fix or remove those lines; values with spaces need quotes.",
        )
    values = dotenv_values(stream=io.StringIO(text), interpolate=True)
    return {k: v for k, v in values.items() if v is not None}


def _config_section(config: Any) -> Mapping[str, Any]:
    if config is None:
        return {}
    try:
        section = config.get(CONFIG_SECTION, {}) if hasattr(config, "get") else {}
    except Exception:  # invoke's DataProxy raises for odd shapes
        section = {}
    if section is None:
        return {}
    if not isinstance(section, Mapping) and not hasattr(section, "keys"):
        raise ConfigError(
            f"invoke.yaml: '{CONFIG_SECTION}' must be a mapping of settings, not {type(section).__name__}."
        )
    return {k: section[k] for k in section.keys()}


def _as_float(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number of seconds, not {value!r}.") from None
    if number <= 0:
        raise ConfigError(f"{name} must be greater than zero.")
    return number


_NAME_RE = re.compile(r'^("[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)(\.("[^"]+"|[A-Za-z_][A-Za-z0-9_$]*))?$')


def _string_list(where: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where} must be a list of names.")
    return tuple(v.strip() for v in value)


def _critical_tables(where: str, value: Any) -> tuple[CriticalTable, ...]:
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"{where} must be a list: `- public.todos` or `- public.todos: [id, title]`.")
    out: list[CriticalTable] = []
    for item in value:
        columns: tuple[str, ...]
        if isinstance(item, str):
            name, columns = item.strip(), ()
        elif hasattr(item, "keys") and len(list(item.keys())) == 1:
            name = str(next(iter(item.keys()))).strip()
            columns = _string_list(f"{where}: the columns of {name}", item[name])
        else:
            raise ConfigError(f"{where}: {item!r} is neither a table name nor `table: [columns]`.")
        if not _NAME_RE.match(name):
            raise ConfigError(f"{where}: {name!r} is not a table name such as public.todos.")
        out.append(CriticalTable(name if "." in name else f"public.{name}", columns))
    return tuple(out)


def _silences(where: str, value: Any) -> tuple[Silence, ...]:
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"{where} must be a list of {{rule, object, reason}} entries.")
    out: list[Silence] = []
    for number, item in enumerate(value, 1):
        if not hasattr(item, "keys"):
            raise ConfigError(f"{where} entry {number} must be a mapping with rule, object and reason.")
        entry = {str(k): item[k] for k in item.keys()}
        missing = [k for k in ("rule", "object", "reason") if not str(entry.get(k) or "").strip()]
        if missing:
            raise ConfigError(f"{where} entry {number} lacks {', '.join(missing)}: a silenced finding needs the "
                              "rule, the object (globs allowed) and the reason, which db.verify prints.")
        out.append(Silence(str(entry["rule"]).strip(), str(entry["object"]).strip(), str(entry["reason"]).strip()))
    return tuple(out)


def verify_settings(section: Any, migrations_dir: Path) -> VerifySettings:
    """Read and validate the ``verify`` part of the ``migrations`` configuration section."""
    where = f"invoke.yaml {CONFIG_SECTION}.verify"
    if section is None:
        section = {}
    if not hasattr(section, "keys"):
        raise ConfigError(f"{where} must be a mapping.")
    cfg = {str(k): section[k] for k in section.keys()}
    known = {"exposed_schemas", "critical_tables", "silence", "verify_dir", "drift", "drift_schemas",
             "drift_ignore_schemas"}
    unknown = sorted(set(cfg) - known)
    if unknown:
        raise ConfigError(f"{where} has unknown keys: {', '.join(unknown)}.",
                          hint=f"Known keys: {', '.join(sorted(known))}.")
    drift = cfg.get("drift", "auto")
    drift = {True: "on", False: "off"}.get(drift, drift) if isinstance(drift, bool) else str(drift).lower()
    if drift not in DRIFT_MODES:
        raise ConfigError(f"{where}.drift must be auto, on or off, not {cfg['drift']!r}.")
    verify_dir = cfg.get("verify_dir")
    return VerifySettings(
        exposed_schemas=_string_list(f"{where}.exposed_schemas", cfg["exposed_schemas"])
        if "exposed_schemas" in cfg else DEFAULT_EXPOSED_SCHEMAS,
        critical_tables=_critical_tables(f"{where}.critical_tables", cfg.get("critical_tables") or []),
        silence=_silences(f"{where}.silence", cfg.get("silence") or []),
        verify_dir=Path(str(verify_dir)) if verify_dir else migrations_dir.parent / "verify",
        drift=drift,
        drift_schemas=_string_list(f"{where}.drift_schemas", cfg["drift_schemas"]) if cfg.get("drift_schemas")
        else (),
        drift_ignore_schemas=_string_list(f"{where}.drift_ignore_schemas", cfg["drift_ignore_schemas"])
        if cfg.get("drift_ignore_schemas") else (),
    )


def load_settings(
    config: Any = None,
    *,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    dotenv_path: Path | None = Path(".env"),
    require_database: bool = True,
) -> Settings:
    """Read and validate settings from flags, environment, ``.env`` and Invoke config."""
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    env: dict[str, str] = {}
    if dotenv_path is not None and dotenv_path.is_file():
        env.update(read_dotenv(dotenv_path))
    env.update(os.environ if environ is None else environ)
    cfg = _config_section(config)

    def pick(flag: str, env_names: tuple[str, ...], cfg_key: str | None) -> tuple[Any, str] | None:
        if flag in flags:
            return flags[flag], f"--{flag.replace('_', '-')}"
        for name in env_names:
            if env.get(name, "") != "":
                return env[name], name
        if cfg_key and cfg.get(cfg_key) not in (None, ""):
            return cfg[cfg_key], f"invoke.yaml {CONFIG_SECTION}.{cfg_key}"
        return None

    errors: list[ConfigError] = []

    def attempt(fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except ConfigError as exc:
            errors.append(exc)
            return None

    token_src = pick("access_token", (ENV_TOKEN,), None)
    token = attempt(validate_token, str(token_src[0]), token_src[1]) if token_src else None
    ref_src = pick("project_ref", (ENV_REF, *ENV_REF_ALIASES), "project_ref")
    ref = attempt(validate_project_ref, str(ref_src[0]), ref_src[1]) if ref_src else None
    api_src = pick("api_url", (ENV_API_URL,), "api_url")
    api_url = attempt(validate_api_url, str(api_src[0])) if api_src else DEFAULT_API_URL
    db_src = pick("db_url", (ENV_DB_URL,), None)
    db_url = attempt(validate_db_url, str(db_src[0]), db_src[1]) if db_src else None

    transport_src = pick("transport", (ENV_TRANSPORT,), "transport")
    transport: str | None = None
    if transport_src:
        transport = str(transport_src[0]).strip().lower()
        if transport not in TRANSPORTS:
            errors.append(ConfigError(f"{transport_src[1]} must be 'api' or 'postgres', not {transport_src[0]!r}."))
            transport = None

    if require_database:
        if transport is None:
            if token_src and ref_src:
                transport = "api"
            elif db_src:
                transport = "postgres"
        missing: list[str] = []
        if transport == "api" or (transport is None and not db_src):
            if not token_src:
                missing.append(f"{ENV_TOKEN} (your personal access token)")
            if not ref_src:
                missing.append(f"{ENV_REF} (the 20-letter project ref)")
            if transport is None:
                missing.append(f"or {ENV_DB_URL} for a direct PostgreSQL connection")
        elif transport == "postgres" and not db_src:
            missing.append(f"{ENV_DB_URL} (a postgresql:// connection string)")
        if missing:
            errors.append(ConfigError(
                "Missing settings: " + "; ".join(missing) + ". Set them in the environment or in .env"
                " (see .env.example); the project ref may also go in invoke.yaml under "
                f"'{CONFIG_SECTION}: project_ref:' or be given with --project-ref."
            ))

    mig_src = pick("migrations_dir", ("MIGRATIONS_DIR",), "migrations_dir")
    migrations_dir = Path(str(mig_src[0])) if mig_src else Path(DEFAULT_MIGRATIONS_DIR)
    rb_src = pick("rollbacks_dir", (), "rollbacks_dir")
    rollbacks_dir = Path(str(rb_src[0])) if rb_src else migrations_dir.parent / "rollbacks"

    drift_src = pick("drift_db_url", (ENV_DRIFT_DB_URL,), None)
    drift_db_url = attempt(validate_db_url, str(drift_src[0]), drift_src[1]) if drift_src else None
    verify = attempt(verify_settings, cfg.get("verify"), migrations_dir)

    lock_timeout = str(cfg.get("lock_timeout", "10s"))
    if not LOCK_TIMEOUT_RE.match(lock_timeout):
        errors.append(ConfigError(f"invoke.yaml {CONFIG_SECTION}.lock_timeout must look like 10s, 500ms or 2min."))
    lock_wait = attempt(_as_float, f"{CONFIG_SECTION}.lock_wait_seconds", cfg.get("lock_wait_seconds", 60))
    timeout = attempt(_as_float, f"{CONFIG_SECTION}.request_timeout", cfg.get("request_timeout", 120))
    retry_deadline = attempt(_as_float, f"{CONFIG_SECTION}.retry_deadline", cfg.get("retry_deadline", 90))

    if len(errors) == 1:
        raise errors[0]  # keeps its hint apart from its message
    if errors:
        raise ConfigError("\n".join(str(e) for e in errors))

    return Settings(
        transport=transport or "api",
        migrations_dir=migrations_dir,
        access_token=token,
        project_ref=ref,
        api_url=api_url,
        db_url=db_url,
        lock_timeout=lock_timeout,
        lock_wait_seconds=lock_wait,
        request_timeout=timeout,
        retry_deadline=retry_deadline,
        created_by=str(cfg.get("created_by", "migrations-tasks")) or None,
        rollbacks_dir=rollbacks_dir,
        verify=verify,
        drift_db_url=drift_db_url,
        extra=cfg,
    )


PROJECT_CONFIG_NAMES = ("invoke.yaml", "invoke.yml", "invoke.json")


def check_project_config(directory: Path) -> None:
    """Raise ConfigError when the project's Invoke config file next to tasks.py cannot be parsed.

    Invoke reads that file itself after importing tasks.py and would stop with a traceback; checking it
    first turns a YAML typo into one clear message.
    """
    for name in PROJECT_CONFIG_NAMES:
        path = directory / name
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path} cannot be read ({exc}).") from None
        if name.endswith(".json"):
            import json

            try:
                data = json.loads(text)
            except ValueError as exc:
                raise ConfigError(f"{path} is not valid JSON: {exc}.") from None
        else:
            from invoke.vendor import yaml

            try:
                data = yaml.safe_load(text)  # type: ignore[no-untyped-call]
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                where = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
                problem = getattr(exc, "problem", None) or "syntax error"
                raise ConfigError(f"{path}{where}: not valid YAML ({problem}).",
                                  hint="Fix the YAML syntax (indentation, quotes, brackets).") from None
        if data is not None and not isinstance(data, dict):
            raise ConfigError(f"{path} must hold a mapping of settings, not {type(data).__name__}.")


RELEASE_SECTION = "release"
DEFAULT_ENVIRONMENTS: dict[str, dict[str, Any]] = {
    "staging": {"migrations": "block"},
    "production": {"migrations": "block"},
    "sandbox": {"migrations": "apply", "sandbox": True},
}


@dataclass(frozen=True)
class ReleaseOptions:
    """One environment of the release flow (``release.environments.<name>`` in invoke.yaml)."""

    env: str
    policy: str = "block"
    project_ref: str | None = None
    sandbox: bool = False
    deploy: bool = True
    record_dir: str = ".release"
    stop: str | None = None


def load_release_settings(config: Any, env: str) -> ReleaseOptions:
    """Return the release options of ``env``; an unknown environment is an error, never the sandbox."""
    raw: Any = None
    if config is not None and hasattr(config, "get"):
        try:
            raw = config.get(RELEASE_SECTION)
        except Exception:
            raw = None
    section = {k: raw[k] for k in raw} if raw is not None and hasattr(raw, "keys") else {}
    if raw is not None and not hasattr(raw, "keys"):
        raise ConfigError(f"invoke.yaml: '{RELEASE_SECTION}' must be a mapping, not {type(raw).__name__}.")
    environments = {name: dict(spec) for name, spec in DEFAULT_ENVIRONMENTS.items()}
    configured = section.get("environments") or {}
    if not hasattr(configured, "keys"):
        raise ConfigError(f"invoke.yaml: '{RELEASE_SECTION}.environments' must be a mapping of names.")
    for name in configured:
        spec = configured[name] or {}
        if not hasattr(spec, "keys"):
            raise ConfigError(f"invoke.yaml: '{RELEASE_SECTION}.environments.{name}' must be a mapping.")
        environments.setdefault(str(name), {}).update({k: spec[k] for k in spec})
    if env not in environments:
        raise ConfigError(
            f"Unknown environment {env!r}.",
            hint=f"Known: {', '.join(sorted(environments))}. Define it under '{RELEASE_SECTION}: environments:' "
            "in invoke.yaml.")
    spec = environments[env]
    policy = str(spec.get("migrations", "block"))
    if policy not in ("block", "apply"):
        raise ConfigError(f"invoke.yaml {RELEASE_SECTION}.environments.{env}.migrations must be 'block' or "
                          f"'apply', not {policy!r}.")
    ref = spec.get("project_ref")
    where = f"invoke.yaml {RELEASE_SECTION}.environments.{env}.project_ref"
    return ReleaseOptions(
        env=env,
        policy=policy,
        project_ref=validate_project_ref(str(ref), where) if ref else None,
        sandbox=bool(spec.get("sandbox", False)),
        deploy=bool(spec.get("deploy", True)),
        record_dir=str(section.get("record_dir", ".release")),
        stop=str(spec["stop"]) if spec.get("stop") else None,
    )


# -- deploy (migrations_tasks.deploy) -----------------------------------------------------------------

DEPLOY_SECTION = "deploy"
ENV_DEPLOY_KNOWN_HOSTS = "DEPLOY_SSH_KNOWN_HOSTS"
ENV_DEPLOY_KEY = "DEPLOY_SSH_KEY"
ENV_DEPLOY_ACTOR = "DEPLOY_ACTOR"
ENV_DEPLOY_ENV = "DEPLOY_ENV"
ENV_DEPLOY_REVISION = "DEPLOY_REVISION"

if TYPE_CHECKING:  # the deploy package is imported only when a deploy task runs
    from .deploy.config import DeployConfig


def _plain(value: Any) -> Any:
    """Return Invoke config values (DataProxy) as plain dicts and lists."""
    if value is None or isinstance(value, (str, bytes, int, float, bool)):
        return value
    if isinstance(value, Mapping) or hasattr(value, "keys"):
        return {k: _plain(value[k]) for k in value.keys()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def deploy_actor(env: Mapping[str, str]) -> str:
    """Return who deploys, for the lock and the log: DEPLOY_ACTOR, the GitHub actor, or user@machine."""
    import socket

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

    Returns a :class:`migrations_tasks.deploy.config.DeployConfig`. ``environment`` (or ``DEPLOY_ENV``) lays
    ``deploy.environments.<name>`` over the section. Secrets come only from the environment or ``.env``:
    ``DEPLOY_SSH_KNOWN_HOSTS`` (known_hosts lines, for CI), ``DEPLOY_SSH_KEY`` (a private key, for CI), and
    the Supabase token for the project health check. Flags (highest): ``build_dir``, ``archive``,
    ``transfer``, ``keep_releases``, ``revision``, ``hosts`` (names), ``urls``, ``deadline``, ``interval``,
    ``timeout``, ``supabase`` (bool) and ``health`` (False: skip the checks after a deploy).
    ``require_hosts=False`` accepts a missing section or one without hosts (health checks from flags).
    """
    from .deploy.config import SupabaseSecrets, merge_environment, parse_deploy_config

    given = {k: v for k, v in (flags or {}).items() if v is not None and v != [] and v != ()}
    env: dict[str, str] = {}
    if dotenv_path is not None and dotenv_path.is_file():
        env.update(read_dotenv(dotenv_path))
    env.update(os.environ if environ is None else environ)

    raw: Any = None
    if config is not None and hasattr(config, "get"):
        try:
            raw = config.get(DEPLOY_SECTION)
        except Exception:  # invoke's DataProxy raises for odd shapes
            raw = None
    section = _plain(raw)
    if section is None:
        section = {}
    if not isinstance(section, Mapping):
        raise ConfigError(f"invoke.yaml: '{DEPLOY_SECTION}' must be a mapping, not {type(section).__name__}.")
    if not section and require_hosts:
        raise ConfigError(
            "invoke.yaml has no 'deploy' section: nothing says where to deploy.",
            hint="Copy the deploy section of invoke.yaml.example into invoke.yaml and set hosts and paths "
            "(README: 'Deploying over SSH').",
        )
    spec = merge_environment(section, environment or env.get(ENV_DEPLOY_ENV) or None) if section else {}

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

    supabase: SupabaseSecrets | None = None
    wants_supabase = isinstance(health, Mapping) and health.get("supabase") not in (None, False)
    if wants_supabase:
        base = load_settings(config, environ=env, dotenv_path=None, require_database=False)
        supabase = SupabaseSecrets(project_ref=base.project_ref, api_url=base.api_url, token=base.access_token)

    key_text = env.get(ENV_DEPLOY_KEY, "")
    private_key = Secret(key_text) if key_text.strip() else None
    if private_key is not None and "PRIVATE KEY" not in key_text:
        raise ConfigError(f"{ENV_DEPLOY_KEY} does not hold a private key (no 'PRIVATE KEY' header).",
                          hint="Paste the whole key file, from -----BEGIN to -----END, into the secret.")
    deploy_config = parse_deploy_config(
        spec,
        known_hosts=env.get(ENV_DEPLOY_KNOWN_HOSTS) or None,
        private_key=private_key,
        supabase=supabase,
        actor=deploy_actor(env),
        revision=given.get("revision") or env.get(ENV_DEPLOY_REVISION) or None,
        require_hosts=require_hosts,
    )
    names = given.get("hosts")
    return deploy_config.only([names] if isinstance(names, str) else list(names)) if names else deploy_config
