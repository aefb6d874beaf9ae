"""Probable renames: which gone and new tables and columns db.pull writes as renames; db.diff asks, with both SQL
choices, and has nothing to do once the rename is migrated."""

from __future__ import annotations

from pathlib import Path

from conftest import SandboxProcess
from declarative import Declarative
from test_pull_generate import column, snap, table

from migrations_tasks.authoring.diff.renames import TableRename, probable_renames, probable_table_renames
from migrations_tasks.authoring.diff.results import DiffStatus
from migrations_tasks.authoring.pull.steps import Phase
from migrations_tasks.authoring.pull.warnings import rename_warnings, renaming


def todos(name: str, *columns: dict, schema: str = "public", oid: int = 20001) -> tuple:
    relident = name.rpartition(".")[2]
    return table(name, oid, *columns, schema=schema, relident=relident)


def test_a_table_gone_and_one_with_its_column_types_in_its_schema_is_renamed_then_its_column() -> None:
    before = snap(tables=[todos("public.todos", column("id"), column("title", "text"))])
    after = snap(tables=[todos("public.tasks", column("id"), column("heading", "text"))])
    (found,) = probable_table_renames(before, after)
    assert found.statements == ["ALTER TABLE public.todos RENAME TO tasks"]
    steps = renaming(before, after, tables=True).steps
    assert [(s.sql, s.phase) for s in steps] == [("ALTER TABLE public.todos RENAME TO tasks", Phase.RENAME)]
    assert "rename table public.todos to public.tasks: a probable rename" in rename_warnings(steps)[0]


def test_a_table_in_another_schema_with_the_same_columns_is_moved() -> None:
    before = snap(tables=[todos("public.todos", column("id"), column("title", "text"))])
    after = snap(tables=[todos("app.todos", column("id"), column("title", "text"), schema="app")])
    (found,) = probable_table_renames(before, after)
    assert found.moved and found.statements == ["ALTER TABLE public.todos SET SCHEMA app"]


def test_two_gone_tables_of_one_shape_are_not_guessed() -> None:
    before = snap(tables=[todos("public.a", column("id")), todos("public.b", column("id"), oid=20002)])
    after = snap(tables=[todos("public.c", column("id"))])
    assert probable_table_renames(before, after) == []


def test_a_column_is_renamed_in_place_only_at_the_gone_ones_position() -> None:
    before = snap(tables=[todos("public.t", column("id"), column("title", "text"), column("done", "boolean"))])
    moved = snap(tables=[todos("public.t", column("id"), column("done", "boolean"), column("heading", "text"))])
    kept = snap(tables=[todos("public.t", column("id"), column("heading", "text"), column("done", "boolean"))])
    assert [r.rename_sql for r in probable_renames(before, kept, in_place=True)] == [
        "ALTER TABLE public.t RENAME COLUMN title TO heading;"
    ]
    assert probable_renames(before, moved, in_place=True) == []
    assert len(probable_renames(before, moved)) == 1  # db.diff asks about it


def test_a_table_renamed_into_another_schema_is_moved_then_renamed() -> None:
    moved = TableRename("public.items", 'app."Things"', "items", '"Things"', "app", moved=True)
    assert moved.rename_sql == 'ALTER TABLE public.items SET SCHEMA app; ALTER TABLE app.items RENAME TO "Things";'
    renamed = TableRename("public.items", "public.things", "items", "things", "public", moved=False)
    assert renamed.rename_sql == "ALTER TABLE public.items RENAME TO things;"


def test_a_probable_table_rename_is_asked_with_both_choices_and_once_migrated_nothing_is_left(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    work = Declarative(sandbox, tmp_path)
    work.write({"10_t.sql": "create table public.items (id int primary key, title text);\n"})
    assert work.diff("init").status is DiffStatus.WRITTEN
    work.write({"10_t.sql": "create table public.things (id int primary key, title text);\n"})
    asked = work.diff("rename")
    assert asked.status is DiffStatus.DECIDE and asked.exit_code == 1
    assert asked.renames == [
        "table public.items dropped and public.things added with the same columns: a rename?\n"
        "    to keep the rows, rename it: ALTER TABLE public.items RENAME TO things;\n"
        "    to drop it and create an empty table: CREATE TABLE public.things (...); DROP TABLE public.items;"
    ]
    assert len(list(work.migrations.glob("*.sql"))) == 1
    (work.migrations / "20260101003000_rename_items.sql").write_text(
        "alter table public.items rename to things;\nalter index public.items_pkey rename to things_pkey;\n"
        "alter table public.things rename constraint items_id_not_null to things_id_not_null;\n"
    )
    again = work.diff("again")
    assert again.status is DiffStatus.NOTHING, (again.proof.problem, again.proof.remaining)
