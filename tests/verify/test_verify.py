"""db.verify against real PostgreSQL: one request on the live database, every check failing for its reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import MigrationDir, Project, SandboxProcess, run_inv, user_project

from migrations_tasks.engine import Engine
from migrations_tasks.errors import SqlSyntaxError
from migrations_tasks.history.migrations import load
from migrations_tasks.transport.connect import connect
from migrations_tasks.verify import verify

EXAMPLES = Path(__file__).resolve().parents[2] / "supabase" / "migrations"


@pytest.fixture(params=["api", "postgres"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def checks(result: Any) -> dict[str, str]:
    return {c.name: c.status for c in result.checks}


def apply_all(settings: Any, directory: Path) -> None:
    engine = Engine(connect(settings.target, settings), settings)
    engine.apply(load(directory))


def test_verify_passes_after_a_clean_apply_of_the_examples_with_one_request(
    project: Project, verify_settings: Any, transport: str
) -> None:
    settings = verify_settings(EXAMPLES, transport)
    apply_all(settings, EXAMPLES)
    db = connect(settings.target, settings)
    result = verify(db, load(EXAMPLES), settings)
    assert checks(result) == {"history": "pass", "expectations": "pass", "advisories": "pass", "drift": "pass"}
    assert [(s.path.name, s.passed) for s in result.scripts] == [("01_schema.sql", True), ("02_todos_rls.sql", True)]
    assert project.sql("select count(*) from auth.users") == [(0,)]  # the RLS script's rows were rolled back
    assert result.exit_code == 0
    assert result.requests == 1 and db.requests == 1
    assert result.drift.migrations_applied == 4 and result.drift.differences == []
    # the example's "Allow all for testing" policy is a warning, not an error
    assert [(f.rule, f.level) for f in result.findings] == [("rls_policy_always_true", "warn")]


def test_a_pending_migration_fails_the_history_check(
    project: Project, migrations: MigrationDir, verify_settings: Any
) -> None:
    migrations.write("1_a.sql", "create table private_a (id int primary key);")
    settings = verify_settings(migrations.path)
    apply_all(settings, migrations.path)
    migrations.write("2_b.sql", "create table private_b (id int primary key);")
    result = verify(connect(settings.target, settings), load(migrations.path), settings, drift=False)
    assert checks(result)["history"] == "fail" and "1 pending (2)" in result.checks[0].summary
    assert result.exit_code == 1


def test_verify_scripts_run_in_a_transaction_that_is_always_rolled_back(
    project: Project, migrations: MigrationDir, tmp_path: Path, verify_settings: Any
) -> None:
    migrations.write(
        "1_a.sql",
        "create table public.items (id int primary key, qty int not null);\n"
        "alter table public.items enable row level security;\n"
        "create policy read on public.items for select to authenticated using (true);\n",
    )
    scripts = tmp_path / "supabase" / "verify"
    scripts.mkdir(parents=True)
    (scripts / "01_items.sql").write_text(
        "-- a row can be written, and is gone afterwards\ninsert into public.items values (1, 5);\n"
        "select 1 / count(*) from public.items;\n"
    )
    (scripts / "02_constraint.sql").write_text(
        "select 1;\n\ndo $$ begin\n  insert into public.items values (2, null);\n"
        "  raise exception 'qty accepted NULL';\nexception when not_null_violation then null;\nend $$;\n"
    )
    (scripts / "03_broken.sql").write_text("select 1;\nselect 1 / count(*) from public.items where qty > 100;\n")
    settings = verify_settings(migrations.path)
    apply_all(settings, migrations.path)
    result = verify(connect(settings.target, settings), load(migrations.path), settings, drift=False)
    assert [(s.path.name, s.passed) for s in result.scripts] == [
        ("01_items.sql", True),
        ("02_constraint.sql", True),
        ("03_broken.sql", False),
    ]
    failed = result.scripts[2]
    assert failed.sqlstate == "22012" and failed.statement is not None and failed.statement.line == 2
    assert failed.where.endswith("03_broken.sql:2")
    assert checks(result)["expectations"] == "fail" and result.exit_code == 1
    assert project.sql("select count(*) from public.items") == [(0,)]  # the scripts' writes were rolled back
    assert result.requests == 1


def test_a_syntax_error_in_a_verify_script_stops_before_any_request(
    project: Project, migrations: MigrationDir, tmp_path: Path, verify_settings: Any
) -> None:
    scripts = tmp_path / "supabase" / "verify"
    scripts.mkdir(parents=True)
    (scripts / "bad.sql").write_text("select 1;\nselect from where;\n")
    settings = verify_settings(migrations.path)
    with pytest.raises(SqlSyntaxError, match=r"bad.sql:2:13: syntax error"):
        verify(connect(settings.target, settings), load(migrations.path), settings, drift=False)
    assert project.requests() == 0


def test_critical_tables_and_columns_from_config_are_checked(
    project: Project, migrations: MigrationDir, verify_settings: Any
) -> None:
    migrations.write("1_a.sql", "create schema app; create table app.accounts (id int primary key, email text);")
    config = {"verify": {"critical_tables": ["app.accounts", {"app.accounts": ["id", "email"]}]}}
    settings = verify_settings(migrations.path, **config)
    apply_all(settings, migrations.path)
    result = verify(connect(settings.target, settings), load(migrations.path), settings, drift=False)
    assert checks(result)["expectations"] == "pass"
    config = {"verify": {"critical_tables": [{"app.accounts": ["id", "phone"]}, "app.missing"]}}
    settings = verify_settings(migrations.path, **config)
    result = verify(connect(settings.target, settings), load(migrations.path), settings, drift=False)
    assert [(c.table, c.exists, c.missing) for c in result.critical] == [
        ("app.accounts", True, ("phone",)),
        ("app.missing", False, ()),
    ]
    assert checks(result)["expectations"] == "fail" and result.exit_code == 1


def test_drift_that_cannot_run_makes_verify_exit_3_without_showing_the_password(
    project: Project, migrations: MigrationDir, verify_settings: Any
) -> None:
    from migrations_tasks.config.settings import load_settings

    env = dict(project.env, MIGRATIONS_DRIFT_DB_URL="postgresql://postgres:hunter2secret@127.0.0.1:1/postgres")
    settings = load_settings(None, flags={"migrations_dir": str(migrations.path)}, environ=env, dotenv_path=None)
    result = verify(connect(settings.target, settings), load(migrations.path), settings)
    assert checks(result)["drift"] == "error" and result.exit_code == 3
    assert "hunter2secret" not in result.drift.message
    assert "MIGRATIONS_DRIFT_DB_URL" in result.drift.message


def test_the_verify_task_from_a_clean_project_starts_its_own_server_and_prints_the_request_count(
    project: Project, tmp_path: Path
) -> None:
    cwd = user_project(tmp_path)
    (cwd / "supabase").mkdir()
    (cwd / "supabase" / "migrations").symlink_to(EXAMPLES)
    assert run_inv("db.apply", cwd=cwd, env=project.env).returncode == 0
    result = run_inv("db.verify", cwd=cwd, env=project.env)  # no MIGRATIONS_DRIFT_DB_URL: embedded server
    assert result.returncode == 0, result.stdout + result.stderr
    assert "History: PASS" in result.stdout and "Drift: PASS" in result.stdout
    assert "rls_policy_always_true" in result.stdout and "remedy:" in result.stdout
    assert "1 request to project" in result.stdout
    assert "an embedded PostgreSQL started for this run" in result.stdout


def test_the_verify_task_json_silencing_and_exit_codes(
    project: Project, sandbox: SandboxProcess, migrations: MigrationDir, tmp_path: Path
) -> None:
    migrations.write("1_a.sql", "create table public.lookup (code text primary key);")
    cwd = user_project(tmp_path)
    env = dict(project.env, MIGRATIONS_DRIFT_DB_URL=sandbox.db_url)
    assert run_inv("db.apply", cwd=cwd, env=env).returncode == 0
    failed = run_inv("db.verify", "--json", cwd=cwd, env=env)
    assert failed.returncode == 1
    doc = json.loads(failed.stdout)
    assert doc["status"] == "failed" and doc["requests"] == 1
    assert doc["checks"]["advisories"]["status"] == "fail"
    assert [(f["rule"], f["level"], f["object"]) for f in doc["findings"]] == [
        ("rls_disabled_in_public", "error", "public.lookup")
    ]
    (cwd / "invoke.yaml").write_text(
        "migrations:\n  verify:\n    silence:\n      - rule: rls_disabled_in_public\n        object: public.lookup\n"
        "        reason: read-only reference data, no secrets\n"
    )
    passed = run_inv("db.verify", cwd=cwd, env=env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert (
        "silenced rls_disabled_in_public: public.lookup (reason: read-only reference data, no secrets)" in passed.stdout
    )
    quick = run_inv("db.verify", "--no-drift", cwd=cwd, env=env)
    assert quick.returncode == 0 and "Drift: SKIPPED" in quick.stdout
    (cwd / "invoke.yaml").write_text("migrations:\n  verify:\n    silence:\n      - rule: no_primary_key\n")
    bad_config = run_inv("db.verify", cwd=cwd, env=env)
    assert bad_config.returncode == 3 and "lacks object, reason" in bad_config.stderr


def test_the_example_rls_script_catches_a_policy_opened_out_of_band(project: Project, verify_settings: Any) -> None:
    settings = verify_settings(EXAMPLES)
    apply_all(settings, EXAMPLES)
    project.sql('create policy "oops" on public.todos for select to authenticated using (true)')
    result = verify(connect(settings.target, settings), load(EXAMPLES), settings, drift=False)
    failed = [s for s in result.scripts if not s.passed]
    assert [s.path.name for s in failed] == ["02_todos_rls.sql"]
    assert failed[0].message == "RLS: a user sees 2 to-dos, expected only their own 1"
    assert failed[0].sqlstate == "P0001" and result.exit_code == 1
