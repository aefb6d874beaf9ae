"""db.diff on the sandbox: schema files become a proven migration after which both schemas dump alike."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Project, SandboxProcess, fresh_project, run_inv, user_project
from declarative import ZOO, Declarative, admin_url, apply_to, schema_dump

from migrations_tasks.authoring.diff.results import DiffStatus
from migrations_tasks.history.migrations import load

#: The edit of the worked example: a column, a view's security_invoker, a grant, a CHECK using a new function,
#: a table added to the publication, a policy changed, an enum value.
EDITED = {
    "10_types.sql": ZOO["10_types.sql"].replace("'sad')", "'sad', 'calm')")
    + """
create function public.is_short(value text) returns boolean language sql immutable
  as $$ select length(value) <= 500 $$;
""",
    "20_tables.sql": ZOO["20_tables.sql"]
    .replace("mood public.mood\n", "mood public.mood,\n  pinned boolean not null default false\n")
    .replace("using ((select auth.uid()) = owner)", "using ((select auth.uid()) = owner and not pinned)")
    + "grant select on app.boards to authenticated;\n"
    + "alter table public.notes add constraint notes_body_short check (public.is_short(body));\n",
    "30_views.sql": ZOO["30_views.sql"]
    .replace("security_invoker = true", "security_invoker = false")
    .replace("for table public.notes", "for table public.notes, app.boards"),
}


@pytest.fixture
def two_projects(sandbox: SandboxProcess) -> Iterator[tuple[Project, Project]]:
    """Two fresh projects: one for the migrations, one for the schema files."""
    first, second = fresh_project(sandbox), fresh_project(sandbox)
    yield next(first), next(second)
    for rest in (first, second):
        next(rest, None)


def dumps_agree(sandbox: SandboxProcess, projects: tuple[Project, Project], work: Declarative) -> tuple[str, str]:
    """Build the migrations on one project and the schema files on the other; return both dumps."""
    apply_to(projects[0], load(work.migrations))
    apply_to(projects[1], work.schema())
    return schema_dump(admin_url(sandbox, projects[0])), schema_dump(admin_url(sandbox, projects[1]))


def test_schema_files_and_an_edit_become_migrations_after_which_both_dump_alike(
    sandbox: SandboxProcess, tmp_path: Path, two_projects: tuple[Project, Project]
) -> None:
    work = Declarative(sandbox, tmp_path)
    work.write(ZOO)
    first = work.diff("init")
    assert first.status is DiffStatus.WRITTEN, (first.proof.problem, first.proof.remaining)
    work.write(EDITED)
    second = work.diff("edit")
    assert second.status is DiffStatus.WRITTEN, (second.proof.problem, second.proof.remaining)
    assert work.diff("again").status is DiffStatus.NOTHING
    from_migrations, from_schemas = dumps_agree(sandbox, two_projects, work)
    assert from_migrations == from_schemas
    assert "security_invoker='false'" in from_migrations or "security_invoker=false" in from_migrations


def test_a_second_db_diff_says_there_is_nothing_to_do_and_writes_nothing(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    work = Declarative(sandbox, user_project(tmp_path))
    work.write(ZOO)
    env = {"MIGRATIONS_DRIFT_DB_URL": sandbox.db_url}
    made = run_inv("db.diff", "init", "--json", cwd=tmp_path, env=env)
    assert made.returncode == 0, made.stderr
    document = json.loads(made.stdout)
    assert document["status"] == "written" and document["file"].endswith("_init.sql")
    again = run_inv("db.diff", "again", cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    assert "Nothing to do" in again.stdout
    assert len(list(work.migrations.glob("*.sql"))) == 1


def test_dry_run_prints_the_proven_file_and_writes_nothing(sandbox: SandboxProcess, tmp_path: Path) -> None:
    work = Declarative(sandbox, user_project(tmp_path))
    work.write(ZOO)
    done = run_inv("db.diff", "init", "--dry-run", cwd=tmp_path, env={"MIGRATIONS_DRIFT_DB_URL": sandbox.db_url})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("-- init: what supabase/schemas declares")
    assert "CREATE PUBLICATION notes_pub" in done.stdout and "-- migrate:down" in done.stdout
    assert list(work.migrations.glob("*.sql")) == []


def test_a_probable_rename_is_reported_with_both_choices_and_nothing_is_written(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    work = Declarative(sandbox, tmp_path)
    work.write({"10_t.sql": "create table public.items (id int primary key, title text);\n"})
    assert work.diff("init").status is DiffStatus.WRITTEN
    work.write({"10_t.sql": "create table public.items (id int primary key, name text);\n"})
    asked = work.diff("rename")
    assert asked.status is DiffStatus.DECIDE and asked.exit_code == 1
    assert "ALTER TABLE public.items RENAME COLUMN title TO name;" in asked.renames[0]
    assert "DROP COLUMN title" in asked.renames[0]
    assert len(list(work.migrations.glob("*.sql"))) == 1
    replaced = work.diff("replace", not_renamed=True)
    assert replaced.status is DiffStatus.WRITTEN
    assert "DROP COLUMN title" in replaced.proof.text


def test_a_schema_file_supabase_refuses_is_named_with_its_line_and_sqlstate(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    work = Declarative(sandbox, user_project(tmp_path))
    work.write({"10_ok.sql": "create table public.a (id int);\n", "20_bad.sql": "\n\nalter role postgres superuser;\n"})
    done = run_inv("db.diff", "bad", cwd=tmp_path, env={"MIGRATIONS_DRIFT_DB_URL": sandbox.db_url})
    assert done.returncode == 1, done.stderr
    assert "20_bad.sql:3" in done.stderr and "42501" in done.stderr
    assert list(work.migrations.glob("*.sql")) == []


def test_a_syntax_error_in_a_schema_file_names_the_file_and_line(sandbox: SandboxProcess, tmp_path: Path) -> None:
    work = Declarative(sandbox, user_project(tmp_path))
    work.write({"10_bad.sql": "create table public.a (id int);\ncreate tabel public.b (id int);\n"})
    done = run_inv("db.diff", "bad", cwd=tmp_path, env={"MIGRATIONS_DRIFT_DB_URL": sandbox.db_url})
    assert done.returncode == 3, done.stderr
    assert "supabase/schemas/10_bad.sql:2:8: syntax error" in done.stderr


def test_data_and_renames_in_a_schema_file_are_reported_as_caveats(sandbox: SandboxProcess, tmp_path: Path) -> None:
    work = Declarative(sandbox, tmp_path)
    work.write(
        {
            "10_t.sql": "create table public.a (id int primary key, v text);\ninsert into public.a values (1, 'x');\n"
            "alter table public.a rename column v to w;\n"
        }
    )
    result = work.diff("init")
    assert result.status is DiffStatus.WRITTEN
    assert [c.split(": ", 1)[0].rsplit("/", 1)[-1] for c in result.caveats] == ["10_t.sql:2", "10_t.sql:3"]
    assert "insert" not in result.proof.text.lower()


def test_a_column_declared_between_others_is_refused_with_what_to_do(sandbox: SandboxProcess, tmp_path: Path) -> None:
    work = Declarative(sandbox, tmp_path)
    work.write({"10_t.sql": "create table public.items (id int primary key, body text);\n"})
    assert work.diff("init").status is DiffStatus.WRITTEN
    work.write({"10_t.sql": "create table public.items (id int primary key, title text, body text);\n"})
    refused = work.diff("middle")
    assert refused.status is DiffStatus.UNPROVEN and refused.exit_code == 1
    assert any(
        "column order public.items" in line and "in supabase/schemas" in line for line in refused.proof.remaining
    )
    assert "declare new columns at the end" in refused.proof.hint
    assert len(list(work.migrations.glob("*.sql"))) == 1
