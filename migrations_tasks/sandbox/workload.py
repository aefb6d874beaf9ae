"""Generated migration sets and an audit of what a database holds, for tests, the benchmark and the stress run.

Each generated migration creates a table, an index and a plpgsql function, inserts a row, and appends
its version to ``workload_log`` (which has no unique key on purpose): a migration applied twice shows
up there twice. The audit compares the ledger with what the migrations built, so a migration whose
effects and ledger row are not together ("half-applied") is found.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BASE_VERSION = 20250101000000


def version_of(number: int) -> str:
    """Return the version of the Nth generated migration (1-based), 14 digits like the CLI's."""
    return str(BASE_VERSION + number)


def migration_sql(number: int, *, concurrently: bool = False) -> str:
    """Return the SQL of the Nth generated migration (its index built CONCURRENTLY: it runs in three parts)."""
    version = version_of(number)
    head = ""
    if number == 1:
        head = "create table if not exists public.workload_log (version text not null, at timestamptz default now());\n"
    how = "index concurrently" if concurrently else "index"
    return (
        f"{head}create table public.w_{number} (id int primary key, label text not null);\n"
        f"create {how} w_{number}_label_idx on public.w_{number} (label);\n"
        f"create function public.f_{number}() returns int language plpgsql as $$\n"
        f"begin\n  return (select count(*) from public.w_{number});\nend;\n$$;\n"
        f"insert into public.w_{number} values ({number}, 'row {number}');\n"
        f"insert into public.workload_log (version) values ('{version}');\n"
    )


def generate(directory: Path, count: int, concurrently_every: int = 0) -> list[Path]:
    """Write ``count`` migrations into ``directory``; return their paths.

    With ``concurrently_every`` N, every Nth builds its index CONCURRENTLY (not idempotent: a second run of
    that part fails), so it runs outside one transaction.
    """
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(1, count + 1):
        path = directory / f"{version_of(number)}_workload_{number}.sql"
        concurrently = bool(concurrently_every) and number % concurrently_every == 0
        path.write_text(migration_sql(number, concurrently=concurrently), encoding="utf-8")
        paths.append(path)
    return paths


@dataclass
class Audit:
    """What the database holds for a generated set."""

    applied: list[str] = field(default_factory=list)
    half_applied: list[str] = field(default_factory=list)
    double_applied: list[str] = field(default_factory=list)
    #: INVALID indexes (a CONCURRENTLY build that failed or was cancelled), by name.
    invalid_indexes: list[str] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        """Return True when every migration is wholly there or wholly absent, none twice, no index INVALID."""
        return not self.half_applied and not self.double_applied and not self.invalid_indexes


def audit(conn: Any, count: int) -> Audit:
    """Compare the ledger with what the first ``count`` generated migrations built.

    ``conn`` is a direct (autocommit) psycopg connection. Everything is read from one REPEATABLE READ
    snapshot, so a migration committing while the audit runs is seen wholly or not at all.
    """
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        relations = {
            (r[0], r[1])
            for r in conn.execute(
                "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'r' AND n.nspname IN ('public', 'supabase_migrations')"
            ).fetchall()
        }
        ledger: set[str] = set()
        if ("supabase_migrations", "schema_migrations") in relations:
            ledger = {r[0] for r in conn.execute("SELECT version FROM supabase_migrations.schema_migrations")}
        invalid = [
            r[0]
            for r in conn.execute(
                "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT i.indisvalid AND n.nspname = 'public'"
            ).fetchall()
        ]
        logged: Counter[str] = Counter()
        if ("public", "workload_log") in relations:
            logged.update(r[0] for r in conn.execute("SELECT version FROM public.workload_log"))
    result = Audit(invalid_indexes=sorted(invalid))
    for number in range(1, count + 1):
        version = version_of(number)
        in_ledger, has_table, times = version in ledger, ("public", f"w_{number}") in relations, logged[version]
        if in_ledger and has_table and times == 1:
            result.applied.append(version)
        elif (in_ledger or has_table or times) and times <= 1:
            result.half_applied.append(version)
        if times > 1:
            result.double_applied.append(version)
    return result
