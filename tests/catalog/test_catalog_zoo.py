"""The catalog against the oracle: every out-of-band change that pg_dump --schema-only shows is a difference."""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from conftest import Project, SandboxFactory, SandboxProcess, fresh_project
from hostile import apply_all, out_of_band
from zoo import CASES, Case

from migrations_tasks import catalog
from migrations_tasks.sandbox.embedded import binaries
from migrations_tasks.secret import Secret
from migrations_tasks.transport.postgres import PostgresDatabase

EXAMPLES = Path(__file__).resolve().parents[2] / "supabase" / "migrations"


def snapshot(url: str) -> catalog.Snapshot:
    db = PostgresDatabase(Secret(url))
    try:
        return catalog.Snapshot.from_row(db.execute(catalog.request(), write=False)[0])
    finally:
        db.close()


def admin_url(sandbox: SandboxProcess, project: Project) -> str:
    """Return the sandbox's administrator URL for the project's database (pg_dump reads everything)."""
    admin, mine = urlsplit(sandbox.db_url), urlsplit(project.db_url)
    return urlunsplit(admin._replace(path=mine.path))


def schema_dump(url: str) -> str:
    """Return ``pg_dump --schema-only``, without the lines that change at every run."""
    done = subprocess.run(
        [str(binaries() / "pg_dump"), "--schema-only", f"--dbname={url}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return "\n".join(
        line for line in done.stdout.splitlines() if not line.startswith(("\\restrict", "\\unrestrict", "-- Dumped"))
    )


def run_change(project: Project, sql: str, fails: bool) -> None:
    """Run each statement in its own request, as the dashboard's SQL editor would (one may fail on purpose)."""
    from migrations_tasks import sql as sqltext

    for piece in sqltext.split(sql):
        statement = sql[piece.start : piece.end]
        status, body = project.sandbox.call("POST", f"/v1/projects/{project.ref}/database/query", {"query": statement})
        assert status == 201 or fails, (statement, body)


#: The flags of the sandbox that changes to the cluster run on, apart from every other test's.
OWN_CLUSTER = ("--latency-ms", "0")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_change_pg_dump_shows_is_named_by_the_one_comparison(
    case: Case, sandbox_factory: SandboxFactory, sandbox: SandboxProcess
) -> None:
    server = sandbox_factory(*OWN_CLUSTER) if case.undo else sandbox
    for project in fresh_project(server):
        try:
            compared(case, project, server)
        finally:
            if case.undo:
                out_of_band(project, case.undo)


#: The catalog and dump of a project with the examples applied, per sandbox: the same for every case without
#: setup, so read once (a snapshot and a pg_dump fewer per case).
_BASELINES: dict[str, tuple[catalog.Snapshot, str]] = {}


def baseline(case: Case, project: Project, url: str) -> tuple[catalog.Snapshot, str]:
    """Return the catalog and dump before the change (read once per sandbox for the cases without setup)."""
    if case.setup:
        return snapshot(project.db_url), schema_dump(url)
    key = project.sandbox.db_url
    if key not in _BASELINES:
        _BASELINES[key] = snapshot(project.db_url), schema_dump(url)
    return _BASELINES[key]


def compared(case: Case, project: Project, sandbox: SandboxProcess) -> None:
    """Make the change; the comparison must name it, and pg_dump must show it (unless it cannot)."""
    apply_all(project, EXAMPLES)
    if case.setup:
        out_of_band(project, case.setup)
    url = admin_url(sandbox, project)
    before, dump_before = baseline(case, project, url)
    run_change(project, case.sql, case.fails)
    after, dump_after = snapshot(project.db_url), schema_dump(url)
    assert (dump_before != dump_after) is case.in_dump, "the case changes what pg_dump shows"
    found = catalog.compare(before, after)
    said = "\n".join(d.describe() for d in found)
    assert found, f"pg_dump shows the change, the catalog does not: {case.sql}"
    assert any(word in said for word in case.names.split("|")), said


def test_the_catalog_of_an_unchanged_project_equals_itself_and_its_dump(
    project: Project, sandbox: SandboxProcess
) -> None:
    apply_all(project, EXAMPLES)
    assert catalog.compare(snapshot(project.db_url), snapshot(project.db_url)) == []
