"""The ``verify`` and ``lint`` subsections of ``migrations``: critical tables, silenced advisories, drift
scope, lint rule levels, read into :class:`VerifySettings` and :class:`LintSettings`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .validate import Problems
from .values import CONFIG_SECTION, DEFAULT_EXPOSED_SCHEMAS, DRIFT_MODES


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
