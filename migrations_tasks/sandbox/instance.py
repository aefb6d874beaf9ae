"""The sandbox itself: embedded PostgreSQL with Supabase's objects, behind the Management API imitation.

Start, stop, and create or drop projects (each a copy of the template database). The cluster's superuser
is ``supabase_admin`` (the sandbox's own set-up uses it); projects belong to ``postgres``, which API
requests run as: not a superuser with ``privileges="supabase"`` (the default, as on hosted Supabase), a
superuser with ``privileges="superuser"`` (the lenient sandbox of earlier versions, for local experiments).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import clusters, trusted
from .api import ProjectUrls, SandboxApi
from .catalog import STAND_IN_ROOT, Inventory, inventory
from .embedded import INITDB_OPTIONS, EmbeddedPostgres, SandboxError, binaries, free_port, share_extension_dir
from .faults import Faults
from .hosting import private_home, server_install, server_user
from .limits import Limits
from .server import ApiServer, make_server, random_ref, random_token
from .template import READ_ONLY_USER, SQL_DIR, TEMPLATE_DB, apply_database_settings, bootstrap_sql

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger("migrations_tasks.sandbox")
STATE_FILE = "sandbox.json"
EXTENSIONS_DIR = "extensions"
#: Server settings Supabase has that the sandbox imitates (per-database ones are in template.py).
SERVER_SETTINGS = {"shared_preload_libraries": "pg_stat_statements"}
PRIVILEGES = ("supabase", "superuser")
#: The state file's layout: 2 since the cluster's superuser is supabase_admin.
LAYOUT = 2


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
        privileges: str = "supabase",
        limits: Limits | None = None,
        cache: Path | None = None,
    ) -> None:
        if privileges not in PRIVILEGES:
            raise ValueError(f"privileges must be one of {', '.join(PRIVILEGES)}, not {privileges!r}")
        self._temporary = root is None
        self.root = Path(tempfile.mkdtemp(prefix="mt-sandbox-")) if root is None else root.resolve()
        self.port = port
        self.faults = faults or Faults()
        self.privileges = privileges
        self.limits = limits or Limits()
        self._want_token, self._want_ref = token, ref
        self._pg_settings = pg_settings or {}
        self._cache = cache
        self.state: dict[str, Any] = {}
        self.home: Path | None = None
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
            if self.state.get("layout") != LAYOUT:
                raise SandboxError(
                    f"The sandbox in {self.root} was made by an older version (its postgres is a superuser); "
                    "delete the directory to start afresh."
                )
        else:
            self.state = {
                "layout": LAYOUT,
                "token": random_token(),
                "ref": random_ref(),
                "password": secrets.token_hex(16),
                "admin_password": secrets.token_hex(16),
                "read_only_password": secrets.token_hex(16),
            }
        if self._want_token:
            self.state["token"] = self._want_token
        if self._want_ref:
            self.state["ref"] = self._want_ref
        path.write_text(json.dumps(self.state))
        path.chmod(0o600)

    def _prepare_home(self) -> tuple[Path, dict[str, Any]]:
        """Return the server's home and how to run it (as us, or as its own user in a private home)."""
        user = server_user()
        if user is None:
            return self.root, {"user": None, "install": binaries().parent}
        fresh = not (self.root / STATE_FILE).exists()
        home = private_home(self.root, user, temporary=self._temporary)
        if fresh and (home / "pgdata").exists():  # the state that went with it is gone: start afresh
            shutil.rmtree(home / "pgdata")
        return home, {"user": user, "install": server_install(binaries().parent)}

    def start(self) -> Sandbox:
        """Start PostgreSQL (initialising and bootstrapping it on first use) and the API server."""
        self.root.mkdir(parents=True, exist_ok=True)
        if (self.root / "pgdata").exists() and not (self.root / STATE_FILE).exists():
            raise SandboxError(
                f"{self.root} holds a database but no {STATE_FILE}; delete the directory to start afresh."
            )
        self.home, run_as = self._prepare_home()
        self._load_state()
        stand_ins = install_stand_ins(self.home)
        sources = (run_as["install"] / "share" / "extension", stand_ins / "extension")
        trusted_dir = trusted.build(self.home, sources)
        settings = {
            **SERVER_SETTINGS,
            "extension_control_path": f"{trusted_dir}:$system:{stand_ins}",
            **self._pg_settings,
        }
        self.pg = EmbeddedPostgres(
            self.home / "pgdata", password=self.state["admin_password"], port=free_port(), settings=settings, **run_as
        )
        if self.pg.initialised:
            self.pg.start()
        else:
            self._new_cluster(self._recipe(settings))
        self._apply_privileges()
        self._discover_projects()
        self.api = SandboxApi(
            self.state["token"], self, self.faults, limits=self.limits, emulate=self.privileges == "supabase"
        )
        self._server = make_server(self.api, "127.0.0.1", self.port)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="sandbox-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the API server and PostgreSQL; remove a temporary sandbox's directories."""
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
            if self.home is not None and self.home != self.root:
                shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _recipe(self, settings: dict[str, str]) -> dict[str, object]:
        """Return what a fresh cluster depends on: the key of its entry in the cache (:mod:`.clusters`)."""
        assert self.pg is not None
        install = self.pg.install
        binaries_ = [install / "bin" / name for name in ("initdb", "postgres")]
        code = [Path(__file__).parent / f"{name}.py" for name in ("instance", "template", "trusted", "embedded")]
        return {
            "install": [str(install), *[(b.stat().st_size, b.stat().st_mtime_ns) for b in binaries_]],
            "initdb": INITDB_OPTIONS,
            "user": self.pg.user,
            "settings": {k: v for k, v in settings.items() if k != "extension_control_path"},
            "sandbox": clusters.digest_files([SQL_DIR, STAND_IN_ROOT, *code]),
        }

    def _new_cluster(self, recipe: dict[str, object]) -> None:
        """Start a new cluster: a copy of the cached one made from the same recipe, else made and cached."""
        assert self.pg is not None
        cache = self._cache or clusters.cache_dir(self.pg.user)
        key = clusters.recipe_key(recipe)
        if cache and not self.pg.data_dir.exists() and clusters.restore(cache, key, self.pg.data_dir, self.pg.user):
            try:
                self.pg.set_admin_password()
                self.pg.start()
                self._set_passwords()
                return
            except (SandboxError, OSError) as exc:  # a damaged entry: drop it, make the cluster as if it were not there
                log.warning("sandbox: the cached cluster %s did not start (%s); making a new one", key, exc)
                self.pg.stop()
                shutil.rmtree(self.pg.data_dir, ignore_errors=True)
                clusters.discard(cache, key)
        self.pg.start()
        self._bootstrap()
        if cache and clusters.wanted(cache, key):
            self.pg.stop()  # a stopped cluster is what a copy can start from
            clusters.save(cache, key, self.pg.data_dir)
            self.pg.start()

    # -- databases -------------------------------------------------------------------------------
    def admin(self, database: str = "postgres") -> psycopg.Connection[Any]:
        """Connect to ``database`` as supabase_admin, the sandbox's own superuser (its set-up; tests' checks)."""
        import psycopg

        assert self.pg is not None
        return psycopg.connect(self.pg.url(database), autocommit=True)

    def _bootstrap(self) -> None:
        """Create the Supabase objects in ``postgres``, then copy it once into the template database.

        The first project is ``postgres`` itself; every later project is a copy of the template, so all
        projects start identical. (One database copy: cheaper than filling the template and copying
        it back over ``postgres``.)
        """
        with self.admin("postgres") as conn:
            conn.execute(bootstrap_sql().encode("utf-8"))
        self._set_passwords()
        with self.admin("template1") as conn:
            conn.execute(f"CREATE DATABASE {TEMPLATE_DB} TEMPLATE postgres")
            conn.execute(f"ALTER DATABASE {TEMPLATE_DB} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false")
            apply_database_settings(conn, "postgres")

    def _set_passwords(self) -> None:
        """Give postgres and the read-only user this sandbox's passwords (hashed cheaply: see below)."""
        from psycopg import sql as psql

        with self.admin("postgres") as conn:
            # each API request connects afresh (.pool); one SCRAM iteration instead of 4096 halves the cost
            # of a connection (random 128-bit passwords on the loopback need no key stretching)
            conn.execute("SET scram_iterations = 1")
            for role, key in (("postgres", "password"), (READ_ONLY_USER, "read_only_password")):
                conn.execute(
                    psql.SQL("ALTER ROLE {} PASSWORD {}").format(psql.Identifier(role), psql.Literal(self.state[key]))
                )

    def _apply_privileges(self) -> None:
        """Make postgres a superuser or not, as ``privileges`` asks (a cluster-wide role attribute)."""
        attribute = "SUPERUSER" if self.privileges == "superuser" else "NOSUPERUSER"
        with self.admin() as conn:
            conn.execute(f"ALTER ROLE postgres {attribute}")

    def _url(self, dbname: str, *, read_only: bool = False) -> str:
        assert self.pg is not None
        if read_only:
            return self.pg.url(dbname, user=READ_ONLY_USER, password=self.state["read_only_password"])
        return self.pg.url(dbname, user="postgres", password=self.state["password"])

    def project_urls(self, ref: str) -> ProjectUrls | None:
        """Return a project's database URLs (as postgres, and as the read-only user), or None."""
        dbname = self._projects.get(ref)
        if dbname is None:
            return None
        return ProjectUrls(self._url(dbname), self._url(dbname, read_only=True))

    def _discover_projects(self) -> None:
        self._projects = {self.state["ref"]: "postgres"}
        with self.admin() as conn:
            for (name,) in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'p\\_%'"):
                self._projects[name[2:]] = name

    def create_project(self) -> dict[str, str]:
        """Create a fresh project (a copy of the template, owned by postgres); return its ref and database URL."""
        ref = random_ref()
        dbname = f"p_{ref}"
        with self._admin_lock, self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{dbname}" TEMPLATE {TEMPLATE_DB} OWNER postgres')
            apply_database_settings(conn, dbname)
        self._projects[ref] = dbname
        return {"ref": ref, "db_url": self._url(dbname)}

    def delete_project(self, ref: str) -> bool:
        """Drop a project made by ``create_project``."""
        dbname = self._projects.get(ref)
        if dbname is None or ref == self.state["ref"]:
            return False
        del self._projects[ref]
        if self.api is not None:
            self.api.drop_pool(self._url(dbname))
            self.api.drop_pool(self._url(dbname, read_only=True))
        with self._admin_lock, self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
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
            "SANDBOX_DB_URL": self._url("postgres"),
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
            f"project {self.state['ref']}, data in {self.home or self.root}, postgres privileges: {self.privileges}"
        )
