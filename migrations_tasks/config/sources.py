"""Where settings come from: the process environment, ``.env``, and Invoke's configuration.

The only module that reads them. The settings readers (:mod:`migrations_tasks.config.settings` for the
``migrations`` section, :mod:`migrations_tasks.deploy.settings` for ``deploy``,
:mod:`migrations_tasks.gate.options` for ``release``) get plain values from here and validate them;
everything else receives their typed results.

* :func:`environment`: the process environment over the ``.env`` file (the environment wins);
* :func:`sandbox_environment`: the same, with the project and how to reach it taken from a sandbox (the
  gate, ``inv demo`` and the pull-request rehearsal all run this way);
* :func:`section`: one section of Invoke's configuration as plain dicts and lists;
* :func:`check_project_config`: a YAML/JSON syntax error in the project's ``invoke.yaml`` as one message.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ConfigError

PROJECT_CONFIG_NAMES = ("invoke.yaml", "invoke.yml", "invoke.json")


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
    bad = [b.original.line for b in parse_stream(io.StringIO(text)) if b.error]
    if bad:
        lines = ", ".join(str(n) for n in bad[:5])
        raise ConfigError(
            f"{path} has lines that are not KEY=value (line {lines}).",
            hint="Fix or remove those lines; values with spaces need quotes.",
        )
    values = dotenv_values(stream=io.StringIO(text), interpolate=True)
    return {k: v for k, v in values.items() if v is not None}


def environment(environ: Mapping[str, str] | None = None, dotenv_path: Path | None = Path(".env")) -> dict[str, str]:
    """Return the environment (``environ``, default the process's) laid over the ``.env`` file."""
    env: dict[str, str] = {}
    if dotenv_path is not None and dotenv_path.is_file():
        env.update(read_dotenv(dotenv_path))
    env.update(os.environ if environ is None else environ)
    return env


#: What a run against a sandbox never takes from the environment or ``.env``: the project and how to reach
#: it (``SUPABASE_*``), the drift server and the transport.
SANDBOX_REPLACES = ("SUPABASE_", "MIGRATIONS_DRIFT_DB_URL", "MIGRATIONS_TRANSPORT")


def sandbox_environment(
    sandbox_env: Mapping[str, str],
    environ: Mapping[str, str] | None = None,
    dotenv_path: Path | None = Path(".env"),
) -> dict[str, str]:
    """Return the environment over ``.env`` with the project and how to reach it taken from a sandbox.

    Everything else (``DEPLOY_*`` secrets kept in ``.env``, say) stays. The transport is pinned to the API,
    and ``SUPABASE_DB_URL`` and ``MIGRATIONS_DRIFT_DB_URL`` are set empty (which reads as unset): a child
    process given this environment still reads ``.env``, and must not reach the database or the drift
    server named there. The drift check and the rehearsal then build their throwaway databases on an
    embedded PostgreSQL of their own, not on the sandbox's server: roles are shared by a whole server, so
    a migration's ``CREATE ROLE`` there would reach the sandbox's project.
    """
    out = {k: v for k, v in environment(environ, dotenv_path).items() if not k.startswith(SANDBOX_REPLACES)}
    out.update({k: v for k, v in sandbox_env.items() if k.startswith("SUPABASE_")})
    out.update({"SUPABASE_DB_URL": "", "MIGRATIONS_DRIFT_DB_URL": "", "MIGRATIONS_TRANSPORT": "api"})
    return out


def plain(value: Any) -> Any:
    """Return Invoke config values (DataProxy) as plain dicts and lists."""
    if value is None or isinstance(value, (str, bytes, int, float, bool)):
        return value
    if isinstance(value, Mapping) or hasattr(value, "keys"):
        return {k: plain(value[k]) for k in value.keys()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def section(config: Any, name: str) -> dict[str, Any]:
    """Return the ``name`` section of Invoke's config as a plain dict (empty when absent).

    A section that is present but not a mapping is a :class:`ConfigError`.
    """
    raw: Any = None
    if config is not None and hasattr(config, "get"):
        try:
            raw = config.get(name)
        except Exception:  # invoke's DataProxy raises for odd shapes
            raw = None
    if raw is None:
        return {}
    value = plain(raw)
    if not isinstance(value, dict):
        raise ConfigError(f"invoke.yaml: '{name}' must be a mapping of settings, not {type(raw).__name__}.")
    return value


def _parse_config_file(path: Path, text: str) -> Any:
    if path.name.endswith(".json"):
        import json

        try:
            return json.loads(text)
        except ValueError as exc:
            raise ConfigError(f"{path} is not valid JSON: {exc}.") from None
    from invoke.vendor import yaml

    try:
        return yaml.safe_load(text)  # type: ignore[no-untyped-call]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise ConfigError(
            f"{path}{where}: not valid YAML ({problem}).", hint="Fix the YAML syntax (indentation, quotes, brackets)."
        ) from None


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
        data = _parse_config_file(path, text)
        if data is not None and not isinstance(data, dict):
            raise ConfigError(f"{path} must hold a mapping of settings, not {type(data).__name__}.")
