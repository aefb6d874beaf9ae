"""`inv db.lint` and `inv db.plan` as a user runs them: exit codes, output, JSON, GitHub annotations, requests."""

from __future__ import annotations

import json
from pathlib import Path

from actions import run_in_actions
from conftest import MigrationDir, Project, SandboxProcess, run_inv, user_project

BASE = (
    "create table public.todos (id bigint primary key, title text);\n"
    "alter table public.todos enable row level security;\n"
)


def applied(project: Project, migrations: MigrationDir, tmp_path: Path, base: str = BASE) -> Path:
    """Write the base migration as 1_base.sql, apply it to the project; return the user's project directory."""
    migrations.write("1_base.sql", base)
    cwd = user_project(tmp_path)
    assert run_inv("db.apply", cwd=cwd, env=project.env).returncode == 0
    return cwd


BAD = "ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;\ncreate table public.notes (id int);\n"


def test_lint_without_any_settings_lints_every_file_and_exits_1_on_an_error(
    migrations: MigrationDir, tmp_path: Path
) -> None:
    migrations.write("1_base.sql", BASE)
    migrations.write("2_bad.sql", BAD)
    result = run_inv("db.lint", cwd=user_project(tmp_path))
    assert result.returncode == 1, result.stderr
    assert "supabase/migrations/2_bad.sql:1:1: error supabase-owner-only-table" in result.stdout
    assert "supabase/migrations/2_bad.sql:2:1: error supabase-rls-not-enabled" in result.stdout
    assert "fix: Add `ALTER TABLE <table> ENABLE ROW LEVEL SECURITY;`" in result.stdout
    assert "2 errors, 0 warnings in 2 files (migration files; 0 requests" in result.stdout


def test_lint_of_the_pending_migrations_reads_only_the_ledger_and_sends_nothing_else(
    project: Project, migrations: MigrationDir, tmp_path: Path
) -> None:
    cwd = applied(project, migrations, tmp_path)
    migrations.write("2_bad.sql", BAD)
    ledger = project.sql("select version from supabase_migrations.schema_migrations")
    before = project.requests()
    result = run_inv("db.lint", "--json", cwd=cwd, env=project.env)
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    assert doc["scope"] == "pending" and doc["files"] == ["supabase/migrations/2_bad.sql"]
    assert [(f["rule"], f["level"], f["line"]) for f in doc["findings"]] == [
        ("supabase-owner-only-table", "error", 1),
        ("supabase-rls-not-enabled", "error", 2),
    ]
    assert doc["requests"] == 1 and project.requests() - before == 1
    assert project.sql("select version from supabase_migrations.schema_migrations") == ledger
    assert project.sql("select relrowsecurity from pg_class where oid = 'storage.objects'::regclass") == [(True,)]


def test_lint_annotates_findings_on_file_line_and_column_in_github_actions(
    migrations: MigrationDir, tmp_path: Path
) -> None:
    migrations.write("1_index.sql", "create index todos_title_idx on public.todos (title);\n")
    result = run_inv("db.lint", "--all", cwd=user_project(tmp_path), env={"GITHUB_ACTIONS": "true"})
    assert result.returncode == 0, result.stderr
    where = "file=supabase/migrations/1_index.sql,line=1,col=1"
    assert f"::warning {where},title=db.lint%3A require-concurrent-index-creation::" in result.stdout


def test_lint_of_named_files_sends_nothing(project: Project, migrations: MigrationDir, tmp_path: Path) -> None:
    path = migrations.write("1_ok.sql", BASE)
    result = run_inv("db.lint", "--files", str(path), cwd=user_project(tmp_path), env=project.env)
    assert result.returncode == 0, result.stderr
    assert "0 errors, 0 warnings in 1 file (files; 0 requests" in result.stdout
    assert project.requests() == 0


def test_plan_prints_locks_rewrites_findings_and_the_summary_and_writes_nothing_live(
    project: Project, sandbox: SandboxProcess, migrations: MigrationDir, tmp_path: Path
) -> None:
    cwd = applied(project, migrations, tmp_path, BASE + "-- migrate:down\n-- drop table public.todos;\n")
    migrations.write("2_index.sql", "create index todos_title_idx on public.todos (title);\n")
    migrations.write(
        "3_title.sql",
        "alter table public.todos alter column title type varchar(200);\n"
        "-- migrate:down\n-- alter table public.todos alter column title type text;\n",
    )
    env = {**project.env, "MIGRATIONS_DRIFT_DB_URL": sandbox.db_url}
    before = project.requests()
    result = run_inv("db.plan", cwd=cwd, env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "ShareLock on public.todos" in out and "to COMMIT: blocks writes, scans it" in out
    assert "(+1 index) to COMMIT: blocks reads and writes, rewrites it" in out
    assert "public.todos_pkey" not in out  # folded into its table; --verbose shows it
    assert "warn require-concurrent-index-creation" in out and "rollback proof: pass" in out
    assert "AccessExclusiveLock public.todos (+1 index) (blocks reads and writes) from [1] to COMMIT" in out
    assert "cannot be undone (no down SQL)" in out
    assert "db.plan: safe (exit 0); 2 pending migrations rehearsed" in out and "nothing written there" in out
    assert "live rows pass: the cast of public.todos.title to varchar(200)" in out
    assert "2 requests to project" in out and "(1 of them read-only, for 1 data check)" in out
    assert project.requests() - before == 2
    assert project.sql("select count(*) from supabase_migrations.schema_migrations") == [(1,)]
    verbose = run_inv("db.plan", "--verbose", cwd=cwd, env=env).stdout
    assert "ShareLock on public.todos: blocks writes (INSERT, UPDATE, DELETE) and schema changes" in verbose
    assert "AccessExclusiveLock on public.todos_pkey" in verbose and "REWRITTEN: public.todos" in verbose


def test_plan_json_and_the_step_summary_carry_the_same_verdicts(
    project: Project, sandbox: SandboxProcess, migrations: MigrationDir, tmp_path: Path
) -> None:
    cwd = applied(project, migrations, tmp_path)
    migrations.write(
        "2_mood.sql",
        "create type public.mood as enum ('ok');\nalter table public.todos add column mood public.mood;\n"
        "-- migrate:down\n-- alter table public.todos drop column mood;\n",
    )
    env = {**project.env, "MIGRATIONS_DRIFT_DB_URL": sandbox.db_url}
    result, summary, _outputs = run_in_actions(cwd, env, "db.plan", "--json")
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)  # stdout is one JSON document; the workflow commands went to stderr
    migration = doc["migrations"][0]
    assert doc["status"] == "fails" and doc["requests"] == 1
    assert migration["strongest_lock"]["mode"] == "AccessExclusiveLock"
    assert migration["rollback_proof"]["status"] == "fail"
    assert "left behind by down: enum public.mood" in migration["rollback_proof"]["differences"]
    text = summary.read_text()
    assert "### db.plan: fails (exit 1)" in text and "| 2 | applies | AccessExclusiveLock public.todos" in text
    assert (
        "::error file=supabase/migrations/2_mood.sql,line=1,col=1,title=db.plan%3A rollback-proof-failed::"
        in result.stderr
    )


def test_lint_json_stays_one_json_document_in_github_actions_with_annotations_on_stderr(
    migrations: MigrationDir, tmp_path: Path
) -> None:
    migrations.write("1_index.sql", "create index todos_title_idx on public.todos (title);\n")
    result = run_inv("db.lint", "--all", "--json", cwd=user_project(tmp_path), env={"GITHUB_ACTIONS": "true"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["findings"][0]["rule"] == "require-concurrent-index-creation"
    assert "::warning file=supabase/migrations/1_index.sql,line=1,col=1," in result.stderr


def test_plan_exits_2_on_a_history_conflict_with_the_error_as_json(
    project: Project, migrations: MigrationDir, tmp_path: Path
) -> None:
    cwd = user_project(tmp_path)
    (migrations.write("2_b.sql", BASE), run_inv("db.apply", cwd=cwd, env=project.env))
    migrations.write("1_a.sql", "select 1;\n")
    result = run_inv("db.plan", "--json", cwd=cwd, env=project.env)
    doc = json.loads(result.stdout)
    assert (result.returncode, doc["exit_code"], doc["kind"]) == (2, 2, "HistoryConflict")
    assert "inserted before the last migration on remote database. (1)" in doc["error"]


def test_the_collection_lists_lint_and_plan_with_help(tmp_path: Path) -> None:
    cwd = user_project(tmp_path)
    listed, lint_help, plan_help = (run_inv(*a, cwd=cwd).stdout for a in (["-l"], ["-h", "db.lint"], ["-h", "db.plan"]))
    assert "db.lint" in listed and "db.plan" in listed
    assert all(flag in lint_help for flag in ("--all", "--files", "--json", "--migrations-dir"))
    assert "--include-all" in plan_help


def test_lint_lints_every_file_with_a_warning_when_the_ledger_cannot_be_read(
    migrations: MigrationDir, tmp_path: Path
) -> None:
    migrations.write("1_base.sql", BASE)
    cwd = user_project(tmp_path)
    (cwd / "invoke.yaml").write_text("migrations:\n  retry_deadline: 1\n")
    env = {"SUPABASE_API_URL": "http://127.0.0.1:9", "SUPABASE_PROJECT_REF": "a" * 20, "SUPABASE_ACCESS_TOKEN": "x"}
    result = run_inv("db.lint", cwd=cwd, env=env)
    assert result.returncode == 0, result.stderr
    assert "could not read the ledger" in result.stderr and "gave up after" in result.stderr
    assert "linting every migration file instead, nothing more sent" in result.stderr
    assert "in 1 file (migration files;" in result.stdout


def test_plan_with_nothing_pending_says_so_after_one_request(
    project: Project, migrations: MigrationDir, tmp_path: Path
) -> None:
    cwd = applied(project, migrations, tmp_path)
    result = run_inv("db.plan", cwd=cwd, env=project.env)
    assert result.returncode == 0, result.stderr
    assert "db.plan: nothing pending (1 request to project" in result.stdout
