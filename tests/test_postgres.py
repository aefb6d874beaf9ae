"""The direct transport never shows a password, as written or percent-decoded, in its errors."""

from __future__ import annotations

import pytest

from migrations_tasks.errors import ConfigError, NetworkError
from migrations_tasks.postgres import PostgresDatabase
from migrations_tasks.secret import Secret

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
