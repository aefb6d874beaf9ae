"""Settings of the ``migrations`` section: flags, environment, ``.env`` and ``invoke.yaml`` -> :class:`Settings`.

Every database task receives a :class:`Settings` value. Precedence, highest first: task flags, the process
environment, the ``.env`` file (never overriding the environment), Invoke configuration (the
``migrations`` section of ``invoke.yaml``), defaults. Raw values come from :mod:`migrations_tasks.config.sources`.

Secrets (the access token, a database URL that may hold a password) are held as
:class:`~migrations_tasks.secret.Secret`; they are read only from the environment or ``.env``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import ConfigError
from ..secret import Secret
from . import dburl, sources
from .validate import Problems

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
class LintSettings:
    """How ``db.lint`` and ``db.plan`` judge migrations (``migrations: lint:`` in invoke.yaml)."""

    #: Level per rule name: "error", "warn" or "off" (rules not named keep their default level).
    rules: Mapping[str, str] = field(default_factory=dict)
    #: The PostgreSQL major version squawk assumes (Supabase runs 15 and 17; their rules agree).
    pg_version: int = 17


@dataclass(frozen=True)
class Settings:
    """Everything a database task needs to know, validated."""

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
    lint: LintSettings = field(default_factory=LintSettings)
    #: A PostgreSQL server holding the sandbox's template, for the drift check (else one is started).
    drift_db_url: Secret | None = None
    batch_size: int = 50  # consecutive migrations (or rollback steps) per request, each its own transaction
    request_max_bytes: int = 3 * 1024 * 1024  # larger requests are refused unsent: postgres-meta's body limit
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def secrets(self) -> list[str]:
        """Return the secret values, for masking in CI logs: the token, each URL and its decoded password."""
        found = [self.access_token.reveal()] if self.access_token is not None else []
        for url in (self.db_url, self.drift_db_url):
            found += url_secrets(url) if url is not None else []
        return list(dict.fromkeys(found))

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
        raise ConfigError(
            f"{source} is empty.",
            hint="Create a personal access token at https://supabase.com/dashboard/account/tokens.",
        )
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
    """Return the connection URL as a Secret, or raise ConfigError naming ``source`` without echoing it.

    The URL is parsed here (:mod:`~migrations_tasks.config.dburl`), never first by libpq, whose parse errors quote
    the password; a host other than this machine needs ``sslmode=require`` or stronger.
    """
    if not value.strip().lower().startswith(tuple(f"{s}://" for s in dburl.SCHEMES)):
        raise ConfigError(f"{source} must be a postgresql:// connection string.", hint=f"Example: {dburl.EXAMPLE}")
    dburl.require_tls(dburl.parse_url(value.strip(), source), source)
    return Secret(value.strip())


def url_secrets(url: Secret) -> list[str]:
    """Return what to mask (and redact) of a connection URL: the URL, its password as written and decoded."""
    return dburl.secrets_of(url.reveal())


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
            raise ConfigError(
                f"{where} entry {number} lacks {', '.join(missing)}: a silenced finding needs the "
                "rule, the object (globs allowed) and the reason, which db.verify prints."
            )
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
    known = {
        "exposed_schemas",
        "critical_tables",
        "silence",
        "verify_dir",
        "drift",
        "drift_schemas",
        "drift_ignore_schemas",
    }
    unknown = sorted(set(cfg) - known)
    if unknown:
        raise ConfigError(
            f"{where} has unknown keys: {', '.join(unknown)}.", hint=f"Known keys: {', '.join(sorted(known))}."
        )
    drift = cfg.get("drift", "auto")
    drift = {True: "on", False: "off"}.get(drift, drift) if isinstance(drift, bool) else str(drift).lower()
    if drift not in DRIFT_MODES:
        raise ConfigError(f"{where}.drift must be auto, on or off, not {cfg['drift']!r}.")
    verify_dir = cfg.get("verify_dir")
    return VerifySettings(
        exposed_schemas=_string_list(f"{where}.exposed_schemas", cfg["exposed_schemas"])
        if "exposed_schemas" in cfg
        else DEFAULT_EXPOSED_SCHEMAS,
        critical_tables=_critical_tables(f"{where}.critical_tables", cfg.get("critical_tables") or []),
        silence=_silences(f"{where}.silence", cfg.get("silence") or []),
        verify_dir=Path(str(verify_dir)) if verify_dir else migrations_dir.parent / "verify",
        drift=drift,
        drift_schemas=_string_list(f"{where}.drift_schemas", cfg["drift_schemas"]) if cfg.get("drift_schemas") else (),
        drift_ignore_schemas=_string_list(f"{where}.drift_ignore_schemas", cfg["drift_ignore_schemas"])
        if cfg.get("drift_ignore_schemas")
        else (),
    )


LINT_LEVELS = ("error", "warn", "off")
_RULE_NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def lint_settings(section: Any) -> LintSettings:
    """Read and validate the ``lint`` part of the ``migrations`` section (rule names are checked by db.lint)."""
    where = f"invoke.yaml {CONFIG_SECTION}.lint"
    problems = Problems()
    cfg = problems.mapping(where, section)
    problems.unknown_keys(where, cfg, {"rules", "pg_version"})
    rules: dict[str, str] = {}
    for name, level in problems.mapping(f"{where}.rules", cfg.get("rules")).items():
        text = str(level).lower() if isinstance(level, str) else {False: "off"}.get(level, repr(level))
        if not _RULE_NAME_RE.match(str(name)):
            problems.add(f"{where}.rules", f"has {name!r}, which is not a rule name such as ban-drop-column.")
        elif text not in LINT_LEVELS:
            problems.add(f"{where}.rules.{name}", f"must be error, warn or off, not {level!r}.")
        else:
            rules[str(name)] = text
    version = problems.number(f"{where}.pg_version", cfg.get("pg_version"), 17, minimum=10, integer=True)
    problems.raise_if_any()
    return LintSettings(rules=rules, pg_version=int(version))


@dataclass
class _Sources:
    """The values a setting may come from, highest precedence first: flags, environment (+ .env), config."""

    flags: Mapping[str, Any]
    env: Mapping[str, str]
    cfg: Mapping[str, Any]

    def pick(self, flag: str, env_names: tuple[str, ...], cfg_key: str | None) -> tuple[Any, str] | None:
        """Return (value, where it came from) of the first source that sets it, or None."""
        if flag in self.flags:
            return self.flags[flag], f"--{flag.replace('_', '-')}"
        for name in env_names:
            if self.env.get(name, "") != "":
                return self.env[name], name
        if cfg_key and self.cfg.get(cfg_key) not in (None, ""):
            return self.cfg[cfg_key], f"invoke.yaml {CONFIG_SECTION}.{cfg_key}"
        return None


def _transport(src: _Sources, problems: Problems, require_database: bool) -> str:
    """Return the chosen transport; record what is missing for it when a database is required."""
    token, ref, db = (
        src.pick("access_token", (ENV_TOKEN,), None),
        src.pick("project_ref", (ENV_REF, *ENV_REF_ALIASES), "project_ref"),
        src.pick("db_url", (ENV_DB_URL,), None),
    )
    transport: str | None = None
    chosen = src.pick("transport", (ENV_TRANSPORT,), "transport")
    if chosen:
        transport = str(chosen[0]).strip().lower()
        if transport not in TRANSPORTS:
            problems.add_error(ConfigError(f"{chosen[1]} must be 'api' or 'postgres', not {chosen[0]!r}."))
            transport = None
    if not require_database:
        return transport or "api"
    if transport is None:
        transport = "api" if token and ref else "postgres" if db else None
    missing: list[str] = []
    if transport == "api" or (transport is None and not db):
        if not token:
            missing.append(f"{ENV_TOKEN} (your personal access token)")
        if not ref:
            missing.append(f"{ENV_REF} (the 20-letter project ref)")
        if transport is None:
            missing.append(f"or {ENV_DB_URL} for a direct PostgreSQL connection")
    elif transport == "postgres" and not db:
        missing.append(f"{ENV_DB_URL} (a postgresql:// connection string)")
    if missing:
        problems.add_error(
            ConfigError(
                "Missing settings: " + "; ".join(missing) + ". Set them in the environment or in .env"
                " (see .env.example); the project ref may also go in invoke.yaml under "
                f"'{CONFIG_SECTION}: project_ref:' or be given with --project-ref."
            )
        )
    return transport or "api"


def _connection(src: _Sources, problems: Problems) -> dict[str, Any]:
    """Return the token, ref, API URL and database URL, validated."""
    token = src.pick("access_token", (ENV_TOKEN,), None)
    ref = src.pick("project_ref", (ENV_REF, *ENV_REF_ALIASES), "project_ref")
    api = src.pick("api_url", (ENV_API_URL,), "api_url")
    db = src.pick("db_url", (ENV_DB_URL,), None)
    return {
        "access_token": problems.attempt(validate_token, str(token[0]), token[1]) if token else None,
        "project_ref": problems.attempt(validate_project_ref, str(ref[0]), ref[1]) if ref else None,
        "api_url": (problems.attempt(validate_api_url, str(api[0])) if api else DEFAULT_API_URL) or DEFAULT_API_URL,
        "db_url": problems.attempt(validate_db_url, str(db[0]), db[1]) if db else None,
    }


def _tuning(src: _Sources, cfg: Mapping[str, Any], problems: Problems) -> dict[str, Any]:
    """Return the lock, timeout and batching settings, validated."""
    lock_timeout = str(cfg.get("lock_timeout", "10s"))
    if not LOCK_TIMEOUT_RE.match(lock_timeout):
        problems.add_error(ConfigError(f"invoke.yaml {CONFIG_SECTION}.lock_timeout must look like 10s, 500ms or 2min."))
    seconds = {
        key: problems.attempt(_as_float, f"{CONFIG_SECTION}.{key}", cfg.get(key, default))
        for key, default in (("lock_wait_seconds", 60), ("request_timeout", 120), ("retry_deadline", 90))
    }
    for key, minimum in (("batch_size", 1), ("request_max_bytes", 1024)):  # --batch-size wins over invoke.yaml
        if found := src.pick(key, (), key):
            seconds[key] = int(problems.number(found[1], found[0], 0, minimum=minimum, integer=True))
    return {"lock_timeout": lock_timeout, **seconds}


def load_settings(
    config: Any = None,
    *,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    dotenv_path: Path | None = Path(".env"),
    require_database: bool = True,
) -> Settings:
    """Read and validate settings from flags, environment, ``.env`` and Invoke config."""
    cfg = sources.section(config, CONFIG_SECTION)
    src = _Sources(
        {k: v for k, v in (flags or {}).items() if v is not None}, sources.environment(environ, dotenv_path), cfg
    )
    problems = Problems()
    connection = _connection(src, problems)
    transport = _transport(src, problems, require_database)
    mig = src.pick("migrations_dir", ("MIGRATIONS_DIR",), "migrations_dir")
    migrations_dir = Path(str(mig[0])) if mig else Path(DEFAULT_MIGRATIONS_DIR)
    rollbacks = src.pick("rollbacks_dir", (), "rollbacks_dir")
    drift = src.pick("drift_db_url", (ENV_DRIFT_DB_URL,), None)
    drift_db_url = problems.attempt(validate_db_url, str(drift[0]), drift[1]) if drift else None
    verify = problems.attempt(verify_settings, cfg.get("verify"), migrations_dir)
    lint = problems.attempt(lint_settings, cfg.get("lint"))
    tuning = _tuning(src, cfg, problems)
    problems.raise_if_any()
    return Settings(
        transport=transport,
        migrations_dir=migrations_dir,
        rollbacks_dir=Path(str(rollbacks[0])) if rollbacks else migrations_dir.parent / "rollbacks",
        created_by=str(cfg.get("created_by", "migrations-tasks")) or None,
        verify=verify or VerifySettings(),
        lint=lint or LintSettings(),
        drift_db_url=drift_db_url,
        extra=cfg,
        **connection,
        **tuning,
    )
