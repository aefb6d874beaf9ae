"""Settings of the ``migrations`` section: flags, environment, ``.env`` and ``invoke.yaml`` -> :class:`Settings`.

Every database task receives a :class:`Settings` value. Precedence, highest first: task flags, the process
environment, the ``.env`` file (never overriding the environment), Invoke configuration (the
``migrations`` section of ``invoke.yaml``), defaults. Raw values come from :mod:`migrations_tasks.config.sources`.

Secrets (the access token, a database URL that may hold a password) are held as
:class:`~migrations_tasks.secret.Secret`; they are read only from the environment or ``.env``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..secret import Secret
from . import sources
from .subsections import LintSettings, VerifySettings, lint_settings, verify_settings
from .targets import NamedTarget, Target, read_targets, resolve
from .validate import Problems
from .values import (
    CONFIG_SECTION,
    DEFAULT_API_URL,
    DEFAULT_MIGRATIONS_DIR,
    ENV_API_URL,
    ENV_DB_URL,
    ENV_DRIFT_DB_URL,
    ENV_REF,
    ENV_REF_ALIASES,
    ENV_TOKEN,
    ENV_TRANSPORT,
    LOCK_TIMEOUT_RE,
    TRANSPORTS,
    url_secrets,
    validate_api_url,
    validate_db_url,
    validate_project_ref,
    validate_token,
)


@dataclass(frozen=True)
class Settings:
    """Everything a database task needs to know, validated: where (:attr:`target`) and how (the rest, the policy)."""

    target: Target
    migrations_dir: Path
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
    #: The named targets and groups of invoke.yaml (``migrations.targets``, ``migrations.target_groups``).
    targets: Mapping[str, NamedTarget] = field(default_factory=dict, repr=False, compare=False)
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # Where, as the single-target code reads it: the target's values.
    @property
    def transport(self) -> str:
        """Return the target's transport: 'api' or 'postgres'."""
        return self.target.transport

    @property
    def access_token(self) -> Secret | None:
        """Return the target's access token."""
        return self.target.access_token

    @property
    def project_ref(self) -> str | None:
        """Return the target's project ref."""
        return self.target.project_ref

    @property
    def api_url(self) -> str:
        """Return the target's Management API URL."""
        return self.target.api_url

    @property
    def db_url(self) -> Secret | None:
        """Return the target's database URL."""
        return self.target.db_url

    def secrets(self) -> list[str]:
        """Return the secret values, for masking in CI logs: the token, each URL and its decoded password."""
        found = self.target.secrets()
        found += url_secrets(self.drift_db_url) if self.drift_db_url is not None else []
        return list(dict.fromkeys(found))

    def with_overrides(self, **changes: Any) -> Settings:
        """Return a copy with some fields replaced (already validated values); where-fields change the target."""
        where = {k: changes.pop(k) for k in _TARGET_FIELDS if k in changes}
        return replace(self, target=replace(self.target, **where), **changes) if where else replace(self, **changes)

    def select(self, spec: str, *, need_secrets: bool = True) -> list[Settings]:
        """Return the settings for each target ``spec`` names (targets, groups, refs, comma-separated).

        Unknown names and the secrets the chosen targets lack (with ``need_secrets``) are one ConfigError
        listing all of them.
        """
        chosen, problems = resolve(spec, self.targets, self.groups, self.target, need_secrets=need_secrets)
        if problems:
            raise ConfigError(
                "\n".join(problems) if len(problems) > 1 else problems[0],
                hint=f"Targets and groups are set in invoke.yaml under {CONFIG_SECTION}.targets and "
                f"{CONFIG_SECTION}.target_groups; secrets only in the environment or .env.",
            )
        return [replace(self, target=entry.target, **entry.tuning) for entry in chosen]


_TARGET_FIELDS = ("transport", "access_token", "project_ref", "api_url", "db_url")


def _as_float(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number of seconds, not {value!r}.") from None
    if number <= 0:
        raise ConfigError(f"{name} must be greater than zero.")
    return number


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


def _tuning(flags: Mapping[str, Any], cfg: Mapping[str, Any], problems: Problems, where: str) -> dict[str, Any]:
    """Return the lock, timeout and batching settings ``cfg`` (the section, or a target) sets, validated.

    ``--batch-size`` and ``--request-max-bytes`` (``flags``) win over invoke.yaml; what is unset keeps its default.
    """
    out: dict[str, Any] = {}
    if "lock_timeout" in cfg:
        out["lock_timeout"] = str(cfg["lock_timeout"])
        if not LOCK_TIMEOUT_RE.match(out["lock_timeout"]):
            problems.add_error(ConfigError(f"invoke.yaml {where}.lock_timeout must look like 10s, 500ms or 2min."))
    for key in ("lock_wait_seconds", "request_timeout", "retry_deadline"):
        if key in cfg:
            out[key] = problems.attempt(_as_float, f"{where}.{key}", cfg[key])
    for key, minimum in (("batch_size", 1), ("request_max_bytes", 1024)):
        found = (
            (flags[key], f"--{key.replace('_', '-')}")
            if key in flags
            else (cfg[key], f"invoke.yaml {where}.{key}")
            if cfg.get(key) not in (None, "")
            else None
        )
        if found:
            out[key] = int(problems.number(found[1], found[0], 0, minimum=minimum, integer=True))
    return {k: v for k, v in out.items() if v is not None}


def load_settings(
    config: Any = None,
    *,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    dotenv_path: Path | None = Path(".env"),
    require_database: bool = True,
) -> Settings:
    """Read and validate settings from flags, environment, ``.env`` and Invoke config.

    With a ``target`` flag (``--target``) the environment's own project is not required: the tasks then
    take the targets it names from :meth:`Settings.select`.
    """
    cfg = sources.section(config, CONFIG_SECTION)
    given = {k: v for k, v in (flags or {}).items() if v is not None}
    if given.pop("target", None):
        require_database = False
    src = _Sources(given, sources.environment(environ, dotenv_path), cfg)
    problems = Problems()
    connection = _connection(src, problems)
    transport = _transport(src, problems, require_database)
    target = Target(transport=transport, **connection)
    mig = src.pick("migrations_dir", ("MIGRATIONS_DIR",), "migrations_dir")
    migrations_dir = Path(str(mig[0])) if mig else Path(DEFAULT_MIGRATIONS_DIR)
    rollbacks = src.pick("rollbacks_dir", (), "rollbacks_dir")
    drift = src.pick("drift_db_url", (ENV_DRIFT_DB_URL,), None)
    drift_db_url = problems.attempt(validate_db_url, str(drift[0]), drift[1]) if drift else None
    verify = problems.attempt(verify_settings, cfg.get("verify"), migrations_dir)
    lint = problems.attempt(lint_settings, cfg.get("lint"))
    tuning = _tuning(given, cfg, problems, CONFIG_SECTION)
    named, groups = read_targets(
        cfg.get("targets"),
        cfg.get("target_groups"),
        src.env,
        target,
        problems,
        lambda where, spec: _tuning(given, spec, problems, where),
    )
    problems.raise_if_any()
    return Settings(
        target=target,
        migrations_dir=migrations_dir,
        rollbacks_dir=Path(str(rollbacks[0])) if rollbacks else migrations_dir.parent / "rollbacks",
        created_by=str(cfg.get("created_by", "migrations-tasks")) or None,
        verify=verify or VerifySettings(),
        lint=lint or LintSettings(),
        drift_db_url=drift_db_url,
        targets=named,
        groups=groups,
        extra=cfg,
        **tuning,
    )
