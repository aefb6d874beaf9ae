"""Benchmark rows: ``inv db.apply --target fleet`` on 12 projects of one sandbox at --latency-ms 100.

The same 30 migrations go to 12 fresh projects with ``--parallel 6``; on 12 others one project after another as
a shell loop does it today (``inv db.apply --target pNN`` twelve times); on 12 more with ``--parallel 1`` (one
after another in one process). The ratios of the wall times are measured in one run.
Imported by scripts/benchmark.py (``--only fleet``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_rows import TASKS_PY, Row, ms

from migrations_tasks.sandbox import Faults, Sandbox, workload

PROJECTS, MIGRATIONS, LATENCY_MS = 12, 30, 100


def fleet_config(sandbox: Sandbox, directory: Path) -> dict[str, str]:
    """Name 12 fresh projects p01..p12 (group ``fleet``) in invoke.yaml; return the environment to run inv in."""
    refs = [sandbox.create_project()["ref"] for _ in range(PROJECTS)]
    targets = "\n".join(f"    p{i:02d}: {{project_ref: {ref}}}" for i, ref in enumerate(refs, 1))
    names = ", ".join(f"p{i:02d}" for i in range(1, PROJECTS + 1))
    (directory / "invoke.yaml").write_text(
        f"migrations:\n  targets:\n{targets}\n  target_groups:\n    fleet: [{names}]\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPABASE_", "MIGRATIONS_"))}
    env.update(SUPABASE_API_URL=sandbox.api_url, SUPABASE_ACCESS_TOKEN=sandbox.state["token"])
    return env


def shell_loop(sandbox: Sandbox, directory: Path) -> float:
    """Apply the migrations to 12 fresh projects one after another, one ``inv db.apply`` each; return the time."""
    env = fleet_config(sandbox, directory)
    t = time.perf_counter()
    for i in range(1, PROJECTS + 1):
        command = [sys.executable, "-m", "invoke", "db.apply", "--target", f"p{i:02d}"]
        subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - t


def fleet_apply(sandbox: Sandbox, directory: Path, parallel: int) -> tuple[float, dict[str, object]]:
    """Apply the migrations to 12 fresh projects with ``--parallel``; return the wall time and the JSON document."""
    env = fleet_config(sandbox, directory)
    command = [sys.executable, "-m", "invoke", "db.apply", "--target", "fleet", "--parallel", str(parallel), "--json"]
    t = time.perf_counter()
    result = subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    document = json.loads(result.stdout)
    assert result.returncode == 0 and all(t["applied"] == MIGRATIONS for t in document["targets"]), result.stderr
    return wall, document


def fleet_rows() -> list[Row]:
    directory = Path(tempfile.mkdtemp(prefix="mt-bench-fleet-"))
    (directory / "tasks.py").write_text(TASKS_PY)
    workload.generate(directory / "supabase" / "migrations", MIGRATIONS)
    with Sandbox(faults=Faults(latency_ms=LATENCY_MS)) as sandbox:
        loop = shell_loop(sandbox, directory)
        serial, _ = fleet_apply(sandbox, directory, 1)
        wall, document = fleet_apply(sandbox, directory, 6)
    requests = [int(t["requests"]) for t in document["targets"]]  # type: ignore[index]
    return [
        Row(
            f"db.apply --target fleet: {MIGRATIONS} migrations to each of {PROJECTS} projects, --parallel 6, "
            f"latency {LATENCY_MS} ms",
            f"{sum(requests)} ({max(requests)} per project at most)",
            ms(wall),
            ratio=f"{wall / loop:.2f}",
            note=f"one project after another: {ms(loop)} as twelve `inv db.apply` (ratio = fleet / that), "
            f"{ms(serial)} as --parallel 1 (ratio {wall / serial:.2f}); target: at most 3 requests per project, "
            "well under half the time",
        )
    ]


def fleet_group(groups: set[str], quick: bool, step: Callable[[str], None]) -> list[Row]:
    """The fleet row when ``fleet`` is among the groups."""
    if "fleet" not in groups:
        return []
    step(f"fleet: {PROJECTS} projects at latency {LATENCY_MS} ms")
    return fleet_rows()
