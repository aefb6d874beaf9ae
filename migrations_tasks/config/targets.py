"""Where migrations go: a :class:`Target`, and the named targets and groups of ``migrations:`` in invoke.yaml.

A target is *where* (transport, API URL, project ref, token, database URL); everything else in
:class:`~migrations_tasks.config.settings.Settings` is *how* (timeouts, batch size, verify rules), the
policy, the same for every target unless a target overrides a setting such as ``lock_timeout``::

    migrations:
      targets:
        staging: {project_ref: abcdefghijklmnopqrst}
        prod-eu: {project_ref: ..., token_env: SUPABASE_ACCESS_TOKEN_EU, lock_timeout: 5s}
        local:   {transport: postgres, db_url_env: LOCAL_DB_URL}
      target_groups:
        prod: [prod-eu, prod-us]
        tenants: {file: tenants.txt}     # one project ref or target name per line (# comments)

Secrets still come only from the environment or ``.env``: a target names the variable holding its token
(``token_env``, default ``SUPABASE_ACCESS_TOKEN``) or its database URL (``db_url_env``). A project ref
(20 lowercase letters) is a target by itself: the default token and API URL, that project. Read by
:func:`read_targets`, called from the ``migrations`` section's one reader (:func:`..settings.load_settings`);
every bad entry is recorded at once. A secret a target lacks is only an error when that target is chosen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..secret import Secret
from .validate import Problems
from .values import (
    CONFIG_SECTION,
    DEFAULT_API_URL,
    ENV_TOKEN,
    PROJECT_REF_RE,
    TRANSPORTS,
    url_secrets,
    validate_api_url,
    validate_db_url,
    validate_project_ref,
    validate_token,
)

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: The policy settings a target may set for itself (validated as the section's own).
TARGET_TUNING = (
    "lock_timeout",
    "lock_wait_seconds",
    "request_timeout",
    "retry_deadline",
    "batch_size",
    "request_max_bytes",
)
ON_ERROR = ("stop", "continue")
_KEYS = {"project_ref", "api_url", "token_env", "transport", "db_url_env", *TARGET_TUNING}


@dataclass(frozen=True)
class Target:
    """Where SQL goes: one project through the Management API, or one database over PostgreSQL."""

    transport: str = "api"
    project_ref: str | None = None
    api_url: str = DEFAULT_API_URL
    access_token: Secret | None = None
    db_url: Secret | None = None
    #: Its name in invoke.yaml ("" for the target of the environment, flags and .env).
    name: str = ""

    @property
    def label(self) -> str:
        """Return how reports name it: its name, else its project ref, else its transport."""
        return self.name or self.project_ref or ("database" if self.transport == "postgres" else "project")

    def secrets(self) -> list[str]:
        """Return its secret values (the token, the URL and its password), for masking."""
        found = [self.access_token.reveal()] if self.access_token is not None else []
        found += url_secrets(self.db_url) if self.db_url is not None else []
        return found


@dataclass(frozen=True)
class NamedTarget:
    """A target of invoke.yaml: where it is, its own policy settings, and what it lacks (missing secrets)."""

    target: Target
    tuning: Mapping[str, Any] = field(default_factory=dict)
    missing: tuple[str, ...] = ()


def _target(
    name: str, spec: Mapping[str, Any], env: Mapping[str, str], base: Target, problems: Problems
) -> tuple[Target, list[str]]:
    """Return one target of ``targets`` and the secrets it lacks; record what is wrong with it."""
    where = f"invoke.yaml {CONFIG_SECTION}.targets.{name}"
    problems.unknown_keys(where, spec, _KEYS)
    text = {
        k: problems.text(f"{where}.{k}", spec.get(k))
        for k in ("project_ref", "api_url", "token_env", "transport", "db_url_env")
    }
    for key in ("token_env", "db_url_env"):
        if text[key] and not ENV_NAME_RE.match(text[key] or ""):
            problems.add(f"{where}.{key}", f"must name an environment variable (such as {ENV_TOKEN}), not a value.")
            text[key] = None
    transport = (text["transport"] or ("postgres" if text["db_url_env"] else "api")).lower()
    if transport not in TRANSPORTS:
        problems.add(f"{where}.transport", f"must be 'api' or 'postgres', not {text['transport']!r}.")
    ref = (
        problems.attempt(validate_project_ref, text["project_ref"], f"{where}.project_ref")
        if text["project_ref"]
        else None
    )
    api = problems.attempt(validate_api_url, text["api_url"]) if text["api_url"] else base.api_url
    missing: list[str] = []
    token, db_url = base.access_token, None
    if text["token_env"]:
        value = env.get(text["token_env"], "")
        token = problems.attempt(validate_token, value, text["token_env"]) if value else None
    if text["db_url_env"]:
        value = env.get(text["db_url_env"], "")
        db_url = problems.attempt(validate_db_url, value, text["db_url_env"]) if value else None
    if transport == "api":
        if not text["project_ref"]:
            problems.add(
                where, "needs project_ref (the 20-letter project ref), or transport: postgres with db_url_env."
            )
        if token is None:
            missing.append(f"{text['token_env'] or ENV_TOKEN} (the access token of target {name})")
    elif transport == "postgres" and not text["db_url_env"]:
        problems.add(where, "has transport postgres but no db_url_env (the variable holding its postgresql:// URL).")
    elif transport == "postgres" and db_url is None:
        missing.append(f"{text['db_url_env']} (the database URL of target {name})")
    target = Target(transport, ref, api or base.api_url, token if transport == "api" else None, db_url, name)
    return target, missing


def _members(name: str, spec: Any, problems: Problems) -> list[str]:
    """Return a group's member names as written: a list, or ``{file: path}`` with one per line."""
    where = f"invoke.yaml {CONFIG_SECTION}.target_groups.{name}"
    if isinstance(spec, Mapping):
        problems.unknown_keys(where, spec, {"file"})
        path = problems.text(f"{where}.file", spec.get("file"), required=True)
        if path is None:
            return []
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            problems.add(f"{where}.file", f"{path!r} cannot be read ({getattr(exc, 'strerror', None) or exc}).")
            return []
        return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]
    return list(problems.strings(where, spec))


def read_targets(
    targets: Any, groups: Any, env: Mapping[str, str], base: Target, problems: Problems, tuning: Any
) -> tuple[dict[str, NamedTarget], dict[str, tuple[str, ...]]]:
    """Read ``targets`` and ``target_groups``; ``tuning(where, spec)`` validates a target's policy settings."""
    named: dict[str, NamedTarget] = {}
    for name, spec in problems.mapping(f"invoke.yaml {CONFIG_SECTION}.targets", targets).items():
        where = f"invoke.yaml {CONFIG_SECTION}.targets.{name}"
        if not NAME_RE.match(str(name)):
            problems.add(where, "is not a target name: letters, digits, '-', '_' and '.', at most 63.")
            continue
        spec = problems.mapping(where, spec if spec is not None else {})
        target, missing = _target(str(name), spec, env, base, problems)
        own = tuning(f"{CONFIG_SECTION}.targets.{name}", {k: spec[k] for k in TARGET_TUNING if k in spec})
        named[str(name)] = NamedTarget(target, own, tuple(missing))
    out: dict[str, tuple[str, ...]] = {}
    for name, spec in problems.mapping(f"invoke.yaml {CONFIG_SECTION}.target_groups", groups).items():
        where = f"invoke.yaml {CONFIG_SECTION}.target_groups.{name}"
        if str(name) in named:
            problems.add(where, "has the name of a target; give the group another name.")
            continue
        members = _members(str(name), spec, problems)
        unknown = [m for m in members if m not in named and not PROJECT_REF_RE.match(m)]
        if unknown:
            problems.add(where, f"names unknown targets: {', '.join(unknown)} (neither a target nor a project ref).")
        if not members:
            problems.add(where, "has no members.")
        out[str(name)] = tuple(dict.fromkeys(members))
    return named, out


def resolve(
    spec: str,
    named: Mapping[str, NamedTarget],
    groups: Mapping[str, tuple[str, ...]],
    base: Target,
    *,
    need_secrets: bool = True,
) -> tuple[list[NamedTarget], list[str]]:
    """Return the targets ``spec`` names (targets, groups, project refs, comma-separated) and what is wrong.

    Without ``need_secrets`` (listing them: ``db.targets``) a target's missing secret is not a problem.
    """
    problems: list[str] = []
    chosen: dict[str, NamedTarget] = {}
    names = [n.strip() for n in spec.split(",") if n.strip()]
    if not names:
        problems.append("--target names no target.")
    for name in names:
        for member in groups.get(name, (name,)):
            if member in named:
                chosen.setdefault(member, named[member])
            elif PROJECT_REF_RE.match(member):
                missing = () if base.access_token else (f"{ENV_TOKEN} (the access token for project {member})",)
                implicit = replace(base, transport="api", project_ref=member, db_url=None, name=member)
                chosen.setdefault(member, NamedTarget(implicit, {}, missing))
            else:
                known = ", ".join(sorted([*named, *groups])) or "none configured"
                problems.append(f"--target {name!r} is neither a target, a group nor a project ref (known: {known}).")
    for entry in chosen.values() if need_secrets else ():
        problems += [f"Missing {m}: set it in the environment or in .env." for m in entry.missing]
    return list(chosen.values()), problems


@dataclass(frozen=True)
class FleetOptions:
    """How many targets run at once, how many go first alone, and what a failure does to the rest."""

    parallel: int = 4
    canary: int = 0
    on_error: str = "stop"

    @classmethod
    def read(cls, parallel: Any, canary: Any, on_error: Any, *, section: str | None = None) -> FleetOptions:
        """Return the options from the flags (or invoke.yaml's ``section``); one ConfigError names every bad one."""

        def named(key: str) -> str:
            return f"{section}.{key}" if section else f"--{key.replace('_', '-')}"

        problems: list[str] = []
        values: dict[str, Any] = {}
        for name, value, default, minimum in (("parallel", parallel, 4, 1), ("canary", canary, 0, 0)):
            try:
                number = default if value is None else int(value)
                if number < minimum:
                    raise ValueError
                values[name] = number
            except (TypeError, ValueError):
                problems.append(f"{named(name)} must be a whole number of at least {minimum}, not {value!r}.")
        choice = str(on_error or "stop").strip().lower()
        if choice not in ON_ERROR:
            problems.append(f"{named('on_error')} must be stop or continue, not {on_error!r}.")
        if problems:
            raise ConfigError("\n".join(problems))
        return cls(values["parallel"], values["canary"], choice)
