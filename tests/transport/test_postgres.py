"""The direct transport: it never shows a password in its errors; each request sees a clean session."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import Project

from migrations_tasks.engine import Engine
from migrations_tasks.errors import ConfigError, NetworkError
from migrations_tasks.history.migrations import load
from migrations_tasks.secret import Secret
from migrations_tasks.transport.connect import connect
from migrations_tasks.transport.postgres import PostgresDatabase
from migrations_tasks.verify import verify

EXAMPLES = Path(__file__).resolve().parents[2] / "supabase" / "migrations"

PASSWORD = "Hunter2%41zzSecret"  # %41 decodes to "A": both spellings must stay hidden


def test_a_refused_connection_names_neither_spelling_of_the_password() -> None:
    db = PostgresDatabase(Secret(f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/postgres"), connect_timeout=1)
    with pytest.raises(NetworkError) as caught:
        db.execute("select 1")
    text = str(caught.value)
    assert "Cannot connect to PostgreSQL" in text
    assert PASSWORD not in text and "Hunter2AzzSecret" not in text


def test_a_url_libpq_cannot_parse_is_refused_without_its_text() -> None:
    db = PostgresDatabase(Secret(f"postgresql://postgres:{PASSWORD}@127.0.0.1/postgres?bogus_option=1"))
    with pytest.raises(ConfigError) as caught:
        db.execute("select 1")
    assert str(caught.value) == "SUPABASE_DB_URL is not a valid PostgreSQL connection URL. Its value is not shown."


def test_a_read_after_apply_on_the_same_connection_does_not_see_the_session_a_migration_left(
    project: Project, verify_settings: Any, tmp_path: Path
) -> None:
    shutil.copytree(EXAMPLES.parent, tmp_path / "supabase")
    directory = tmp_path / "supabase" / "migrations"
    (tmp_path / "supabase" / "verify" / "03_unqualified.sql").write_text("select id from todos where false;\n")
    # every pg_dump baseline has this line
    (directory / "20251103100000_tail.sql").write_text("SELECT pg_catalog.set_config('search_path', '', false);\n")
    settings = verify_settings(directory, "postgres")
    db = connect(settings.target, settings)
    assert isinstance(db, PostgresDatabase)
    Engine(db, settings).apply(load(directory))
    result = verify(db, load(directory), settings, drift=False)  # inv release verifies on the same connection
    assert [(s.path.name, s.passed) for s in result.scripts] == [
        ("01_schema.sql", True),
        ("02_todos_rls.sql", True),
        ("03_unqualified.sql", True),
    ]
    fresh = project.sql("SELECT current_setting('search_path')")[0][0]  # what a new connection has
    assert db.execute("SELECT current_setting('search_path') AS p", write=False) == [{"p": fresh}]
