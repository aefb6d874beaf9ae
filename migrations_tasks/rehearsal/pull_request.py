"""``nox -s migrations_pr``: lint and rehearse a pull request's migrations with no secrets, on a sandbox.

A sandbox (embedded PostgreSQL behind the Management API imitation) gets the base branch's migrations
(``git show <base>:<file>``), applied with ``db.apply``; then ``db.lint`` and ``db.plan`` run on the working
tree's migrations, so the pending ones are exactly those the pull request adds. In GitHub Actions the tasks
annotate files and lines and write the plan as the step summary. Exit: the highest of the two tasks' codes.

    python -m migrations_tasks.rehearsal.pull_request [--base origin/main] [--migrations-dir supabase/migrations]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ..errors import EXIT_CANNOT_RUN
from ..sources import sandbox_environment
from ..wording import plural

ENV_BASE_REF = "GITHUB_BASE_REF"


def parser() -> argparse.ArgumentParser:
    """Return the command-line parser."""
    p = argparse.ArgumentParser(prog="python -m migrations_tasks.rehearsal.pull_request", description=__doc__)
    default = f"origin/{os.environ[ENV_BASE_REF]}" if os.environ.get(ENV_BASE_REF) else None
    p.add_argument("--base", default=default, help="git ref whose migrations the sandbox gets first (default: none)")
    p.add_argument("--migrations-dir", default="supabase/migrations", help="the migrations directory")
    return p


def git(*args: str) -> str:
    """Run git and return its output (raise CalledProcessError on failure)."""
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


def base_migrations(base: str, directory: str, target: Path) -> int:
    """Write the base ref's migration files into ``target``; return how many."""
    names = [n for n in git("ls-tree", "--name-only", f"{base}:{directory}").splitlines() if n.endswith(".sql")]
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        (target / name).write_text(git("show", f"{base}:{directory}/{name}"), encoding="utf-8")
    return len(names)


def invoke(*args: str, env: dict[str, str]) -> int:
    """Run one task as a user would; return its exit code."""
    print(f"\n$ inv {' '.join(args)}", flush=True)
    return subprocess.call([sys.executable, "-m", "invoke", *args], env=env)


def main(argv: list[str] | None = None) -> int:
    """Start a sandbox, give it the base's migrations, then lint and plan the working tree's."""
    args = parser().parse_args(argv)
    from ..sandbox import Sandbox, SandboxError

    try:
        sandbox = Sandbox().start()
    except (SandboxError, OSError) as exc:
        print(f"error: could not start the sandbox: {exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    try:
        env = sandbox_environment(sandbox.env)
        if args.base:
            with tempfile.TemporaryDirectory(prefix="mt-base-") as scratch:
                try:
                    count = base_migrations(args.base, args.migrations_dir, Path(scratch) / "migrations")
                except (subprocess.CalledProcessError, OSError) as exc:
                    print(f"error: cannot read the migrations of {args.base}: {exc}", file=sys.stderr)
                    return EXIT_CANNOT_RUN
                print(f"The sandbox gets {plural(count, 'migration')} of {args.base} first.", flush=True)
                if count and invoke("db.apply", "--migrations-dir", f"{scratch}/migrations", env=env):
                    print(f"error: the migrations of {args.base} do not apply to the sandbox.", file=sys.stderr)
                    return EXIT_CANNOT_RUN
        codes = [invoke(task, "--migrations-dir", args.migrations_dir, env=env) for task in ("db.lint", "db.plan")]
    finally:
        sandbox.stop()
    return max(codes)


if __name__ == "__main__":
    sys.exit(main())
