"""Sandbox tasks: run the local stand-in for a Supabase project, and the README's demo on it."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from invoke.context import Context
from invoke.exceptions import Exit

from ..config.sources import sandbox_environment
from ._common import task


@task(
    help={
        "port": "API port on 127.0.0.1 (default: a free port)",
        "data_dir": "keep the database in this directory between runs (default: temporary)",
        "latency_ms": "delay added to every API request, in milliseconds",
        "privileges": "'supabase' (default: postgres as on hosted Supabase) or 'superuser' (lenient, for experiments)",
    },
    whole_numbers=["port", "latency_ms"],  # a value that is not one goes to the sandbox's parser, which says so
)
def serve(
    c: Context, port: int = 0, data_dir: str | None = None, latency_ms: int = 0, privileges: str = "supabase"
) -> None:
    """Run the sandbox in the foreground and print its settings in .env format."""
    args = [sys.executable, "-m", "migrations_tasks.sandbox", "--port", str(port), "--latency-ms", str(latency_ms)]
    args += ["--privileges", privileges]
    if data_dir:
        args += ["--data-dir", data_dir]
    try:
        raise Exit(code=subprocess.call(args))
    except KeyboardInterrupt:
        raise Exit(code=130) from None


@task(help={"migrations_dir": "migrations to apply (default: supabase/migrations)"})
def demo(c: Context, migrations_dir: str = "supabase/migrations") -> Any:
    """Start a throwaway sandbox and run db.check, db.apply, db.check, db.verify against it."""
    from ..sandbox import Sandbox, SandboxError

    print("Starting the sandbox (embedded PostgreSQL + local Management API)...", flush=True)
    try:
        sandbox = Sandbox().start()
    except SandboxError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise Exit(code=3) from None
    try:
        env = sandbox_environment(sandbox.env)
        print(sandbox.describe(), flush=True)
        codes = []
        for step in (["db.check"], ["db.apply"], ["db.check"], ["db.verify"]):
            command = [*step, "--migrations-dir", migrations_dir]
            print(f"\n$ inv {' '.join(command)}", flush=True)
            code = subprocess.call([sys.executable, "-m", "invoke", *command], env=env)
            print(f"(exit code {code})", flush=True)
            codes.append(code)
    finally:
        sandbox.stop()
    expected = [1, 0, 0, 0]
    if codes != expected and codes != [0, 0, 0, 0]:
        print(f"\nThe demo did not go as expected: exit codes {codes}, expected {expected}.", file=sys.stderr)
        raise Exit(code=1)
    print(
        "\nDemo finished: pending migrations were found, applied atomically, the check is clean, and "
        "verify proved the live schema."
    )
    return codes
