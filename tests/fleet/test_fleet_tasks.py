"""The database tasks over a fleet: twelve projects of one sandbox, named in invoke.yaml, in one command.

One sandbox (the session's) and twelve projects serve the whole module; the scenario runs in the order a
team meets it: check all, a failing canary that stops the rest, an apply that goes on past a failure.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import MigrationDir, Project, SandboxProcess, run_inv, user_project

MIGRATIONS = 30


@pytest.fixture(scope="module")
def fleet(sandbox: SandboxProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[Project]]]:
    """A user's project whose invoke.yaml names twelve sandbox projects t01..t12, grouped as `fleet`."""
    projects = [sandbox.new_project() for _ in range(12)]
    root = user_project(tmp_path_factory.mktemp("fleet"))
    migrations = MigrationDir(root / "supabase" / "migrations")
    for n in range(1, MIGRATIONS + 1):
        migrations.write(f"202601010000{n:02d}_t{n}.sql", f"create table public.t{n} (id bigint primary key);\n")
    names = [f"t{i:02d}" for i in range(1, 13)]
    targets = "\n".join(f"    {name}: {{project_ref: {p.ref}}}" for name, p in zip(names, projects))
    (root / "invoke.yaml").write_text(
        f"migrations:\n  targets:\n{targets}\n  target_groups:\n    fleet: [{', '.join(names)}]\n", encoding="utf-8"
    )
    (root / ".env").write_text(
        f"SUPABASE_ACCESS_TOKEN={sandbox.token}\nSUPABASE_API_URL={sandbox.api_url}\n", encoding="utf-8"
    )
    yield root, projects
    for project in projects:
        project.close()
        sandbox.call("DELETE", f"/_sandbox/projects/{project.ref}")


def requests_by_project(sandbox: SandboxProcess) -> dict[str, int]:
    _, stats = sandbox.call("GET", "/_sandbox/stats")
    return dict(stats["by_project"])


def test_a_fleet_is_checked_as_one_document_a_failing_canary_stops_the_rest_and_continue_goes_past_a_failure(
    fleet: tuple[Path, list[Project]], sandbox: SandboxProcess
) -> None:
    root, projects = fleet
    checked = run_inv("db.check", "--target", "fleet", "--json", cwd=root)
    document = json.loads(checked.stdout)
    assert checked.returncode == 1 and document["exit_code"] == 1
    assert [t["target"] for t in document["targets"]] == [f"t{i:02d}" for i in range(1, 13)]
    assert {(t["status"], t["pending"]) for t in document["targets"]} == {("pending", MIGRATIONS)}

    projects[0].sql("create table public.t7 (id int)")  # t01 conflicts with the seventh migration
    before = requests_by_project(sandbox)
    canary = run_inv("db.apply", "--target", "fleet", "--canary", "1", cwd=root)
    after = requests_by_project(sandbox)
    assert canary.returncode == 1, canary.stderr
    assert [p.ref for p in projects if after.get(p.ref, 0) != before.get(p.ref, 0)] == [projects[0].ref]
    assert "not-started" in canary.stdout and "the canary t01 failed" in canary.stdout

    applied = run_inv("db.apply", "--target", "fleet", "--parallel", "6", "--on-error", "continue", cwd=root)
    final = requests_by_project(sandbox)
    assert applied.returncode == 1, applied.stderr
    rows = {line.split()[0]: line for line in applied.stdout.splitlines() if line.startswith("t")}
    assert "failed" in rows["t01"] and "20260101000007" in rows["t01"] and "already exists" in rows["t01"]
    assert all(f"ok      {MIGRATIONS}/0" in rows[f"t{i:02d}"] for i in range(2, 13)), applied.stdout
    assert max(final[p.ref] - after.get(p.ref, 0) for p in projects[1:]) <= 3
    assert "db.apply on 12 targets: 1 failed, 11 ok (exit 1)." in applied.stdout
