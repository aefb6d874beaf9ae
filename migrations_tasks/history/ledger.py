"""The migration ledger shared with the Supabase CLI: SQL text builders and row decoding (pure).

The table is ``supabase_migrations.schema_migrations``. Its columns differ between projects (hosted
projects have more, old or hand-made ones fewer), so the ledger is read with the list of columns that
exist and rows are written with only those columns.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import LedgerError
from ..sql import quote_literal, text_array

SCHEMA = "supabase_migrations"
TABLE = f"{SCHEMA}.schema_migrations"

#: One advisory lock key for every migrations-tasks write (apply, rollback, repair, ledger creation).
LOCK_KEY = 5_387_004_261_128_913_411

#: SQLSTATEs our own guards raise (5 characters, upper-case letters and digits, like PostgreSQL's).
ALREADY_APPLIED = "MTAPL"
NOT_APPLIED = "MTNAP"
LOCK_BUSY = "MTLCK"
PROBE_DONE = "MTPRB"
NEWER_APPLIED = "MTNEW"

#: Exactly the statements the Supabase CLI runs to create the ledger.
CREATE_STATEMENTS = (
    "SET lock_timeout = '4s'",
    f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
    f"CREATE TABLE IF NOT EXISTS {TABLE} (version text NOT NULL PRIMARY KEY)",
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS statements text[]",
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS name text",
)

#: The ledger's columns as JSON (an empty array when the table does not exist).
COLUMNS_SQL = f"""(SELECT coalesce(json_agg(json_build_object(
            'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
            'not_null', a.attnotnull, 'has_default', a.atthasdef OR a.attidentity <> ''
            OR a.attgenerated <> '') ORDER BY a.attnum), '[]'::json)
     FROM pg_catalog.pg_attribute a
    WHERE a.attrelid = to_regclass('{TABLE}') AND a.attnum > 0 AND NOT a.attisdropped)"""

READ_SQL = f"""SELECT
  {COLUMNS_SQL} AS columns,
  (SELECT coalesce(json_agg(to_jsonb(m)), '[]'::json) FROM {TABLE} m) AS rows"""

_TEXTUAL = ("text", "character varying")
_ACCEPTED_TYPES: dict[str, tuple[str, ...]] = {
    "version": (*_TEXTUAL, "bigint", "integer", "numeric"),
    "name": _TEXTUAL,
    "statements": ("text[]", "character varying[]"),
    "rollback": ("text[]", "character varying[]"),
    "created_by": _TEXTUAL,
}


@dataclass(frozen=True)
class Column:
    """A column of the ledger table as the catalog describes it."""

    name: str
    type: str
    not_null: bool = False
    has_default: bool = False


@dataclass(frozen=True)
class LedgerRow:
    """One applied migration as the ledger records it; absent columns are None."""

    version: str
    name: str | None = None
    statements: tuple[str, ...] | None = None
    rollback: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Ledger:
    """The ledger as read: whether it exists, its columns, and its rows."""

    exists: bool
    columns: Mapping[str, Column] = field(default_factory=dict)
    rows: tuple[LedgerRow, ...] = ()

    def versions(self) -> set[str]:
        """Return the applied versions."""
        return {r.version for r in self.rows}

    def has(self, column: str) -> bool:
        """Return True when the table has ``column``."""
        return column in self.columns


#: The ledger as the CLI creates it, for planning writes right after creating it.
CLI_COLUMNS = {
    "version": Column("version", "text", True, False),
    "statements": Column("statements", "text[]"),
    "name": Column("name", "text"),
}


def _base_type(type_name: str) -> str:
    base = type_name.split("(")[0].strip()
    return base + "[]" if type_name.endswith("[]") and not base.endswith("[]") else base


def decode(rows: Sequence[Mapping[str, Any]]) -> Ledger:
    """Turn the answer to READ_SQL into a Ledger, refusing shapes we cannot write safely."""
    if len(rows) != 1 or "columns" not in rows[0] or "rows" not in rows[0]:
        raise LedgerError(
            "Unexpected answer when reading the migration ledger.",
            hint="Is this a PostgreSQL database with the Supabase schema?",
        )
    raw_columns = rows[0]["columns"]
    raw_rows = rows[0]["rows"]
    if isinstance(raw_columns, str):
        raw_columns = json.loads(raw_columns)
    if isinstance(raw_rows, str):
        raw_rows = json.loads(raw_rows)
    columns = {
        c["name"]: Column(c["name"], c["type"], bool(c["not_null"]), bool(c["has_default"])) for c in raw_columns or []
    }
    if not columns:
        return Ledger(exists=False)
    if "version" not in columns:
        raise LedgerError(
            f"{TABLE} has no 'version' column.",
            hint="Repair the table by hand or rename it; migrations-tasks will not guess.",
        )
    for name, accepted in _ACCEPTED_TYPES.items():
        col = columns.get(name)
        if col is not None and _base_type(col.type) not in accepted:
            raise LedgerError(
                f"{TABLE}.{name} has type {col.type}; expected {' or '.join(accepted)}.",
                hint="The Supabase CLI creates it as text/text[]; fix the column type before going on.",
            )
    unknown_required = [
        c.name for c in columns.values() if c.not_null and not c.has_default and c.name not in _ACCEPTED_TYPES
    ]
    if unknown_required:
        raise LedgerError(
            f"{TABLE} has NOT NULL column(s) without a default that migrations-tasks cannot fill: "
            + ", ".join(unknown_required)
            + ".",
            hint="Give them a default or drop NOT NULL.",
        )
    out: list[LedgerRow] = []
    for raw in raw_rows or []:
        version = raw.get("version")
        if version is None:
            continue
        out.append(
            LedgerRow(
                version=str(version),
                name=raw.get("name"),
                statements=_texts(raw, "statements", version),
                rollback=_texts(raw, "rollback", version),
            )
        )
    return Ledger(True, columns, tuple(out))


def _texts(raw: Mapping[str, Any], column: str, version: object) -> tuple[str, ...] | None:
    """Return a text[] value of a ledger row, refusing anything but a list of strings."""
    value = raw.get(column)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise LedgerError(
            f"{TABLE}.{column} of version {version} is not an array of text: {str(value)[:80]!r}.",
            hint=f"Set {column} of that row to a text[] value (or NULL) by hand, then run again.",
        )
    return tuple(value)


#: The column hosted projects have for each migration's down SQL, added where it is missing (see add_rollback_sql).
ROLLBACK_COLUMN = Column("rollback", "text[]")
ADD_ROLLBACK = f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS rollback text[]"


def add_rollback_sql(wait_seconds: float = 60) -> str:
    """Return the request adding ``rollback text[]`` to the ledger, under our lock (idempotent).

    Newer hosted projects have the column already; the Supabase CLI neither writes nor reads it (``db push``
    inserts version, name and statements; ``migration repair`` upserts name and statements), so a ledger that
    gains it stays the CLI's. It keeps each migration's down SQL with its row, so ``db.rollback`` works from a
    checkout that lacks the down file.
    """
    return f"{lock_sql(wait_seconds)};\n{ADD_ROLLBACK};"


def create_sql(wait_seconds: float = 60) -> str:
    """Return the request that creates the ledger, exactly as the CLI does, under our lock."""
    return ";\n".join((lock_sql(wait_seconds), *CREATE_STATEMENTS)) + ";"


def lock_sql(wait_seconds: float, lock_timeout: str | None = None, *, absent: str | None = None) -> str:
    """Return a statement taking the transaction-scoped migration lock, waiting at most ``wait_seconds``.

    It then sets ``lock_timeout`` for the rest of the transaction, so DDL waiting on a busy table fails
    instead of queueing behind it forever. With ``absent``, it also aborts when that version is already
    in the ledger (the apply guard, read after the lock is held, so it sees every committed run).

    The lock is first tried without waiting; only a contended lock enters the block with an exception
    handler (a subtransaction), so the common case costs one function call.
    """
    wait = f"{max(1, round(wait_seconds * 1000))}ms"
    after = f"  PERFORM set_config('lock_timeout', {quote_literal(lock_timeout)}, true);\n" if lock_timeout else ""
    guard = _absent_check(absent) if absent is not None else ""
    return (
        "DO $mt_lock$\nBEGIN\n"
        f"  IF NOT pg_try_advisory_xact_lock({LOCK_KEY}) THEN\n"
        "    BEGIN\n"
        f"      PERFORM set_config('lock_timeout', '{wait}', true);\n"
        f"      PERFORM pg_advisory_xact_lock({LOCK_KEY});\n"
        "    EXCEPTION WHEN lock_not_available THEN\n"
        "      RAISE EXCEPTION 'another migrations-tasks run has held the migration lock for over "
        f"{wait_seconds:g}s' USING ERRCODE = '{LOCK_BUSY}';\n"
        "    END;\n"
        "  END IF;\n"
        f"{after}{guard}"
        "END $mt_lock$"
    )


def _guard_literal(version: str) -> str:
    """Quote ``version`` for use inside a ``$mt_guard$`` body."""
    if "$" in version:
        raise ValueError(f"a migration version cannot contain '$': {version!r}")
    return quote_literal(version)


def _absent_check(version: str) -> str:
    """Return the plpgsql lines that abort when ``version`` is already in the ledger."""
    v = _guard_literal(version)
    return (
        f"  IF EXISTS (SELECT 1 FROM {TABLE} WHERE version = {v}) THEN\n"
        f"    RAISE EXCEPTION 'migration % is already applied', {v} USING ERRCODE = '{ALREADY_APPLIED}';\n"
        "  END IF;\n"
    )


_GUARD_MESSAGE = re.compile(r"^migration (.+) is (?:already|not) applied$")


def guarded_version(message: str) -> str | None:
    """Return the version a guard's refusal names (``migration 3 is already applied``), or None."""
    match = _GUARD_MESSAGE.match(message.strip())
    return match.group(1) if match else None


def guard_absent_sql(version: str) -> str:
    """Return a statement that aborts the transaction when ``version`` is already in the ledger."""
    return f"DO $mt_guard$\nBEGIN\n{_absent_check(version)}END $mt_guard$"


def guard_present_sql(version: str) -> str:
    """Return a statement that aborts the transaction when ``version`` is not in the ledger."""
    v = _guard_literal(version)
    return (
        "DO $mt_guard$\nBEGIN\n"
        f"  IF NOT EXISTS (SELECT 1 FROM {TABLE} WHERE version = {v}) THEN\n"
        f"    RAISE EXCEPTION 'migration % is not applied', {v} USING ERRCODE = '{NOT_APPLIED}';\n"
        "  END IF;\nEND $mt_guard$"
    )


def guard_no_newer_sql(version: str) -> str:
    """Return a statement that aborts the transaction when a version newer than ``version`` is recorded.

    A rollback takes it so that a migration applied meanwhile by another run is never left on top of
    a migration being undone. Versions compare as numbers; non-numeric versions are ignored (and
    ``version`` itself must be numeric).
    """
    if not version.isdigit():
        raise ValueError(f"version {version!r} is not numeric")
    v = _guard_literal(version)
    return (
        "DO $mt_newer$\nDECLARE newer text;\nBEGIN\n"
        f"  SELECT string_agg(version::text, ', ' ORDER BY version::text) INTO newer FROM {TABLE}\n"
        f"   WHERE version::text ~ '^[0-9]+$' AND version::text::numeric > {v}::numeric;\n"
        "  IF newer IS NOT NULL THEN\n"
        f"    RAISE EXCEPTION 'newer migrations are applied after %: %', {v}, newer "
        f"USING ERRCODE = '{NEWER_APPLIED}';\n"
        "  END IF;\nEND $mt_newer$"
    )


def probe_end_sql() -> str:
    """Return a statement that always fails with PROBE_DONE: it ends a diagnostic request, rolled back."""
    return f"DO $mt_probe$ BEGIN RAISE EXCEPTION 'probe' USING ERRCODE = '{PROBE_DONE}'; END $mt_probe$"


def insert_sql(
    columns: Mapping[str, Column],
    *,
    version: str,
    name: str,
    statements: Sequence[str],
    rollback: Sequence[str] | None = None,
    created_by: str | None = None,
) -> str:
    """Return the INSERT of one ledger row, using only the columns that exist."""
    names = ["version"]
    values = [quote_literal(version)]
    if "name" in columns:
        names.append("name")
        values.append(quote_literal(name))
    if "statements" in columns:
        names.append("statements")
        values.append(text_array(list(statements)))
    if "rollback" in columns and rollback is not None:
        names.append("rollback")
        values.append(text_array(list(rollback)))
    if "created_by" in columns and created_by:
        names.append("created_by")
        values.append(quote_literal(created_by))
    return f"INSERT INTO {TABLE} ({', '.join(names)}) VALUES ({', '.join(values)})"


def delete_sql(version: str) -> str:
    """Return the DELETE of one ledger row."""
    return f"DELETE FROM {TABLE} WHERE version = {quote_literal(version)}"
