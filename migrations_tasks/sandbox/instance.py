"""The sandbox itself: embedded PostgreSQL with Supabase's objects, behind the Management API imitation.

Start, stop, and create or drop projects (each a copy of the template database).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from .api import SandboxApi
from .catalog import STAND_IN_ROOT, Inventory, inventory
from .embedded import EmbeddedPostgres, SandboxError, free_port, share_extension_dir
from .faults import Faults
from .server import ApiServer, make_server, random_ref, random_token
from .template import TEMPLATE_DB, apply_database_settings, bootstrap_sql

log = logging.getLogger("migrations_tasks.sandbox")
STATE_FILE = "sandbox.json"
EXTENSIONS_DIR = "extensions"
#: Server settings Supabase has that the sandbox imitates (per-database ones are in template.py).
SERVER_SETTINGS = {"shared_preload_libraries": "pg_stat_statements"}


def extension_inventory() -> Inventory:
    """Return which of Supabase's extensions are real in the sandbox and which are stand-ins."""
    return inventory(share_extension_dir())


def install_stand_ins(root: Path) -> Path:
    """Copy the stand-in extensions under ``root``; return the directory for extension_control_path.

    PostgreSQL looks for ``<dir>/extension/<name>.control``. The copy (rather than a path into
    site-packages) keeps the files readable by the system user the server runs as when we are root.
    """
    target = root / EXTENSIONS_DIR
    if ":" in str(target):
        raise SandboxError(f"The sandbox directory {root} contains ':'; extension_control_path cannot hold it.")
    shutil.copytree(
        STAND_IN_ROOT, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.py", "*.pyc")
    )
    for folder, _dirs, files in os.walk(target):
        Path(folder).chmod(0o755)
        for name in files:
            (Path(folder) / name).chmod(0o644)
    return target


class Sandbox:
    """Embedded PostgreSQL with Supabase's objects, behind a Management-API-shaped HTTP server."""

    def __init__(
        self,
        root: Path | None = None,
        *,
        port: int = 0,
        faults: Faults | None = None,
        token: str | None = None,
        ref: str | None = None,
        pg_settings: dict[str, str] | None = None,
    ) -> None:
        self._temporary = root is None
        self.root = Path(tempfile.mkdtemp(prefix="mt-sandbox-")) if root is None else root.resolve()
        self.port = port
        self.faults = faults or Faults()
        self._want_token, self._want_ref = token, ref
        self._pg_settings = pg_settings or {}
        self.state: dict[str, Any] = {}
        self.pg: EmbeddedPostgres | None = None
        self.api: SandboxApi | None = None
        self._server: ApiServer | None = None
        self._thread: threading.Thread | None = None
        self._admin_lock = threading.Lock()
        self._projects: dict[str, str] = {}

    # -- life cycle ------------------------------------------------------------------------------
    def _load_state(self) -> None:
        path = self.root / STATE_FILE
        if path.exists():
            self.state = json.loads(path.read_text())
        else:
            import secrets

            self.state = {"token": random_token(), "ref": random_ref(), "password": secrets.token_hex(16)}
        if self._want_token:
            self.state["token"] = self._want_token
        if self._want_ref:
            self.state["ref"] = self._want_ref
        path.write_text(json.dumps(self.state))
        path.chmod(0o600)

    def start(self) -> Sandbox:
        """Start PostgreSQL (initialising and bootstrapping it on first use) and the API server."""
        self.root.mkdir(parents=True, exist_ok=True)
        self._load_state()
        stand_ins = install_stand_ins(self.root)
        settings = {**SERVER_SETTINGS, "extension_control_path": f"$system:{stand_ins}", **self._pg_settings}
        self.pg = EmbeddedPostgres(
            self.root / "pgdata", password=self.state["password"], port=free_port(), settings=settings
        )
        fresh = not self.pg.initialised
        self.pg.start()
        if fresh:
            self._bootstrap()
        self._discover_projects()
        self.api = SandboxApi(
            self.state["token"], self._projects.get, self.faults, self.create_project, self.delete_project
        )
        self._server = make_server(self.api, "127.0.0.1", self.port)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="sandbox-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the API server and PostgreSQL; remove a temporary directory."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self.api is not None:
            self.api.close()
        if self.pg is not None:
            self.pg.stop()
        if self._temporary:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- databases -------------------------------------------------------------------------------
    def _admin(self, database: str = "postgres") -> Any:
        import psycopg

        assert self.pg is not None
        return psycopg.connect(self.pg.url(database), autocommit=True)

    def _bootstrap(self) -> None:
        """Create the Supabase objects in ``postgres``, then copy it once into the template database.

        The first project is ``postgres`` itself; every later project is a copy of the template, so all
        projects start identical. (One database copy: cheaper than filling the template and copying
        it back over ``postgres``.)
        """
        with self._admin("postgres") as conn:
            conn.execute(bootstrap_sql().encode("utf-8"))
        with self._admin("template1") as conn:
            conn.execute(f"CREATE DATABASE {TEMPLATE_DB} TEMPLATE postgres")
            conn.execute(f"ALTER DATABASE {TEMPLATE_DB} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false")
            apply_database_settings(conn, "postgres")

    def _discover_projects(self) -> None:
        assert self.pg is not None
        self._projects = {self.state["ref"]: self.pg.url("postgres")}
        with self._admin() as conn:
            for (name,) in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'p\\_%'"):
                self._projects[name[2:]] = self.pg.url(name)

    def create_project(self) -> dict[str, str]:
        """Create a fresh project (a copy of the template); return its ref and database URL."""
        assert self.pg is not None
        ref = random_ref()
        dbname = f"p_{ref}"
        with self._admin_lock, self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{dbname}" TEMPLATE {TEMPLATE_DB}')
            apply_database_settings(conn, dbname)
        self._projects[ref] = self.pg.url(dbname)
        return {"ref": ref, "db_url": self.pg.url(dbname)}

    def delete_project(self, ref: str) -> bool:
        """Drop a project made by ``create_project``."""
        url = self._projects.get(ref)
        if url is None or ref == self.state["ref"]:
            return False
        del self._projects[ref]
        if self.api is not None:
            self.api.drop_pool(url)
        with self._admin_lock, self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "p_{ref}" WITH (FORCE)')
        return True

    # -- what clients need -----------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        """Return the API's base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """Return the settings a client needs, as environment variables."""
        assert self.pg is not None
        return {
            "SUPABASE_API_URL": self.api_url,
            "SUPABASE_PROJECT_REF": self.state["ref"],
            "SUPABASE_ACCESS_TOKEN": self.state["token"],
            "SANDBOX_DB_URL": self.pg.url("postgres"),
        }

    @property
    def extensions(self) -> Inventory:
        """Return which of Supabase's extensions are real here and which are stand-ins."""
        return extension_inventory()

    def describe(self) -> str:
        """Return a one-line description for logs (no secrets)."""
        assert self.pg is not None
        return (
            f"sandbox: PostgreSQL on 127.0.0.1:{self.pg.port}, Management API on {self.api_url}, "
            f"project {self.state['ref']}, data in {self.root}"
        )
