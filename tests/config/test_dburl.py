"""Where a connection URL really connects, as libpq decides it: the TLS check follows PGHOST, hostaddr, service."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrations_tasks.config.dburl import parse_url, require_tls
from migrations_tasks.errors import ConfigError

SOURCE = "SUPABASE_DB_URL"


def refused(value: str, environ: dict[str, str]) -> str | None:
    """Return the TLS refusal for ``value`` under ``environ``, None when it is let through."""
    try:
        require_tls(parse_url(value, SOURCE), SOURCE, environ)
    except ConfigError as exc:
        return exc.message
    return None


@pytest.mark.parametrize(
    ("value", "environ", "remote"),
    [
        ("postgresql://postgres:pw@/postgres", {"PGHOST": "db.example.com"}, "db.example.com"),
        ("postgresql://postgres:pw@localhost/postgres", {"PGHOSTADDR": "192.0.2.7"}, "192.0.2.7"),
        ("postgresql://postgres:pw@localhost/postgres?hostaddr=192.0.2.7", {}, "192.0.2.7"),
        ("postgresql:///postgres?service=prod", {}, "the host of service 'prod'"),  # no file names it
        ("postgresql:///postgres", {"PGSERVICE": "prod"}, "the host of service 'prod'"),
    ],
)
def test_a_host_libpq_takes_from_elsewhere_than_the_url_needs_tls_too(
    value: str, environ: dict[str, str], remote: str, tmp_path: Path
) -> None:
    message = refused(value, {"HOME": str(tmp_path), **environ})
    assert message is not None and f"connects to {remote} with no sslmode" in message and "pw" not in message


def test_a_service_s_entry_gives_the_host_and_the_sslmode(tmp_path: Path) -> None:
    services = tmp_path / "services.conf"
    services.write_text(
        "[prod]\nhost=db.example.com\ndbname=postgres\n\n[safe]\nhost=db.example.com\nsslmode=require\n\n"
        "[here]\nhost=127.0.0.1\n"
    )
    environ = {"PGSERVICEFILE": str(services), "HOME": str(tmp_path)}
    assert "connects to db.example.com with no sslmode" in (
        refused("postgresql:///postgres?service=prod", environ) or ""
    )
    assert refused("postgresql:///postgres?service=safe", environ) is None
    assert refused("postgresql:///postgres?service=here", environ) is None


@pytest.mark.parametrize(
    ("value", "environ"),
    [
        ("postgresql://postgres:pw@/postgres", {}),  # the default Unix socket
        ("postgresql://postgres:pw@/postgres", {"PGHOST": "/var/run/postgresql"}),
        ("postgresql://postgres:pw@/postgres", {"PGHOST": "db.example.com", "PGSSLMODE": "require"}),
        ("postgresql://postgres:pw@db.example.com/postgres?hostaddr=127.0.0.1", {}),
        ("postgresql://postgres:pw@db.example.com/postgres", {"PGHOST": "127.0.0.1", "PGSSLMODE": "require"}),
    ],
)
def test_this_machine_or_tls_from_the_environment_is_let_through(
    value: str, environ: dict[str, str], tmp_path: Path
) -> None:
    assert refused(value, {"HOME": str(tmp_path), **environ}) is None
