"""Shared fixtures: one real sandbox per test session, a fresh project per test, a secret canary.

The sandbox runs as a subprocess (``python -m migrations_tasks.sandbox``), exactly as users start it:
real PostgreSQL behind a real HTTP server on loopback. Each test that needs a database gets its own
project (a fresh copy of the Supabase template database), so tests are independent.

The sandbox's access token is a canary: after every test, its captured output, logs and failure text
are searched for it, and the test fails if the token leaked.

Temporary files (``tmp_path``, the sandboxes and their servers' data) go to a directory on a tmpfs
(``/dev/shm``) when there is one with room, unless ``TMPDIR`` is set: creating a PostgreSQL database's
hundreds of files costs ten times less there than on many virtual disks, and nothing a test checks depends
on where they are. Under pytest-xdist the workers inherit that directory; the process that made it removes
it at exit (and one left by a killed run, next time).
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

# The real-sshd fixtures (deploy and release tests); registered here so test modules can import helpers.
pytest_plugins = ("sshd_fixtures",)

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")
CANARY = "sbp_canary" + secrets.token_hex(16)
# The canary is in the environment of the whole session, as a CI secret would be.
os.environ["MIGRATIONS_TASKS_TEST_CANARY"] = CANARY
for _name in list(os.environ):
    if _name.startswith(("SUPABASE_", "MIGRATIONS_", "DEPLOY_")) and _name != "MIGRATIONS_TASKS_TEST_CANARY":
        del os.environ[_name]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        pass
    return True


def _scratch_on_tmpfs(shm: Path = Path("/dev/shm"), room: int = 4 * 2**30) -> Path | None:
    """Make TMPDIR a fresh directory on a tmpfs with ``room`` free, unless TMPDIR is set; return it."""
    if "TMPDIR" in os.environ:  # the caller's choice, or an xdist worker's inherited one
        return None
    try:
        mounts = [line.split() for line in Path("/proc/mounts").read_text().splitlines()]
        space = os.statvfs(shm)
    except OSError:
        return None
    if not any(m[1:3] == [str(shm), "tmpfs"] for m in mounts) or space.f_bavail * space.f_frsize < room:
        return None
    for stale in shm.glob("mt-tests-*"):  # left by a killed run
        owner = stale.name.split("-")[2]
        if owner.isdigit() and not _alive(int(owner)):
            shutil.rmtree(stale, ignore_errors=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"mt-tests-{os.getpid()}-", dir=shm))
    scratch.chmod(0o755)  # run as root, a sandbox's server user must reach its home in there
    os.environ["TMPDIR"] = str(scratch)
    tempfile.tempdir = None  # gettempdir() reads TMPDIR again
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    return scratch


_scratch_on_tmpfs()


def leaked(*texts: str | bytes | None) -> bool:
    """Return True when any text contains the canary token."""
    for text in texts:
        if text is None:
            continue
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        if CANARY in text:
            return True
    return False


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    texts = [content for _, content in report.sections]
    texts.append(report.longreprtext or "")
    if leaked(*texts):
        # Fail, and still show what happened, with the token redacted.
        shown = "\n".join(t.replace(CANARY, "<canary>") for t in texts[-1:])
        report.outcome = "failed"
        report.longrepr = (
            f"The secret canary token appeared in captured output or failure text of {item.nodeid}.\n{shown}"
        )


def write_file(directory: Path, name: str, text: str | bytes = "SELECT 1;\n") -> Path:
    """Write a file (text as UTF-8, or bytes as they are) in ``directory``; return its path."""
    path = directory / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


class SandboxProcess:
    """A running ``python -m migrations_tasks.sandbox`` and what it printed."""

    def __init__(self, *args: str, token: str = CANARY) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "migrations_tasks.sandbox", "--token", token, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        self.env: dict[str, str] = {}
        lines: list[str] = []
        timer = threading.Timer(120, self.process.kill)
        timer.start()
        try:
            assert self.process.stdout is not None
            for _ in range(4):
                line = self.process.stdout.readline()
                if not line:
                    break
                lines.append(line)
        finally:
            timer.cancel()
        for line in lines:
            key, _, value = line.rstrip("\n").partition("=")
            self.env[key] = value
        if len(self.env) != 4:
            self.stop()
            stderr = self.process.stderr.read() if self.process.stderr else ""
            raise RuntimeError(f"sandbox did not start: stdout={lines!r} stderr={stderr[-3000:]}")
        self.api_url = self.env["SUPABASE_API_URL"]
        self.token = self.env["SUPABASE_ACCESS_TOKEN"]
        self.ref = self.env["SUPABASE_PROJECT_REF"]
        self.db_url = self.env["SANDBOX_DB_URL"]

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        """Call the sandbox's HTTP API; return (status, parsed JSON)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.api_url + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {token or self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def new_project(self) -> Project:
        """Create a fresh project (a copy of the Supabase template database)."""
        status, body = self.call("POST", "/_sandbox/projects")
        assert status == 201, body
        return Project(self, body["ref"], body["db_url"])

    def stop(self) -> None:
        """Stop the sandbox (SIGTERM) and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()


@dataclass
class Project:
    """One sandbox project: a database reachable through the API and directly."""

    sandbox: SandboxProcess
    ref: str
    db_url: str
    _conn: Any = field(default=None, repr=False)

    @property
    def env(self) -> dict[str, str]:
        """Return the environment a client needs for this project."""
        return {
            "SUPABASE_API_URL": self.sandbox.api_url,
            "SUPABASE_PROJECT_REF": self.ref,
            "SUPABASE_ACCESS_TOKEN": self.sandbox.token,
            "SUPABASE_DB_URL": self.db_url,
        }

    def settings(
        self, migrations_dir: Path | str = "supabase/migrations", transport: str = "api", **config: Any
    ) -> Any:
        """Return Settings for this project."""
        from migrations_tasks.config.settings import load_settings

        return load_settings(
            {"migrations": config},
            flags={"migrations_dir": str(migrations_dir), "transport": transport},
            environ=self.env,
            dotenv_path=None,
        )

    def requests(self) -> int:
        """Return how many API requests this project has received."""
        status, body = self.sandbox.call("GET", f"/_sandbox/stats?ref={self.ref}")
        assert status == 200
        return int(body["requests"])

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        """Run SQL directly (not through the API) and return all rows of the last statement."""
        import psycopg

        if self._conn is None:
            self._conn = psycopg.connect(self.db_url, autocommit=True)
        cur = self._conn.execute(query)
        return cur.fetchall() if cur.description else []

    def close(self) -> None:
        """Close the direct connection."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None


#: Start a sandbox with these command-line flags, or return the one already started with them.
SandboxFactory = Callable[..., SandboxProcess]


@pytest.fixture(autouse=True)
def workflow_commands_to_stdout() -> Iterator[None]:
    """Start every test with GitHub's workflow commands going to stdout: a JSON Reporter made by an earlier test
    in this worker sends them to its own stderr (a process-wide choice, one task per process in real use)."""
    from migrations_tasks.output import github

    github.commands_to(None)
    yield
    github.commands_to(None)


@pytest.fixture(scope="session")
def sandbox_factory() -> Iterator[SandboxFactory]:
    """Return ``start(*flags)``: a sandbox started with those flags (``--drop-every 3``...), one per distinct
    set of flags for the whole session (under pytest-xdist: per worker), all stopped at the session's end.

    Projects are what keeps tests apart (each test makes its own); a test that counts the fault injection's
    requests (``--fail-every``...) gets a set of flags no other module uses.
    """
    started: dict[tuple[str, ...], SandboxProcess] = {}

    def start(*flags: str) -> SandboxProcess:
        if flags not in started:
            started[flags] = SandboxProcess(*flags)
        return started[flags]

    yield start
    for process in started.values():  # asked all at once: each takes a moment to stop its server
        if process.process.poll() is None:
            process.process.terminate()
    for process in started.values():
        process.stop()


@pytest.fixture(scope="session")
def sandbox(sandbox_factory: SandboxFactory) -> SandboxProcess:
    """One sandbox for the whole session (per xdist worker); its token is the canary."""
    return sandbox_factory()


def fresh_project(server: SandboxProcess) -> Iterator[Project]:
    """Yield a fresh, empty Supabase-like project on ``server``; close and drop it afterwards (a fixture body)."""
    proj = server.new_project()
    yield proj
    proj.close()
    server.call("DELETE", f"/_sandbox/projects/{proj.ref}")


@pytest.fixture
def project(sandbox: SandboxProcess) -> Iterator[Project]:
    """A fresh, empty Supabase-like project for one test."""
    yield from fresh_project(sandbox)


def run_together(action: Callable[[], T], count: int = 4) -> list[T]:
    """Run ``action`` in ``count`` threads released at the same moment (a barrier); return what each returned.

    Any exception in a thread fails the test, all of them listed.
    """
    barrier = threading.Barrier(count)
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=60)
            results.append(action())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [], errors
    return results


class MigrationDir:
    """A temporary supabase/migrations directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)

    def write(self, filename: str, sql: str | bytes) -> Path:
        """Write one migration file."""
        target = self.path / filename
        if isinstance(sql, bytes):
            target.write_bytes(sql)
        else:
            target.write_text(sql, encoding="utf-8")
        return target


@pytest.fixture
def migrations(tmp_path: Path) -> MigrationDir:
    """An empty migrations directory under tmp_path/supabase/migrations."""
    return MigrationDir(tmp_path / "supabase" / "migrations")


def run_inv(
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m invoke`` like a user would, in ``cwd``; fail on a leaked canary or a traceback."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SUPABASE_", "MIGRATIONS_"))}
    base.update(env or {})
    result = subprocess.run(
        [sys.executable, "-m", "invoke", *args],
        cwd=cwd,
        env=base,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert not leaked(result.stdout, result.stderr), "the canary token leaked into task output"
    assert "Traceback" not in result.stderr, result.stderr
    return result


def user_project(tmp_path: Path) -> Path:
    """Make a directory that looks like a user's project: tasks.py using the collection."""
    (tmp_path / "tasks.py").write_text("from migrations_tasks import namespace\n\nns = namespace()\n")
    return tmp_path


@pytest.fixture
def verify_settings(project: Project, sandbox: SandboxProcess) -> Any:
    """Return a maker of Settings for db.verify on ``project``; drift reuses the session sandbox's server.

    ``make(migrations_dir, transport="api", drift_server=True, **config)``: ``config`` is the
    ``migrations`` section of invoke.yaml (e.g. ``verify={"critical_tables": [...]}``).
    """
    from migrations_tasks.config.settings import load_settings

    def make(migrations_dir: Path | str, transport: str = "api", drift_server: bool = True, **config: Any) -> Any:
        env = dict(project.env)
        if drift_server:
            env["MIGRATIONS_DRIFT_DB_URL"] = sandbox.db_url
        return load_settings(
            {"migrations": config},
            flags={"migrations_dir": str(migrations_dir), "transport": transport},
            environ=env,
            dotenv_path=None,
        )

    return make
