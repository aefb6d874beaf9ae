"""Unit tests for migrations_tasks.config.settings: precedence, validation and secrecy.

Every call passes ``environ=`` and ``dotenv_path=`` so the real environment and any ``.env`` in the
working directory cannot leak in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import invoke
import pytest

from migrations_tasks.config.settings import load_settings
from migrations_tasks.config.sources import read_dotenv
from migrations_tasks.config.values import DEFAULT_API_URL, validate_api_url, validate_token
from migrations_tasks.errors import ConfigError
from migrations_tasks.secret import Secret

CANARY = "sbp_CANARY_9f8e7d6c5b4a39281706f5e4d3c2b1a0"
REF = "abcdefghijklmnopqrst"
OTHER_REF = "zyxwvutsrqponmlkjihg"
API_ENV = {"SUPABASE_ACCESS_TOKEN": CANARY, "SUPABASE_PROJECT_REF": REF}


@pytest.fixture
def no_dotenv(tmp_path: Path) -> Path:
    return tmp_path / "absent.env"


def dotenv(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / ".env"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def config_error(**kwargs: Any) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_settings(**kwargs)
    return info.value


# -- sources and precedence -------------------------------------------------------------------------


def test_settings_come_from_the_environment(no_dotenv: Path) -> None:
    settings = load_settings(environ=API_ENV, dotenv_path=no_dotenv)
    assert settings.transport == "api"
    assert settings.access_token == Secret(CANARY)
    assert settings.project_ref == REF
    assert settings.api_url == DEFAULT_API_URL
    assert settings.migrations_dir == Path("supabase/migrations")
    assert settings.rollbacks_dir == Path("supabase/rollbacks")
    assert (settings.lock_timeout, settings.lock_wait_seconds, settings.request_timeout) == ("10s", 60.0, 120.0)


def test_settings_come_from_a_dotenv_file(tmp_path: Path) -> None:
    path = dotenv(tmp_path, f"# staging\nSUPABASE_ACCESS_TOKEN={CANARY}\nexport SUPABASE_PROJECT_REF='{REF}'\n")
    settings = load_settings(environ={}, dotenv_path=path)
    assert settings.access_token is not None and settings.access_token.reveal() == CANARY
    assert settings.project_ref == REF


def test_the_environment_wins_over_the_dotenv_file(tmp_path: Path) -> None:
    path = dotenv(tmp_path, f"SUPABASE_ACCESS_TOKEN=sbp_from_dotenv\nSUPABASE_PROJECT_REF={OTHER_REF}\n")
    settings = load_settings(environ=API_ENV, dotenv_path=path)
    assert settings.access_token == Secret(CANARY)
    assert settings.project_ref == REF


def test_the_dotenv_file_fills_what_the_environment_lacks(tmp_path: Path) -> None:
    path = dotenv(tmp_path, f"SUPABASE_PROJECT_REF={REF}\n")
    settings = load_settings(environ={"SUPABASE_ACCESS_TOKEN": CANARY}, dotenv_path=path)
    assert settings.project_ref == REF


def test_the_dotenv_file_wins_over_invoke_config(tmp_path: Path) -> None:
    path = dotenv(tmp_path, f"SUPABASE_PROJECT_REF={REF}\n")
    config = {"migrations": {"project_ref": OTHER_REF}}
    assert load_settings(config, environ={"SUPABASE_ACCESS_TOKEN": CANARY}, dotenv_path=path).project_ref == REF


def test_the_environment_wins_over_invoke_config(no_dotenv: Path) -> None:
    config = {"migrations": {"project_ref": OTHER_REF, "transport": "postgres", "migrations_dir": "db/migrations"}}
    environ = {**API_ENV, "MIGRATIONS_TRANSPORT": "api", "MIGRATIONS_DIR": "sql"}
    settings = load_settings(config, environ=environ, dotenv_path=no_dotenv)
    assert (settings.project_ref, settings.transport, settings.migrations_dir) == (REF, "api", Path("sql"))


def test_flags_win_over_everything(tmp_path: Path) -> None:
    path = dotenv(tmp_path, f"SUPABASE_PROJECT_REF={REF}\n")
    config = {"migrations": {"project_ref": REF, "migrations_dir": "a"}}
    settings = load_settings(
        config,
        flags={"project_ref": OTHER_REF, "migrations_dir": "flagged", "transport": None},
        environ={**API_ENV, "MIGRATIONS_DIR": "b"},
        dotenv_path=path,
    )
    assert settings.project_ref == OTHER_REF
    assert settings.migrations_dir == Path("flagged")
    assert settings.transport == "api"  # a flag given as None is not set


def test_invoke_config_supplies_the_migrations_section(no_dotenv: Path) -> None:
    config = invoke.Config(
        overrides={
            "migrations": {
                "project_ref": REF,
                "lock_timeout": "2s",
                "lock_wait_seconds": 5,
                "request_timeout": "30",
                "migrations_dir": "db/migrations",
                "created_by": "ci-bot",
            }
        }
    )
    settings = load_settings(config, environ={"SUPABASE_ACCESS_TOKEN": CANARY}, dotenv_path=no_dotenv)
    assert settings.project_ref == REF
    assert (settings.lock_timeout, settings.lock_wait_seconds, settings.request_timeout) == ("2s", 5.0, 30.0)
    assert settings.migrations_dir == Path("db/migrations")
    assert settings.rollbacks_dir == Path("db/rollbacks")
    assert settings.created_by == "ci-bot"


def test_an_empty_environment_variable_counts_as_unset(no_dotenv: Path) -> None:
    environ = {**API_ENV, "SUPABASE_API_URL": "", "MIGRATIONS_TRANSPORT": ""}
    settings = load_settings(environ=environ, dotenv_path=no_dotenv)
    assert settings.api_url == DEFAULT_API_URL and settings.transport == "api"


def test_an_empty_environment_variable_still_hides_the_dotenv_value(tmp_path: Path) -> None:
    # .env never overrides the environment, even a variable set to "" (as CI does for a missing secret).
    path = dotenv(tmp_path, "SUPABASE_ACCESS_TOKEN=sbp_from_dotenv\n")
    error = config_error(environ={"SUPABASE_ACCESS_TOKEN": "", "SUPABASE_PROJECT_REF": REF}, dotenv_path=path)
    assert "SUPABASE_ACCESS_TOKEN" in str(error)


def test_the_staging_project_id_alias_supplies_the_project_ref(no_dotenv: Path) -> None:
    environ = {"SUPABASE_ACCESS_TOKEN": CANARY, "SUPABASE_STAGING_PROJECT_ID": REF}
    assert load_settings(environ=environ, dotenv_path=no_dotenv).project_ref == REF


def test_the_project_ref_wins_over_its_alias(no_dotenv: Path) -> None:
    environ = {**API_ENV, "SUPABASE_STAGING_PROJECT_ID": OTHER_REF}
    assert load_settings(environ=environ, dotenv_path=no_dotenv).project_ref == REF


def test_no_dotenv_path_reads_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    dotenv(tmp_path, "SUPABASE_PROJECT_REF=should_not_be_read\n")
    settings = load_settings(environ={"SUPABASE_ACCESS_TOKEN": CANARY, "SUPABASE_PROJECT_REF": REF}, dotenv_path=None)
    assert settings.project_ref == REF


# -- transport selection ----------------------------------------------------------------------------


def test_the_api_is_chosen_when_token_and_ref_are_set(no_dotenv: Path) -> None:
    environ = {**API_ENV, "SUPABASE_DB_URL": "postgresql://postgres:pw@localhost/postgres"}
    assert load_settings(environ=environ, dotenv_path=no_dotenv).transport == "api"


def test_postgres_is_chosen_when_only_a_database_url_is_set(no_dotenv: Path) -> None:
    settings = load_settings(
        environ={"SUPABASE_DB_URL": "postgresql://postgres:pw@localhost:5432/postgres"}, dotenv_path=no_dotenv
    )
    assert settings.transport == "postgres"
    assert settings.db_url is not None and settings.db_url.reveal().startswith("postgresql://")


def test_postgres_is_chosen_when_the_token_lacks_a_ref(no_dotenv: Path) -> None:
    environ = {"SUPABASE_ACCESS_TOKEN": CANARY, "SUPABASE_DB_URL": "postgres://u@localhost/db"}
    assert load_settings(environ=environ, dotenv_path=no_dotenv).transport == "postgres"


def test_an_explicit_transport_is_honoured_and_case_insensitive(no_dotenv: Path) -> None:
    environ = {**API_ENV, "SUPABASE_DB_URL": "postgresql://localhost/db", "MIGRATIONS_TRANSPORT": " Postgres "}
    assert load_settings(environ=environ, dotenv_path=no_dotenv).transport == "postgres"


def test_an_unknown_transport_is_refused(no_dotenv: Path) -> None:
    error = config_error(environ={**API_ENV, "MIGRATIONS_TRANSPORT": "ftp"}, dotenv_path=no_dotenv)
    assert "MIGRATIONS_TRANSPORT must be 'api' or 'postgres', not 'ftp'" in str(error)


def test_nothing_is_required_when_no_database_is_needed(no_dotenv: Path) -> None:
    settings = load_settings(environ={}, dotenv_path=no_dotenv, require_database=False)
    assert settings.access_token is None and settings.project_ref is None and settings.db_url is None


# -- missing and malformed settings -----------------------------------------------------------------


def test_missing_settings_are_listed_in_one_error(no_dotenv: Path) -> None:
    message = str(config_error(environ={}, dotenv_path=no_dotenv))
    assert message.startswith("Missing settings:")
    for name in ("SUPABASE_ACCESS_TOKEN", "SUPABASE_PROJECT_REF", "SUPABASE_DB_URL", ".env", "--project-ref"):
        assert name in message


def test_a_missing_ref_is_named_when_only_the_token_is_set(no_dotenv: Path) -> None:
    message = str(config_error(environ={"SUPABASE_ACCESS_TOKEN": CANARY}, dotenv_path=no_dotenv))
    assert "SUPABASE_PROJECT_REF" in message
    assert "SUPABASE_ACCESS_TOKEN (" not in message
    assert CANARY not in message


def test_the_api_transport_asks_for_token_and_ref(no_dotenv: Path) -> None:
    message = str(config_error(environ={"MIGRATIONS_TRANSPORT": "api"}, dotenv_path=no_dotenv))
    assert "SUPABASE_ACCESS_TOKEN" in message and "SUPABASE_PROJECT_REF" in message
    assert "SUPABASE_DB_URL" not in message


def test_the_postgres_transport_asks_for_a_database_url(no_dotenv: Path) -> None:
    message = str(config_error(environ={"MIGRATIONS_TRANSPORT": "postgres"}, dotenv_path=no_dotenv))
    assert "SUPABASE_DB_URL" in message and "SUPABASE_ACCESS_TOKEN" not in message


def test_malformed_and_missing_settings_are_reported_together(no_dotenv: Path) -> None:
    environ = {"SUPABASE_PROJECT_REF": "not-a-ref", "SUPABASE_API_URL": "http://example.com"}
    message = str(config_error(environ=environ, dotenv_path=no_dotenv))
    assert "is not a Supabase project ref" in message
    assert "plain http://" in message
    assert "Missing settings: SUPABASE_ACCESS_TOKEN" in message


def test_malformed_invoke_settings_are_all_reported(no_dotenv: Path) -> None:
    config = {"migrations": {"lock_timeout": "5 seconds", "lock_wait_seconds": -1, "request_timeout": "soon"}}
    message = str(config_error(config=config, environ=API_ENV, dotenv_path=no_dotenv))
    assert "lock_timeout must look like 10s" in message
    assert "lock_wait_seconds must be greater than zero" in message
    assert "request_timeout must be a number of seconds, not 'soon'" in message


@pytest.mark.parametrize("value", ["10s", "500ms", "2min", "1500"])
def test_lock_timeout_accepts_postgres_durations(no_dotenv: Path, value: str) -> None:
    settings = load_settings({"migrations": {"lock_timeout": value}}, environ=API_ENV, dotenv_path=no_dotenv)
    assert settings.lock_timeout == value


def test_an_invoke_section_that_is_not_a_mapping_is_refused(no_dotenv: Path) -> None:
    error = config_error(config={"migrations": "yes"}, environ=API_ENV, dotenv_path=no_dotenv)
    assert "'migrations' must be a mapping" in str(error)


@pytest.mark.parametrize(
    "ref", ["ABCDEFGHIJKLMNOPQRST", "abcdefghijklmnopqrs", "abcdefghijklmnopqrstu", "abcdefghij-lmnopqrst"]
)
def test_a_malformed_project_ref_is_refused(no_dotenv: Path, ref: str) -> None:
    environ = {"SUPABASE_ACCESS_TOKEN": CANARY, "SUPABASE_PROJECT_REF": ref}
    error = config_error(environ=environ, dotenv_path=no_dotenv)
    assert f"SUPABASE_PROJECT_REF {ref!r} is not a Supabase project ref" in str(error)
    assert "Reference ID" in (error.hint or "")


def test_a_project_ref_with_surrounding_spaces_is_trimmed(no_dotenv: Path) -> None:
    environ = {"SUPABASE_ACCESS_TOKEN": CANARY, "SUPABASE_PROJECT_REF": f"  {REF}\n"}
    assert load_settings(environ=environ, dotenv_path=no_dotenv).project_ref == REF


def test_a_token_pasted_as_the_project_ref_is_not_echoed(no_dotenv: Path) -> None:
    error = config_error(
        environ={"SUPABASE_ACCESS_TOKEN": CANARY, "SUPABASE_PROJECT_REF": CANARY}, dotenv_path=no_dotenv
    )
    assert "is not a Supabase project ref" in str(error)
    assert CANARY[:12] not in str(error)


@pytest.mark.parametrize("url", ["https://alice:S3cretPw@api.supabase.com", "https://alice@api.supabase.com"])
def test_an_api_url_with_credentials_is_refused_without_echoing_them(no_dotenv: Path, url: str) -> None:
    error = config_error(environ={**API_ENV, "SUPABASE_API_URL": url}, dotenv_path=no_dotenv)
    assert "must not contain credentials" in str(error)
    assert "S3cretPw" not in str(error) and "alice" not in str(error)


@pytest.mark.parametrize(
    "url", ["http://api.supabase.com", "http://10.0.0.5:8080", "http://127.0.0.1.example.com", "http://0.0.0.0:8000"]
)
def test_plain_http_to_a_non_loopback_host_is_refused(no_dotenv: Path, url: str) -> None:
    error = config_error(environ={**API_ENV, "SUPABASE_API_URL": url}, dotenv_path=no_dotenv)
    assert "plain http://" in str(error)
    assert "loopback" in (error.hint or "")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:54321", "http://127.0.0.1:54321"),
        ("http://localhost:8000/", "http://localhost:8000"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("http://127.0.0.2", "http://127.0.0.2"),
        ("https://api.supabase.com/", "https://api.supabase.com"),
        ("  https://api.example.test  ", "https://api.example.test"),
    ],
)
def test_https_and_plain_http_to_loopback_are_accepted(url: str, expected: str) -> None:
    assert validate_api_url(url) == expected


@pytest.mark.parametrize("url", ["ftp://api.supabase.com", "api.supabase.com", "https://", "https://[::1"])
def test_an_api_url_that_is_not_an_http_url_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="SUPABASE_API_URL"):
        validate_api_url(url)


def test_an_api_url_with_a_query_string_is_refused() -> None:
    with pytest.raises(ConfigError, match="query string"):
        validate_api_url("https://api.supabase.com/?project=x")


@pytest.mark.parametrize(
    "token", [CANARY + "\n", " " + CANARY, CANARY[:10] + " " + CANARY[10:], CANARY + "\x7f", CANARY + "\t"]
)
def test_a_token_with_whitespace_or_control_characters_is_refused_without_echoing_it(
    no_dotenv: Path, token: str
) -> None:
    error = config_error(environ={"SUPABASE_ACCESS_TOKEN": token, "SUPABASE_PROJECT_REF": REF}, dotenv_path=no_dotenv)
    assert "SUPABASE_ACCESS_TOKEN contains whitespace or control characters" in str(error)
    assert CANARY[:10] not in str(error) and CANARY[10:] not in str(error)
    assert CANARY[:10] not in repr(error)


def test_an_empty_token_is_refused() -> None:
    with pytest.raises(ConfigError, match="is empty"):
        validate_token("")


def test_a_database_url_that_is_not_postgres_is_refused_without_echoing_it(no_dotenv: Path) -> None:
    error = config_error(environ={"SUPABASE_DB_URL": "mysql://root:hunter2secret@db/app"}, dotenv_path=no_dotenv)
    assert "SUPABASE_DB_URL must be a postgresql:// connection string" in str(error)
    assert "hunter2secret" not in str(error)


MALFORMED_URLS = {
    "a raw percent sign": "postgresql://postgres:Hunter2%zzSecret@db.example.com/postgres?sslmode=require",
    "an unencoded @": "postgresql://postgres:Hunter2@zzSecret@db.example.com/postgres?sslmode=require",
    "an unencoded slash": "postgresql://postgres:Hunter2/zzSecret@db.example.com/postgres?sslmode=require",
    "a port out of range": "postgresql://postgres:Hunter2zzSecret@db.example.com:99999/postgres?sslmode=require",
    "a parameter libpq does not know": "postgresql://postgres:Hunter2zzSecret@127.0.0.1/postgres?zzSecret=1",
    "a pasted newline": "postgresql://postgres:Hunter2\nzzSecret@127.0.0.1/postgres",
    "%00": "postgresql://postgres:Hunter2%00zzSecret@127.0.0.1/postgres",
}


@pytest.mark.parametrize("variable", ["SUPABASE_DB_URL", "MIGRATIONS_DRIFT_DB_URL"])
@pytest.mark.parametrize("url", MALFORMED_URLS.values(), ids=MALFORMED_URLS.keys())
def test_a_malformed_database_url_is_refused_naming_the_variable_and_never_its_value(
    no_dotenv: Path, variable: str, url: str
) -> None:
    error = config_error(environ={**API_ENV, variable: url}, dotenv_path=no_dotenv)
    assert f"{variable} is not a valid PostgreSQL connection URL" in error.message
    assert "Its value is not shown" in error.message and "percent-encode" in str(error).lower()
    for fragment in ("Hunter2", "zzSecret", "Secret"):
        assert fragment not in str(error)


@pytest.mark.parametrize("variable", ["SUPABASE_DB_URL", "MIGRATIONS_DRIFT_DB_URL"])
@pytest.mark.parametrize(
    "query", ["", "?sslmode=prefer", "?sslmode=disable", "?sslmode=allow", "?connect_timeout=5&sslmode=prefer"]
)
def test_a_remote_database_without_tls_required_is_refused_with_how_to_require_it(
    no_dotenv: Path, variable: str, query: str
) -> None:
    url = f"postgresql://postgres:pw@db.abcdefghijklmnopqrst.supabase.co:5432/postgres{query}"
    error = config_error(environ={**API_ENV, variable: url}, dotenv_path=no_dotenv)
    assert f"{variable} connects to db.abcdefghijklmnopqrst.supabase.co with " in error.message
    assert "may fall back to plaintext" in error.message
    assert "sslmode=require" in (error.hint or "") and "pw" not in error.message


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres:pw@db.example.com:5432/postgres?sslmode=require",
        "postgresql://postgres:pw@db.example.com/postgres?connect_timeout=5&sslmode=verify-full",
        "postgresql://postgres:pw@db1.example.com,db2.example.com/postgres?sslmode=verify-ca",
        "postgresql://postgres:pw@127.0.0.1:5432/postgres",
        "postgresql://postgres:pw@127.8.9.10/postgres?sslmode=disable",
        "postgresql://postgres:pw@localhost/postgres",
        "postgresql://postgres:pw@[::1]:5432/postgres",
        "postgres:///postgres",
        "postgresql://postgres@/postgres?host=/var/run/postgresql",
    ],
)
def test_tls_is_required_only_for_hosts_that_are_not_this_machine(no_dotenv: Path, url: str) -> None:
    settings = load_settings(environ={"SUPABASE_DB_URL": url}, dotenv_path=no_dotenv)
    assert settings.db_url is not None and settings.db_url.reveal() == url


def test_one_remote_host_among_local_ones_needs_tls(no_dotenv: Path) -> None:
    url = "postgresql://postgres:pw@127.0.0.1:5432,db.example.com:5432/postgres"
    error = config_error(environ={"SUPABASE_DB_URL": url}, dotenv_path=no_dotenv)
    assert "connects to db.example.com with no sslmode" in error.message


# -- .env parsing -----------------------------------------------------------------------------------


def test_a_malformed_dotenv_line_is_reported_by_number_without_echoing_it(tmp_path: Path) -> None:
    path = dotenv(tmp_path, f"SUPABASE_PROJECT_REF={REF}\nthis is {CANARY} not an assignment\nX=1\n")
    error = config_error(environ={}, dotenv_path=path)
    assert str(path) in str(error)
    assert "line 2" in str(error)
    assert CANARY not in str(error) and "not an assignment" not in str(error)


def test_a_dotenv_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = dotenv(tmp_path, b"SUPABASE_PROJECT_REF=caf\xe9\n")
    error = config_error(environ={}, dotenv_path=path)
    assert f"{path} is not valid UTF-8" in str(error)


def test_a_dotenv_file_with_bom_and_crlf_is_read(tmp_path: Path) -> None:
    path = dotenv(tmp_path, f"\ufeffSUPABASE_ACCESS_TOKEN={CANARY}\r\nSUPABASE_PROJECT_REF={REF}\r\n".encode())
    assert read_dotenv(path) == {"SUPABASE_ACCESS_TOKEN": CANARY, "SUPABASE_PROJECT_REF": REF}


def test_a_dotenv_key_without_a_value_is_ignored(tmp_path: Path) -> None:
    path = dotenv(tmp_path, "EMPTY\nSET=1\n")
    assert read_dotenv(path) == {"SET": "1"}


def test_a_dotenv_path_that_is_a_directory_is_ignored(tmp_path: Path) -> None:
    settings = load_settings(environ=API_ENV, dotenv_path=tmp_path)
    assert settings.project_ref == REF


# -- secrecy ----------------------------------------------------------------------------------------


def test_settings_repr_never_contains_the_token_or_database_url(tmp_path: Path) -> None:
    db_url = "postgresql://postgres:s3cr3t-password@db.example.com:5432/postgres?sslmode=require"
    path = dotenv(tmp_path, f"SUPABASE_DB_URL={db_url}\n")
    settings = load_settings(environ=API_ENV, dotenv_path=path)
    for text in (repr(settings), str(settings)):
        assert CANARY not in text
        assert "s3cr3t-password" not in text
    assert settings.secrets() == [CANARY, db_url, "s3cr3t-password"]


def test_the_secrets_to_mask_include_each_password_as_written_and_decoded(no_dotenv: Path) -> None:
    db_url = "postgresql://postgres:Hunter2%25zz%40Secret@127.0.0.1:5432/postgres"
    drift = "postgresql://postgres@127.0.0.1:5433/postgres?password=drift%2Fpass"
    environ = {**API_ENV, "SUPABASE_DB_URL": db_url, "MIGRATIONS_DRIFT_DB_URL": drift}
    secrets = load_settings(environ=environ, dotenv_path=no_dotenv).secrets()
    assert secrets == [
        CANARY,
        db_url,
        "Hunter2%25zz%40Secret",
        "Hunter2%zz@Secret",
        drift,
        "drift%2Fpass",
        "drift/pass",
    ]


def test_with_overrides_returns_a_changed_copy(no_dotenv: Path) -> None:
    settings = load_settings(environ=API_ENV, dotenv_path=no_dotenv)
    changed = settings.with_overrides(migrations_dir=Path("other"))
    assert changed.migrations_dir == Path("other") and settings.migrations_dir == Path("supabase/migrations")
    assert changed.access_token == settings.access_token
