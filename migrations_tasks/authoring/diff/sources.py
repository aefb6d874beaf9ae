"""The declared schema's files: which, in what order, parsed as migrations (pure apart from reading files).

As the Supabase CLI does: ``supabase/config.toml``'s ``[db.migrations] schema_paths`` (paths relative to
the ``supabase`` directory, globs included; each pattern's files in lexical order, a file listed twice
taken once, where it first appears), else every ``*.sql`` file under ``supabase/schemas``, in lexical
order of their paths. Each file is parsed as a migration file is
(:func:`~migrations_tasks.history.migrations.parse_file`), so a syntax error names the file, line and column.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...errors import ConfigError, MigrationFileError
from ...history.migrations import LocalMigrations, Migration, MigrationFileName, parse_file
from ...history.sqlfile import combine

SCHEMAS_DIR = "schemas"
CONFIG_FILE = "config.toml"

#: Statements a declarative file cannot hold: the diff compares schemas, so these are reported, not written.
_CAVEATS = (
    (
        re.compile(r"^\s*(insert|update|delete|merge|truncate|copy)\b", re.I),
        "data (DML) is not part of a schema: db.diff ignores it; put rows in supabase/seed.sql or a migration",
    ),
    (
        re.compile(r"^\s*alter\b[^;]*\brename\b", re.I | re.S),
        "a rename in a declarative file reads as a drop and an "
        "add: declare the new name, and write the RENAME in a migration (inv db.new NAME)",
    ),
)


def _toml() -> Any:
    """Return the TOML reader: the standard library's (3.11+), else tomli when installed."""
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    try:
        return importlib.import_module("tomli")
    except ImportError:
        raise ConfigError(
            "Reading supabase/config.toml's schema_paths needs Python 3.11 or the tomli package.",
            hint="pip install tomli, or use Python 3.11+.",
        ) from None


def schema_paths(supabase_dir: Path) -> list[str] | None:
    """Return ``[db.migrations] schema_paths`` of ``supabase/config.toml`` (None: not set)."""
    path = supabase_dir / CONFIG_FILE
    toml = _toml() if path.is_file() else None
    if toml is None:
        return None
    try:
        config = toml.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, toml.TOMLDecodeError) as exc:
        raise ConfigError(f"Cannot read {path}: {exc}", hint="Fix the file (it is TOML).") from None
    paths = config.get("db", {}).get("migrations", {}).get("schema_paths")
    if paths is None:
        return None
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise ConfigError(f"{path}: [db.migrations] schema_paths must be a list of paths.")
    return list(paths)


def declared(supabase_dir: Path) -> bool:
    """Return True when the project keeps a declarative schema (``supabase/schemas``, or schema_paths set)."""
    return (supabase_dir / SCHEMAS_DIR).is_dir() or bool(schema_paths(supabase_dir))


def schema_files(supabase_dir: Path) -> list[Path]:
    """Return the schema files in the order they are applied (see the module docstring)."""
    patterns = schema_paths(supabase_dir)
    if patterns is None:
        root = supabase_dir / SCHEMAS_DIR
        return sorted((p for p in root.rglob("*.sql") if p.is_file()), key=lambda p: p.relative_to(root).as_posix())
    out: list[Path] = []
    for pattern in patterns:
        relative = pattern.removeprefix("./")
        matches = sorted(p for p in supabase_dir.glob(relative) if p.is_file()) if relative else []
        if not matches and not any(ch in relative for ch in "*?["):
            raise ConfigError(
                f"{supabase_dir / CONFIG_FILE}: schema_paths lists {pattern}, which does not exist.",
                hint="Paths are relative to the supabase directory, as the Supabase CLI reads them.",
            )
        out += [p for p in matches if p not in out]
    return out


def parse_schema(files: Sequence[Path], directory: Path) -> LocalMigrations:
    """Return the schema files as migrations, in order (version: their rank); report every bad file at once."""
    migrations: list[Migration] = []
    problems: list[MigrationFileError] = []
    for rank, path in enumerate(files, 1):
        name = re.sub(r"[^a-z0-9_]+", "_", path.stem.lower()) or "schema"
        try:
            migrations.append(parse_file(MigrationFileName(path, f"{rank:014d}", name)))
        except MigrationFileError as exc:
            problems.append(exc)
    if problems:
        raise combine(problems)
    return LocalMigrations(directory, tuple(migrations))


def caveats(schema: LocalMigrations) -> list[str]:
    """Return one line per statement a declarative file cannot hold (``path:line: why``)."""
    return [
        f"{m.path}:{s.line}: {why}"
        for m in schema.migrations
        for s in m.statements
        for pattern, why in _CAVEATS
        if pattern.search(s.text)
    ]
