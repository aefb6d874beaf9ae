"""db.check and migrations_pr's step: a schema file changed without its migration fails; no schemas, nothing new."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import Project, SandboxProcess, run_inv, user_project
from declarative import Declarative

from migrations_tasks.authoring.diff.results import DiffStatus
from migrations_tasks.wording import SCHEMAS_AHEAD

SCHEMA = {
    "10_notes.sql": "create table public.notes (id bigint primary key, body text not null);\n"
    "alter table public.notes enable row level security;\n"
}


def applied_project(sandbox: SandboxProcess, project: Project, root: Path) -> tuple[Declarative, dict[str, str]]:
    """Return a project whose schema files, migration (written by db.diff) and live ledger agree."""
    work = Declarative(sandbox, user_project(root))
    work.write(SCHEMA)
    assert work.diff("init").status is DiffStatus.WRITTEN
    env = {**project.env, "MIGRATIONS_DRIFT_DB_URL": sandbox.db_url}
    done = run_inv("db.apply", cwd=root, env=env)
    assert done.returncode == 0, done.stderr
    return work, env


def test_db_check_fails_when_a_schema_file_changed_without_its_migration(
    sandbox: SandboxProcess, project: Project, tmp_path: Path
) -> None:
    work, env = applied_project(sandbox, project, tmp_path)
    agreed = run_inv("db.check", cwd=tmp_path, env=env)
    assert agreed.returncode == 0, agreed.stdout + agreed.stderr
    assert "supabase/schemas agrees with the migrations." in agreed.stdout
    work.write({"10_notes.sql": SCHEMA["10_notes.sql"] + "alter table public.notes add column done boolean;\n"})
    ahead = run_inv("db.check", cwd=tmp_path, env=env)
    assert ahead.returncode == 1, ahead.stdout + ahead.stderr
    assert SCHEMAS_AHEAD in ahead.stdout
    assert "only in supabase/schemas: column public.notes.done" in ahead.stdout
    document = json.loads(run_inv("db.check", "--json", cwd=tmp_path, env=env).stdout)
    assert document["status"] == "in-sync" and document["exit_code"] == 1
    assert document["schemas"]["status"] == "ahead"


def test_migrations_pr_step_fails_on_a_schema_file_changed_alone_and_is_silent_without_schemas(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    work = Declarative(sandbox, tmp_path)
    work.write(SCHEMA)
    assert work.diff("init").status is DiffStatus.WRITTEN
    step = [sys.executable, "-m", "migrations_tasks.authoring.diff.check", "--migrations-dir", "supabase/migrations"]
    env = {"PATH": "/usr/bin:/bin", "MIGRATIONS_DRIFT_DB_URL": sandbox.db_url}

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(step, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)

    assert run().returncode == 0
    (work.schemas / "20_more.sql").write_text("create table public.more (id int);\n", encoding="utf-8")
    ahead = run()
    assert ahead.returncode == 1 and SCHEMAS_AHEAD in ahead.stdout, ahead.stderr
    for path in work.schemas.iterdir():
        path.unlink()
    work.schemas.rmdir()
    silent = run()
    assert (silent.returncode, silent.stdout) == (0, ""), silent.stderr


def test_a_project_without_schema_files_sees_nothing_new_in_db_check(project: Project, tmp_path: Path) -> None:
    user_project(tmp_path)
    (tmp_path / "supabase" / "migrations").mkdir(parents=True)
    done = run_inv("db.check", cwd=tmp_path, env=project.env)
    assert done.returncode == 0, done.stderr
    assert "supabase/schemas" not in done.stdout + done.stderr
    assert "schemas" not in json.loads(run_inv("db.check", "--json", cwd=tmp_path, env=project.env).stdout)
