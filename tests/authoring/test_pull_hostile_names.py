"""db.pull with hostile live names: the file holds only the statements it means, and every output is inert."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import MigrationDir, Project, SandboxProcess, user_project
from hostile import (
    BASE,
    BASE_MIGRATION,
    apply_all,
    ident,
    literal,
    long_multibyte,
    markdown_problems,
    names,
    out_of_band,
    run,
    terminal_problems,
    workflow_problems,
)
from pglast import parse_sql

from migrations_tasks.history.down import split_down_block
from migrations_tasks.history.migrations import load
from migrations_tasks.transport.connect import connect

#: What db.pull may write: schema statements, never rows.
SCHEMA_ONLY = {
    "CreateStmt",
    "AlterTableStmt",
    "CommentStmt",
    "CreatePolicyStmt",
    "CreateTrigStmt",
    "CreateFunctionStmt",
    "ViewStmt",
    "IndexStmt",
    "GrantStmt",
    "VariableSetStmt",
    "DropStmt",
    "RenameStmt",
    "AlterOwnerStmt",
    "AlterSeqStmt",
    "CreateSeqStmt",
}


def dashboard_changes(seed: int) -> tuple[str, list[str]]:
    """Return SQL that makes tables, columns, policies, triggers, functions, views and comments with
    hostile names, and the names."""
    made = names(seed, 8, BASE)
    table, column, policy, trigger, function, view, note, renamed = made
    quoted = f"public.{ident(table)}"
    sql = f"""
create table {quoted} (id int primary key, {ident(column)} text not null default 'x');
comment on table {quoted} is {literal(note)};
comment on column {quoted}.{ident(column)} is {literal(note)};
alter table {quoted} enable row level security;
create policy {ident(policy)} on {quoted} for select to authenticated using ({ident(column)} <> {literal(note)});
create function public.{ident(function)}() returns trigger language plpgsql set search_path = ''
  as $fn$ begin return new; end $fn$;
create trigger {ident(trigger)} before insert on {quoted} for each row execute function public.{ident(function)}();
create view public.{ident(view)} with (security_invoker = true) as select id from {quoted};
alter table public.notes rename column note to {ident(renamed)};
alter table public.notes add column {ident(long_multibyte(seed))} int not null;
"""
    return sql, made


@pytest.fixture
def user(project: Project, sandbox: SandboxProcess, migrations: MigrationDir) -> tuple[Path, dict[str, str]]:
    migrations.write(*BASE_MIGRATION)
    apply_all(project, migrations.path)
    env = {k: v for k, v in project.env.items() if k != "SUPABASE_DB_URL"}
    env["MIGRATIONS_DRIFT_DB_URL"] = sandbox.db_url
    return user_project(migrations.path.parent.parent), env


def statement_kinds(text: str) -> set[str]:
    return {type(raw.stmt).__name__ for raw in parse_sql(text)}


@pytest.mark.parametrize("seed", [1, 2])
def test_hostile_live_names_give_a_file_of_schema_statements_only_that_a_fresh_project_applies_without_effect(
    seed: int, project: Project, sandbox: SandboxProcess, migrations: MigrationDir, user: tuple[Path, dict[str, str]]
) -> None:
    cwd, env = user
    sql, made = dashboard_changes(seed)
    out_of_band(project, sql)
    code, out, err, summary = run(cwd, env, "db.pull")
    assert code == 0, out + err
    assert workflow_problems(out + err) == []
    assert terminal_problems(out + err) == []
    (path,) = [p for p in migrations.path.iterdir() if p.name != BASE_MIGRATION[0]]
    text = path.read_bytes().decode("utf-8")
    assert terminal_problems(text) == [], "no hidden character stands raw in the file"
    up, down, _ = split_down_block(text, path)
    assert statement_kinds(up) <= SCHEMA_ONLY
    assert statement_kinds(down or "") <= SCHEMA_ONLY
    assert "holds control or invisible characters" in text, "the header flags the names a reviewer cannot read"

    # db.verify passes: the renamed column is written as a rename (its hostile new name escaped), nothing dropped.
    assert "RENAME COLUMN note TO " in up
    said: dict[str, str] = {}
    for command, expected in (("db.check", 0), ("db.verify --drift", 0), ("db.apply", 0)):
        code, out, err, summary = run(cwd, env, *command.split())
        said[command] = out
        assert code == expected, f"{command}: {out}{err}"
        assert workflow_problems(out + err) == [], command
        assert terminal_problems(out + err) == [], command
        if summary.exists():
            assert markdown_problems(summary.read_text(encoding="utf-8")) == [], command
    assert "Drift: PASS  no differences" in said["db.verify --drift"]

    fresh = sandbox.new_project()
    try:
        apply_all(fresh, migrations.path)
        assert fresh.sql(f"select count(*) from {BASE}") == [(0,)], "nothing the file holds wrote a row"
        tables = {r[0] for r in fresh.sql("select relname from pg_class where relnamespace = 'public'::regnamespace")}
        assert made[0] in tables and made[5] in tables, "the hostile names were made as they are"
    finally:
        fresh.close()
        sandbox.call("DELETE", f"/_sandbox/projects/{fresh.ref}")


def test_a_table_named_to_end_the_header_comment_is_quoted_and_pulled(
    project: Project, migrations: MigrationDir, user: tuple[Path, dict[str, str]]
) -> None:
    cwd, env = user
    name = f"q\ninsert into {BASE} values(7,$$pwned$$);--"
    out_of_band(project, f"create table public.{ident(name)} (id int)")
    code, out, err, _ = run(cwd, env, "db.pull", "--json")
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    assert 'U&"q\\000Ainsert into public.base values(7,$$pwned$$);--"' in doc["sql"]
    assert statement_kinds(doc["sql"]) == {"CreateStmt"}
    assert project.sql(f"select count(*) from {BASE}") == [(0,)]


def test_a_carriage_return_in_a_live_name_no_longer_stops_the_pull(
    project: Project, migrations: MigrationDir, user: tuple[Path, dict[str, str]]
) -> None:
    cwd, env = user
    out_of_band(project, 'create table public."cr\rselect 3;--" (id int)')
    code, out, err, _ = run(cwd, env, "db.pull")
    assert code == 0, out + err
    assert "Proven" in out


def test_a_smuggled_statement_is_caught_by_the_proofs_row_counts(
    project: Project, sandbox: SandboxProcess, migrations: MigrationDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were a future renderer to let a statement through, the proof would see the rows it writes."""
    from migrations_tasks.authoring.pull import run as pull_run
    from migrations_tasks.authoring.pull.proof import Workbench, apply_candidate
    from migrations_tasks.config.settings import load_settings

    def smuggling(bench: Workbench, local: Any, migration: Any, what: str) -> None:
        apply_candidate(bench, local, migration, what)
        if what == "apply":
            bench.db.execute(f"insert into {BASE} values (7)", write=True)

    monkeypatch.setattr(pull_run, "apply_candidate", smuggling)
    migrations.write(*BASE_MIGRATION)
    apply_all(project, migrations.path)
    out_of_band(project, "create table public.fine (id int)")
    environ = {**project.env, "MIGRATIONS_DRIFT_DB_URL": sandbox.db_url}
    settings = load_settings({}, flags={"migrations_dir": str(migrations.path)}, environ=environ, dotenv_path=None)
    db = connect(settings.target, settings)
    try:
        result = pull_run.pull(db, load(migrations.path), settings, pull_run.PullOptions(dry_run=True))
    finally:
        db.close()
    assert result.status.value == "unproven", result
    assert "changed rows" in result.problem
    assert f"{BASE}: 0 rows before, 1 after" in result.remaining
