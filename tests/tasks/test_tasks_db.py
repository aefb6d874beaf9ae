"""`inv db.check` / `inv db.apply` as a user runs them: exit codes, output, no tracebacks, no secrets."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import MigrationDir, Project, run_inv, user_project

from migrations_tasks.engine import Engine
from migrations_tasks.history.migrations import load
from migrations_tasks.transport.connect import connect


def test_check_exits_1_when_pending_then_apply_then_check_exits_0(
    project: Project, migrations: MigrationDir, tmp_path: Path
) -> None:
    migrations.write("20250101000000_a.sql", "create table a (id int);")
    migrations.write("20250102000000_b.sql", "create table b (id int);")
    cwd = user_project(tmp_path)
    first = run_inv("db.check", cwd=cwd, env=project.env)
    assert first.returncode == 1, first.stderr
    assert "20250101000000" in first.stdout and "PENDING" in first.stdout
    assert "1 request" in first.stdout

    applied = run_inv("db.apply", cwd=cwd, env=project.env)
    assert applied.returncode == 0, applied.stderr
    assert "applying 20250101000000 a ... ok" in applied.stdout
    assert "Applied 2 migrations" in applied.stdout and "3 requests" in applied.stdout  # both in one request

    again = run_inv("db.check", "--json", cwd=cwd, env=project.env)
    assert again.returncode == 0
    doc = json.loads(again.stdout)
    assert doc["status"] == "in-sync" and doc["requests"] == 1
    assert [m["status"] for m in doc["migrations"]] == ["applied", "applied"]


def test_a_failed_migration_exits_1_naming_file_line_and_sqlstate(
    project: Project, migrations: MigrationDir, tmp_path: Path
) -> None:
    migrations.write("1_ok.sql", "create table ok (id int);")
    migrations.write("2_bad.sql", "create table bad (id int);\ninsert into nowhere values (1);")
    result = run_inv("db.apply", cwd=user_project(tmp_path), env=project.env)
    assert result.returncode == 1
    assert "Migration 2_bad.sql failed at line 2 (statement 2 of 2)" in result.stderr
    assert "42P01" in result.stderr
    assert "1 migration applied before the failure stay applied: 1." in result.stderr
    assert "FAILED" in result.stdout


def test_a_history_conflict_exits_2(project: Project, migrations: MigrationDir, tmp_path: Path) -> None:
    migrations.write("2_b.sql", "create table b (id int);")
    cwd = user_project(tmp_path)
    assert run_inv("db.apply", cwd=cwd, env=project.env).returncode == 0
    migrations.write("1_a.sql", "create table a (id int);")
    check = run_inv("db.check", cwd=cwd, env=project.env)
    assert check.returncode == 2
    assert "OUT-OF-ORDER" in check.stdout
    apply = run_inv("db.apply", cwd=cwd, env=project.env)
    assert apply.returncode == 2
    assert "Found local migration files to be inserted before the last migration" in apply.stderr
    assert run_inv("db.apply", "--include-all", cwd=cwd, env=project.env).returncode == 0


def test_missing_settings_exit_3_with_one_message_listing_what_and_where(tmp_path: Path) -> None:
    result = run_inv("db.check", cwd=user_project(tmp_path), env={})
    assert result.returncode == 3
    assert "SUPABASE_ACCESS_TOKEN" in result.stderr and "SUPABASE_PROJECT_REF" in result.stderr
    assert "SUPABASE_DB_URL" in result.stderr and ".env" in result.stderr
    assert result.stderr.count("error:") == 1


def test_settings_come_from_a_dotenv_file_and_the_staging_alias(
    project: Project, migrations: MigrationDir, tmp_path: Path
) -> None:
    cwd = user_project(tmp_path)
    (cwd / ".env").write_text(
        f"SUPABASE_ACCESS_TOKEN={project.sandbox.token}\nSUPABASE_STAGING_PROJECT_ID={project.ref}\n"
        f"SUPABASE_API_URL={project.sandbox.api_url}\n"
    )
    result = run_inv("db.check", cwd=cwd, env={})
    assert result.returncode == 0, result.stderr
    assert "No migrations" in result.stdout


def test_a_syntax_error_exits_3_before_any_request(project: Project, migrations: MigrationDir, tmp_path: Path) -> None:
    migrations.write("1_bad.sql", "create tabel x (id int);")
    result = run_inv("db.apply", cwd=user_project(tmp_path), env=project.env)
    assert result.returncode == 3
    assert '1_bad.sql:1:8: syntax error at or near "tabel"' in result.stderr
    assert project.requests() == 0


def test_the_direct_postgres_transport_is_chosen_by_flag(
    project: Project, migrations: MigrationDir, tmp_path: Path
) -> None:
    migrations.write("1_a.sql", "create table direct (id int);")
    result = run_inv(
        "db.apply", "--transport", "postgres", cwd=user_project(tmp_path), env={"SUPABASE_DB_URL": project.db_url}
    )
    assert result.returncode == 0, result.stderr
    assert "PostgreSQL at 127.0.0.1" in result.stdout
    assert project.requests() == 0
    assert project.sql("select to_regclass('direct') is not null") == [(True,)]


def test_dry_run_shows_the_sql_and_applies_nothing(project: Project, migrations: MigrationDir, tmp_path: Path) -> None:
    migrations.write("1_a.sql", "create table dry (id int);")
    result = run_inv("db.apply", "--dry-run", cwd=user_project(tmp_path), env=project.env)
    assert result.returncode == 0, result.stderr
    assert "create table dry (id int);" in result.stdout
    assert "nothing was written" in result.stdout
    assert project.sql("select to_regclass('dry') is null") == [(True,)]


def test_the_collection_lists_its_tasks_with_help(tmp_path: Path) -> None:
    result = run_inv("--list", cwd=user_project(tmp_path))
    assert "db.apply" in result.stdout and "db.check" in result.stdout
    helped = run_inv("--help", "db.apply", cwd=user_project(tmp_path))
    assert "--dry-run" in helped.stdout and "--include-all" in helped.stdout
    assert "--batch-size" in helped.stdout and "migrations per request" in helped.stdout
    assert "--batch-size" in run_inv("--help", "db.rollback", cwd=user_project(tmp_path)).stdout


def test_batch_size_comes_from_the_flag_over_invoke_yaml_and_1_is_one_request_per_migration(
    project: Project, migrations: MigrationDir, tmp_path: Path
) -> None:
    for n in range(1, 6):
        migrations.write(f"{n}_m{n}.sql", f"create table m{n} (id int);\n-- migrate:down\n-- drop table m{n};\n")
    cwd = user_project(tmp_path)
    (cwd / "invoke.yaml").write_text("migrations:\n  batch_size: 2\n")
    applied = run_inv("db.apply", "--json", cwd=cwd, env=project.env)
    assert applied.returncode == 0, applied.stderr
    doc = json.loads(applied.stdout)
    assert doc["requests"] == 2 + 3  # read, create, then 2 + 2 + 1
    assert [m["requests"] for m in doc["migrations"]] == [1, 0, 1, 0, 1]  # each request counted once
    undone = run_inv("db.rollback", "--to", "0", "--batch-size", "1", "--json", cwd=cwd, env=project.env)
    assert undone.returncode == 0, undone.stderr
    assert json.loads(undone.stdout)["requests"] == 1 + 5  # today's behaviour: one request per migration
    again = run_inv("db.apply", "--batch-size", "50", "--json", cwd=cwd, env=project.env)
    doc = json.loads(again.stdout)
    assert doc["requests"] == 2  # the flag wins over invoke.yaml: read, one request
    assert [m["requests"] for m in doc["migrations"]] == [1, 0, 0, 0, 0]


def test_a_batch_size_that_is_not_a_positive_whole_number_exits_3_naming_where_it_came_from(
    migrations: MigrationDir, tmp_path: Path
) -> None:
    cwd = user_project(tmp_path)
    env = {"SUPABASE_DB_URL": "postgresql://u@127.0.0.1:9/db"}
    flag = run_inv("db.apply", "--batch-size", "-3", cwd=cwd, env=env)
    assert flag.returncode == 3 and "--batch-size must be at least 1." in flag.stderr
    zero = run_inv("db.apply", "--batch-size", "0", cwd=cwd, env=env)  # not "not given"
    assert zero.returncode == 3 and "--batch-size must be at least 1." in zero.stderr
    (cwd / "invoke.yaml").write_text("migrations:\n  request_max_bytes: lots\n")
    config = run_inv("db.apply", cwd=cwd, env=env)
    assert config.returncode == 3
    assert "invoke.yaml migrations.request_max_bytes must be a whole number, not 'lots'." in config.stderr


def test_tasks_chain_with_pre_tasks_and_as_plain_functions(
    project: Project, migrations: MigrationDir, tmp_path: Path
) -> None:
    migrations.write("1_a.sql", "create table a (id int);\n-- migrate:down\n-- drop table a;\n")
    cwd = tmp_path
    (cwd / "tasks.py").write_text(
        "from invoke import task\n"
        "from migrations_tasks import namespace\n"
        "from migrations_tasks.tasks import db\n\n"
        "@task\n"
        "def backup(c):\n"
        '    """Pretend to back up."""\n'
        "    print('backup ran')\n\n"
        "@task(pre=[backup])\n"
        "def ship(c):\n"
        '    """Apply, then undo on a later failure."""\n'
        "    result = db.apply(c)\n"
        "    try:\n"
        "        raise RuntimeError('deploy failed')\n"
        "    except RuntimeError:\n"
        "        for outcome in reversed(result.applied):\n"
        "            db.rollback(c, version=outcome.version, force=True)\n"
        "        print('undone', [o.version for o in result.applied])\n\n"
        "ns = namespace()\n"
        "ns.add_task(backup)\n"
        "ns.add_task(ship)\n"
    )
    result = run_inv("ship", cwd=cwd, env=project.env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.index("backup ran") < result.stdout.index("applying 1 a")
    assert "undone ['1']" in result.stdout
    assert project.sql("select to_regclass('public.a') is null") == [(True,)]


def test_an_unknown_phase_is_refused_with_exit_3_before_anything_is_sent(
    project: Project, migrations: MigrationDir, tmp_path: Path
) -> None:
    migrations.write("1_t.sql", "create table t (id int);")
    cwd = user_project(tmp_path)
    for target in ((), ("--target", f"{project.ref},{project.ref}")):
        done = run_inv("db.apply", "--phase", "later", *target, cwd=cwd, env=project.env)
        assert done.returncode == 3, done.stderr
        assert "Unknown --phase 'later': use expand, contract, all." in done.stderr
    assert project.sql("select count(*) from pg_tables where tablename = 't'") == [(0,)]


def test_apply_by_phase_from_the_command_line_leaves_the_contract_waiting_and_check_shows_the_phases(
    project: Project, migrations: MigrationDir, tmp_path: Path
) -> None:
    migrations.write("1_t.sql", "create table t (id int, old text);")
    cwd = user_project(tmp_path)
    settings = project.settings(migrations.path)
    Engine(connect(settings.target, settings), settings).apply(
        load(migrations.path)
    )  # in-process: it is not what this is about
    migrations.write("2_add.sql", "alter table t add column new text;")
    migrations.write("3_drop.sql", "alter table t drop column old;")
    check = run_inv("db.check", cwd=cwd, env=project.env)
    assert "  2: phase: expand: line 1: adds nullable column new" in check.stdout
    assert "  3: phase: contract: line 1: drops column old" in check.stdout
    expand = run_inv("db.apply", "--phase", "expand", "--json", cwd=cwd, env=project.env)
    assert expand.returncode == 0, expand.stderr
    doc = json.loads(expand.stdout)
    assert [m["version"] for m in doc["migrations"]] == ["2"] and doc["waiting"][0]["version"] == "3"
