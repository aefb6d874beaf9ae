"""supautils.privileged_extensions without C: control files marked ``trusted``, searched first.

On hosted Supabase ``postgres`` may ``CREATE EXTENSION`` the extensions of ``privileged_extensions``
(supautils creates them as ``supabase_admin``) and no others that need a superuser. PostgreSQL's own
mechanism for the same thing is a *trusted* extension: any role with CREATE on the database may create
it, and its script runs as the bootstrap superuser (here ``supabase_admin``). So the sandbox writes, at every
start, a directory that comes first in ``extension_control_path`` holding, for each privileged extension
the engine or the stand-ins provide, its control file plus ``trusted = true`` and ``directory = '<where
its scripts are>'``. Installed extensions Supabase refuses are made untrusted (``lo``: PostgreSQL marks it
trusted) or, when PostgreSQL 18 no longer ships them (``adminpack``, ``old_snapshot``), superuser-only
placeholders, so ``postgres`` gets Supabase's 42501 for all of them.
"""

from __future__ import annotations

import re
from pathlib import Path

from .catalog import SUPABASE_EXTENSIONS

#: Installed on Supabase but not privileged: postgres gets 42501 "permission denied to create extension".
REFUSED_EXTENSIONS: tuple[str, ...] = (
    "adminpack",
    "amcheck",
    "file_fdw",
    "lo",
    "old_snapshot",
    "pageinspect",
    "pg_freespacemap",
    "pg_surgery",
    "pg_visibility",
)
#: On Supabase's list of extensions but not privileged for another reason: deprecated (intagg, xml2), not an
#: extension (wal2json), no superuser needed (pgmq, pg_partman), or always there (plpgsql).
_NOT_PRIVILEGED = frozenset({"intagg", "xml2", "wal2json", "pgmq", "pg_partman", "plpgsql"})
#: Privileged on Supabase, offered only by Postgres 15 projects or not creatable there.
_PRIVILEGED_ELSEWHERE = ("orioledb", "plcoffee", "pljava", "plls", "plv8", "supautils", "timescaledb")
#: supautils.privileged_extensions on hosted projects (shared/reference/supabase-privileges.md).
PRIVILEGED_EXTENSIONS: tuple[str, ...] = tuple(
    sorted({*SUPABASE_EXTENSIONS, *_PRIVILEGED_ELSEWHERE} - {*REFUSED_EXTENSIONS, *_NOT_PRIVILEGED})
)
TRUSTED_DIR = "trusted"

_KEY = re.compile(r"^\s*(trusted|directory)\s*=.*$", re.MULTILINE)
_TRUSTED = re.compile(r"^\s*trusted\s*=\s*true", re.MULTILINE)


def control_text(original: str, *, trusted: bool, directory: Path) -> str:
    """Return a control file's text with ``trusted`` set and ``directory`` pointing at its scripts."""
    if "'" in str(directory):
        raise ValueError(f"{directory} contains a quote; a control file cannot name it")
    text = _KEY.sub("", original).rstrip() + "\n"
    flag = "true" if trusted else "false"
    return f"{text}# written by the sandbox (sandbox/trusted.py)\ntrusted = {flag}\ndirectory = '{directory}'\n"


def _placeholder(name: str) -> str:
    return (
        f"comment = 'sandbox placeholder: {name} is not shipped with PostgreSQL 18; Supabase refuses it'\n"
        "default_version = '1.0'\nsuperuser = true\ntrusted = false\nrelocatable = true\n"
    )


def build(root: Path, sources: tuple[Path, ...]) -> Path:
    """Write ``root/trusted/extension/*.control``; return ``root/trusted`` for extension_control_path.

    ``sources``: directories holding ``.control`` files and scripts, searched in order (the engine's,
    then the stand-ins').
    """
    target = root / TRUSTED_DIR
    folder = target / "extension"
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.iterdir():
        stale.unlink()
    for name in PRIVILEGED_EXTENSIONS:
        control = next((d / f"{name}.control" for d in sources if (d / f"{name}.control").exists()), None)
        if control is not None:
            text = control_text(control.read_text(encoding="utf-8"), trusted=True, directory=control.parent)
            (folder / control.name).write_text(text, encoding="utf-8")
    for name in REFUSED_EXTENSIONS:
        control = next((d / f"{name}.control" for d in sources if (d / f"{name}.control").exists()), None)
        if control is None:
            (folder / f"{name}.control").write_text(_placeholder(name), encoding="utf-8")
            (folder / f"{name}--1.0.sql").write_text(f"-- sandbox placeholder for {name}\n", encoding="utf-8")
        elif _TRUSTED.search(control.read_text(encoding="utf-8")):
            text = control_text(control.read_text(encoding="utf-8"), trusted=False, directory=control.parent)
            (folder / control.name).write_text(text, encoding="utf-8")
    for path in (target, folder, *folder.iterdir()):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target
