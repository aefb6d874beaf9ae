"""``nox -s migrations_pr``: lint and rehearse a pull request's migrations with no secrets, on a sandbox.

A sandbox (embedded PostgreSQL behind the Management API imitation) gets the base branch's migrations
(``git show <base>:<file>``; none when the base has no migrations folder), applied with ``db.apply``; then
``db.lint`` and ``db.plan`` run on the working tree's migrations, so the pending ones are exactly those the
pull request adds. The tasks get the sandbox's environment (:func:`~.config.sources.sandbox_environment`):
no database or drift server named in ``.env`` is reached, and the throwaway databases are an embedded
PostgreSQL of their own. In GitHub Actions each finding is annotated once (by ``db.plan``) and the plan is the
step summary. With ``supabase/schemas``, the schema files are then compared with the migrations (a schema file
changed without its migration fails). Exit: the highest of the codes.

    python -m migrations_tasks.rehearsal.pull_request [--base origin/main] [--migrations-dir supabase/migrations]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ..config.sources import sandbox_environment
from ..errors import EXIT_CANNOT_RUN
from ..wording import plural

ENV_BASE_REF = "GITHUB_BASE_REF"


def parser() -> argparse.ArgumentParser:
    """Return the command-line parser."""
    p = argparse.ArgumentParser(prog="python -m migrations_tasks.rehearsal.pull_request", description=__doc__)
    default = f"origin/{os.environ[ENV_BASE_REF]}" if os.environ.get(ENV_BASE_REF) else None
    p.add_argument("--base", default=default, help="git ref whose migrations the sandbox gets first (default: none)")
    p.add_argument("--migrations-dir", default="supabase/migrations", help="the migrations directory")
    p.add_argument("--strict", action="store_true", help="db.plan exits 1 on a review verdict too (db.plan --strict)")
    return p


def git(*args: str) -> str:
    """Run git and return its output (raise CalledProcessError on failure)."""
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


def base_migrations(base: str, directory: str, target: Path) -> int:
    """Write the base ref's migration files into ``target``; return how many (0: the base has no such folder)."""
    commit = git("rev-parse", "--verify", "--end-of-options", f"{base}^{{commit}}").strip()
    folder = directory.strip("/")
    listed = git("ls-tree", "--name-only", "-z", commit, "--", f"{folder}/").split("\0")
    names = [n.rsplit("/", 1)[-1] for n in listed if n.endswith(".sql") and "/" not in n[len(folder) + 1 :]]
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        (target / name).write_text(git("show", f"{commit}:{folder}/{name}"), encoding="utf-8")
    return len(names)


def invoke(*args: str, env: dict[str, str]) -> int:
    """Run one task as a user would; return its exit code."""
    print(f"\n$ inv {' '.join(args)}", flush=True)
    return subprocess.call([sys.executable, "-m", "invoke", *args], env=env)


def lint_and_plan(directory: str, env: dict[str, str], strict: bool = False) -> int:
    """Run db.lint then db.plan; return the higher exit code.

    In GitHub Actions each finding is annotated once, by db.plan (which carries db.lint's findings too):
    db.lint runs without annotations, unless db.plan could not run, when db.lint annotates them after all.
    """
    quiet = {k: v for k, v in env.items() if k != "GITHUB_ACTIONS"}
    codes = [invoke("db.lint", "--migrations-dir", directory, env=quiet)]
    codes.append(invoke("db.plan", "--migrations-dir", directory, *(["--strict"] if strict else []), env=env))
    if codes[-1] == EXIT_CANNOT_RUN and env.get("GITHUB_ACTIONS") == "true":
        print("db.plan could not run: db.lint annotates the findings instead.", flush=True)
        argv = [sys.executable, "-m", "invoke", "db.lint", "--json", "--migrations-dir", directory]
        subprocess.call(argv, env=env, stdout=subprocess.DEVNULL)  # annotations go to stderr with --json
    return max(codes)


def check_schemas(directory: str, env: dict[str, str]) -> int:
    """Fail when supabase/schemas is ahead of the migrations (silent, exit 0, without schema files)."""
    argv = [sys.executable, "-m", "migrations_tasks.authoring.diff.check", "--migrations-dir", directory]
    return subprocess.call(argv, env=env)


def read_base(base: str, directory: str, target: Path) -> int | None:
    """Write the base's migrations into ``target``; return how many, or None after saying why it cannot."""
    try:
        return base_migrations(base, directory, target)
    except subprocess.CalledProcessError as exc:
        why = (exc.stderr or "").strip().splitlines()[:1] or [str(exc)]
        print(f"error: cannot read the migrations of {base}: git says {why[0]}", file=sys.stderr)
        print("Fetch the base branch first (actions/checkout with fetch-depth: 0).", file=sys.stderr)
    except OSError as exc:
        print(f"error: cannot read the migrations of {base}: {exc}", file=sys.stderr)
    return None


def main(argv: list[str] | None = None) -> int:
    """Read the base's migrations, start a sandbox with them applied, then lint and plan the working tree's."""
    args = parser().parse_args(argv)
    from ..sandbox import Sandbox, SandboxError

    with tempfile.TemporaryDirectory(prefix="mt-base-") as scratch:
        base_dir = Path(scratch) / "migrations"
        count = read_base(args.base, args.migrations_dir, base_dir) if args.base else 0
        if count is None:
            return EXIT_CANNOT_RUN
        try:
            sandbox = Sandbox().start()
        except (SandboxError, OSError) as exc:
            print(f"error: could not start the sandbox: {exc}", file=sys.stderr)
            return EXIT_CANNOT_RUN
        try:
            env = sandbox_environment(sandbox.env)
            if args.base:
                print(f"The sandbox gets {plural(count, 'migration')} of {args.base} first.", flush=True)
            if count and invoke("db.apply", "--migrations-dir", str(base_dir), env=env):
                print(f"error: the migrations of {args.base} do not apply to the sandbox.", file=sys.stderr)
                return EXIT_CANNOT_RUN
            code = lint_and_plan(args.migrations_dir, env, strict=args.strict)
            return max(code, check_schemas(args.migrations_dir, env))
        finally:
            sandbox.stop()


if __name__ == "__main__":
    sys.exit(main())
