"""db.pull --schemas on the sandbox: a dashboard-made project moves to declarative files, proven."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Project, SandboxProcess, fresh_project, run_inv, user_project
from declarative import ZOO, Declarative, admin_url, apply_to, schema_dump, settings

from migrations_tasks.authoring.diff.check import schemas_differences
from migrations_tasks.authoring.diff.results import DiffStatus
from migrations_tasks.history.migrations import load

DASHBOARD = "".join(ZOO.values())


@pytest.fixture
def other_project(sandbox: SandboxProcess) -> Iterator[Project]:
    """A second fresh project: the schema files are built on it for pg_dump."""
    yield from fresh_project(sandbox)


def dashboard(project: Project, sql: str) -> None:
    """Change the live database as the dashboard's SQL editor does: through the API."""
    status, body = project.sandbox.call("POST", f"/v1/projects/{project.ref}/database/query", {"query": sql})
    assert status == 201, body


def test_a_dashboard_project_gets_schema_files_that_dump_as_the_live_database_and_then_nothing_differs(
    sandbox: SandboxProcess, project: Project, other_project: Project, tmp_path: Path
) -> None:
    root = user_project(tmp_path)
    work = Declarative(sandbox, root)
    work.schemas.rmdir()
    env = {
        **{k: v for k, v in project.env.items() if k != "SUPABASE_DB_URL"},
        "MIGRATIONS_DRIFT_DB_URL": sandbox.db_url,
    }
    dashboard(project, DASHBOARD)
    pulled = run_inv("db.pull", "--schemas", "--name", "start", "--json", cwd=root, env=env, timeout=300)
    assert pulled.returncode == 0, pulled.stderr
    doc = json.loads(pulled.stdout)
    assert doc["status"] == "written" and doc["recorded"] is True and doc["schemas"] == "written"
    names = [Path(f).name for f in doc["schema_files"]]
    assert names == ["10_app.sql", "20_public.sql", "30_database.sql"], names
    assert "CREATE PUBLICATION notes_pub" in (work.schemas / "30_database.sql").read_text(encoding="utf-8")
    apply_to(other_project, work.schema())
    assert schema_dump(admin_url(sandbox, other_project)) == schema_dump(admin_url(sandbox, project))
    assert work.diff("again").status is DiffStatus.NOTHING
    assert schemas_differences(load(work.migrations), settings(sandbox, root), work.supabase) == []

    dashboard(project, "alter table public.notes add column pinned boolean not null default false;")
    only = run_inv("db.pull", "--schemas-only", cwd=root, env=env, timeout=300)
    assert only.returncode == 0, only.stderr
    assert "Wrote 1 change into" in only.stdout and "30_database.sql" in only.stdout
    assert "ADD COLUMN pinned boolean DEFAULT false NOT NULL" in (work.schemas / "30_database.sql").read_text()
    assert len(list(work.migrations.glob("*.sql"))) == 1, "no migration with --schemas-only"
    again = run_inv("db.pull", "--schemas-only", "--dry-run", "--json", cwd=root, env=env, timeout=300)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout).items() >= {"schemas": "nothing", "migration": False, "schema_files": []}.items()


def test_what_schema_files_cannot_express_is_named_and_drops_stay_commented_out(
    sandbox: SandboxProcess, project: Project, tmp_path: Path
) -> None:
    root = user_project(tmp_path)
    work = Declarative(sandbox, root)
    declared = "create table public.t (id int);\ncreate table public.gone (id int);\n"
    work.write({"10_t.sql": declared})
    env = {
        **{k: v for k, v in project.env.items() if k != "SUPABASE_DB_URL"},
        "MIGRATIONS_DRIFT_DB_URL": sandbox.db_url,
    }
    setting = "do $$ begin execute format('alter database %I {}', current_database()); end $$;"
    dashboard(project, "create table public.t (id int);\n" + setting.format("set search_path = public, extensions"))
    refused = run_inv("db.pull", "--schemas-only", cwd=root, env=env, timeout=300)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "Could not produce proven schema files" in refused.stderr
    assert "database setting search_path" in refused.stderr
    assert (work.schemas / "10_t.sql").read_text(encoding="utf-8") == declared
    dashboard(project, setting.format('set search_path = "$user", public, extensions'))  # the template's again
    kept = run_inv("db.pull", "--schemas-only", cwd=root, env=env, timeout=300)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    text = (work.schemas / "10_t.sql").read_text(encoding="utf-8")
    assert text.startswith(declared) and text.endswith(
        "stay commented out (inv db.pull\n"
        "-- --schemas --include-drops writes them; better: remove the objects from the files above).\n"
        "-- DROP TABLE public.gone;\n"
    )
