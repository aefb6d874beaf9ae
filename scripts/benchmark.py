#!/usr/bin/env python3
"""Measure migrations-tasks: requests, wall time, client overhead, memory, start-up, and peers side by side.

    python scripts/benchmark.py            # the full run (about ten minutes)
    python scripts/benchmark.py --quick    # smaller workloads, same rows
    python scripts/benchmark.py --markdown docs/benchmark.md   # also write the table there

Everything runs on loopback against the sandbox (embedded PostgreSQL + local Management API) with
--latency-ms 0 and 20. Nothing here asserts on time: it prints figures and ratios.

Rows:
* check/local: discover + parse + plan of N files with no network (the 1.5 s / 150 MB targets);
* check, apply: through the API; requests counted by the client and by the sandbox; "client overhead"
  is wall time minus the time spent waiting for answers, per migration (the 5 ms target);
* verify: requests besides drift, and drift time (when db.verify exists);
* start-up: `inv --list` in a project using the collection (the 0.35 s target);
* check, apply: batched (the default, 50 migrations per request) and unbatched (``--batch-size 1``), side
  by side; 300 migrations batched must take at most 10 requests;
* rate limit: apply of 300 migrations under --rate-limit 120 unbatched, and under --rate-limit 30
  batched (target: under a minute) next to unbatched: 429s seen, time vs the minimum the limit allows;
* direct: `inv db.apply --transport postgres` (batched, and with --batch-size 1) vs dbmate and
  yoyo-migrations applying the same 1,000 generated files to a fresh database, interleaved, medians of
  >= 5 trials, ratio ours/peer; no client overhead there (a peer's waiting cannot be measured from
  outside): the note gives the wall time per migration;
* preflight: `inv db.lint --all` of 350 files, and `inv db.plan` of 10 pending migrations (each altering an
  existing table, with down SQL) on top of 350 applied: requests to the project, wall time;
* fleet: ``inv db.apply --target fleet`` of 30 migrations to 12 projects at --latency-ms 100, ``--parallel 6``
  next to ``--parallel 1`` (one project after another): requests per project, the ratio of the wall times;
* planscale (only with ``--only planscale``): `inv db.plan` of one pending migration of 51, 1,000 and 5,000
  statements, one LOCK TABLE of 160 tables, and 200 data checks on a table of 200,000 rows;
* catalog (only with ``--only catalog``): the catalog snapshot (requests, time, size) and ``inv db.verify`` with
  its drift check on a generated realistic history of 350 migrations (scripts/bench_catalog.py).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_catalog import catalog_group
from bench_fleet import fleet_group
from bench_peers import peers_rows
from bench_plan_scale import plan_scale_group
from bench_preflight import preflight_group
from bench_rows import TASKS_PY, Row, median, ms

from migrations_tasks.config.settings import load_settings
from migrations_tasks.engine import Engine
from migrations_tasks.history.migrations import load
from migrations_tasks.sandbox import Faults, Sandbox, workload
from migrations_tasks.transport.connect import connect


def settings_for(sandbox: Sandbox, ref: str, directory: Path, batch_size: int = 50) -> Any:
    env = {
        "SUPABASE_API_URL": sandbox.api_url,
        "SUPABASE_PROJECT_REF": ref,
        "SUPABASE_ACCESS_TOKEN": sandbox.state["token"],
    }
    config = {"migrations": {"batch_size": batch_size}}
    return load_settings(config, flags={"migrations_dir": str(directory)}, environ=env, dotenv_path=None)


def batching(batch_size: int) -> str:
    return "unbatched (--batch-size 1)" if batch_size == 1 else f"batched ({batch_size} per request)"


def local_work(count: int, directory: Path) -> Row:
    """Discover + parse + plan in a fresh interpreter, to read its peak memory cleanly."""
    code = (
        "import resource, time, sys\n"
        "from pathlib import Path\n"
        "t = time.perf_counter()\n"
        "from migrations_tasks.history.migrations import load\n"
        "from migrations_tasks.history.ledger import Ledger\n"
        "from migrations_tasks.history.status import build\n"
        f"local = load(Path({str(directory)!r}))\n"
        "plan = build(local.migrations, Ledger(exists=False))\n"
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    runs = []
    memory = 0.0
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        seconds, rss = (float(x) for x in out.split())
        runs.append(seconds)
        memory = max(memory, rss)
    return Row(
        f"check, local work only: {count} files (discover+parse+plan)",
        "0",
        ms(median(runs)),
        memory=f"{memory:.0f} MB",
        note="target < 1.5 s, < 150 MB",
    )


@dataclass
class Runs:
    """What several check-then-apply runs measured."""

    check_walls: list[float]
    apply_walls: list[float]
    overheads: list[float]
    requests: list[int]
    check_requests: int = 0


def measure_runs(sandbox: Sandbox, directory: Path, count: int, runs: int, batch_size: int) -> Runs:
    """Check then apply ``count`` generated migrations ``runs`` times, each on a fresh project."""
    local = load(directory)
    out = Runs([], [], [], [])
    for _ in range(runs):
        project = sandbox.create_project()
        settings = settings_for(sandbox, project["ref"], directory, batch_size)
        db: Any = connect(settings.target, settings)
        engine = Engine(db, settings)
        t = time.perf_counter()
        engine.check(local)
        out.check_walls.append(time.perf_counter() - t)
        out.check_requests = db.requests
        before_requests, before_net = db.requests, db.network_seconds
        t = time.perf_counter()
        result = engine.apply(local)
        wall = time.perf_counter() - t
        assert len(result.applied) == count
        out.apply_walls.append(wall)
        out.overheads.append((wall - (db.network_seconds - before_net)) / count)
        out.requests.append(db.requests - before_requests)
        db.close()
        sandbox.delete_project(project["ref"])
    return out


def api_rows(sandbox: Sandbox, latency: int, sizes: list[int], runs: int) -> list[Row]:
    """db.check, then db.apply unbatched and batched side by side, for each size."""
    rows = []
    for count in sizes:
        directory = Path(tempfile.mkdtemp(prefix="mt-bench-"))
        workload.generate(directory, count)
        for batch_size in (1, 50):
            found = measure_runs(sandbox, directory, count, runs, batch_size)
            if batch_size == 1:
                rows.append(
                    Row(
                        f"db.check, {count} migrations, latency {latency} ms",
                        str(found.check_requests),
                        ms(median(found.check_walls)),
                        note="target: exactly 1 request",
                    )
                )
            expected = count + 1 if batch_size == 1 else -(-count // batch_size) + 1
            target = "; target <= 10 requests" if count == 300 and batch_size > 1 else ""
            rows.append(
                Row(
                    f"db.apply, {count} migrations, latency {latency} ms, {batching(batch_size)}",
                    str(found.requests[0]),
                    ms(median(found.apply_walls)),
                    f"{median(found.overheads) * 1000:.2f} ms/migration",
                    note=f"{expected} plus 1 to create the ledger{target}; target overhead < 5 ms",
                )
            )
        shutil.rmtree(directory, ignore_errors=True)
    return rows


def verify_row(sandbox: Sandbox, count: int) -> list[Row]:
    """db.verify through the CLI, if this version has it."""
    directory = Path(tempfile.mkdtemp(prefix="mt-bench-verify-"))
    (directory / "tasks.py").write_text(TASKS_PY)
    migrations = directory / "supabase" / "migrations"
    workload.generate(migrations, count)
    project = sandbox.create_project()
    env = dict(
        os.environ,
        SUPABASE_API_URL=sandbox.api_url,
        SUPABASE_PROJECT_REF=project["ref"],
        SUPABASE_ACCESS_TOKEN=sandbox.state["token"],
    )
    listed = subprocess.run(
        [sys.executable, "-m", "invoke", "--list"], cwd=directory, env=env, capture_output=True, text=True, check=False
    ).stdout
    if "db.verify" not in listed:
        return [Row("db.verify", note="not available in this version")]
    subprocess.run(
        [sys.executable, "-m", "invoke", "db.apply"], cwd=directory, env=env, capture_output=True, check=True
    )
    rows = []
    for label, args in (("without drift", ["--no-drift"]), ("with drift", [])):
        before = sandbox.api.stats["by_project"].get(project["ref"], 0) if sandbox.api else 0
        t = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "invoke", "db.verify", "--json", *args],
            cwd=directory,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - t
        after = sandbox.api.stats["by_project"].get(project["ref"], 0) if sandbox.api else 0
        note = f"exit {result.returncode}"
        try:
            doc = json.loads(result.stdout)
            note += f"; reported requests: {doc.get('requests')}"
            drift = doc.get("drift_seconds") or doc.get("timings", {}).get("drift")
            if drift:
                note += f"; drift {float(drift):.2f} s"
        except ValueError:
            pass
        rows.append(Row(f"db.verify {label}, {count} migrations", str(after - before), ms(wall), note=note))
    return rows


def startup_row(runs: int) -> Row:
    directory = Path(tempfile.mkdtemp(prefix="mt-bench-startup-"))
    (directory / "tasks.py").write_text(TASKS_PY)
    inv = Path(sys.executable).parent / "inv"
    walls = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([str(inv), "--list"], cwd=directory, capture_output=True, check=True)
        walls.append(time.perf_counter() - t)
    bare = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import invoke.program"], capture_output=True, check=True)
        bare.append(time.perf_counter() - t)
    return Row(
        "inv --list (start-up)",
        "0",
        ms(median(walls)),
        note=f"target < 0.35 s; Python + Invoke alone: {ms(median(bare))}",
    )


def rate_limit_row(count: int, limit: int, batch_size: int) -> Row:
    with Sandbox(faults=Faults(rate_limit=limit)) as sandbox:
        directory = Path(tempfile.mkdtemp(prefix="mt-bench-rate-"))
        workload.generate(directory, count)
        project = sandbox.create_project()
        settings = settings_for(sandbox, project["ref"], directory, batch_size)
        waits: list[str] = []
        db: Any = connect(settings.target, settings, on_wait=waits.append)
        t = time.perf_counter()
        result = Engine(db, settings).apply(load(directory))
        wall = time.perf_counter() - t
        assert len(result.applied) == count
        assert sandbox.api is not None
        limited = sandbox.api.stats["rate_limited"]
        requests = db.requests
        windows = (requests - 1) // limit  # full windows to wait through before the last request
        minimum = windows * 60.0
        target = "; target < 60 s" if batch_size > 1 else ""
        return Row(
            f"db.apply {count} migrations under --rate-limit {limit}, {batching(batch_size)}",
            str(requests),
            ms(wall),
            note=f"429s seen: {limited}; "
            + (f"minimum the limit allows ~{minimum:.0f} s (ratio {wall / minimum:.2f})" if minimum else "one window")
            + f"; {len(waits)} announced waits{target}",
        )


def rate_rows(quick: bool) -> list[Row]:
    """Unbatched under Supabase's limit, then batched and unbatched under a quarter of it."""
    runs = [(40, 30, 1), (40, 30, 50)] if quick else [(300, 120, 1), (300, 30, 50), (300, 30, 1)]
    return [rate_limit_row(count, limit, batch_size) for count, limit, batch_size in runs]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{datetime.date.today().isoformat()}, {cpu}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.system()} {platform.release()}"
    )


def render(rows: list[Row]) -> str:
    headers = ["workload", "requests", "wall (median)", "client overhead", "peak memory", "ratio", "notes"]
    table = [[r.workload, r.requests, r.wall, r.overhead, r.memory, r.ratio, r.note] for r in rows]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in table]
    return "\n".join(lines)


def sandbox_rows(groups: set[str], quick: bool, step: Callable[[str], None]) -> list[Row]:
    """The API workloads, unbatched and batched, at latency 0 and 20 ms; db.verify at 20 ms."""
    rows: list[Row] = []
    for latency in (0, 20):
        with Sandbox(faults=Faults(latency_ms=latency)) as sandbox:
            if "api" in groups:
                step(f"API workloads, latency {latency} ms")
                sizes = [10, 100, 300] if quick else [10, 100, 300, 1000]
                rows += api_rows(sandbox, latency, sizes, 1 if quick else 3)
            if "verify" in groups and latency == 20:
                step("db.verify")
                rows += verify_row(sandbox, 50 if quick else 200)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller workloads and fewer runs")
    parser.add_argument("--markdown", type=Path, help="also write the table (with date and machine) here")
    parser.add_argument(
        "--catalog-history",
        type=Path,
        help="the catalog rows on a real project's supabase/migrations folder (its first 350 files, read in place)",
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated row groups: local,api,verify,startup,rate,peers,preflight,fleet; planscale and "
        "catalog (not in the default)",
    )
    args = parser.parse_args()
    all_groups = {"local", "api", "verify", "startup", "rate", "peers", "preflight", "fleet"}
    groups = set(args.only.split(",")) if args.only else all_groups
    quick = args.quick
    rows: list[Row] = []

    def step(name: str) -> None:
        print(f"benchmark: {name}...", file=sys.stderr, flush=True)

    if "local" in groups:
        for count in [1000] if quick else [1000, 4400]:
            step(f"local work, {count} files")
            directory = Path(tempfile.mkdtemp(prefix="mt-bench-local-"))
            workload.generate(directory, count)
            rows.append(local_work(count, directory))
    if "api" in groups or "verify" in groups:
        rows += sandbox_rows(groups, quick, step)
    if "startup" in groups:
        step("start-up")
        rows.append(startup_row(5 if quick else 15))
    if "rate" in groups:
        step("rate limit (this one takes minutes: the limit is the point)")
        rows += rate_rows(quick)
    if "peers" in groups:
        step("peers on a direct connection")
        with Sandbox() as sandbox:
            rows += peers_rows(sandbox, 200 if quick else 1000, 3 if quick else 5)
    rows += preflight_group(groups, quick, step)
    rows += plan_scale_group(groups, quick, step)
    rows += fleet_group(groups, quick, step)
    rows += catalog_group(groups, quick, step, args.catalog_history)
    text = render(rows)
    print(f"\nmigrations-tasks benchmark: {machine()}\n")
    print(text)
    if args.markdown:
        args.markdown.write_text(
            f"# Benchmark figures\n\nMeasured {machine()}, with `nox -s benchmark -- "
            f"{'--quick ' if quick else ''}--markdown docs/benchmark.md` (`python scripts/benchmark.py` with dbmate "
            f"and yoyo-migrations installed; see the script's docstring for what each row means).\n\n{text}\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
