"""db.pull with hostile names in what it writes from the catalog's parts: types, rules, publications, comments."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MigrationDir, Project, SandboxProcess, user_project
from hostile import BASE, BASE_MIGRATION, apply_all, ident, literal, names, out_of_band, run, terminal_problems
from pglast import parse_sql
from test_catalog_zoo import admin_url, schema_dump

from migrations_tasks.history.down import split_down_block

#: What db.pull may write from the parts: schema statements and a database setting, never rows.
SCHEMA_ONLY = {
    "AlterTableStmt",
    "CommentStmt",
    "CreateDomainStmt",
    "AlterDomainStmt",
    "CompositeTypeStmt",
    "CreateRangeStmt",
    "RuleStmt",
    "CreatePublicationStmt",
    "AlterPublicationStmt",
    "CreateStatsStmt",
    "AlterStatsStmt",
    "AlterDefaultPrivilegesStmt",
    "DefineStmt",
    "DoStmt",
    "DropStmt",
}


def dashboard_changes(seed: int) -> str:
    """Return SQL that makes a domain, a composite type, a rule, a publication and comments with hostile names."""
    domain, attribute, rule, publication, statistics, note, collation = names(seed, 7, BASE)
    notes = "public.notes"
    return f"""
create collation public.{ident(collation)} (provider = libc, locale = 'C');
create domain public.{ident(domain)} as text collate public.{ident(collation)}
  constraint {ident(note)} check (value <> {literal(note)});
comment on domain public.{ident(domain)} is {literal(note)};
create type public.{ident(attribute)} as ({ident(attribute)} int, {ident(note)} public.{ident(domain)});
create rule {ident(rule)} as on delete to {notes} where old.note = {literal(note)} do instead nothing;
comment on rule {ident(rule)} on {notes} is {literal(note)};
create publication {ident(publication)} with (publish = 'insert');
alter publication {ident(publication)} add table {notes} (id, note) where (note <> {literal(note)});
create statistics public.{ident(statistics)} on note, body from {notes};
alter statistics public.{ident(statistics)} set statistics 300;
alter table {notes} alter column note set (n_distinct = 10);
alter default privileges in schema public revoke select on tables from anon;
"""


@pytest.fixture
def user(project: Project, sandbox: SandboxProcess, migrations: MigrationDir) -> tuple[Path, dict[str, str]]:
    migrations.write(*BASE_MIGRATION)
    apply_all(project, migrations.path)
    env = {k: v for k, v in project.env.items() if k != "SUPABASE_DB_URL"}
    env["MIGRATIONS_DRIFT_DB_URL"] = sandbox.db_url
    return user_project(migrations.path.parent.parent), env


@pytest.mark.parametrize("seed", [3, 4])
def test_hostile_names_in_types_rules_publications_and_comments_give_schema_statements_that_rebuild_the_dump(
    seed: int, project: Project, sandbox: SandboxProcess, migrations: MigrationDir, user: tuple[Path, dict[str, str]]
) -> None:
    cwd, env = user
    out_of_band(project, dashboard_changes(seed))
    code, out, err, _ = run(cwd, env, "db.pull")
    assert code == 0, out + err
    assert terminal_problems(out + err) == []
    (path,) = [p for p in migrations.path.iterdir() if p.name != BASE_MIGRATION[0]]
    text = path.read_bytes().decode("utf-8")
    assert terminal_problems(text) == [], "no hidden character stands raw in the file"
    up, down, _ = split_down_block(text, path)
    for part in (up, down or ""):
        assert {type(raw.stmt).__name__ for raw in parse_sql(part)} <= SCHEMA_ONLY
    fresh = sandbox.new_project()
    try:
        apply_all(fresh, migrations.path)
        assert fresh.sql(f"select count(*) from {BASE}") == [(0,)], "nothing the file holds wrote a row"
        assert schema_dump(admin_url(sandbox, fresh)) == schema_dump(admin_url(sandbox, project))
    finally:
        fresh.close()
        sandbox.call("DELETE", f"/_sandbox/projects/{fresh.ref}")
