"""The verify section of invoke.yaml is read and validated in settings.py only (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrations_tasks.config.settings import load_settings
from migrations_tasks.config.subsections import CriticalTable, Silence, verify_settings
from migrations_tasks.errors import ConfigError


def test_defaults_expose_public_and_graphql_public_and_find_scripts_beside_the_migrations() -> None:
    vs = verify_settings(None, Path("db/migrations"))
    assert vs.exposed_schemas == ("public", "graphql_public")
    assert vs.verify_dir == Path("db/verify") and vs.drift == "auto"
    assert vs.critical_tables == () and vs.silence == ()


def test_critical_tables_accept_names_and_tables_with_columns() -> None:
    vs = verify_settings(
        {"critical_tables": ["todos", {"public.profiles": ["id", "username"]}], "drift": False},
        Path("supabase/migrations"),
    )
    assert vs.critical_tables == (CriticalTable("public.todos"), CriticalTable("public.profiles", ("id", "username")))
    assert vs.drift == "off"


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"critical_tables": ["public.todos; drop table x"]}, "is not a table name"),
        ({"silence": [{"rule": "no_primary_key", "object": "public.t"}]}, "lacks reason"),
        ({"drift": "sometimes"}, "drift must be auto, on or off"),
        ({"exposed_schema": ["public"]}, "unknown keys: exposed_schema"),
    ],
)
def test_malformed_verify_settings_are_settings_errors(section: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        verify_settings(section, Path("supabase/migrations"))


def test_silences_keep_their_reason_and_the_drift_server_url_is_a_secret() -> None:
    env = {
        "SUPABASE_DB_URL": "postgresql://u:p@localhost/db",
        "MIGRATIONS_DRIFT_DB_URL": "postgresql://postgres:s3cret@127.0.0.1:5999/postgres",
    }
    config = {
        "migrations": {
            "verify": {
                "silence": [{"rule": "rls_*", "object": "public.audit", "reason": "written by service_role only"}]
            }
        }
    }
    settings = load_settings(config, environ=env, dotenv_path=None)
    assert settings.verify.silence == (Silence("rls_*", "public.audit", "written by service_role only"),)
    assert "s3cret" not in repr(settings)
    assert "postgresql://postgres:s3cret@127.0.0.1:5999/postgres" in settings.secrets()
