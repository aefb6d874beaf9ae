#!/usr/bin/env python3
"""Prove the package works for a user who is not in this repository: build, check, install, run.

    python scripts/wheel_test.py            # with the tools beside this Python (python3 dev.py wheel: .venv)

1. ``python -m build --no-isolation`` makes the sdist and the wheel in a temporary directory with the
   setuptools beside this Python (the locked one in .venv); ``twine check`` checks both; the wheel must hold
   the sandbox's SQL, the stand-in extensions, ``py.typed`` and the LICENSE (so must the sdist).
2. A fresh virtualenv **outside the repository** (made without pip: the pinned pip beside this Python,
   requirements/pip.txt's, installs into it with ``--python``) gets the wheel
   with the ``sandbox`` extra: pip resolves the wheel's own requirements, each held to the version and hashes
   that requirements/dev.txt pins (``--require-hashes`` with it as constraints), so a requirement the lock
   lacks fails the test and nothing unpinned is installed.
3. A new project directory holds only ``tasks.py`` (``ns = namespace()``) and a migrations folder (the
   example migrations); the sandbox is started from the installed package (``python -m
   migrations_tasks.sandbox``) and ``inv`` runs db.check -> db.apply -> db.check -> db.verify there; then a
   column added in the database is pulled into a migration (db.pull), verified again, and db.new runs.

Only the standard library is used here. Each step prints its time; nothing asserts on time.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_LOCK = ROOT / "requirements" / "dev.txt"
REQUIRED_IN_WHEEL = (
    "migrations_tasks/py.typed",
    "migrations_tasks/sandbox/sql/30_auth.sql",
    "migrations_tasks/sandbox/extensions/extension/pg_net.control",
    "migrations_tasks/authoring/pull/run.py",
)
# The expected exit code of each step of the sandbox cycle.
CYCLE = (("db.check", 1), ("db.apply", 0), ("db.check", 0), ("db.verify", 0))


class Failed(Exception):
    """A step of the wheel test failed."""


def step(title: str, args: list[str | Path], *, cwd: Path, env: dict[str, str] | None = None, code: int = 0) -> str:
    started = time.perf_counter()
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    print(f"wheel: {title}: exit {result.returncode} in {time.perf_counter() - started:.1f}s", flush=True)
    if result.returncode != code:
        output = result.stdout[-3000:] + result.stderr[-3000:]
        raise Failed(f"{title}: exit {result.returncode}, expected {code}\n{output}")
    if "Traceback" in result.stderr:
        raise Failed(f"{title}: a traceback\n{result.stderr[-3000:]}")
    return result.stdout


def build(work: Path) -> Path:
    dist = work / "dist"
    command: list[str | Path] = [sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, ROOT]
    step("python -m build --no-isolation (sdist and wheel)", command, cwd=work)
    files = sorted(dist.iterdir())
    step("twine check", [Path(sys.executable).parent / "twine", "check", "--strict", *files], cwd=work)
    wheel = next(f for f in files if f.suffix == ".whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [n for n in REQUIRED_IN_WHEEL if n not in names]
    if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
        missing.append("*.dist-info/licenses/LICENSE")
    sdist = next(f for f in files if f.name.endswith(".tar.gz"))
    with tarfile.open(sdist) as archive:
        if not any(n.count("/") == 1 and n.endswith("/LICENSE") for n in archive.getnames()):
            raise Failed(f"the sdist {sdist.name} lacks LICENSE")
    if missing:
        raise Failed(f"the wheel lacks {', '.join(missing)}")
    print(f"wheel: {wheel.name}: {len(names)} files, {wheel.stat().st_size // 1024} KiB", flush=True)
    return wheel


def install(work: Path, wheel: Path) -> Path:
    started = time.perf_counter()
    venv.EnvBuilder(with_pip=False).create(work / "venv")
    print(f"wheel: fresh virtualenv in {time.perf_counter() - started:.1f}s", flush=True)
    bin_dir = work / "venv" / ("Scripts" if os.name == "nt" else "bin")
    # The locked pip beside this Python installs into the fresh one: no pip bootstrapped there to replace.
    pip: list[str | Path] = [sys.executable, "-m", "pip", "--python", bin_dir / "python", "install", "-q"]
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    requirements = work / "requirements.txt"
    requirements.write_text(f"migrations-tasks[sandbox] @ {wheel.as_uri()} --hash=sha256:{digest}\n")
    locked = [*pip, "--require-hashes", "-c", DEV_LOCK, "-r", requirements]
    step("pip install the wheel [sandbox] (its requirements as the lock pins them)", locked, cwd=work)
    return bin_dir


def start_sandbox(bin_dir: Path, project: Path) -> tuple[subprocess.Popen[str], dict[str, str]]:
    log = project.parent / "sandbox.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [str(bin_dir / "python"), "-m", "migrations_tasks.sandbox"],
            cwd=project,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    assert process.stdout is not None
    lines = [process.stdout.readline() for _ in range(4)]
    settings = dict(line.rstrip("\n").partition("=")[::2] for line in lines if "=" in line)
    if len(settings) != 4:
        process.terminate()
        process.wait()
        raise Failed(f"the installed sandbox did not start: {log.read_text(errors='replace')[-2000:]}")
    return process, settings


def cycle(bin_dir: Path, project: Path, settings: dict[str, str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPABASE_", "MIGRATIONS_", "PYTHON"))}
    env.update({k: v for k, v in settings.items() if k.startswith("SUPABASE_")})
    env["MIGRATIONS_DRIFT_DB_URL"] = settings["SANDBOX_DB_URL"]
    probe = "import migrations_tasks; print(migrations_tasks.__file__)"
    where = step("import", [bin_dir / "python", "-c", probe], cwd=project)
    if not Path(where.strip()).is_relative_to(bin_dir.parent):
        raise Failed(f"migrations_tasks was imported from {where.strip()}, not from the fresh virtualenv")
    for task, code in CYCLE:
        step(f"inv {task}", [bin_dir / "inv", task], cwd=project, env=env, code=code)
    change = "alter table public.todos add column priority integer not null default 0"
    connect = f"import psycopg; psycopg.connect({settings['SANDBOX_DB_URL']!r}, autocommit=True).execute({change!r})"
    step("a change made in the database", [bin_dir / "python", "-c", connect], cwd=project, env=env)
    step("inv db.pull", [bin_dir / "inv", "db.pull"], cwd=project, env=env)
    step("inv db.verify", [bin_dir / "inv", "db.verify"], cwd=project, env=env)
    step("inv db.new", [bin_dir / "inv", "db.new", "from the wheel"], cwd=project, env=env)


def main() -> int:
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="mt-wheel-"))
    process: subprocess.Popen[str] | None = None
    try:
        wheel = build(work)
        bin_dir = install(work, wheel)
        project = work / "project"
        shutil.copytree(ROOT / "supabase" / "migrations", project / "supabase" / "migrations")
        (project / "tasks.py").write_text("from migrations_tasks import namespace\n\nns = namespace()\n")
        process, settings = start_sandbox(bin_dir, project)
        cycle(bin_dir, project, settings)
    except Failed as exc:
        print(f"wheel: FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if process is not None:
            process.terminate()
            process.wait(60)
        shutil.rmtree(work, ignore_errors=True)
    print(f"wheel: the installed package works outside the repository ({time.perf_counter() - started:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
