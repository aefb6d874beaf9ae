"""Probable renames, pure: which gone and new tables and columns db.pull writes as renames (db.diff asks)."""

from __future__ import annotations

from test_pull_generate import column, snap, table

from migrations_tasks.authoring.diff.renames import probable_renames, probable_table_renames
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
