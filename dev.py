#!/usr/bin/env python3
"""One entry point for a fresh machine: makes .venv, installs what is needed, runs the job.

    python3 dev.py demo    check -> apply -> check against a throwaway local sandbox
    python3 dev.py test    the whole test suite, four workers (installs openssh-server and rsync when root)
    python3 dev.py lint    format, lint, typing, the import test, the workflows (scripts/checks.py)
    python3 dev.py wheel   build the sdist and wheel, install the wheel outside the repo, run the sandbox cycle
    python3 dev.py gate    the release gate on the sandbox (nox -s staging_gate -- --env sandbox)
    python3 dev.py bench   the benchmark (prints a table)
    python3 dev.py lock    recompile every lock file with uv (requirements/, .github/requirements/); arguments pass
                           to each uv pip compile: --upgrade takes the newest versions allowed, --upgrade-package P one

.venv holds exactly what requirements/dev.txt pins (hash-checked, installed by the pip requirements/pip.txt pins)
and the project itself (editable); a change of either lock makes .venv anew, a change of pyproject.toml reinstalls
the project. Only the standard library is used here, so it runs with nothing but Python 3.10+ and pip.
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


#: The pip each venv gets first, then everything .venv holds, pinned with the hash of each file (uv pip compile).
PIP_LOCK = ROOT / "requirements" / "pip.txt"
DEV_LOCK = ROOT / "requirements" / "dev.txt"
#: Every lock file of the project, as `python3 dev.py lock` compiles them, in this order (benchmark.txt takes
#: dev.txt's versions): each one's header records the same command. uv comes from .venv (requirements/dev.in).
COMPILE = "uv pip compile --universal --python-version 3.10 --generate-hashes"
LOCKS = (
    "requirements/pip.in -o requirements/pip.txt",
    "pyproject.toml requirements/dev.in --extra dev -o requirements/dev.txt",
    "pyproject.toml requirements/benchmark.in --extra sandbox -c requirements/dev.txt -o requirements/benchmark.txt",
    "pyproject.toml .github/requirements/build.in --extra sandbox -o .github/requirements/staging-gate.txt",
    ".github/requirements/nox.in -o .github/requirements/nox.txt",
    ".github/requirements/release.in -o .github/requirements/release.txt",
)


def digest(*paths: Path) -> str:
    sha = hashlib.sha256()
    for path in paths:
        sha.update(path.read_bytes())
    return sha.hexdigest()


def pip(*args: str | Path, failure: str) -> None:
    if run(PY, "-m", "pip", "install", "--quiet", *args) != 0:
        sys.exit(f"dev.py: {failure}")


def ensure_venv(*, strict: bool = True) -> None:
    """Make .venv hold exactly the locked packages and the project, once per lock or pyproject.toml change.

    A .venv whose locks differ (or one an earlier dev.py filled with whatever was newest) is made anew, so
    nothing the lock does not list stays; a pyproject.toml change reinstalls the project only. Every package
    is hash-checked and the project is installed without build isolation (setuptools comes from the lock),
    so nothing unpinned is fetched. `pip check` then tells when pyproject.toml wants what the lock lacks
    (`strict`: stop there; `python3 dev.py lock` goes on, to recompile it).
    """
    stamp = VENV / ".installed"
    locks = f"locks {digest(PIP_LOCK, DEV_LOCK)}\n"
    want = f"{locks}project {digest(ROOT / 'pyproject.toml')}\n"
    have = stamp.read_text() if stamp.exists() and PY.exists() else ""
    if have == want:
        return
    if not have.startswith(locks):
        print(f"dev.py: making {VENV.name} anew from {DEV_LOCK.relative_to(ROOT)}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        pip("--require-hashes", "--no-deps", "-r", PIP_LOCK, failure=f"could not install {PIP_LOCK.name}'s pip")
        pip("--require-hashes", "--no-deps", "-r", DEV_LOCK, failure=f"could not install {DEV_LOCK.name}")
    stamp.write_text(locks)  # the locked packages are in; the project is not yet
    pip("--no-deps", "--no-build-isolation", "-e", ".", failure="could not install the project (editable)")
    if run(PY, "-m", "pip", "check") != 0:
        message = "dev.py: pyproject.toml wants what requirements/dev.txt lacks (above): run python3 dev.py lock"
        if strict:
            sys.exit(message)
        print(message, file=sys.stderr)
        return
    stamp.write_text(want)


def lock(extra: list[str]) -> int:
    """Recompile every lock file with uv from .venv (it keeps each pin that still fits unless told --upgrade)."""
    ensure_venv(strict=False)
    for args in LOCKS:
        if run(BIN / "uv", *COMPILE.split()[1:], "--quiet", *args.split(), *extra) != 0:
            print(f"dev.py: {COMPILE} {args} failed", file=sys.stderr)
            return 1
    print("dev.py: locks compiled; the next dev.py command makes .venv anew if requirements/ changed")
    return 0


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
        # Four workers on two cores: most of a test's time is spent waiting on servers and subprocesses.
        own = any(a.startswith(("-n", "--numprocesses")) or a.endswith("no:xdist") for a in rest)
        workers = [] if own else ["-n", "4"]
        return run(PY, "-m", "pytest", *workers, *rest)
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
    if command == "lock":
        return lock(rest)
    print(__doc__)
    return 0 if command in ("help", "-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
