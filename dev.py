#!/usr/bin/env python3
"""One entry point for a fresh machine: makes .venv, installs what is needed, runs the job.

    python3 dev.py demo    check -> apply -> check against a throwaway local sandbox
    python3 dev.py test    the whole test suite (installs openssh-server and rsync when root)
    python3 dev.py lint    format, lint, typing, the import test, the workflows (scripts/checks.py)
    python3 dev.py wheel   build the sdist and wheel, install the wheel outside the repo, run the sandbox cycle
    python3 dev.py gate    the release gate on the sandbox (nox -s staging_gate -- --env sandbox)
    python3 dev.py bench   the benchmark (prints a table)

Only the standard library is used here, so it runs with nothing but Python 3.10+ and pip.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
SYSTEM_PACKAGES = {"sshd": "openssh-server", "rsync": "rsync", "ssh": "openssh-client"}


def run(*args: str | Path, **kwargs: object) -> int:
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.call([str(a) for a in args], cwd=ROOT, **kwargs)  # type: ignore[arg-type]


def ensure_venv() -> None:
    """Create .venv and install the project with its dev extras, once per pyproject change."""
    if not PY.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / ".installed"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    if run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip") != 0:
        sys.exit("dev.py: could not upgrade pip in .venv")
    if run(PY, "-m", "pip", "install", "--quiet", "-e", ".[dev]") != 0:
        sys.exit("dev.py: pip install -e .[dev] failed")
    stamp.write_text(digest)


def sshd_path() -> str | None:
    return shutil.which("sshd") or next(
        (p for p in ("/usr/sbin/sshd", "/usr/local/sbin/sshd") if Path(p).exists()), None
    )


def ensure_system_tools() -> None:
    """The SSH tests need a real sshd, ssh and rsync; install them with apt when missing and root."""
    missing = [
        pkg for tool, pkg in SYSTEM_PACKAGES.items() if not (sshd_path() if tool == "sshd" else shutil.which(tool))
    ]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit(
            f"dev.py: the tests need {', '.join(missing)}; install them (e.g. apt-get install "
            f"{' '.join(missing)}) and run again."
        )
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run("apt-get", "update", "-qq", env=env)
    if run("apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing, env=env) != 0:
        sys.exit(f"dev.py: apt-get install {' '.join(missing)} failed")


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("help", [])
    if command == "demo":
        ensure_venv()
        return run(BIN / "inv", "sandbox.demo", *rest)
    if command == "test":
        ensure_venv()
        ensure_system_tools()
        return run(PY, "-m", "pytest", *rest)
    if command == "lint":
        ensure_venv()
        return run(PY, "scripts/checks.py")
    if command == "wheel":
        ensure_venv()
        return run(PY, "scripts/wheel_test.py", *rest)
    if command == "gate":
        ensure_venv()
        return run(BIN / "nox", "-s", "staging_gate", "--", "--env", "sandbox", *rest)
    if command == "bench":
        ensure_venv()
        return run(PY, "scripts/benchmark.py", *rest)
    print(__doc__)
    return 0 if command in ("help", "-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
