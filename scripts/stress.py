#!/usr/bin/env python3
"""Stress migrations-tasks against the sandbox with faults on, and print what went wrong (ideally nothing).

    python scripts/stress.py                # the full run (several minutes)
    python scripts/stress.py --quick        # a smaller run, same checks

Scenarios, each against fresh sandbox projects, through `inv db.apply` run as a user runs it:

* kill:        SIGKILL at random moments of an apply of 50 migrations, then a rerun that must complete;
* concurrent:  4 appliers started together on the same project;
* rate-limit:  an apply of 80 migrations under the sandbox's --rate-limit 60 (--quick: 40 under 20 per
               10 s), one migration per request (--batch-size 1: batched, 80 migrations are 4 requests
               and never meet the limit); the client must pace itself (a wait is announced) and no 429
               may surface;
* lost-answers: an apply with --drop-every 4 --fail-every 7 (answers lost after commit, 503s);
* lockstep:    an apply with --fail-every 2 (every other request answers 503);
* random 503s: ten applies with --fail-rate 0.5 (half of all requests answer 503, seeded): all complete.

With ``--concurrently N`` every Nth migration builds its index ``CONCURRENTLY`` (without ``IF NOT EXISTS``),
so it runs in three requests outside one transaction, under its lease: every scenario must still apply each
migration once and leave no INVALID index. (In the kill scenario only the final audit counts half-applied
migrations then: a run killed between the parts of such a migration leaves it half-way until the rerun,
which takes over its lease once it expires, 30 s after its last renewal.)

Every apply runs as `inv db.apply` does by default: batched (up to 50 migrations per request, each its
own transaction); `--batch-size 1` runs every scenario with one request per migration instead.

After every trial the database is audited from one snapshot (migrations_tasks.sandbox.workload):
a migration whose effects and ledger row are not together is "half-applied"; one applied twice is a
"double apply". Output of every run is searched for tracebacks and for the access token.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import psycopg

from migrations_tasks.sandbox import Faults, Sandbox, workload

TASKS_PY = "from migrations_tasks import namespace\n\nns = namespace()\n"


@dataclass
class Row:
    scenario: str
    trials: int = 0
    half_applied: int = 0
    double_applied: int = 0
    tracebacks: int = 0
    secrets_leaked: int = 0
    invalid_indexes: int = 0
    failed_runs: int = 0
    seconds: float = 0.0


class Project:
    #: Extra arguments of every `inv db.apply` (``--batch-size N``).
    apply_args: ClassVar[list[str]] = []
    #: Every Nth generated migration builds its index CONCURRENTLY (0: none).
    concurrently_every: ClassVar[int] = 0

    def __init__(self, sandbox: Sandbox, count: int, apply_args: list[str] | None = None) -> None:
        if apply_args is not None:
            self.apply_args = apply_args
        info = sandbox.create_project()
        self.ref, self.db_url = info["ref"], info["db_url"]
        self.dir = Path(tempfile.mkdtemp(prefix="mt-stress-"))
        (self.dir / "tasks.py").write_text(TASKS_PY)
        workload.generate(self.dir / "supabase" / "migrations", count, self.concurrently_every)
        self.count = count
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SUPABASE_")}
        self.env.update(
            SUPABASE_API_URL=sandbox.api_url,
            SUPABASE_PROJECT_REF=self.ref,
            SUPABASE_ACCESS_TOKEN=sandbox.state["token"],
        )

    def start_apply(self) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "invoke", "db.apply", *self.apply_args],
            cwd=self.dir,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def audit(self) -> workload.Audit:
        with psycopg.connect(self.db_url, autocommit=True) as conn:
            return workload.audit(conn, self.count)


def judge(row: Row, token: str, outputs: list[str], found: workload.Audit, *, final: bool = True) -> None:
    row.trials += 1
    if final or not Project.concurrently_every:  # mid-way, a migration of several parts may be half-way
        row.half_applied += len(found.half_applied)
    row.invalid_indexes += len(found.invalid_indexes) if final else 0
    row.double_applied += len(found.double_applied)
    row.tracebacks += sum("Traceback" in text for text in outputs)
    row.secrets_leaked += sum(token in text for text in outputs)


def kill_scenario(sandbox: Sandbox, kills: int, count: int, rng: random.Random) -> Row:
    row = Row(f"kill -9 during apply of {count}")
    started = time.monotonic()
    token = sandbox.state["token"]
    project = Project(sandbox, count)
    for _ in range(kills):
        if len(project.audit().applied) == count:
            project = Project(sandbox, count)
        process = project.start_apply()
        time.sleep(rng.uniform(0.05, 1.5))
        process.kill()
        out, err = process.communicate()
        judge(row, token, [out, err], project.audit(), final=False)
        # the rerun after each kill is what a user does; it must complete
    final = project.start_apply()
    out, err = final.communicate()
    found = project.audit()
    judge(row, token, [out, err], found)
    if final.returncode != 0 or len(found.applied) != count:
        row.failed_runs += 1
    row.seconds = time.monotonic() - started
    return row


def concurrent_scenario(sandbox: Sandbox, trials: int, count: int) -> Row:
    row = Row(f"4 concurrent appliers x {count}")
    started = time.monotonic()
    token = sandbox.state["token"]
    for _ in range(trials):
        project = Project(sandbox, count)
        processes = [project.start_apply() for _ in range(4)]
        outputs: list[str] = []
        for process in processes:
            out, err = process.communicate()
            outputs += [out, err]
            row.failed_runs += process.returncode != 0
        found = project.audit()
        judge(row, token, outputs, found)
        row.failed_runs += len(found.applied) != count
    row.seconds = time.monotonic() - started
    return row


def single_scenario(
    sandbox: Sandbox,
    name: str,
    count: int,
    runs: int = 1,
    apply_args: list[str] | None = None,
    *,
    rate_limited: bool = False,
) -> Row:
    row = Row(name)
    started = time.monotonic()
    paced = False
    for _ in range(runs):
        project = Project(sandbox, count, apply_args)
        process = project.start_apply()
        out, err = process.communicate()
        found = project.audit()
        judge(row, sandbox.state["token"], [out, err], found)
        failed = process.returncode != 0 or len(found.applied) != count
        row.failed_runs += failed
        if failed:  # say what went wrong, not only that something did
            tail = "\n    ".join((out + err).strip().splitlines()[-8:])
            print(
                f"  {name}: exit {process.returncode}, {len(found.applied)} of {count} applied:\n    {tail}",
                file=sys.stderr,
            )
        paced = paced or "for the window to reset" in out + err
    row.seconds = time.monotonic() - started
    assert sandbox.api is not None
    if rate_limited:  # not a name test: "--fail-rate" holds "rate" too, and that row never paces
        row.failed_runs += sandbox.api.stats["rate_limited"]  # a 429 that reached us counts as a failure
        row.failed_runs += not paced  # the limit was never met: the row proved nothing
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer trials (for a quick look)")
    parser.add_argument("--seed", type=int, default=20251126, help="random seed for kill moments and 503s")
    parser.add_argument("--batch-size", type=int, default=0, help="migrations per request (default: db.apply's)")
    parser.add_argument(
        "--concurrently", type=int, default=0, metavar="N", help="every Nth migration builds its index CONCURRENTLY"
    )
    args = parser.parse_args()
    Project.concurrently_every = args.concurrently
    rng = random.Random(args.seed)
    Project.apply_args = ["--batch-size", str(args.batch_size)] if args.batch_size else []
    kills, concurrent, count = (10, 5, 20) if args.quick else (100, 50, 50)
    rows: list[Row] = []
    print("Starting sandboxes...", file=sys.stderr, flush=True)
    with Sandbox(faults=Faults(latency_ms=20)) as plain:
        rows.append(kill_scenario(plain, kills, count, rng))
        print(f"  kill scenario done ({rows[-1].seconds:.0f}s)", file=sys.stderr, flush=True)
        rows.append(concurrent_scenario(plain, concurrent, 10))
        print(f"  concurrent scenario done ({rows[-1].seconds:.0f}s)", file=sys.stderr, flush=True)
    # one request per migration, more of them than the window allows, so pacing must act
    limit, window, rate_count = (20, 10.0, 40) if args.quick else (60, 60.0, 80)
    with Sandbox(faults=Faults(rate_limit=limit, rate_window=window)) as limited:
        name = f"apply under --rate-limit {limit}" + (f" --rate-window {window:g}" if args.quick else "")
        rows.append(
            single_scenario(
                limited, f"{name}, --batch-size 1", rate_count, apply_args=["--batch-size", "1"], rate_limited=True
            )
        )
        print(f"  rate-limit scenario done ({rows[-1].seconds:.0f}s)", file=sys.stderr, flush=True)
    with Sandbox(faults=Faults(drop_every=4, fail_every=7)) as lossy:
        rows.append(single_scenario(lossy, "lost answers and 503s", count))
    with Sandbox(faults=Faults(fail_every=2)) as alternating:
        rows.append(single_scenario(alternating, "503 on every other request", count))
        print(f"  lockstep scenario done ({rows[-1].seconds:.0f}s)", file=sys.stderr, flush=True)
    with Sandbox(faults=Faults(fail_rate=0.5, seed=args.seed)) as random_503s:
        runs = 3 if args.quick else 10
        rows.append(single_scenario(random_503s, f"--fail-rate 0.5, {runs} applies of {count}", count, runs))
        print(f"  random 503 scenario done ({rows[-1].seconds:.0f}s)", file=sys.stderr, flush=True)
    if args.concurrently:
        for r in rows:
            r.scenario += f" (1 index in {args.concurrently} CONCURRENTLY)"
    headers = [
        "scenario",
        "trials",
        "half-applied",
        "double applies",
        "tracebacks",
        "secrets leaked",
        "invalid indexes",
        "failed runs",
        "seconds",
    ]
    table = [
        [
            r.scenario,
            str(r.trials),
            str(r.half_applied),
            str(r.double_applied),
            str(r.tracebacks),
            str(r.secrets_leaked),
            str(r.invalid_indexes),
            str(r.failed_runs),
            f"{r.seconds:.0f}",
        ]
        for r in rows
    ]
    widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(headers)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for line in table:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(line, widths)) + " |")
    bad = sum(
        r.half_applied + r.double_applied + r.tracebacks + r.secrets_leaked + r.invalid_indexes + r.failed_runs
        for r in rows
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
