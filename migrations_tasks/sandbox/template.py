"""The Supabase template: the SQL that creates Supabase's objects, and the per-database settings.

Every project database (and every throwaway database of the drift check) is a copy of the template
database; ``CREATE DATABASE ... TEMPLATE`` does not copy per-database settings, so they are applied to
each copy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SQL_DIR = Path(__file__).parent / "sql"
TEMPLATE_DB = "supabase_template"
#: The role the read-only endpoint runs as (LOGIN BYPASSRLS, member of pg_read_all_data; 00_roles.sql).
READ_ONLY_USER = "supabase_read_only_user"
#: Per-database settings Supabase has; CREATE DATABASE ... TEMPLATE does not copy them.
DATABASE_SETTINGS = {"search_path": '"$user", public, extensions'}


def bootstrap_sql() -> str:
    """Return the SQL that creates the Supabase objects in a database."""
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(SQL_DIR.glob("*.sql")))


def apply_database_settings(conn: Any, dbname: str) -> None:
    """Give a project database Supabase's per-database settings (``conn``: a psycopg connection)."""
    from psycopg import sql as psql

    for name, value in DATABASE_SETTINGS.items():
        conn.execute(
            psql.SQL("ALTER DATABASE {} SET {} = " + value).format(psql.Identifier(dbname), psql.Identifier(name))
        )
